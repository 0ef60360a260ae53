// The GPU benchmarks' logic on the CPU: `hearth latency` plans (list parsing with errors that name
// the bad item, expansion, long gaps), its statistics on known samples and its pass/miss rule, a
// tiny end-to-end run of the torch plugin in eager mode on the CPU; and `hearth human-paced`'s
// parsers, scripted opponent and a tiny run with the uniform plugin.
#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <numeric>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "engine/bench/human_paced.h"
#include "engine/bench/latency.h"
#include "engine/bench/latency_plan.h"
#include "engine/bench/latency_report.h"
#include "engine/bench/report.h"
#include "engine/util/percentile.h"
#include "tests/support.h"

using namespace hearth;
using namespace hearth_test;
namespace lat = hearth::latency;
namespace hp = hearth::human_paced;

namespace {

// The message of the std::invalid_argument `f` throws, or "" if it does not.
template <class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "";
}

size_t count_of(const std::string& text, const std::string& part) {
  size_t n = 0;
  for (size_t at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) ++n;
  return n;
}

[[maybe_unused]] bool file_exists(const std::string& path) {
  struct stat st {};
  return stat(path.c_str(), &st) == 0;
}

// A scratch folder removed at the end (POSIX calls: see test_torch_plugin.cpp on std::filesystem).
struct ScratchDir {
  std::string path;
  ScratchDir() {
    const char* tmp = std::getenv("TMPDIR");
    std::string pattern = std::string(tmp && *tmp ? tmp : "/tmp") + "/hearth_bench_test_XXXXXX";
    REQUIRE(mkdtemp(pattern.data()) != nullptr);
    path = pattern;
  }
  ~ScratchDir() { std::system(("rm -rf '" + path + "'").c_str()); }
};

LatencySettings plan_settings() {
  LatencySettings s;
  s.modes = "graph-fp16,eager-fp32";
  s.warm = "off,kernel@1000";
  s.gaps = "0.05,1";
  s.batches = "128";
  return s;
}

}  // namespace

// ---- latency: plans ----

TEST_CASE("latency lists: modes, warm items (bare names expand per period), periods, gaps, batches") {
  const auto modes = lat::parse_modes("graph-fp16, eager-fp32,graph-fp32", "m");
  REQUIRE(modes.size() == 3);
  CHECK(modes[0].graph);
  CHECK(modes[0].fp16);
  CHECK(modes[1].name() == "eager-fp32");
  CHECK(modes[2].name() == "graph-fp32");

  const auto warm = lat::parse_warm("off,kernel,forward@2000", {500, 1000}, "w");
  REQUIRE(warm.size() == 4);
  CHECK(warm[0].name() == "off");
  CHECK(warm[1].name() == "kernel@500");
  CHECK(warm[2].name() == "kernel@1000");
  CHECK(warm[3].name() == "forward@2000");

  CHECK(lat::parse_periods("500,20000", "p") == std::vector<long long>{500, 20000});
  CHECK(lat::parse_gaps("0, 0.01,5", "g") == std::vector<double>{0, 0.01, 5});
  CHECK(lat::parse_batches("128,1,32", "b") == std::vector<int>{1, 32, 128});
  const auto named = lat::parse_config_names("graph-fp16:off, eager-fp32:forward@2000", "c");
  REQUIRE(named.size() == 2);
  CHECK(named[1].first.name() == "eager-fp32");
  CHECK(named[1].second.name() == "forward@2000");
}

TEST_CASE("latency lists: every bad item gets an error naming the option and the item") {
  auto err = [](auto f) { return error_of(f); };
  std::string e = err([] { lat::parse_modes("graph-fp16,graph-fp64", "latency.modes"); });
  CHECK(contains(e, "latency.modes"));
  CHECK(contains(e, "'graph-fp64'"));
  CHECK(contains(err([] { lat::parse_modes("eager-fp32,eager-fp32", "m"); }), "twice"));
  CHECK(contains(err([] { lat::parse_modes("", "latency.modes"); }), "no modes"));

  e = err([] { lat::parse_warm("off,kernal@1000", {1000}, "latency.warm"); });
  CHECK(contains(e, "latency.warm"));
  CHECK(contains(e, "'kernal@1000'"));
  CHECK(contains(err([] { lat::parse_warm("kernel@0", {}, "w"); }), "'kernel@0'"));
  CHECK(contains(err([] { lat::parse_warm("kernel@fast", {}, "w"); }), "'kernel@fast'"));
  CHECK(contains(err([] { lat::parse_warm("kernel", {}, "w"); }), "bare 'kernel'"));
  CHECK(contains(err([] { lat::parse_warm("kernel@500,kernel", {500}, "w"); }), "repeats kernel@500"));
  CHECK(contains(err([] { lat::parse_warm("off,,kernel@5", {}, "w"); }), "empty item"));

  CHECK(contains(err([] { lat::parse_periods("1000,-5", "latency.periods"); }), "'-5'"));
  CHECK(contains(err([] { lat::parse_gaps("0,1s", "latency.gaps"); }), "'1s'"));
  CHECK(contains(err([] { lat::parse_gaps("-1", "g"); }), "'-1'"));
  CHECK(contains(err([] { lat::parse_gaps("1,1.0", "g"); }), "twice"));
  CHECK(contains(err([] { lat::parse_batches("8,0", "latency.batches"); }), "'0'"));
  CHECK(contains(err([] { lat::parse_batches("8,x", "b"); }), "'x'"));
  CHECK(contains(err([] { lat::parse_config_names("graph-fp16", "latency.long_configs"); }), "'graph-fp16'"));
  CHECK(contains(err([] { lat::parse_config_names("graph-fp16:kernel", "c"); }), "needs a period"));
}

TEST_CASE("latency plan: modes x warm, gap 0 first, long gaps only for the long configurations") {
  LatencySettings s = plan_settings();
  s.long_gaps = "5,20";
  s.long_configs = "graph-fp16:kernel@1000";
  const lat::Plan plan = lat::make_plan(s);
  REQUIRE(plan.configs.size() == 4);
  CHECK(plan.configs[0].name() == "graph-fp16:off");
  CHECK(plan.configs[1].name() == "graph-fp16:kernel@1000");
  CHECK(plan.configs[2].name() == "eager-fp32:off");
  CHECK(plan.configs[3].name() == "eager-fp32:kernel@1000");
  CHECK(plan.configs[0].gaps == std::vector<double>{0, 0.05, 1});  // 0 added, first
  CHECK(plan.configs[1].gaps == std::vector<double>{0, 0.05, 1, 5, 20});
  CHECK(plan.configs[3].gaps == std::vector<double>{0, 0.05, 1});
  CHECK(plan.samples_at(0) == 20);
  CHECK(plan.samples_at(1) == 5);
  // Idle seconds: (0.05 + 1) * 5 per config, plus (5 + 20) * 5 for the long one.
  CHECK(plan.gap_seconds() == doctest::Approx(4 * 1.05 * 5 + 25 * 5));
  CHECK(plan.stop_check_seconds() > 2 * (s.hot_window_s + 2 * s.stop_observe_s));

  s.long_configs = "graph-fp32:off";
  CHECK(contains(error_of([&] { lat::make_plan(s); }), "'graph-fp32:off' is not among the planned"));
  s.long_configs = "";
  CHECK(contains(error_of([&] { lat::make_plan(s); }), "go together"));
  s.long_gaps = "";
  s.long_configs = "graph-fp16:off";
  CHECK(contains(error_of([&] { lat::make_plan(s); }), "go together"));
  s.long_configs = "";
  s.samples = 0;
  CHECK(contains(error_of([&] { lat::make_plan(s); }), "samples"));

  LatencySettings defaults;  // the documented default plan: 3 modes x (off + 2 kinds x 5 periods)
  CHECK(lat::make_plan(defaults).configs.size() == 33);
}

// ---- latency: statistics and verdicts ----

TEST_CASE("statistics: nearest-rank p50/p99, max and mean on known samples") {
  std::vector<double> twenty(20);
  std::iota(twenty.begin(), twenty.end(), 1.0);
  std::shuffle(twenty.begin(), twenty.end(), std::mt19937(7));
  bench::Summary s = bench::summarize(twenty);
  CHECK(s.count == 20);
  CHECK(s.p50 == 10);
  CHECK(s.p99 == 20);
  CHECK(s.max == 20);
  CHECK(s.mean == doctest::Approx(10.5));

  s = bench::summarize({5, 1, 4, 2, 3});
  CHECK(s.p50 == 3);
  CHECK(s.p99 == 5);

  std::vector<double> hundred(100);
  std::iota(hundred.begin(), hundred.end(), 1.0);
  CHECK(hearth::percentile(hundred, 0.99) == 99);
  CHECK(hearth::percentile(hundred, 0.50) == 50);
  CHECK(hearth::percentile({42}, 0.99) == 42);

  s = bench::summarize({});
  CHECK(s.count == 0);
  CHECK(s.p50 == 0);
  CHECK(bench::ratio(300, 200) == doctest::Approx(1.5));
  CHECK(bench::ratio(1, 0) == 0);
}

TEST_CASE("verdict: keep-warm rows in the target gap range pass or miss with reasons") {
  const lat::Warm off{};
  const lat::Warm kernel{lat::Warm::Kind::Kernel, 1000};
  CHECK(lat::verdict(off, 1.0, 4.0, 6.0, 0, -1) == "ref");
  CHECK(lat::verdict(kernel, 0.01, 4.0, 6.0, 0, 0) == "-");
  CHECK(lat::verdict(kernel, 0, 1.0, 1.0, 0, 0) == "-");
  CHECK(lat::verdict(kernel, 0.05, 1.10, 1.4, 0.02, 0) == "pass");
  CHECK(lat::verdict(kernel, 20, 1.15, 1.5, 0.03, -1) == "pass");  // the limits themselves pass
  const std::string miss = lat::verdict(kernel, 5, 1.30, 1.6, 0.05, 2);
  CHECK(miss.rfind("miss: ", 0) == 0);
  CHECK(contains(miss, "p50 1.30x"));
  CHECK(contains(miss, "p99 1.60x"));
  CHECK(contains(miss, "duty 5.0%"));
  CHECK(contains(miss, "2 dummies after stop"));
}

TEST_CASE("report formatting: fixed digits, default stream numbers, integer lists") {
  CHECK(bench::fixed(1.5, 2) == "1.50");
  CHECK(bench::fixed(1.23456, 1) == "1.2");
  CHECK(bench::format_number(0.05) == "0.05");
  CHECK(bench::format_number(20) == "20");
  CHECK(bench::format_number(1234567) == "1.23457e+06");
  CHECK(bench::join_ints({1, 4, 128}) == "1,4,128");
  CHECK(bench::join_ints({}).empty());
}

TEST_CASE("JSON field reading") {
  const std::string j = R"({"a":{"duty":0.25,"name":"x \"y\""},"last_gpu_us":123.5})";
  CHECK(bench::json_number(j, "duty") == doctest::Approx(0.25));
  CHECK(bench::json_number(j, "last_gpu_us") == doctest::Approx(123.5));
  CHECK(bench::json_number(j, "missing", -1) == -1);
  CHECK(bench::json_string(j, "name") == "x \"y\"");
  CHECK(bench::json_string(j, "missing", "unknown") == "unknown");
  const std::string m = bench::machine_json(-1, R"({"libtorch":"1.13.0"})");
  CHECK(contains(m, "\"libtorch\":\"1.13.0\""));
  CHECK(contains(m, "\"gpu_name\":\"unknown\""));
  CHECK(contains(m, "\"host\":"));
}

TEST_CASE("latency: bad options return 2 before anything runs; a dry run prints the plan only") {
  Settings settings;
  settings.latency = plan_settings();
  settings.latency.warm = "off,sometimes";
  std::ostringstream out;
  CHECK(lat::run_latency(settings, out) == 2);

  settings.latency = plan_settings();
  settings.latency.dry_run = true;  // no model needed
  std::ostringstream plan;
  CHECK(lat::run_latency(settings, plan) == 0);
  CHECK(contains(plan.str(), "4 configurations"));
  CHECK(contains(plan.str(), "graph-fp16:kernel@1000: gaps 0 0.05 1 s"));
  CHECK(contains(plan.str(), "expected duration: 21 s of idle gaps"));

  settings.latency.dry_run = false;  // a real run needs a model
  std::ostringstream none;
  CHECK(lat::run_latency(settings, none) == 2);
}

TEST_CASE("latency end to end: torch plugin, eager on the CPU, a JSON with every configuration") {
  const std::string plugin = std::string(HEARTH_PLUGIN_DIR) + "/libhearth_torch.so";
#ifdef HEARTH_MAKE_REFERENCE_NET
  const std::string writer = HEARTH_MAKE_REFERENCE_NET;
#else
  const std::string writer = std::string(HEARTH_BINARY_DIR) + "/plugins/torch/hearth_make_reference_net";
#endif
#ifndef HEARTH_TORCH_TESTS
  if (!file_exists(plugin) || !file_exists(writer)) {
    MESSAGE("skipped: the torch plugin is not built (HEARTH_WITH_TORCH=OFF)");
    return;
  }
#endif
  ScratchDir dir;
  const std::string model = dir.path + "/net15.pt";
  REQUIRE(std::system(("'" + writer + "' --size 15 --out '" + model + "' 2>/dev/null").c_str()) == 0);

  Settings settings;
  settings.evaluator.plugin_dir = HEARTH_PLUGIN_DIR;
  LatencySettings& s = settings.latency;
  s.model = model;
  s.device = "cpu";
  s.modes = "eager-fp32";
  s.warm = "off,forward@2000";
  s.gaps = "0,0.01";
  s.batches = "1,4";
  s.samples = 2;
  s.continuous_samples = 2;
  s.warmup = 1;
  s.hot_window_s = 0.2;
  s.stop_observe_s = 0.1;
  s.json = dir.path + "/latency.json";
  s.markdown = dir.path + "/latency.md";
  s.dat = dir.path + "/latency.dat";
  std::ostringstream out;
  REQUIRE(lat::run_latency(settings, out) == 0);
  CHECK(contains(out.str(), "board 15x15"));  // probed from the model

  const std::string json = read_text(s.json);
  CHECK(json.rfind("{\"bench\":\"latency\"", 0) == 0);
  CHECK(count_of(json, "\"name\":\"eager-fp32:off\"") == 1);
  CHECK(count_of(json, "\"name\":\"eager-fp32:forward@2000\"") == 1);
  CHECK(count_of(json, "\"error\":null") == 2);
  CHECK(count_of(json, "\"batch\":1,") == 2);
  CHECK(count_of(json, "\"batch\":4,") == 2);
  CHECK(count_of(json, "\"gap_s\":0,") == 4);
  CHECK(count_of(json, "\"gap_s\":0.01,") == 4);
  CHECK(count_of(json, "\"wall_us\":{\"count\":2,") == 8);
  CHECK(count_of(json, "\"stop_check\":null") == 1);  // keep-warm off: nothing to stop
  CHECK(count_of(json, "\"stop_check\":{\"after_game_end\":") == 1);
  CHECK(bench::json_number(json, "during_hot_window", -1) > 0);  // the dummies did run while hot
  CHECK(contains(json, "\"libtorch\":\""));
  CHECK(contains(json, "\"machine\":{\"host\":"));

  const std::string md = read_text(s.markdown);
  CHECK(count_of(md, "| eager-fp32:off | ") == 5);  // 4 rows (2 batches x 2 gaps) + the stop table
  CHECK(count_of(md, "| eager-fp32:forward@2000 | ") == 5);
  const std::string dat = read_text(s.dat);
  CHECK(dat.rfind("gap_s eager-fp32:off/b1 eager-fp32:off/b4 eager-fp32:forward@2000/b1 eager-fp32:forward@2000/b4\n",
                  0) == 0);
  CHECK(count_of(dat, "\n") == 2);  // the header and gap 0.01 (gap 0 is the reference, not plotted)
}

// ---- human-paced ----

TEST_CASE("human-paced lists: conditions, think times, plugin options; errors name the item") {
  const auto c = hp::parse_conditions("warm, continuous", "human_paced.conditions");
  REQUIRE(c.size() == 2);
  CHECK(c[0] == hp::Condition::Warm);
  CHECK(c[1] == hp::Condition::Continuous);
  CHECK(contains(error_of([] { hp::parse_conditions("warm,tepid", "human_paced.conditions"); }), "'tepid'"));
  CHECK(contains(error_of([] { hp::parse_conditions("cold,cold", "c"); }), "twice"));
  CHECK(hp::parse_think_times("1,2.5,0.01", "t") == std::vector<double>{1, 2.5, 0.01});
  CHECK(contains(error_of([] { hp::parse_think_times("1,-2", "human_paced.think_s"); }), "'-2'"));
  const auto o = hp::parse_plugin_options("keep_warm=on, warm_period_us = 1000", "o");
  REQUIRE(o.size() == 2);
  CHECK(o[1] == std::make_pair(std::string("warm_period_us"), std::string("1000")));
  CHECK(hp::parse_plugin_options("", "o").empty());
  CHECK(contains(error_of([] { hp::parse_plugin_options("keep_warm", "human_paced.warm_options"); }), "'keep_warm'"));
}

TEST_CASE("scripted opponent: centre first, legal, near the play, blocks fives, deterministic") {
  Board board(15);
  uint64_t rng = 1;
  CHECK(hp::opponent_move(board, &rng) == board.move_at(7, 7));
  for (int i = 0; i < 30 && !board.is_over(); ++i) {
    uint64_t copy = rng;
    const Move m = hp::opponent_move(board, &rng);
    CHECK(m == hp::opponent_move(board, &copy));  // same board, same state: same move
    REQUIRE(board.is_legal(m));
    // Within two squares of one of the last four moves (there is always room on 15x15 here).
    const auto& h = board.history();
    bool near = h.empty();
    for (size_t k = h.size() > 4 ? h.size() - 4 : 0; k < h.size(); ++k)
      near =
          near || std::max(std::abs(board.x_of(m) - board.x_of(h[k])), std::abs(board.y_of(m) - board.y_of(h[k]))) <= 2;
    CHECK(near);
    board.play(m);
  }
  // Black has four in a row on row 0 with White to move: White must block the one open end, (4,0)
  // ((-1,0) is off the board).
  Board four(15);
  for (int x = 0; x < 4; ++x) {
    four.play(four.move_at(x, 0));
    four.play(four.move_at(x, 5));
  }
  four.undo();  // White's last stone taken back: White to move against four Black stones
  REQUIRE(four.to_move() == Stone::White);
  uint64_t r = 3;
  CHECK(hp::opponent_move(four, &r) == four.move_at(4, 0));
}

TEST_CASE("human-paced end to end: uniform plugin, tiny think times, every condition measured") {
  ScratchDir dir;
  Settings settings;
  settings.evaluator.plugin = "builtin:uniform";
  settings.game.board_size = 9;
  settings.limits.playouts = 40;
  settings.human_paced.think_s = "0.01";
  settings.human_paced.moves = 4;
  settings.human_paced.moves_per_game = 3;
  settings.human_paced.warmup_moves = 1;
  settings.human_paced.warm_options = "";  // uniform has no keep-warm option
  settings.human_paced.cold_options = "max_batch=64";
  settings.human_paced.json = dir.path + "/hp.json";
  settings.human_paced.markdown = dir.path + "/hp.md";
  std::ostringstream out;
  REQUIRE(hp::run_human_paced(settings, out) == 0);

  const std::string json = read_text(settings.human_paced.json);
  CHECK(json.rfind("{\"bench\":\"human_paced\"", 0) == 0);
  for (const char* name : {"continuous", "warm", "cold"})
    CHECK(count_of(json, std::string("\"name\":\"") + name + "\"") == 1);
  CHECK(count_of(json, "\"error\":null") == 3);
  CHECK(count_of(json, "\"search_ms\":{\"count\":4,") == 3);
  CHECK(count_of(json, "\"think_s\":0.01,") == 8);  // warm and cold: 4 paced moves each
  CHECK(count_of(json, "\"think_s\":0,") == 4);     // continuous
  CHECK(count_of(json, "\"plugin_options\":\"max_batch=64\"") == 1);
  CHECK(count_of(json, "\"ratio_to_continuous\":{") == 3);
  // The timing wrapper saw each move's batches: 40 playouts reach the evaluator in every move
  // that does not find a five first.
  CHECK(count_of(json, "\"first_batch_us\":null") < 12);
  CHECK(count_of(json, "\"plugin\":\"uniform\"") == 3);  // plugin stats read through the timeline

  const std::string md = read_text(settings.human_paced.markdown);
  CHECK(contains(md, "| continuous |"));
  CHECK(contains(md, "| ref |"));

  settings.human_paced.conditions = "warm,lukewarm";
  std::ostringstream bad;
  CHECK(hp::run_human_paced(settings, bad) == 2);
}
