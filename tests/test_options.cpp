// The option table: command line, INI files, [plugin] pass-through, precedence, one-line errors,
// and the checked-in default configuration.
#include <doctest/doctest.h>

#include <algorithm>
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "engine/bench/search_bench.h"
#include "engine/app/commands.h"
#include "engine/config/options.h"
#include "tests/support.h"

using namespace hearth;
using namespace hearth_test;

namespace {
const std::string kData = HEARTH_TEST_DATA_DIR;

// The error message of load_settings, or "" if it succeeded.
std::string load_error(const std::vector<std::string>& args) {
  try {
    load_settings(args, "");
  } catch (const OptionError& e) {
    return e.what();
  }
  return "";
}
}  // namespace

TEST_CASE("table: keys and aliases are unique, every default passes its own check") {
  std::set<std::string> names;
  const Settings defaults;
  for (const auto& spec : option_table()) {
    CAPTURE(spec.key());
    CHECK(names.insert(spec.key()).second);
    if (!spec.alias.empty()) CHECK(names.insert(spec.alias).second);
    CHECK(check_option_value(spec, spec.get(defaults)) == "");
    CHECK(find_option(spec.key()) == &spec);
  }
  CHECK(find_option("threads") == find_option("search.threads"));
  CHECK(find_option("nonsense") == nullptr);
}

TEST_CASE("command line: full keys and aliases, typed into the structs") {
  const Settings s = load_settings({"--search.threads", "4", "--visits", "250", "--search.c_puct=2.5", "--plugin",
                                    "uniform", "--board-size", "9", "--rule", "standard", "--search.check_fives",
                                    "off", "--time.turn_ms", "1234"},
                                   "");
  CHECK(s.search.threads == 4);
  CHECK(s.limits.visits == 250);
  CHECK(s.search.c_puct == doctest::Approx(2.5));
  CHECK(s.evaluator.plugin == "uniform");
  CHECK(s.game.board_size == 9);
  CHECK(s.game.rule == Rule::Standard);
  CHECK_FALSE(s.search.check_fives);
  CHECK(s.time.turn_ms == 1234);
}

TEST_CASE("[plugin] options pass through verbatim from the command line") {
  const Settings s = load_settings({"--plugin.model", "net.pt", "--plugin.device=cuda:0", "--threads", "2"}, "");
  REQUIRE(s.evaluator.plugin_options.size() == 2);
  CHECK(s.evaluator.plugin_options[0] == std::make_pair(std::string("model"), std::string("net.pt")));
  CHECK(s.evaluator.plugin_options[1] == std::make_pair(std::string("device"), std::string("cuda:0")));
  CHECK(s.search.threads == 2);
  CHECK(contains(load_error({"--plugin.model"}), "needs a value"));
}

TEST_CASE("INI file: sections map to section.name, [plugin] passes through") {
  const Settings s = load_settings({"--config", kData + "/config_sample.ini"}, "");
  CHECK(s.search.threads == 3);
  CHECK(s.search.c_puct == doctest::Approx(2.25));
  CHECK(s.limits.visits == 400);
  CHECK(s.evaluator.plugin == "uniform");
  CHECK(s.evaluator.cache_entries == 0);
  CHECK(s.game.board_size == 9);
  CHECK(s.game.rule == Rule::Standard);
  REQUIRE(s.evaluator.plugin_options.size() == 2);
  CHECK(s.evaluator.plugin_options[0].first == "model");
  CHECK(s.evaluator.plugin_options[0].second == "net.pt");
  // Untouched options keep their defaults.
  CHECK(s.search.fpu_reduction == doctest::Approx(SearchParams{}.fpu_reduction));
}

TEST_CASE("the command line overrides the INI file, also for plugin options") {
  const Settings s = load_settings(
      {"--config", kData + "/config_sample.ini", "--threads", "5", "--plugin.model", "other.pt"}, "");
  CHECK(s.search.threads == 5);
  CHECK(s.limits.visits == 400);  // from the file
  REQUIRE(s.evaluator.plugin_options.size() == 2);
  CHECK(s.evaluator.plugin_options[0].second == "other.pt");
}

TEST_CASE("the default config file is read when present, --config replaces it") {
  CHECK(load_settings({}, kData + "/config_sample.ini").search.threads == 3);
  CHECK(load_settings({}, kData + "/no_such_file.ini").search.threads == SearchParams{}.threads);
  CHECK(load_settings({"--config", kData + "/config_sample.ini"}, kData + "/config_bad_value.ini").search.threads == 3);
}

TEST_CASE("bad values: one line naming the option") {
  const std::string threads = load_error({"--threads", "0"});
  CHECK(contains(threads, "search.threads"));
  CHECK(contains(threads, "out of range"));
  CHECK(contains(load_error({"--game.board_size", "4"}), "game.board_size"));
  CHECK(contains(load_error({"--board-size", "23"}), "out of range"));
  CHECK(contains(load_error({"--rule", "renju"}), "renju"));
  CHECK(contains(load_error({"--search.c_puct", "abc"}), "not a number"));
  CHECK(contains(load_error({"--visits", "12x"}), "not an integer"));
  CHECK(contains(load_error({"--search.check_fives", "maybe"}), "search.check_fives"));
  CHECK(contains(load_error({"--log.level", "loud"}), "log.level"));
  CHECK(contains(load_error({"--plugin", ""}), "evaluator.plugin"));
  CHECK(contains(load_error({"--no-such-option", "1"}), "no-such-option"));
  CHECK(contains(load_error({"--config", kData + "/missing.ini"}), "missing.ini"));
  for (const auto& args : std::vector<std::vector<std::string>>{{"--threads", "0"}, {"--bogus"}, {"--rule", "renju"}})
    CHECK(load_error(args).find('\n') == std::string::npos);
}

TEST_CASE("INI errors name the file and the line") {
  const std::string unknown = load_error({"--config", kData + "/config_unknown_key.ini"});
  CHECK(contains(unknown, "config_unknown_key.ini"));
  CHECK(contains(unknown, "line 5"));
  CHECK(contains(unknown, "search.thraeds"));

  const std::string bad = load_error({"--config", kData + "/config_bad_value.ini"});
  CHECK(contains(bad, "config_bad_value.ini line 2"));
  CHECK(contains(bad, "game.board_size"));

  const std::string malformed = load_error({"--config", kData + "/config_malformed.ini"});
  CHECK(contains(malformed, "config_malformed.ini line 3"));

  const std::string duplicate = load_error({"--config", kData + "/config_duplicate.ini"});
  CHECK(contains(duplicate, "line 4"));
  CHECK(contains(duplicate, "search.threads"));
}

TEST_CASE("configs/hearth.ini is the generated default file, and every line in it parses back") {
  const std::string path = kData + "/../../configs/hearth.ini";
  const std::string text = read_text(path);
  CHECK_MESSAGE(text == default_config_text(), "regenerate with: hearth config > configs/hearth.ini");

  // Uncomment every "# name = value" line: the file then sets every option to its default.
  std::istringstream in(default_config_text());
  std::string line, uncommented;
  int settings_lines = 0;
  bool in_plugin_section = false;
  while (std::getline(in, line)) {
    const bool is_setting = line.rfind("# ", 0) == 0 && line.find(" = ") != std::string::npos &&
                            line.find(' ', 2) == line.find(" = ");
    // The [plugin] section only shows an example of a pass-through key, not a table option.
    if (line == "[plugin]") in_plugin_section = true;
    if (is_setting && !in_plugin_section) ++settings_lines;
    // Model paths default to empty, which their options reject: leave those lines commented.
    if (is_setting && !contains(line, "model = ")) {
      uncommented += line.substr(2) + "\n";
    } else {
      uncommented += line + "\n";
    }
  }
  CHECK(settings_lines == static_cast<int>(option_table().size()));
  const std::string tmp = "/tmp/hearth_test_options_defaults.ini";
  std::ofstream(tmp) << uncommented;
  const Settings loaded = load_settings({"--config", tmp}, "");
  const Settings defaults;
  for (const auto& spec : option_table()) {
    CAPTURE(spec.key());
    CHECK(spec.get(loaded) == spec.get(defaults));
  }
}


TEST_CASE("changed options as an INI file read back to the same settings") {
  const Settings s = load_settings({"--players", "heuristic visits=40; uniform", "--games", "8", "--threads", "3",
                                    "--slurm.gres", "gpu:1", "--shards", "4", "--tasks", "0,2", "--plugin.model",
                                    "net.pt", "--game.rule", "standard"},
                                   "");
  const std::string text = changed_options_config_text(s, {}, {"slurm.tasks"});
  CHECK(contains(text, "[tournament]\nplayers = heuristic visits=40; uniform\ngames = 8\n"));
  CHECK(contains(text, "[plugin]\nmodel = net.pt\n"));
  CHECK_FALSE(contains(text, "tasks"));       // skipped
  CHECK_FALSE(contains(text, "c_puct"));      // at its default
  const std::string tmp = "/tmp/hearth_test_options_changed.ini";
  std::ofstream(tmp) << text;
  const Settings loaded = load_settings({"--config", tmp}, "");
  const Settings defaults;
  for (const auto& spec : option_table()) {
    CAPTURE(spec.key());
    CHECK(spec.get(loaded) == spec.get(spec.key() == "slurm.tasks" ? defaults : s));
  }
  CHECK(loaded.evaluator.plugin_options == s.evaluator.plugin_options);
  // Only the sections asked for.
  CHECK(changed_options_config_text(s, {"search"}) == "\n[search]\nthreads = 3\n");

  // A value an INI file cannot hold is refused, naming the option.
  Settings hash = s;
  hash.tournament.players = "heuristic name=a#1";
  try {
    changed_options_config_text(hash, {});
    FAIL("a '#' was written into an INI file");
  } catch (const OptionError& e) {
    CHECK(contains(e.what(), "tournament.players"));
  }
}
TEST_CASE("--help text lists the options of the requested sections") {
  const std::string all = options_help();
  for (const auto& spec : option_table()) CHECK(contains(all, spec.key()));
  const std::string bench = options_help({"bench"});
  CHECK(contains(bench, "bench.positions"));
  CHECK_FALSE(contains(bench, "search.threads"));
}

TEST_CASE("piskvork INFO keys find their options") {
  REQUIRE(find_option_by_info_key("timeout_turn") != nullptr);
  CHECK(find_option_by_info_key("timeout_turn")->key() == "time.turn_ms");
  CHECK(find_option_by_info_key("timeout_match")->key() == "time.match_ms");
  CHECK(find_option_by_info_key("no_such_key") == nullptr);
  Settings s;
  set_option(s, *find_option_by_info_key("timeout_turn"), "777");
  CHECK(s.time.turn_ms == 777);
  CHECK_THROWS_AS(set_option(s, *find_option_by_info_key("timeout_turn"), "-5"), OptionError);
  CHECK(s.time.turn_ms == 777);
}

namespace {
// Runs the program's main in-process; returns its status and what it printed.
int run_main(std::vector<std::string> args, std::string* out, std::string* err) {
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  std::ostringstream o, e;
  auto* old_out = std::cout.rdbuf(o.rdbuf());
  auto* old_err = std::cerr.rdbuf(e.rdbuf());
  const int rc = run_program(static_cast<int>(argv.size()), argv.data());
  std::cout.rdbuf(old_out);
  std::cerr.rdbuf(old_err);
  *out = o.str();
  *err = e.str();
  return rc;
}
}  // namespace

TEST_CASE("the program: subcommands, --help, --version, one-line errors with a nonzero status") {
  std::string out, err;
  CHECK(run_main({"hearth", "--version"}, &out, &err) == 0);
  CHECK(contains(out, program_version()));
  CHECK(run_main({"hearth", "--help"}, &out, &err) == 0);
  for (const auto& c : subcommands()) CHECK(contains(out, c.name));
  CHECK(run_main({"hearth"}, &out, &err) != 0);
  CHECK(run_main({"hearth", "fly"}, &out, &err) == 2);
  CHECK(contains(err, "unknown command 'fly'"));

  CHECK(run_main({"hearth", "bench", "--help"}, &out, &err) == 0);
  CHECK(contains(out, "--bench.positions"));
  CHECK(contains(out, "--search.threads"));

  CHECK(run_main({"hearth", "piskvork", "--threads", "0"}, &out, &err) == 2);
  CHECK(contains(err, "search.threads"));
  CHECK(std::count(err.begin(), err.end(), '\n') == 1);
  CHECK(run_main({"/some/dir/pbrain-hearth", "--rule", "renju"}, &out, &err) == 2);
  CHECK(contains(err, "renju"));
  CHECK(run_main({"hearth", "play", "--config", kData + "/config_unknown_key.ini"}, &out, &err) == 2);
  CHECK(contains(err, "line 5"));

  CHECK(run_main({"hearth", "config"}, &out, &err) == 0);
  CHECK(out == default_config_text());
}

TEST_CASE("bench options: deterministic positions within the stone range, none already won") {
  BenchSettings b;
  b.positions = 12;
  b.min_stones = 6;
  b.max_stones = 20;
  b.seed = 99;
  const std::vector<Board> first = bench_positions(b, 15, Rule::Freestyle);
  const std::vector<Board> again = bench_positions(b, 15, Rule::Freestyle);
  REQUIRE(first.size() == 12);
  std::set<std::vector<Move>> distinct;
  for (size_t i = 0; i < first.size(); ++i) {
    CHECK(first[i].history() == again[i].history());
    CHECK(first[i].move_count() >= 6);
    CHECK(first[i].move_count() <= 20);
    CHECK_FALSE(first[i].is_over());
    distinct.insert(first[i].history());
  }
  CHECK(distinct.size() == 12);
  b.seed = 100;
  CHECK(bench_positions(b, 15, Rule::Freestyle)[0].history() != first[0].history());
  b.min_stones = 30;
  CHECK_THROWS_AS(bench_positions(b, 15, Rule::Freestyle), std::invalid_argument);
}

TEST_CASE("bench: a table row per position and a JSON file") {
  Settings s = load_settings({"--plugin", "uniform", "--board-size", "9", "--visits", "20", "--positions", "3",
                              "--bench.max_stones", "10", "--json", "/tmp/hearth_test_bench.json",
                              "--evaluator.cache_entries", "100", "--log-level", "warn"},
                             "");
  std::ostringstream out;
  REQUIRE(run_bench(s, out) == 0);
  const std::string table = out.str();
  CHECK(contains(table, "visits/s"));
  CHECK(contains(table, "\n   3 "));  // the third position's row
  CHECK(contains(table, "\n all "));
  const std::string json = read_text("/tmp/hearth_test_bench.json");
  CHECK(json.front() == '{');
  CHECK(contains(json, "\"average_batch\":"));
  CHECK(std::count(json.begin(), json.end(), '{') == std::count(json.begin(), json.end(), '}'));
}
