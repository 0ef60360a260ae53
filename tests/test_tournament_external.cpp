// External Gomocup engines in a tournament, played by tests/data/fake_engine.sh: a well-behaved
// engine plays legal games through BOARD/TURN (skipping its MESSAGE/DEBUG/UNKNOWN chatter); one
// that crashes, hangs, plays an illegal move, prints garbage or refuses START loses each game
// with that reason, is restarted, and the tournament goes on; SPRT ends a run once decided.
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "engine/config/logging.h"
#include "engine/tournament/tournament.h"
#include "tests/support.h"
#include "tests/tournament_support.h"

using namespace hearth;
using namespace hearth_test;
namespace fs = std::filesystem;

namespace {

const std::string kData = HEARTH_TEST_DATA_DIR;

fs::path scratch(const std::string& name) {
  const fs::path dir = fs::path(HEARTH_BINARY_DIR) / "test_scratch" / "tournament_external" / name;
  fs::remove_all(dir);
  return dir;
}

// A fake engine player; `bash` runs the script, so it needs no executable bit.
std::string fake(const std::string& name, const std::string& mode, int fault_at = 2) {
  return "name=" + name + " cmd=\"bash '" + kData + "/fake_engine.sh' " + mode + " " + std::to_string(fault_at) + "\"";
}

Settings settings_for(const fs::path& out, const std::string& players, int games) {
  static const bool logging = (setup_logging(LogSettings{"error", ""}), true);
  (void)logging;
  Settings s;
  s.game.board_size = 9;
  s.search.threads = 1;
  s.evaluator.cache_entries = 10000;
  s.time.turn_ms = 600000;
  s.tournament.players = players;
  s.tournament.games = games;
  s.tournament.out_dir = out.string();
  s.tournament.timeout_margin_ms = 600000;
  s.tournament.start_timeout_ms = 600000;
  return s;
}

// Replays a recorded game: every stone legal, the end as recorded for a game decided on the board.
void check_replay(const GameResult& r) {
  Board b(9);
  std::istringstream moves(r.moves_text);
  for (std::string square; moves >> square;) {
    int x = -1, y = -1;
    REQUIRE(std::sscanf(square.c_str(), "%d,%d", &x, &y) == 2);
    REQUIRE(b.on_board(x, y));
    REQUIRE(b.is_legal(b.move_at(x, y)));
    b.play(b.move_at(x, y));
  }
  CHECK(b.move_count() == r.moves);
  if (!is_fault(r.termination)) CHECK(b.outcome() == r.outcome);
}

}  // namespace

TEST_CASE("a well-behaved external engine plays whole legal games, two processes at once") {
  const fs::path out = scratch("normal");
  Settings s = settings_for(out, fake("fake", "normal", 0) + "; plugin=uniform visits=30", 6);
  s.tournament.concurrency = 2;
  Tournament t(s);
  const RunReport report = t.run();
  CHECK(report.complete);
  const std::vector<GameResult> results = read_results(out);
  REQUIRE(results.size() == 6);
  for (const GameResult& r : results) {
    CAPTURE(r.reason);
    CHECK_FALSE(is_fault(r.termination));
    CHECK(r.moves > r.opening_stones + 2);  // both sides moved, through BOARD and TURN
    check_replay(r);
  }
  CHECK(t.standings().players()[0].faults.empty());
  CHECK(fs::exists(out / "fake.stderr.log"));
}

TEST_CASE("an engine that quit between games is started again without losing a game") {
  const fs::path out = scratch("once");
  Tournament t(settings_for(out, fake("once", "once", 0) + "; plugin=uniform visits=20", 4));
  CHECK(t.run().complete);
  for (const GameResult& r : read_results(out)) {
    CAPTURE(r.reason);
    CHECK_FALSE(is_fault(r.termination));
  }
}

TEST_CASE("faulty external engines lose with the reason, are restarted, and the tournament goes on") {
  struct Case {
    std::string mode;
    Termination expected;
    std::string detail;
  };
  const std::vector<Case> cases = {
      {"crash", Termination::Crash, "exited while thinking: exited with status 3"},
      {"hang", Termination::Timeout, "no move within 400 ms"},
      {"illegal", Termination::Illegal, "on an occupied square"},
      {"garbage", Termination::Garbage, "'hello there, I am not a move' instead of a move"},
      {"refuse", Termination::Error, "refused START 9: 'ERROR I refuse to play'"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.mode);
    const fs::path out = scratch(c.mode);
    // The fault comes at the engine's first move, and only the hanging engine gets a short limit
    // (which it never meets), so a loaded machine cannot turn one fault into another.
    const std::string limit = c.mode == "hang" ? " turn_ms=200" : "";
    Settings s = settings_for(out, fake("bad", c.mode, 1) + limit + "; plugin=uniform visits=20", 4);
    s.tournament.timeout_margin_ms = 200;
    Tournament t(s);
    const RunReport report = t.run();
    CHECK(report.complete);
    const std::vector<GameResult> results = read_results(out);
    REQUIRE(results.size() == 4);
    for (const GameResult& r : results) {
      CAPTURE(r.reason);
      // Every game, not just the first: the engine was restarted after each fault.
      CHECK(r.termination == c.expected);
      CHECK(contains(r.reason, "(bad)"));
      CHECK(contains(r.reason, c.detail));
      const bool bad_is_black = r.game.black == 0;
      CHECK(r.outcome == (bad_is_black ? Outcome::WhiteWin : Outcome::BlackWin));
      check_replay(r);
    }
    const PlayerStanding& bad = t.standings().players()[0];
    CHECK(bad.record.losses == 4);
    CHECK(bad.faults.at(termination_name(c.expected)) == 4);
  }
}

TEST_CASE("SPRT stops the run once decided") {
  const fs::path out = scratch("sprt");
  // Two copies of the same deterministic engine: each opening pair is one win each (or two
  // draws), so H0 (no difference) against H1 (+200 Elo) is accepted well before 60 games.
  Settings s = settings_for(out, fake("a", "normal", 0) + "; " + fake("b", "normal", 0), 60);
  s.tournament.sprt = true;
  s.tournament.sprt_elo0 = 0;
  s.tournament.sprt_elo1 = 200;
  {
    Tournament t(s);
    const RunReport report = t.run();
    CHECK_FALSE(report.complete);
    CHECK(report.recorded < 60);
    CHECK(contains(report.stopped, "H0 accepted"));
    const SprtResult r = sprt(t.standings().pairing(0), SprtSettings{0, 200, 0.05, 0.05});
    CHECK(r.decision == SprtDecision::AcceptH0);
  }
  // Decided: a rerun (once the first has ended) plays nothing more.
  Tournament again(s);
  CHECK(again.run().played == 0);
}

TEST_CASE("an engine ended by SIGTERM while the tournament is being stopped: the game is abandoned, not lost") {
  const fs::path mark = scratch("term_mark");
  fs::create_directories(mark);
  ::setenv("FAKE_ENGINE_MARK", (mark / "signalled").c_str(), 1);
  // As under Slurm's scancel: the engine dies of SIGTERM, the tournament's own stop comes just after.
  const fs::path stopped_out = scratch("term_stopped");
  {
    Tournament t(settings_for(stopped_out, fake("term", "term", 2) + "; plugin=uniform visits=20", 2));
    std::atomic<bool> interrupt{false};
    std::thread watcher([&] {
      for (int i = 0; i < 3000 && !fs::exists(mark / "signalled"); ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      interrupt = true;
    });
    const RunReport report = t.run(nullptr, &interrupt);
    watcher.join();
    CHECK(report.played == 0);  // the game the signal cut short is not a loss for the engine
    CHECK_FALSE(report.complete);
  }
  CHECK(read_results(stopped_out).empty());

  // The same death with no stop following it is the engine's own crash: a loss, recorded.
  fs::remove(mark / "signalled");
  const fs::path crash_out = scratch("term_alone");
  Tournament t(settings_for(crash_out, fake("term", "term", 2) + "; plugin=uniform visits=20", 2));
  const RunReport report = t.run();
  CHECK(report.complete);
  const std::vector<GameResult> results = read_results(crash_out);
  REQUIRE(results.size() == 2);
  for (const GameResult& r : results) CHECK(r.termination == Termination::Crash);
  ::unsetenv("FAKE_ENGINE_MARK");
}
