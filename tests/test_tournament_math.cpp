// Tournament pieces that need no games: Elo/LOS/SPRT math against values worked out by hand, the
// schedule, openings (file and random), player specs, records (PSQ/SGF), the results-file line
// format, training data lines and the progress line.
#include <doctest/doctest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>

#include "engine/config/logging.h"
#include "engine/tournament/journal.h"
#include "engine/tournament/openings.h"
#include "engine/tournament/players.h"
#include "engine/tournament/progress.h"
#include "engine/tournament/records.h"
#include "engine/tournament/results.h"
#include "engine/tournament/schedule.h"
#include "engine/tournament/stats.h"
#include "engine/tournament/training.h"
#include "tests/support.h"

using namespace hearth;
using namespace hearth_test;
namespace fs = std::filesystem;

namespace {

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

// A scratch folder of this test binary, emptied first.
fs::path scratch(const std::string& name) {
  const fs::path dir = fs::path(HEARTH_BINARY_DIR) / "test_scratch" / "tournament_math" / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

void write(const fs::path& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
}

Settings quiet_settings() {
  static const bool logging = (setup_logging(LogSettings{"error", ""}), true);
  (void)logging;
  return Settings{};
}

}  // namespace

TEST_CASE("Elo, error margin and LOS: 60 wins, 40 losses") {
  const EloEstimate e = estimate_elo({60, 40, 0});
  // -400 log10(1/0.6 - 1) = 70.4365; margin from sigma = sqrt(0.24 / 100) at z = 1.95996.
  CHECK(e.elo == doctest::Approx(70.4365).epsilon(1e-5));
  CHECK(e.margin == doctest::Approx(70.5712).epsilon(1e-5));
  // 0.5 + 0.5 erf(20 / sqrt(200))
  CHECK(e.los == doctest::Approx(0.977250).epsilon(1e-5));
  CHECK(e.score == doctest::Approx(0.6));
  // The mirror image.
  const EloEstimate m = estimate_elo({40, 60, 0});
  CHECK(m.elo == doctest::Approx(-70.4365).epsilon(1e-5));
  CHECK(m.los == doctest::Approx(1.0 - 0.977250).epsilon(1e-5));
  // Draws count half: 55 % -> +34.86.
  CHECK(estimate_elo({45, 35, 20}).elo == doctest::Approx(34.8601).epsilon(1e-5));
  CHECK(elo_from_score(0.5) == doctest::Approx(0.0));
  CHECK(score_from_elo(elo_from_score(0.73)) == doctest::Approx(0.73));
}

TEST_CASE("Elo edge cases: no games, a perfect score") {
  const EloEstimate none = estimate_elo({0, 0, 0});
  CHECK(none.elo == 0.0);
  CHECK(std::isnan(none.margin));
  CHECK(none.los == 0.5);
  const EloEstimate all = estimate_elo({10, 0, 0});
  CHECK(std::isinf(all.elo));
  CHECK(all.elo > 0);
  CHECK(std::isnan(all.margin));
  CHECK(format_elo(all.elo) == "+inf");
  CHECK(format_elo(-12.345) == "-12.3");
}

TEST_CASE("SPRT: the GSPRT log-likelihood ratio and its bounds") {
  const SprtSettings s{0.0, 10.0, 0.05, 0.05};
  // W 60, D 20, L 20: mu 0.7, var 0.16; s0 0.5, s1 1/(1+10^(-10/400)).
  const SprtResult r = sprt({60, 20, 20}, s);
  CHECK(r.llr == doctest::Approx(1.733713).epsilon(1e-5));
  CHECK(r.lower == doctest::Approx(-2.944439).epsilon(1e-6));
  CHECK(r.upper == doctest::Approx(2.944439).epsilon(1e-6));
  CHECK(r.decision == SprtDecision::Continue);
  // No draws: the empty outcome counts 1e-3 games (fishtest's regularization).
  CHECK(sprt({30, 20, 0}, SprtSettings{-5.0, 5.0, 0.05, 0.05}).llr == doctest::Approx(0.299801).epsilon(1e-5));
  // Enough evidence either way decides.
  CHECK(sprt({300, 100, 100}, s).decision == SprtDecision::AcceptH1);
  CHECK(sprt({100, 300, 100}, s).decision == SprtDecision::AcceptH0);
  // One-sided samples decide nothing, however long (the approximation's variance is ~0 there).
  const SprtResult one_sided = sprt({2, 0, 0}, s);
  CHECK(one_sided.llr > one_sided.upper);
  CHECK(one_sided.decision == SprtDecision::Continue);
  CHECK(contains(check_sprt_settings({10.0, 0.0, 0.05, 0.05}), "greater than elo0"));
  CHECK(contains(check_sprt_settings({0.0, 5.0, 0.0, 0.05}), "alpha"));
  CHECK(contains(error_of([&] { sprt({1, 1, 1}, SprtSettings{0.0, 5.0, 0.05, 0.9}); }), "beta"));
}

TEST_CASE("schedule: round-robin and gauntlet counts, stable indices, colours swap per opening") {
  const auto rr = make_pairings(4, TournamentFormat::RoundRobin, false);
  CHECK(rr.size() == 6);
  const auto gauntlet = make_pairings(4, TournamentFormat::Gauntlet, false);
  REQUIRE(gauntlet.size() == 3);
  for (const Pairing& p : gauntlet) CHECK(p.first == 0);
  CHECK(contains(error_of([] { make_pairings(1, TournamentFormat::RoundRobin, false); }), "at least two players"));
  CHECK(contains(error_of([] { make_pairings(2, TournamentFormat::RoundRobin, true); }), "exactly one player"));

  const std::vector<ScheduledGame> games = make_schedule(rr, 5, 2);
  REQUIRE(games.size() == 30);
  std::map<std::pair<int, int>, int> per_pairing, black_count;
  for (size_t i = 0; i < games.size(); ++i) {
    const ScheduledGame& g = games[i];
    CHECK(g.index == static_cast<int64_t>(i));
    CHECK(g.index == g.round * 6 + g.pairing);
    const Pairing& p = rr[g.pairing];
    CHECK(std::set<int>{g.black, g.white} == std::set<int>{p.first, p.second});
    // Game 2k and 2k+1 of a pairing share an opening with colours swapped.
    CHECK(g.opening == (g.round / 2) % 2);
    CHECK((g.black == p.first) == (g.round % 2 == 0));
    ++per_pairing[{p.first, p.second}];
    ++black_count[{g.pairing, g.black}];
  }
  for (const auto& [pair, n] : per_pairing) CHECK(n == 5);
  for (int p = 0; p < 6; ++p) CHECK(black_count[{p, rr[p].first}] == 3);  // games 0, 2, 4
  // A pure function of its inputs.
  const auto again = make_schedule(rr, 5, 2);
  for (size_t i = 0; i < games.size(); ++i) CHECK((again[i].black == games[i].black && again[i].opening == games[i].opening));
  CHECK(openings_needed(5) == 3);
  CHECK(fnv1a_hex("") == "cbf29ce484222325");
  CHECK(fnv1a_hex("a") == "af63dc4c8601ec8c");
}

TEST_CASE("random openings: even stones near the centre, alternating, quiet, distinct, reproducible") {
  const auto openings = random_openings(40, 4, 9, Rule::Freestyle, 7);
  REQUIRE(openings.size() == 40);
  std::set<std::vector<Move>> distinct;
  for (const Opening& o : openings) {
    REQUIRE(o.moves.size() == 4);
    const Board b = opening_board(o, 9, Rule::Freestyle);
    CHECK(b.to_move() == Stone::Black);
    CHECK_FALSE(b.is_over());
    for (Move m : o.moves) {
      CHECK(std::abs(m % 9 - 4) <= 3);
      CHECK(std::abs(m / 9 - 4) <= 3);
    }
    for (Move m : b.legal_moves()) CHECK_FALSE((b.wins_at(m, Stone::Black) || b.wins_at(m, Stone::White)));
    std::vector<Move> black = {o.moves[0], o.moves[2]}, white = {o.moves[1], o.moves[3]};
    std::sort(black.begin(), black.end());
    std::sort(white.begin(), white.end());
    black.insert(black.end(), white.begin(), white.end());
    distinct.insert(black);
  }
  CHECK(distinct.size() == 40);
  const auto again = random_openings(40, 4, 9, Rule::Freestyle, 7);
  for (size_t i = 0; i < openings.size(); ++i) CHECK(again[i].moves == openings[i].moves);
  CHECK(random_openings(40, 4, 9, Rule::Freestyle, 8)[0].moves != openings[0].moves);
  CHECK(random_openings(3, 0, 9, Rule::Freestyle, 1)[2].moves.empty());
  CHECK(contains(error_of([] { random_openings(2, 3, 9, Rule::Freestyle, 1); }), "even"));
  CHECK(contains(error_of([] { random_openings(2, 42, 9, Rule::Freestyle, 1); }), "do not fit"));
}

TEST_CASE("openings file: pairs separated by spaces or ';', comments; bad openings name file and line") {
  std::istringstream good("# two openings\n4,4 5,5; 3,3 5,3\n\n  2, 2 ;6,6   # trailing comment\n");
  const auto openings = parse_openings(good, "book.txt", 9, Rule::Freestyle);
  REQUIRE(openings.size() == 2);
  CHECK(openings[0].moves == std::vector<Move>{4 * 9 + 4, 5 * 9 + 5, 3 * 9 + 3, 3 * 9 + 5});
  CHECK(openings[1].moves == std::vector<Move>{2 * 9 + 2, 6 * 9 + 6});
  CHECK(openings[1].source == "book.txt line 4");

  const auto problem = [](const std::string& text) {
    std::istringstream in(text);
    return error_of([&] { parse_openings(in, "book.txt", 9, Rule::Freestyle); });
  };
  CHECK(contains(problem("4,4\n9,1\n"), "book.txt line 2: move 1 (9,1) is off the 9x9 board"));
  CHECK(contains(problem("4,4 5,5 4,4\n"), "line 1: move 3 (4,4) is on a square already played"));
  CHECK(contains(problem("4,4 x\n"), "'x' is not an x,y pair"));
  CHECK(contains(problem("0,0 0,8 1,0 1,8 2,0 2,8 3,0 3,8 4,0\n"), "already has five in a row"));
  CHECK(contains(problem("0,0 0,8 1,0 1,8 2,0 2,8 3,0 3,8 4,0 4,8\n"), "comes after the game is already decided"));
  CHECK(contains(problem("# nothing\n\n"), "has no openings"));
  CHECK(contains(error_of([] { read_openings_file("/nonexistent/book.txt", 9, Rule::Freestyle); }), "cannot read"));
}

TEST_CASE("player specs: files, inline options, external engines, names; one clear message per mistake") {
  const Settings base = quiet_settings();
  const fs::path dir = scratch("players");
  write(dir / "strong.ini", "[evaluator]\nplugin = heuristic\n[search]\nvisits = 300\n");
  write(dir / "board.ini", "[game]\nboard_size = 9\n");
  write(dir / "engine.sh", "#!/bin/sh\nexit 0\n");
  fs::permissions(dir / "engine.sh", fs::perms::owner_all);
  write(dir / "not_executable", "x");

  const auto players =
      parse_players("strong visits=500; name=\"u 1\" plugin=uniform turn_ms=700 plugin.max_batch=8; "
                    "name=eng cmd='engine.sh --fast' dir=" + dir.string() + " match_ms=9000",
                    dir.string(), base);
  REQUIRE(players.size() == 3);
  CHECK(players[0].name == "strong");
  CHECK(players[0].kind == PlayerKind::InProcess);
  CHECK(players[0].settings.evaluator.plugin == "heuristic");
  CHECK(players[0].settings.limits.visits == 500);  // inline beats the file
  CHECK(players[1].name == "u 1");
  CHECK(players[1].settings.evaluator.plugin == "uniform");
  CHECK(players[1].settings.time.turn_ms == 700);  // a name unique in the player sections
  CHECK(players[1].settings.evaluator.plugin_options ==
        std::vector<std::pair<std::string, std::string>>{{"max_batch", "8"}});
  CHECK(players[2].kind == PlayerKind::External);
  CHECK(players[2].argv == std::vector<std::string>{(dir / "engine.sh").string(), "--fast"});
  CHECK(players[2].dir == dir.string());
  CHECK(players[2].settings.time.match_ms == 9000);
  CHECK(players[0].identity() != players[1].identity());
  // Default names: the file's stem, the plugin, the program without pbrain-.
  CHECK(parse_players("plugin=uniform", dir.string(), base)[0].name == "uniform");

  const auto problem = [&](const std::string& specs) {
    return error_of([&] { parse_players(specs, dir.string(), base); });
  };
  CHECK(contains(problem("nosuchplayer"), "unknown player 'nosuchplayer'"));
  CHECK(contains(problem("strong; strong"), "two players are named 'strong'"));
  CHECK(contains(problem("strong bogus_key=1"), "unknown option 'bogus_key'"));
  CHECK(contains(problem("strong visits=-3"), "search.visits"));
  CHECK(contains(problem("board"), "board size, rule and [tournament] options belong to the tournament"));
  CHECK(contains(problem("strong board-size=9"), "the tournament's, not a player's"));
  CHECK(contains(problem("name=x cmd=/nonexistent/pbrain-x"), "engine program '/nonexistent/pbrain-x' not found"));
  CHECK(contains(problem("name=x cmd=" + (dir / "not_executable").string()), "is not an executable file"));
  CHECK(contains(problem("name=x cmd=pbrain-nowhere-to-be-found"), "not found"));
  CHECK(contains(problem("name=x cmd=engine.sh dir=/nonexistent/dir"), "is not a directory"));
  CHECK(contains(problem("name=x cmd=engine.sh dir=" + dir.string() + " visits=3"), "is an external engine"));
  CHECK(contains(problem("name=x dir=/tmp"), "dir= is for external engines"));
  CHECK(contains(problem("name=\"x"), "unterminated"));
  CHECK(contains(problem("name= plugin=uniform"), "the player name is empty"));
}

TEST_CASE("split_words and file_safe_name") {
  std::string error;
  CHECK(split_words("a \"b c\" 'd e' f\\g \"h\\\"i\"", &error) ==
        std::vector<std::string>{"a", "b c", "d e", "f\\g", "h\"i"});
  CHECK(error.empty());
  CHECK(split_words("x=\"1 2\"", &error) == std::vector<std::string>{"x=1 2"});
  CHECK(file_safe_name("a b/c:d") == "a_b_c_d");
}

namespace {

GameRecord sample_record() {
  GameRecord r;
  r.game.index = 12;
  r.game.black = 0;
  r.game.white = 1;
  r.size = 9;
  r.opening_stones = 2;
  Board b(9);
  for (const auto& [x, y] : std::vector<std::pair<int, int>>{{4, 4}, {5, 5}, {3, 4}, {8, 0}, {2, 4}, {8, 1}, {1, 4},
                                                             {8, 2}, {0, 4}}) {
    r.moves.push_back(b.move_at(x, y));
    b.play(b.move_at(x, y));
  }
  r.move_ms = {0, 0, 15, 7, 120, 3, 44, 9, 1};
  r.outcome = b.outcome();
  r.termination = Termination::Five;
  r.reason = "Black (alpha) made five in a row";
  return r;
}

}  // namespace

TEST_CASE("PSQ records parse back to the same game; SGF has the usual properties") {
  const GameRecord r = sample_record();
  REQUIRE(r.outcome == Outcome::BlackWin);
  const std::string psq = psq_text(r, "alpha", "beta");
  CHECK(psq.rfind("Piskvorky 9x9, 11:11, 0\n5,5,0\n6,6,0\n4,5,15\n", 0) == 0);  // 1-based x,y,ms
  std::istringstream in(psq);
  std::string error;
  const auto back = parse_psq(in, &error);
  REQUIRE_MESSAGE(back, error);
  CHECK(back->size == 9);
  CHECK(back->moves == r.moves);
  CHECK(back->move_ms == r.move_ms);
  CHECK(back->black_name == "alpha");
  CHECK(back->white_name == "beta");
  CHECK(back->result_code == 0);

  std::istringstream bad("Piskvorky 9x9, 11:11, 0\n5,5,0\n5,5,3\n");
  CHECK_FALSE(parse_psq(bad, &error));
  CHECK(contains(error, "already played"));
  std::istringstream not_psq("hello\n");
  CHECK_FALSE(parse_psq(not_psq, &error));

  GameRecord faulted = r;
  faulted.termination = Termination::Timeout;
  faulted.outcome = Outcome::BlackWin;  // White lost on time
  CHECK(contains(psq_text(faulted, "a", "b"), "\na\nb\n2\n"));

  const std::string sgf = sgf_text(r, "alpha", "be]ta");
  CHECK(contains(sgf, "GM[4]"));
  CHECK(contains(sgf, "SZ[9]"));
  CHECK(contains(sgf, "PB[alpha]"));
  CHECK(contains(sgf, "PW[be\\]ta]"));
  CHECK(contains(sgf, "RE[B+]"));
  CHECK(contains(sgf, ";B[ee];W[ff];B[de]C[15 ms]"));
  CHECK(contains(sgf_text(faulted, "a", "b"), "RE[B+T]"));
}

TEST_CASE("results-file lines: flat JSON round trip, escapes, malformed lines") {
  const GameRecord record = sample_record();
  GameResult r = result_of(record);
  r.reason = "White (\"q\\uote\") timeout: no move\tin 5 ms";
  const std::string line = game_line(r, {"alpha", "beta"});
  std::map<std::string, std::string> fields;
  REQUIRE(parse_flat_json(line, &fields));
  CHECK(fields["black"] == "alpha");
  CHECK(fields["reason"] == r.reason);
  CHECK(fields["record"] == "4,4 5,5 3,4 8,0 2,4 8,1 1,4 8,2 0,4");
  std::string error;
  const auto back = parse_game_line(fields, &error);
  REQUIRE_MESSAGE(back, error);
  CHECK(back->game.index == 12);
  CHECK(back->outcome == Outcome::BlackWin);
  CHECK(back->termination == Termination::Five);
  CHECK(back->moves == 9);
  CHECK(back->moves_text == r.moves_text);
  CHECK(parse_flat_json("{\"a\":\"\\u00e9\",\"b\":-3,\"c\":true}", &fields));
  CHECK(fields["a"] == "\xc3\xa9");
  CHECK(fields["b"] == "-3");
  CHECK_FALSE(parse_flat_json("{\"a\":1", &fields));
  CHECK_FALSE(parse_flat_json("{\"a\":{\"nested\":1}}", &fields));
  CHECK_FALSE(parse_flat_json("[1,2]", &fields));
  CHECK_FALSE(parse_game_line({{"game", "1"}}, &error));
}

TEST_CASE("training data lines: round trip, planes rebuild, policy target") {
  GameRecord record = sample_record();
  record.searched.push_back({2, {{record.moves[2], 30}, {0, 10}}, 0.25f});
  record.searched.push_back({3, {{record.moves[3], 8}}, -0.5f});
  const auto samples = training_samples(record);
  REQUIRE(samples.size() == 2);
  CHECK(samples[0].z == 1);   // Black to move at ply 2, Black won
  CHECK(samples[1].z == -1);  // White to move at ply 3
  const std::string line = training_line(samples[0]);
  CHECK(line == "v1 12 9 freestyle 2 1 0.2500 4,4;5,5 3,4:30;0,0:10");
  std::string error;
  const auto back = parse_training_line(line, &error);
  REQUIRE_MESSAGE(back, error);
  CHECK(back->moves == samples[0].moves);
  CHECK(back->visits == samples[0].visits);
  CHECK(back->q == doctest::Approx(0.25f));
  CHECK(back->board().to_move() == Stone::Black);
  const std::vector<float> target = back->policy_target();
  CHECK(target[record.moves[2]] == doctest::Approx(0.75f));
  CHECK(target[0] == doctest::Approx(0.25f));
  CHECK_FALSE(parse_training_line("v1 12 9 freestyle 3 1 0.2 4,4;5,5 -", &error));  // ply mismatch
  CHECK_FALSE(parse_training_line("v1 12 9 freestyle 2 1 0.2 4,4;4,4 -", &error));  // not a legal game
  CHECK_FALSE(parse_training_line("v2 12 9 freestyle 0 1 0.2 - -", &error));
  CHECK(parse_training_line("v1 0 9 standard 0 0 0 - -", &error));

  const fs::path dir = scratch("training");
  write(dir / "training.txt", "v1 1 9 freestyle 0 0 0 - -\nv1 2 9 freestyle 0 0 0 - -\nv1 3 9 fre");
  filter_training_file((dir / "training.txt").string(), {1});
  std::ifstream in(dir / "training.txt");
  std::stringstream kept;
  kept << in.rdbuf();
  CHECK(kept.str() == "v1 1 9 freestyle 0 0 0 - -\n");  // games 2 and 3 (torn) are not recorded
}

TEST_CASE("progress line: counts, rate, ETA, width") {
  ProgressState st;
  st.done = 25;
  st.total = 100;
  st.done_this_run = 20;
  st.seconds_this_run = 60.0;
  st.score = "a 15.0-10.0 b";
  const std::string line = format_progress(st, 120);
  CHECK(contains(line, "25/100"));
  CHECK(contains(line, "a 15.0-10.0 b"));
  CHECK(contains(line, "20.0 games/min"));
  CHECK(contains(line, "ETA 3m45s"));  // 75 games at 20 per minute
  CHECK(line.rfind("[", 0) == 0);
  CHECK(format_progress(st, 40).size() <= 40);
  std::ostringstream quiet;
  ProgressBar bar(quiet, false);
  bar.update(st);
  bar.finish();
  CHECK(quiet.str().empty());
  std::ostringstream shown;
  ProgressBar on(shown, true);
  on.update(st);
  on.finish();
  CHECK(contains(shown.str(), "25/100"));
}
