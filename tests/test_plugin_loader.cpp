// Plugin loading (files, built-ins, every failure's message), the PluginEvaluator's checks and
// gather/scatter, and the evaluator stack built from a config.
#include <doctest/doctest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "engine/game/board.h"
#include "engine/game/encoding.h"
#include "evaluator/evaluator_stack.h"
#include "evaluator/plugin_evaluator.h"
#include "evaluator/plugin_loader.h"

using namespace hearth;
namespace fs = std::filesystem;

namespace {

const std::string kPluginDir = HEARTH_PLUGIN_DIR;
const std::string kFixtureDir = std::string(HEARTH_BINARY_DIR) + "/test_fixtures";

// The PluginError message of `load`, or "" when it did not throw one.
template <typename F>
std::string plugin_error_of(F&& load) {
  try {
    load();
  } catch (const PluginError& e) {
    return e.what();
  }
  return "";
}

// A fresh, empty folder for files written at test time; removed at the end of the test.
struct TempDir {
  fs::path path;
  explicit TempDir(const std::string& tag)
      : path(fs::temp_directory_path() / ("hearth_test_" + tag + "_" + std::to_string(getpid()))) {
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

void write_text_file(const fs::path& path) {
  std::ofstream out(path);
  out << "this is a text file pretending to be a shared library\n";
  for (int i = 0; i < 50; ++i) out << "padding so that the loader reads a whole ELF header's worth\n";
}

// Evaluates the empty board and checks the outputs are numbers (logits may be -inf; never NaN).
void check_evaluates(Evaluator& ev, int size) {
  Board board(size);
  std::vector<float> planes(input_floats(size)), policy(size * size, NAN);
  float value = NAN;
  encode(board, planes.data());
  EvalRequest req{planes.data(), board.eval_key(), policy.data(), &value};
  ev.evaluate(&req, 1);
  CHECK(std::isfinite(value));
  CHECK(value >= -1.0f);
  CHECK(value <= 1.0f);
  for (float p : policy) REQUIRE_FALSE(std::isnan(p));
}

}  // namespace

TEST_CASE("uniform and heuristic load from the plugin folder and evaluate") {
  for (const std::string name : {"uniform", "heuristic"}) {
    CAPTURE(name);
    LoadedPlugin p = load_plugin(name, {kPluginDir});
    CHECK_FALSE(p.is_builtin());
    CHECK(p.name() == name);
    CHECK(p.path() == kPluginDir + "/libhearth_" + name + ".so");
    PluginEvaluator ev(std::move(p), 15, Rule::Freestyle, {});
    CHECK(ev.spec().board_size == 15);
    CHECK(ev.spec().policy_size == 225);
    CHECK(ev.spec().max_batch >= 1);
    check_evaluates(ev, 15);
  }
}

TEST_CASE("a plugin loads by file path") {
  LoadedPlugin p = load_plugin(kPluginDir + "/libhearth_uniform.so", {});
  CHECK_FALSE(p.is_builtin());
  CHECK(p.name() == "uniform");
  LoadedPlugin moved = std::move(p);
  CHECK_FALSE(p);
  CHECK(moved.api() != nullptr);
}

TEST_CASE("built-ins: forced, and as the fallback when no file is found") {
  for (const std::string name : {"uniform", "heuristic"}) {
    CAPTURE(name);
    LoadedPlugin forced = load_builtin_plugin(name);
    CHECK(forced.is_builtin());
    CHECK(forced.name() == name);
    LoadedPlugin prefixed = load_plugin("builtin:" + name, {kPluginDir});
    CHECK(prefixed.is_builtin());
    LoadedPlugin fallback = load_plugin(name, {"/nonexistent-hearth-dir"});
    CHECK(fallback.is_builtin());
    PluginEvaluator ev(std::move(fallback), 9, Rule::Standard, {});
    check_evaluates(ev, 9);
  }
  const std::string msg = plugin_error_of([] { load_builtin_plugin("torch"); });
  CHECK(msg.find("'torch'") != std::string::npos);
  CHECK(msg.find("uniform, heuristic") != std::string::npos);
}

TEST_CASE("search dirs are tried in order") {
  TempDir tmp("order");
  write_text_file(tmp.path / "libhearth_uniform.so");
  // The broken copy comes first: the loader must open it (and fail), not skip to the good one.
  const std::string first = plugin_error_of([&] { load_plugin("uniform", {tmp.path.string(), kPluginDir}); });
  CHECK(first.find((tmp.path / "libhearth_uniform.so").string()) != std::string::npos);
  LoadedPlugin good = load_plugin("uniform", {kPluginDir, tmp.path.string()});
  CHECK(good.path() == kPluginDir + "/libhearth_uniform.so");

  const std::vector<std::string> dirs = plugin_search_dirs("/my/plugins");
  REQUIRE(dirs.size() >= 3);
  CHECK(dirs[0] == "/my/plugins");
  const std::string exe_dir = fs::read_symlink("/proc/self/exe").parent_path().string();
  CHECK(dirs[1] == exe_dir + "/plugins");
  CHECK(dirs[2] == exe_dir);
}

TEST_CASE("missing file: the message lists every path tried") {
  const std::string msg = plugin_error_of([] { load_plugin("nosuch", {"/nonexistent-a", "/nonexistent-b"}); });
  CHECK(msg.find("nosuch") != std::string::npos);
  CHECK(msg.find("/nonexistent-a/libhearth_nosuch.so") != std::string::npos);
  CHECK(msg.find("/nonexistent-b/libhearth_nosuch.so") != std::string::npos);
  CHECK(msg.find('\n') == std::string::npos);

  const std::string by_path = plugin_error_of([] { load_plugin("/nonexistent-a/libhearth_x.so", {}); });
  CHECK(by_path.find("/nonexistent-a/libhearth_x.so") != std::string::npos);
  CHECK(by_path.find("not found") != std::string::npos);
}

TEST_CASE("not a plugin: a text file named .so gives dlopen's reason") {
  TempDir tmp("text");
  const fs::path fake = tmp.path / "libhearth_fake.so";
  write_text_file(fake);
  for (const std::string& how : {fake.string(), std::string("fake")}) {
    CAPTURE(how);
    const std::string msg = plugin_error_of([&] { load_plugin(how, {tmp.path.string()}); });
    CHECK(msg.find(fake.string()) != std::string::npos);
    CHECK(msg.find("not a loadable plugin") != std::string::npos);
    CHECK(msg.find("ELF") != std::string::npos);  // dlopen's own words: invalid ELF header
  }
}

TEST_CASE("missing symbols are named") {
  const std::string none = plugin_error_of([] { load_plugin("fixture_no_symbols", {kFixtureDir}); });
  CHECK(none.find("libhearth_fixture_no_symbols.so") != std::string::npos);
  CHECK(none.find("missing symbol hearth_plugin_abi_version") != std::string::npos);

  const std::string no_api = plugin_error_of([] { load_plugin("fixture_no_api", {kFixtureDir}); });
  CHECK(no_api.find("libhearth_fixture_no_api.so") != std::string::npos);
  CHECK(no_api.find("missing symbol hearth_plugin_get_api") != std::string::npos);
}

TEST_CASE("ABI version mismatch names both versions, before get_api is called") {
  // The fixture's get_api aborts, so reaching this check proves the version came first.
  const std::string msg = plugin_error_of([] { load_plugin("fixture_abi7", {kFixtureDir}); });
  CHECK(msg.find("libhearth_fixture_abi7.so") != std::string::npos);
  CHECK(msg.find("plugin ABI 7, host ABI " + std::to_string(HEARTH_PLUGIN_ABI_VERSION)) != std::string::npos);
}

TEST_CASE("create failure carries the plugin's message: unknown option") {
  const std::string msg = plugin_error_of(
      [] { PluginEvaluator ev(load_plugin("uniform", {kPluginDir}), 15, Rule::Freestyle, {{"bogus", "1"}}); });
  CHECK(msg.find("libhearth_uniform.so") != std::string::npos);
  CHECK(msg.find("bogus") != std::string::npos);
  CHECK(msg.find("unknown option") != std::string::npos);
}

TEST_CASE("what the plugin describes is checked against the game") {
  struct Case {
    PluginOptions options;
    std::string expect;
  };
  const std::vector<Case> cases = {
      {{{"report_size", "17"}}, "board size 17, the host needs 15"},
      {{{"report_planes", "3"}}, "input planes 3, the host needs 4"},
      {{{"report_policy", "226"}}, "policy size 226, the host needs 225"},
      {{{"report_max_batch", "0"}}, "max_batch 0"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.expect);
    const std::string msg = plugin_error_of(
        [&] { PluginEvaluator ev(load_plugin("fixture_config", {kFixtureDir}), 15, Rule::Freestyle, c.options); });
    CHECK(msg.find("fixture_config") != std::string::npos);
    CHECK(msg.find(c.expect) != std::string::npos);
  }
  CHECK_NOTHROW(PluginEvaluator(load_plugin("fixture_config", {kFixtureDir}), 15, Rule::Freestyle, {}));
  const std::string bad_size = plugin_error_of(
      [] { PluginEvaluator ev(load_plugin("fixture_config", {kFixtureDir}), 40, Rule::Freestyle, {}); });
  CHECK(bad_size.find("board size 40 is outside") != std::string::npos);
}

TEST_CASE("plugin evaluator: chunks of max_batch, each result back to its own request") {
  const int size = 7, n = 10;  // the fixture reports max_batch 4: chunks of 4, 4, 2
  PluginEvaluator ev(load_plugin("fixture_config", {kFixtureDir}), size, Rule::Freestyle, {});
  REQUIRE(ev.spec().max_batch == 4);
  const int in = ev.spec().input_floats(), pol = ev.spec().policy_size;
  std::vector<std::vector<float>> planes(n, std::vector<float>(in)), policies(n, std::vector<float>(pol, -1));
  std::vector<float> values(n, -1);
  std::vector<EvalRequest> reqs(n);
  for (int i = 0; i < n; ++i) {
    for (int j = 0; j < in; ++j) planes[i][j] = static_cast<float>(i * 1000 + j);
    reqs[i] = {planes[i].data(), static_cast<uint64_t>(i), policies[i].data(), &values[i]};
  }
  ev.evaluate(reqs.data(), n);
  for (int i = 0; i < n; ++i) {
    CAPTURE(i);
    CHECK(values[i] == planes[i][0]);
    CHECK(std::equal(policies[i].begin(), policies[i].end(), planes[i].begin()));
  }
  ev.game_start();
  ev.game_end();
  const std::string stats = ev.stats_json();
  CHECK(stats.find("\"calls\":3,\"largest_batch\":4,\"games_started\":1,\"games_ended\":1") != std::string::npos);
  CHECK(stats.find("\"positions\":10") != std::string::npos);
}

TEST_CASE("plugin evaluator: a failing evaluate throws EvalError with the plugin's message, then works") {
  PluginEvaluator ev(load_plugin("fixture_config", {kFixtureDir}), 5, Rule::Freestyle, {{"fail_value", "13"}});
  std::vector<float> planes(ev.spec().input_floats(), 13.0f), policy(ev.spec().policy_size);
  float value = 0;
  EvalRequest req{planes.data(), 1, policy.data(), &value};
  std::string msg;
  try {
    ev.evaluate(&req, 1);
  } catch (const EvalError& e) {
    msg = e.what();
  }
  CHECK(msg.find("fixture_config refused input 13") != std::string::npos);
  planes[0] = 2.0f;
  ev.evaluate(&req, 1);
  CHECK(value == 2.0f);
}

TEST_CASE("plugin log lines go to the spdlog logger named \"plugin\"") {
  std::ostringstream captured;
  spdlog::drop("plugin");
  auto logger = std::make_shared<spdlog::logger>("plugin", std::make_shared<spdlog::sinks::ostream_sink_mt>(captured));
  spdlog::register_logger(logger);
  { PluginEvaluator ev(load_plugin("fixture_config", {kFixtureDir}), 15, Rule::Freestyle, {}); }
  spdlog::drop("plugin");
  CHECK(captured.str().find("fixture_config created") != std::string::npos);
}

TEST_CASE("make_evaluator stacks cache(batching(plugin)), cache(plugin) for a reentrant plugin, and reports bad config as PluginError") {
  EvaluatorConfig config;
  config.plugin = "uniform";
  config.plugin_dir = kPluginDir;
  config.cache_entries = 1000;
  EvaluatorPtr ev = make_evaluator(config, 15, Rule::Freestyle);
  ev->client_joined();
  check_evaluates(*ev, 15);
  check_evaluates(*ev, 15);  // the same position again: a cache hit
  ev->client_left();
  const std::string stats = ev->stats_json();
  CHECK(stats.find("\"hits\":1") != std::string::npos);
  // uniform is reentrant: the search threads call it inline, with no batching layer.
  CHECK(stats.find("\"batches\"") == std::string::npos);
  CHECK(ev->batch_counters().batches == 1);
  CHECK(ev->batch_counters().positions == 1);
  CHECK(stats.find("\"plugin\":\"uniform\"") != std::string::npos);

  // A plugin that serves one call at a time gets the batching thread.
  EvaluatorConfig one_at_a_time;
  one_at_a_time.plugin = "fixture_config";
  one_at_a_time.plugin_dir = kFixtureDir;
  EvaluatorPtr batched = make_evaluator(one_at_a_time, 15, Rule::Freestyle);
  batched->client_joined();
  check_evaluates(*batched, 15);
  batched->client_left();
  CHECK(batched->stats_json().find("\"batches\":1") != std::string::npos);
  CHECK(batched->batch_counters().batches == 1);

  config.plugin = "nosuch";
  CHECK(plugin_error_of([&] { make_evaluator(config, 15, Rule::Freestyle); }).find("nosuch") != std::string::npos);
  config.plugin = "uniform";
  config.max_batch = -1;
  CHECK(plugin_error_of([&] { make_evaluator(config, 15, Rule::Freestyle); }).find("max_batch -1") !=
        std::string::npos);
}
