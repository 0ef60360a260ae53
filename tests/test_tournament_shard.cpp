// Tournament shards (tournament.shard i/n) and `hearth merge`: shards together play exactly the
// unsharded schedule, their merge gives the unsharded standings and games, and the merge refuses
// or reports what does not add up (another configuration, missing or conflicting games). Bad
// shard values are refused before any game. In-process heuristic/uniform players on 9x9.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "engine/app/commands.h"
#include "engine/config/logging.h"
#include "engine/tournament/tournament.h"
#include "engine/tournament/journal.h"
#include "engine/tournament/merge.h"
#include "engine/tournament/records.h"
#include "tests/support.h"
#include "tests/tournament_support.h"

using namespace hearth;
using namespace hearth_test;
namespace fs = std::filesystem;

namespace {

const std::string kData = HEARTH_TEST_DATA_DIR;
const std::string kPlayers = "heuristic visits=40; uniform visits=40";

fs::path scratch(const std::string& name) {
  const fs::path dir = fs::path(HEARTH_BINARY_DIR) / "test_scratch" / "tournament_shard" / name;
  fs::remove_all(dir);
  return dir;
}

// Fast, deterministic settings; time limits far away so that a loaded machine never forfeits.
Settings settings_for(const fs::path& out, const std::string& shard, uint64_t seed = 1) {
  static const bool logging = (setup_logging(LogSettings{"error", ""}), true);
  (void)logging;
  Settings s;
  s.game.board_size = 9;
  s.search.threads = 1;
  s.evaluator.cache_entries = 20000;
  s.time.turn_ms = 600000;
  s.tournament.players = kPlayers;
  s.tournament.players_dir = kData + "/../../configs/players";
  s.tournament.games = 12;
  s.tournament.seed = seed;
  s.tournament.out_dir = out.string();
  s.tournament.timeout_margin_ms = 600000;
  s.tournament.shard = shard;
  return s;
}

// The summary without what depends on the run's timing or history (and the evaluator statistics,
// which a merge cannot know): "games_this_run" .. "colours", and "evaluators" to the end.
std::string timeless_summary(const fs::path& dir) {
  std::string s = read_text(dir / "summary.json");
  const size_t from = s.find("\"games_this_run\""), to = s.find("\"colours\"");
  REQUIRE(from != std::string::npos);
  REQUIRE(to > from);
  s.erase(from, to - from);
  const size_t ev = s.find("\"evaluators\"");
  REQUIRE(ev != std::string::npos);
  s.erase(ev);
  return s;
}

std::map<int64_t, GameResult> games_of(const fs::path& dir) {
  std::map<int64_t, GameResult> m;
  for (const GameResult& r : read_results_file((dir / "results.jsonl").string()).games) m.emplace(r.game.index, r);
  return m;
}

std::set<int64_t> indices(const std::map<int64_t, GameResult>& games) {
  std::set<int64_t> s;
  for (const auto& kv : games) s.insert(kv.first);
  return s;
}

RunReport play(const Settings& s) {
  Tournament t(s);
  return t.run();
}

std::string merge_error(const MergeSettings& m) {
  try {
    merge_shards(m);
  } catch (const MergeError& e) {
    return e.what();
  }
  return "";
}

// One unsharded run and its two shards, played once for the whole file.
struct Played {
  fs::path full = scratch("full"), shard0 = scratch("shard0"), shard1 = scratch("shard1");
  RunReport full_report, report0, report1;
  Played() {
    full_report = play(settings_for(full, ""));
    report0 = play(settings_for(shard0, "0/2"));
    report1 = play(settings_for(shard1, "1/2"));
  }
};

const Played& played() {
  static const Played p;
  return p;
}

}  // namespace

TEST_CASE("shards 0/2 and 1/2 play exactly the games of the unsharded run, each once") {
  const Played& p = played();
  {
    Tournament t(settings_for(p.shard0, "0/2"));
    CHECK(t.schedule().size() == 12);  // the whole schedule, whatever the shard
    CHECK(t.shard_games() == 6);
    CHECK(t.resumed_games() == 6);  // resume works per shard: nothing left to play
    CHECK(t.run().played == 0);
  }
  CHECK(p.full_report.complete);
  CHECK(p.full_report.total == 12);
  CHECK(p.report0.complete);
  CHECK(p.report1.complete);
  CHECK(p.report0.total == 6);
  CHECK(p.report0.played + p.report1.played == p.full_report.played);

  const auto full = games_of(p.full), g0 = games_of(p.shard0), g1 = games_of(p.shard1);
  for (const auto& kv : g0) CHECK(kv.first % 2 == 0);
  for (const auto& kv : g1) CHECK(kv.first % 2 == 1);
  std::set<int64_t> both = indices(g0);
  for (int64_t i : indices(g1)) CHECK(both.insert(i).second);  // no overlap
  CHECK(both == indices(full));

  // Each shard records its shard and the whole schedule's configuration hash.
  const ResultsFile f0 = read_results_file((p.shard0 / "results.jsonl").string());
  const ResultsFile full_file = read_results_file((p.full / "results.jsonl").string());
  CHECK(f0.header.at("shard") == "0/2");
  CHECK(f0.header.at("hash") == full_file.header.at("hash"));
  CHECK(f0.header.at("games_total") == "12");
  const std::string summary0 = read_text(p.shard0 / "summary.json");
  CHECK(contains(summary0, "\"shard\":\"0/2\""));
  CHECK(contains(summary0, "\"hash\":\"" + full_file.header.at("hash") + "\""));
  CHECK(contains(summary0, "\"schedule_games\":12"));
}

TEST_CASE("merging the shards gives the unsharded run's summary, games and records") {
  const Played& p = played();
  const fs::path out = scratch("merged");
  MergeSettings m;
  m.out_dir = out.string();
  m.inputs = p.shard1.string() + "," + p.shard0.string();  // order does not matter
  const MergeReport report = merge_shards(m);
  REQUIRE(report.written);
  CHECK(report.games_merged == 12);
  CHECK(report.missing.empty());
  CHECK(report.duplicates.empty());
  CHECK(timeless_summary(out) == timeless_summary(p.full));
  CHECK(contains(read_text(out / "summary.json"), "\"complete\":true"));

  const auto full = games_of(p.full), merged = games_of(out);
  REQUIRE(indices(merged) == indices(full));
  for (const auto& [index, r] : full) {
    const GameResult& g = merged.at(index);
    CHECK(g.outcome == r.outcome);
    CHECK(g.termination == r.termination);
    CHECK(g.moves_text == r.moves_text);
    CHECK(g.game.black == r.game.black);
    const std::string stem = record_file_stem(index);
    const fs::path shard_dir = index % 2 == 0 ? p.shard0 : p.shard1;
    REQUIRE(fs::exists(out / "games" / (stem + ".psq")));
    CHECK(read_text(out / "games" / (stem + ".psq")) == read_text(shard_dir / "games" / (stem + ".psq")));
    CHECK(fs::exists(out / "games" / (stem + ".sgf")));
  }

  // The merged folder is an unsharded results folder: the tournament resumes it with nothing to play.
  Tournament t(settings_for(out, ""));
  CHECK(t.resumed_games() == 12);
  CHECK(t.run().played == 0);
}

TEST_CASE("a shard of another configuration is refused, naming both folders") {
  const Played& p = played();
  const fs::path other = scratch("other_seed");
  Settings s = settings_for(other, "1/2", 2);  // another seed: other openings
  s.tournament.max_games = 1;
  play(s);
  MergeSettings m;
  m.out_dir = scratch("merged_mismatch").string();
  m.inputs = p.shard0.string() + "," + other.string();
  const std::string error = merge_error(m);
  CHECK(contains(error, "different tournament configurations"));
  CHECK(contains(error, p.shard0.string()));
  CHECK(contains(error, other.string()));
  CHECK_FALSE(fs::exists(fs::path(m.out_dir) / "summary.json"));
}

TEST_CASE("a missing shard is reported; the merge needs merge.allow_missing then") {
  const Played& p = played();
  MergeSettings m;
  m.out_dir = scratch("merged_missing").string();
  m.inputs = p.shard0.string();
  const MergeReport refused = merge_shards(m);
  CHECK_FALSE(refused.written);
  CHECK(refused.missing == std::vector<int64_t>{1, 3, 5, 7, 9, 11});
  CHECK_FALSE(fs::exists(fs::path(m.out_dir) / "summary.json"));
  CHECK(index_ranges(refused.missing) == "1 3 5 7 9 11");
  CHECK(index_ranges({0, 1, 2, 5, 7, 8}) == "0-2 5 7-8");

  Settings cli;
  cli.tournament.merge = m;
  std::istringstream in;
  std::ostringstream out;
  CHECK(run_merge(cli, in, out) == 1);

  m.allow_missing = true;
  const MergeReport allowed = merge_shards(m);
  REQUIRE(allowed.written);
  CHECK(allowed.games_merged == 6);
  const std::string summary = read_text(fs::path(m.out_dir) / "summary.json");
  CHECK(contains(summary, "\"complete\":false"));
  CHECK(contains(summary, "\"games_played\":6"));
}

TEST_CASE("a game in two shards: kept once if identical, refused if the results differ") {
  const Played& p = played();
  const fs::path copy = scratch("shard0_copy");
  fs::copy(p.shard0, copy, fs::copy_options::recursive);
  MergeSettings m;
  m.out_dir = scratch("merged_dup").string();
  m.inputs = p.shard0.string() + "," + p.shard1.string() + "," + copy.string();
  const MergeReport report = merge_shards(m);
  REQUIRE(report.written);
  CHECK(report.duplicates == std::vector<int64_t>{0, 2, 4, 6, 8, 10});
  CHECK(timeless_summary(m.out_dir) == timeless_summary(p.full));

  // Rewrite game 2 of the copy with the other result.
  const ResultsFile file = read_results_file((copy / "results.jsonl").string());
  std::vector<std::string> names;
  std::istringstream players(file.header.at("players"));
  for (std::string n; std::getline(players, n, ';');) names.push_back(n);
  std::ifstream in(copy / "results.jsonl");
  std::string text, line;
  while (std::getline(in, line)) {
    std::map<std::string, std::string> f;
    REQUIRE(parse_flat_json(line, &f));
    if (f["type"] == "game" && f["game"] == "2") {
      std::string error;
      GameResult r = *parse_game_line(f, &error);
      r.outcome = r.outcome == Outcome::BlackWin ? Outcome::WhiteWin : Outcome::BlackWin;
      line = game_line(r, names);
    }
    text += line + "\n";
  }
  in.close();
  std::ofstream(copy / "results.jsonl", std::ios::trunc) << text;
  const std::string error = merge_error(m);
  CHECK(contains(error, "game 2"));
  CHECK(contains(error, p.shard0.string()));
  CHECK(contains(error, copy.string()));
}

TEST_CASE("bad shard values are refused with one message naming the option, before any game") {
  const OptionSpec* spec = find_option("tournament.shard");
  REQUIRE(spec);
  CHECK(find_option("shard") == spec);
  for (const std::string bad : {"3/2", "x", "1/0", "2/2", "-1/2", "1/", "/2", "1/2/3", "0.5/2"}) {
    CAPTURE(bad);
    Settings s;
    std::string message;
    try {
      set_option(s, *spec, bad);
    } catch (const OptionError& e) {
      message = e.what();
    }
    CHECK(contains(message, "tournament.shard"));
    CHECK(contains(construction_error(settings_for(scratch("bad_shard"), bad)), "tournament.shard"));
    CHECK_FALSE(fs::exists(scratch("bad_shard") / "results.jsonl"));
  }
  for (const std::string good : {"", "0/1", "0/2", "1/2", " 3/4 "}) {
    CAPTURE(good);
    CHECK(check_option_value(*spec, good).empty());
  }

  // The command line: exit 2 before any game.
  const fs::path out = scratch("cli_bad_shard");
  std::vector<std::string> args = {"hearth", "tournament", "--players", kPlayers, "--out", out.string(), "--shard", "3/2"};
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  CHECK(run_program(static_cast<int>(argv.size()), argv.data()) == 2);
  CHECK_FALSE(fs::exists(out / "results.jsonl"));

  // SPRT needs every game in one run.
  Settings sprt = settings_for(scratch("sprt_shard"), "0/2");
  sprt.tournament.sprt = true;
  CHECK(contains(construction_error(sprt), "shard"));
}

TEST_CASE("a shard's folder resumes only that shard") {
  const Played& p = played();
  const std::string error = construction_error(settings_for(p.shard0, "1/2"));
  CHECK(contains(error, "shard 0/2"));
  CHECK(contains(error, "shard 1/2"));
  CHECK(contains(construction_error(settings_for(p.shard0, "")), "all games"));
}

namespace {

std::vector<std::string> sorted_lines(const fs::path& path) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  std::sort(lines.begin(), lines.end());
  return lines;
}

}  // namespace

TEST_CASE("self-play shards merge into the unsharded run's training data") {
  const auto selfplay = [](const fs::path& out, const std::string& shard) {
    Settings s = settings_for(out, shard);
    s.tournament.players = "uniform visits=30";
    s.tournament.selfplay = true;
    s.tournament.games = 6;
    return s;
  };
  const fs::path full = scratch("selfplay_full"), merged = scratch("selfplay_merged");
  play(selfplay(full, ""));
  std::string inputs;
  for (int i = 0; i < 3; ++i) {
    const fs::path shard = scratch("selfplay_shard" + std::to_string(i));
    play(selfplay(shard, std::to_string(i) + "/3"));
    inputs += (i ? "," : "") + shard.string();
  }
  MergeSettings m;
  m.out_dir = merged.string();
  m.inputs = inputs;
  const MergeReport report = merge_shards(m);
  REQUIRE(report.written);
  const std::vector<std::string> expected = sorted_lines(full / "training.txt");
  REQUIRE(expected.size() > 6);  // several positions per game
  CHECK(report.training_lines == static_cast<int64_t>(expected.size()));
  CHECK(sorted_lines(merged / "training.txt") == expected);
  // Written in game order: the game field never decreases.
  std::ifstream in(merged / "training.txt");
  int64_t last = -1;
  for (std::string line; std::getline(in, line);) {
    std::istringstream fields(line);
    std::string version;
    int64_t game = -1;
    fields >> version >> game;
    CHECK(game >= last);
    last = game;
  }
}

TEST_CASE("inputs listed in @FILE; a shard folder without results is named, its games missing") {
  const Played& p = played();
  const fs::path list = scratch("input_list") / "shards.txt";
  fs::create_directories(list.parent_path());
  const fs::path never = scratch("never_started");
  std::ofstream(list) << p.shard0.string() << "\n\n" << never.string() << "\n";
  MergeSettings m;
  m.out_dir = scratch("merged_from_list").string();
  m.inputs = "@" + list.string();
  const MergeReport report = merge_shards(m);
  CHECK_FALSE(report.written);
  CHECK(report.missing == std::vector<int64_t>{1, 3, 5, 7, 9, 11});
  REQUIRE(report.incomplete.size() == 1);
  CHECK(report.incomplete[0].dir == never.string());
  CHECK_FALSE(report.incomplete[0].found);

  // With shard 1 listed too, the list merges like the folders named one by one.
  std::ofstream(list, std::ios::app) << p.shard1.string() << "\n";
  const MergeReport all = merge_shards(m);
  REQUIRE(all.written);
  CHECK(all.games_merged == 12);
  CHECK(timeless_summary(m.out_dir) == timeless_summary(p.full));

  m.inputs = "@" + (scratch("input_list") / "absent.txt").string();
  CHECK(contains(merge_error(m), "absent.txt"));
  m.inputs = never.string();
  CHECK(contains(merge_error(m), "no input has a results.jsonl"));
}

TEST_CASE("read_shard_progress tells a finished shard from a partial or absent one") {
  const Played& p = played();
  const ShardProgress done = read_shard_progress(p.shard1.string());
  CHECK(done.found);
  CHECK(done.shard == "1/2");
  CHECK(done.expected == 6);
  CHECK(done.recorded == 6);
  CHECK(done.complete());

  const fs::path partial = scratch("partial_shard");
  Settings s = settings_for(partial, "1/3");
  s.tournament.max_games = 2;
  play(s);
  const ShardProgress part = read_shard_progress(partial.string());
  CHECK(part.shard == "1/3");
  CHECK(part.expected == 4);  // indices 1, 4, 7, 10
  CHECK(part.recorded == 2);
  CHECK_FALSE(part.complete());
  CHECK_FALSE(read_shard_progress(scratch("no_shard_here").string()).found);
}

TEST_CASE("one tournament at a time writes a folder") {
  const fs::path out = scratch("locked");
  Settings s = settings_for(out, "0/2");
  {
    Tournament first(s);
    const std::string error = construction_error(s);
    CHECK(contains(error, "another hearth"));
    CHECK(contains(error, out.string()));
  }
  CHECK(construction_error(s).empty());  // released with the first
}

TEST_CASE("tournament.shard slurm takes the shard from the Slurm array task's environment") {
  const fs::path out = scratch("slurm_env");
  ::setenv("SLURM_ARRAY_TASK_ID", "1", 1);
  ::setenv("SLURM_ARRAY_TASK_COUNT", "3", 1);
  {
    Tournament t(settings_for(out, "slurm"));
    CHECK(t.shard().index == 1);
    CHECK(t.shard().count == 3);
    CHECK(t.shard_games() == 4);
  }
  CHECK(read_results_file((out / "results.jsonl").string()).header.at("shard") == "1/3");
  ::setenv("SLURM_ARRAY_TASK_ID", "3", 1);
  ::setenv("SLURM_ARRAY_TASK_COUNT", "2", 1);  // e.g. --array=1,3: ids are not 0..count-1
  CHECK(contains(construction_error(settings_for(scratch("slurm_env_bad"), "slurm")), "give the shard as i/n"));
  ::unsetenv("SLURM_ARRAY_TASK_ID");
  ::unsetenv("SLURM_ARRAY_TASK_COUNT");
  CHECK(contains(construction_error(settings_for(scratch("slurm_env_none"), "slurm")), "SLURM_ARRAY_TASK_ID"));
}

TEST_CASE("merges merge again: groups of shards (allow_missing), then the groups") {
  const Played& p = played();
  MergeSettings group;
  group.allow_missing = true;
  group.out_dir = scratch("group_a").string();
  group.inputs = p.shard0.string();
  REQUIRE(merge_shards(group).written);
  group.out_dir = scratch("group_b").string();
  group.inputs = p.shard1.string();
  REQUIRE(merge_shards(group).written);
  MergeSettings all;
  all.out_dir = scratch("groups_merged").string();
  const fs::path groups = fs::path(HEARTH_BINARY_DIR) / "test_scratch" / "tournament_shard";
  all.inputs = (groups / "group_a").string() + "," + (groups / "group_b").string();
  const MergeReport report = merge_shards(all);
  REQUIRE(report.written);
  CHECK(report.games_merged == 12);
  CHECK(report.duplicates.empty());
  CHECK(timeless_summary(all.out_dir) == timeless_summary(p.full));
}
