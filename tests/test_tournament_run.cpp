// Whole tournaments of in-process players (uniform and heuristic plugins, small boards, few
// visits): consistent counts, colours, the heuristic beating uniform, one shared evaluator per
// configuration, records that parse back, resume after a partial or interrupted run, self-play
// training data, and bad configurations refused before any game.
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "engine/config/logging.h"
#include "engine/tournament/tournament.h"
#include "engine/tournament/records.h"
#include "engine/tournament/training.h"
#include "tests/support.h"
#include "tests/tournament_support.h"

using namespace hearth;
using namespace hearth_test;
namespace fs = std::filesystem;

namespace {

const std::string kData = HEARTH_TEST_DATA_DIR;

fs::path scratch(const std::string& name) {
  const fs::path dir = fs::path(HEARTH_BINARY_DIR) / "test_scratch" / "tournament_run" / name;
  fs::remove_all(dir);
  return dir;
}

// Fast, deterministic settings; time limits far away so that a loaded machine never forfeits.
Settings settings_for(const fs::path& out, const std::string& players, int games, int size = 9) {
  static const bool logging = (setup_logging(LogSettings{"error", ""}), true);
  (void)logging;
  Settings s;
  s.game.board_size = size;
  s.search.threads = 1;
  s.evaluator.cache_entries = 20000;
  s.time.turn_ms = 600000;
  s.tournament.players = players;
  s.tournament.players_dir = kData + "/../../configs/players";
  s.tournament.games = games;
  s.tournament.out_dir = out.string();
  s.tournament.timeout_margin_ms = 600000;
  return s;
}

std::map<int64_t, GameResult> by_index(const std::vector<GameResult>& results) {
  std::map<int64_t, GameResult> m;
  for (const GameResult& r : results) CHECK(m.emplace(r.game.index, r).second);  // never twice
  return m;
}

}  // namespace

TEST_CASE("heuristic beats uniform at equal visits; counts and colours add up; records parse back") {
  const fs::path out = scratch("strength");
  Settings s = settings_for(out, "heuristic visits=200; uniform visits=200", 24);
  s.tournament.concurrency = 2;
  Tournament t(s);
  REQUIRE(t.schedule().size() == 24);
  const RunReport report = t.run();
  CHECK(report.complete);
  CHECK(report.played == 24);
  CHECK(report.recorded == 24);
  CHECK(report.stopped.empty());

  const Standings& st = t.standings();
  const WinLossDraw& h = st.players()[0].record;
  const WinLossDraw& u = st.players()[1].record;
  CHECK(st.players()[0].name == "heuristic");
  CHECK(h.games() == 24);
  CHECK(h.wins == u.losses);
  CHECK(h.losses == u.wins);
  CHECK(h.draws == u.draws);
  CHECK(st.black_wins() + st.white_wins() + st.draws() == 24);
  CHECK_MESSAGE(h.score() >= 0.8, "heuristic scored " << h.score() * 100 << "% against uniform");
  CHECK(estimate_elo(h).elo > 200);

  const std::vector<GameResult> results = read_results(out);
  REQUIRE(results.size() == 24);
  int heuristic_black = 0;
  for (const auto& [index, r] : by_index(results)) {
    // Colours alternate within each opening pair: game 2k has the first player Black.
    CHECK(r.game.black == (r.game.round % 2 == 0 ? 0 : 1));
    CHECK(r.game.opening == r.game.round / 2);
    heuristic_black += r.game.black == 0;
    CHECK(r.opening_stones == 4);
    if (r.termination == Termination::Five) CHECK(r.outcome != Outcome::Draw);
    // The .psq record is the same game.
    std::ifstream psq(out / "games" / ("game-" + std::string(6 - std::to_string(r.game.index).size(), '0') +
                                       std::to_string(r.game.index) + ".psq"));
    REQUIRE(psq);
    std::string error;
    const auto game = parse_psq(psq, &error);
    REQUIRE_MESSAGE(game, error);
    CHECK(moves_text(game->moves, 9) == r.moves_text);
    CHECK(static_cast<int>(game->moves.size()) == r.moves);
    CHECK(game->black_name == (r.game.black == 0 ? "heuristic" : "uniform"));
    // Replaying the record ends the way the results file says.
    Board b(9);
    for (Move m : game->moves) {
      REQUIRE(b.is_legal(m));
      b.play(m);
    }
    CHECK(b.outcome() == r.outcome);
  }
  CHECK(heuristic_black == 12);
  // Both games of an opening pair start from the same stones.
  for (const GameResult& r : results) {
    const auto& opening = t.openings()[r.game.opening].moves;
    CHECK(r.moves_text.rfind(moves_text(opening, 9), 0) == 0);
  }
  const std::string summary = read_text(out / "summary.json");
  CHECK(contains(summary, "\"games_played\":24"));
  CHECK(contains(summary, "\"complete\":true"));
  CHECK(contains(summary, "\"name\":\"heuristic\""));
}

TEST_CASE("heuristic beats uniform on 15x15 as well (issue 3)") {
  Settings s = settings_for(scratch("strength15"), "heuristic visits=100; uniform visits=100", 20, 15);
  s.tournament.concurrency = 2;
  Tournament t(s);
  CHECK(t.run().complete);
  const WinLossDraw& h = t.standings().players()[0].record;
  CHECK(h.games() == 20);
  CHECK_MESSAGE(h.score() >= 0.8, "heuristic scored " << h.score() * 100 << "% against uniform");
}

TEST_CASE("players with the same evaluator configuration share one evaluator across concurrent games") {
  const fs::path out = scratch("shared");
  Settings s = settings_for(out, "heuristic visits=60; name=h2 heuristic visits=120; uniform visits=60", 2);
  s.tournament.concurrency = 3;
  Tournament t(s);
  CHECK(t.evaluator_count() == 2);  // heuristic (two players) and uniform
  const RunReport report = t.run();
  CHECK(report.recorded == 6);
  const std::string summary = read_text(out / "summary.json");
  CHECK(contains(summary, "\"players\":[\"heuristic\",\"h2\"]"));
  // The heuristic is reentrant and runs inline (no batching layer); each evaluator's stats are
  // in the summary all the same.
  CHECK(contains(summary, "\"hits\""));
  CHECK(contains(summary, "\"calls\""));
  // Three players: everyone played everyone twice.
  for (const PlayerStanding& p : t.standings().players()) CHECK(p.record.games() == 4);
}

TEST_CASE("a partial run resumes to the same results as a full run; a torn last line is dropped") {
  const std::string players = "heuristic visits=80; uniform visits=80";
  const fs::path full_dir = scratch("full"), part_dir = scratch("partial");
  Settings full = settings_for(full_dir, players, 8);
  full.tournament.concurrency = 2;
  {
    Tournament t(full);
    CHECK(t.run().complete);
    CHECK(t.run().played == 0);  // a second run of the same object replays nothing
  }
  Settings part = settings_for(part_dir, players, 8);
  part.tournament.max_games = 3;
  {
    Tournament t(part);
    const RunReport r = t.run();
    CHECK(r.played == 3);
    CHECK_FALSE(r.complete);
    CHECK(contains(r.stopped, "max_games"));
  }
  // A crash in mid-write leaves half a line.
  {
    std::ofstream torn(part_dir / "results.jsonl", std::ios::app);
    torn << "{\"type\":\"game\",\"game\":5,\"pai";
  }
  part.tournament.max_games = 0;
  part.tournament.concurrency = 3;  // not part of the configuration: may change on resume
  {
    Tournament t(part);
    CHECK(t.resumed_games() == 3);
    const RunReport r = t.run();
    CHECK(r.played == 5);
    CHECK(r.complete);
  }
  const auto a = by_index(read_results(full_dir)), b = by_index(read_results(part_dir));
  REQUIRE(a.size() == 8);
  REQUIRE(b.size() == 8);
  for (const auto& [index, r] : a) {
    CAPTURE(index);
    CHECK(b.at(index).moves_text == r.moves_text);  // deterministic games: the very same
    CHECK(b.at(index).outcome == r.outcome);
  }
  {  // Complete: running again plays nothing.
    Tournament again(part);
    CHECK(again.run().played == 0);
  }

  // Another configuration may not append to these results.
  Settings other = settings_for(part_dir, "heuristic visits=81; uniform visits=80", 8);
  CHECK(contains(construction_error(other), "different tournament configuration"));
}

TEST_CASE("an interrupted run keeps every finished game and resumes without repeating one") {
  const fs::path out = scratch("interrupt");
  Settings s = settings_for(out, "heuristic visits=400; uniform visits=400", 400, 15);
  s.tournament.concurrency = 2;
  std::atomic<bool> interrupt{false};
  RunReport report;
  {
    Tournament t(s);
    std::thread stopper([&] {
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
      interrupt = true;
    });
    report = t.run(nullptr, &interrupt);
    stopper.join();
  }
  CHECK(report.stopped == "interrupted");
  CHECK_FALSE(report.complete);
  CHECK(static_cast<int64_t>(read_results(out).size()) == report.recorded);
  CHECK(report.recorded == report.played);
  s.tournament.max_games = 2;
  Tournament resumed(s);
  CHECK(resumed.resumed_games() == report.recorded);
  CHECK(resumed.run().played == 2);
  CHECK(static_cast<int64_t>(by_index(read_results(out)).size()) == report.recorded + 2);
}

TEST_CASE("self-play writes training data consistent with the games, reproducibly") {
  const fs::path out = scratch("selfplay");
  Settings s = settings_for(out, "heuristic visits=40", 4);
  s.tournament.selfplay = true;
  s.tournament.opening_stones = 2;
  {
    Tournament t(s);
    CHECK(t.schedule().size() == 4);
    CHECK(t.schedule()[0].black == t.schedule()[0].white);
    CHECK(t.run().complete);
  }
  const auto results = by_index(read_results(out));
  REQUIRE(results.size() == 4);
  std::ifstream in(out / "training.txt");
  std::map<int64_t, int> samples_per_game;
  std::string line;
  while (std::getline(in, line)) {
    std::string error;
    const auto sample = parse_training_line(line, &error);
    REQUIRE_MESSAGE(sample, error << " in '" << line << "'");
    const GameResult& game = results.at(sample->game);
    ++samples_per_game[sample->game];
    // The position is a prefix of the game, after the opening.
    CHECK(game.moves_text.rfind(moves_text(sample->moves, 9), 0) == 0);
    CHECK(static_cast<int>(sample->moves.size()) >= game.opening_stones);
    const bool black_to_move = sample->moves.size() % 2 == 0;
    const int expected_z = game.outcome == Outcome::Draw ? 0 : ((game.outcome == Outcome::BlackWin) == black_to_move ? 1 : -1);
    CHECK(sample->z == expected_z);
    int64_t visits = 0;
    const Board board = sample->board();
    for (const auto& [m, n] : sample->visits) {
      CHECK(board.is_legal(m));
      visits += n;
    }
    CHECK(visits >= 1);
  }
  for (const auto& [index, game] : results) CHECK(samples_per_game[index] == game.moves - game.opening_stones);

  // Same seed, same games (noise and temperature come from per-game seeds).
  const fs::path again_dir = scratch("selfplay_again");
  Settings again = s;
  again.tournament.out_dir = again_dir.string();
  Tournament t(again);
  t.run();
  for (const auto& [index, r] : by_index(read_results(again_dir))) CHECK(r.moves_text == results.at(index).moves_text);
}

TEST_CASE("bad configurations are refused before any game, with one clear message") {
  const fs::path out = scratch("bad");
  const auto error_for = [&](const std::string& players, const std::function<void(Settings&)>& tweak = nullptr) {
    Settings s = settings_for(out, players, 2);
    if (tweak) tweak(s);
    return construction_error(s);
  };
  CHECK(contains(error_for(""), "no players"));
  CHECK(contains(error_for("heuristic"), "at least two players"));
  CHECK(contains(error_for("heuristic; nosuchplayer"), "unknown player 'nosuchplayer'"));
  CHECK(contains(error_for("heuristic; uniform; name=u2 uniform", [](Settings& s) { s.tournament.sprt = true; }),
                 "SPRT needs exactly one pairing"));
  CHECK(contains(error_for("heuristic; uniform", [](Settings& s) { s.tournament.selfplay = true; }),
                 "self-play needs exactly one player"));
  CHECK(contains(error_for("heuristic; uniform", [](Settings& s) { s.tournament.opening_stones = 3; }), "even"));
  CHECK(contains(error_for("heuristic; uniform",
                           [](Settings& s) { s.tournament.openings = kData + "/no_such_openings.txt"; }),
                 "cannot read openings file"));
  CHECK(contains(error_for("heuristic; uniform plugin.bogus=1"), "player 'uniform'"));
  CHECK(contains(error_for("heuristic; name=x cmd=/nonexistent/pbrain-x"), "engine program"));
  CHECK(contains(error_for("heuristic; uniform", [](Settings& s) {
                   s.tournament.sprt = true;
                   s.tournament.sprt_elo1 = -1;
                 }),
                 "greater than elo0"));
  // A plugin that serves another board size.
  const std::string fixture = std::string(HEARTH_BINARY_DIR) + "/test_fixtures/libhearth_fixture_config.so";
  if (fs::exists(fixture))
    CHECK(contains(error_for("heuristic; name=f plugin=" + fixture + " plugin.report_size=15"), "board size"));
  // An opening impossible on this board.
  const fs::path book = scratch("book");
  fs::create_directories(book);
  std::ofstream(book / "book.txt") << "4,4 5,5\n12,3 4,5\n";
  CHECK(contains(error_for("heuristic; uniform", [&](Settings& s) { s.tournament.openings = (book / "book.txt").string(); }),
                 "line 2: move 1 (12,3) is off the 9x9 board"));
  CHECK_FALSE(fs::exists(out));  // nothing was created for a tournament that cannot run
}
