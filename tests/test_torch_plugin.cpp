// The torch plugin through its C ABI (dlopen of libhearth_torch.so): outputs equal a direct
// LibTorch forward of the same model, padding to buckets changes nothing, every bad input gets a
// clear message, keep-warm ticks and stops, and devices=cpu,cpu spreads calls over two runners
// (also through the host's evaluator stack). Models come from the reference-net writer
// (hearth_torch_reference), small boards keep it fast. Built with tests only where the plugin is.
#include <doctest/doctest.h>

#ifdef HEARTH_TORCH_TESTS

#include <dlfcn.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "evaluator/evaluator_stack.h"
#include "evaluator/plugin_abi.h"
#include "plugins/torch/reference_net.h"

using namespace hearth::torch_plugin;
using Options = std::vector<std::pair<std::string, std::string>>;

namespace {

constexpr int kSize = 9;
constexpr int kCells = kSize * kSize;

// The plugin module, loaded once per process.
const hearth_plugin_api& api() {
  static const hearth_plugin_api* table = [] {
    const std::string path = std::string(HEARTH_PLUGIN_DIR) + "/libhearth_torch.so";
    void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!handle) FAIL("cannot load " << path << ": " << dlerror());
    auto version = reinterpret_cast<hearth_plugin_abi_version_fn>(dlsym(handle, "hearth_plugin_abi_version"));
    auto get_api = reinterpret_cast<hearth_plugin_get_api_fn>(dlsym(handle, "hearth_plugin_get_api"));
    REQUIRE((version != nullptr && get_api != nullptr));
    REQUIRE(version() == HEARTH_PLUGIN_ABI_VERSION);
    return get_api();
  }();
  return *table;
}

std::mutex g_log_mu;
std::vector<std::string> g_log;
void host_log(void*, int, const char* message) {
  std::lock_guard<std::mutex> lock(g_log_mu);
  g_log.emplace_back(message);
}

// A scratch folder with the models the tests use, removed at exit. POSIX calls, not
// std::filesystem: pip LibTorch 2.x exports std::filesystem symbols that interpose on the
// system's in a process linking it, and its remove_all crashes.
struct Models {
  std::string dir;
  std::vector<std::string> files;
  std::string good, seed2, two_heads, one_head, wrong_policy, board7, garbage;
  std::string path(const std::string& name) {
    files.push_back(dir + "/" + name);
    return files.back();
  }
  Models() {
    const char* tmp = std::getenv("TMPDIR");
    std::string pattern = std::string(tmp && *tmp ? tmp : "/tmp") + "/hearth_torch_test_XXXXXX";
    REQUIRE(mkdtemp(pattern.data()) != nullptr);
    dir = pattern;
    auto write = [&](const std::string& name, ReferenceNetOptions o) {
      const std::string file = path(name);
      write_reference_net(o, file);
      return file;
    };
    ReferenceNetOptions o;
    o.board_size = kSize;
    o.seed = 7;
    o.channels1 = 8;
    o.channels2 = 16;
    good = write("good.pt", o);
    auto v = o;
    v.seed = 8;
    seed2 = write("seed2.pt", v);
    v = o;
    v.heads = 2;
    two_heads = write("two_heads.pt", v);
    v = o;
    v.heads = 1;
    one_head = write("one_head.pt", v);
    v = o;
    v.policy_size = kCells - 1;
    wrong_policy = write("wrong_policy.pt", v);
    v = o;
    v.board_size = 7;
    board7 = write("board7.pt", v);
    garbage = path("garbage.pt");
    std::ofstream(garbage) << "this is not a TorchScript archive\n";
    path("tool7.pt");  // written by the tool test
  }
  ~Models() {
    for (const auto& f : files) std::remove(f.c_str());
    rmdir(dir.c_str());
  }
};

const Models& models() {
  static Models m;
  return m;
}

// One plugin instance; `error` holds create's message when it failed.
struct Instance {
  hearth_plugin* plugin = nullptr;
  std::string error;
  Instance(const Options& options, int board_size = kSize) {
    std::vector<const char*> keys, values;
    for (const auto& kv : options) {
      keys.push_back(kv.first.c_str());
      values.push_back(kv.second.c_str());
    }
    hearth_host host{};
    host.struct_size = sizeof(host);
    host.board_size = board_size;
    host.rule = HEARTH_RULE_FREESTYLE;
    host.log = host_log;
    char err[1024] = "";
    plugin = api().create(&host, keys.data(), values.data(), static_cast<int32_t>(options.size()), err, sizeof(err));
    error = err;
  }
  ~Instance() {
    if (plugin) api().destroy(plugin);
  }
  Instance(const Instance&) = delete;
  Instance& operator=(const Instance&) = delete;

  // Evaluates n positions; returns policy then values.
  std::pair<std::vector<float>, std::vector<float>> evaluate(const std::vector<float>& input, int n) {
    REQUIRE(plugin);
    std::vector<float> policy(static_cast<size_t>(n) * kCells, NAN), value(n, NAN);
    char err[512] = "";
    const int rc = api().evaluate(plugin, input.data(), n, policy.data(), value.data(), err, sizeof(err));
    INFO(err);
    REQUIRE(rc == 0);
    return {policy, value};
  }
  std::string stats() {
    std::string out(1 << 16, '\0');
    REQUIRE(api().stats(plugin, out.data(), out.size()) == 0);
    out.resize(std::strlen(out.c_str()));
    return out;
  }
};

// What create says about these options (empty when it succeeded).
std::string create_error(const Options& options, int board_size = kSize) {
  Instance i(options, board_size);
  if (i.plugin) return "";
  CHECK(!i.error.empty());
  return i.error;
}

// Random planes shaped like real input: 0/1 stones, one last-move square, a side-to-move plane.
std::vector<float> random_positions(int n, unsigned seed) {
  std::mt19937 rng(seed);
  std::vector<float> x(static_cast<size_t>(n) * 4 * kCells, 0.0f);
  for (int b = 0; b < n; ++b) {
    float* p = &x[static_cast<size_t>(b) * 4 * kCells];
    for (int c = 0; c < kCells; ++c) {
      const unsigned r = rng() % 5;
      if (r == 0) p[c] = 1;
      if (r == 1) p[kCells + c] = 1;
    }
    p[2 * kCells + rng() % kCells] = 1;
    if (rng() % 2) std::fill(p + 3 * kCells, p + 4 * kCells, 1.0f);
  }
  return x;
}

double json_number(const std::string& json, const std::string& key) {
  const size_t pos = json.find("\"" + key + "\":");
  REQUIRE_MESSAGE(pos != std::string::npos, key << " not in " << json);
  return std::stod(json.substr(pos + key.size() + 3));
}

bool json_hot(const std::string& json) { return json.find("\"hot\":true") != std::string::npos; }

template <class Pred>
bool eventually(Pred done) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return true;
}

void check_close(const std::vector<float>& a, const std::vector<float>& b, double tolerance) {
  REQUIRE(a.size() == b.size());
  double worst = 0;
  for (size_t i = 0; i < a.size(); ++i) worst = std::max(worst, std::fabs(double(a[i]) - double(b[i])));
  CHECK(worst <= tolerance);
}

// The objects of "per_device" in a multi-device stats object, one string each.
std::vector<std::string> per_device(const std::string& stats) {
  const size_t start = stats.find("\"per_device\":[");
  REQUIRE_MESSAGE(start != std::string::npos, stats);
  std::vector<std::string> parts;
  const std::string head = "{\"device\":\"";
  for (size_t at = stats.find(head, start); at != std::string::npos;) {
    const size_t next = stats.find(head, at + 1);
    parts.push_back(stats.substr(at, next == std::string::npos ? std::string::npos : next - at));
    at = next;
  }
  return parts;
}

size_t count_of(const std::string& text, const std::string& part) {
  size_t n = 0;
  for (size_t at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) ++n;
  return n;
}

Options cpu(const std::string& model, Options extra = {}) {
  Options o{{"model", model}, {"device", "cpu"}, {"buckets", "1,4,8"}};
  o.insert(o.end(), extra.begin(), extra.end());
  return o;
}

}  // namespace

TEST_CASE("outputs equal a direct LibTorch forward of the same model") {
  const auto input = random_positions(5, 1);
  const ReferenceOutputs ref = reference_forward(models().good, input.data(), 5, kSize);
  std::vector<float> ref_tanh;
  for (float v : ref.value) ref_tanh.push_back(std::tanh(v));

  Instance raw(cpu(models().good, {{"value_transform", "none"}}));
  REQUIRE_MESSAGE(raw.plugin, raw.error);
  auto [policy, value] = raw.evaluate(input, 5);  // padded to the bucket of 8
  check_close(policy, ref.policy, 1e-5);
  check_close(value, ref.value, 1e-5);

  Instance tanh_plugin(cpu(models().good));  // value_transform=tanh by default
  REQUIRE(tanh_plugin.plugin);
  auto [policy2, value2] = tanh_plugin.evaluate(input, 5);
  check_close(policy2, ref.policy, 1e-5);
  check_close(value2, ref_tanh, 1e-5);
  for (float v : value2) CHECK(std::fabs(v) <= 1.0f);

  // The seed matters: another seed writes another network.
  const ReferenceOutputs other = reference_forward(models().seed2, input.data(), 5, kSize);
  CHECK(other.policy != ref.policy);

  // A (policy, value) pair without action values is accepted too.
  Instance two(cpu(models().two_heads, {{"value_transform", "none"}}));
  REQUIRE_MESSAGE(two.plugin, two.error);
  check_close(two.evaluate(input, 5).second, reference_forward(models().two_heads, input.data(), 5, kSize).value, 1e-5);
}

TEST_CASE("padding to buckets does not change results") {
  Instance p(cpu(models().good));
  REQUIRE(p.plugin);
  const auto eight = random_positions(8, 2);
  const std::vector<float> three(eight.begin(), eight.begin() + 3 * 4 * kCells);
  auto [policy3, value3] = p.evaluate(three, 3);  // bucket 4
  auto [policy8, value8] = p.evaluate(eight, 8);  // bucket 8, the same 3 first
  policy8.resize(policy3.size());
  value8.resize(3);
  check_close(policy3, policy8, 1e-5);
  check_close(value3, value8, 1e-5);
  for (int i = 0; i < 3; ++i) {  // one by one: bucket 1
    const std::vector<float> one(three.begin() + i * 4 * kCells, three.begin() + (i + 1) * 4 * kCells);
    auto [policy1, value1] = p.evaluate(one, 1);
    check_close(policy1, std::vector<float>(policy3.begin() + i * kCells, policy3.begin() + (i + 1) * kCells), 1e-5);
    CHECK(std::fabs(value1[0] - value3[i]) <= 1e-5);
  }
  const std::string stats = p.stats();
  CHECK(json_number(stats, "batches") == 5);
  CHECK(json_number(stats, "positions") == 14);
  CHECK(json_number(stats, "padded_positions") == 15);  // 4 + 8 + 1 + 1 + 1
}

TEST_CASE("describe reports the board, buckets and max batch") {
  Instance p(cpu(models().good));
  REQUIRE(p.plugin);
  hearth_plugin_info info{};
  REQUIRE(api().describe(p.plugin, &info) == 0);
  CHECK(info.board_size == kSize);
  CHECK(info.input_planes == 4);
  CHECK(info.policy_size == kCells);
  CHECK(info.max_batch == 8);
  REQUIRE(info.num_preferred_batches == 3);
  CHECK(info.preferred_batches[0] == 1);
  CHECK(info.preferred_batches[1] == 4);
  CHECK(info.preferred_batches[2] == 8);
  CHECK(std::string(info.description).find("on cpu") != std::string::npos);
  CHECK(std::string(api().name) == "torch");
  std::lock_guard<std::mutex> lock(g_log_mu);
  bool ready = false;
  for (const auto& line : g_log) ready = ready || line.find("ready in") != std::string::npos;
  CHECK(ready);
}

TEST_CASE("bad models and options get one clear message") {
  const Models& m = models();
  auto contains = [](const std::string& text, const std::string& part) {
    INFO(text);
    CHECK(text.find(part) != std::string::npos);
    CHECK(text.find('\n') == std::string::npos);  // one line, no LibTorch backtrace
  };
  contains(create_error(cpu(m.dir + "/missing.pt")), "model file not found: " + m.dir + "/missing.pt");
  contains(create_error({{"device", "cpu"}}), "option 'model' of plugin torch is required");
  contains(create_error(cpu(m.garbage)), "cannot load TorchScript model " + m.garbage);
  contains(create_error(cpu(m.wrong_policy)), "policy output has shape [1, 80], expected [1, 81] (board size 9)");
  contains(create_error(cpu(m.board7)), "policy output has shape [1, 49], expected [1, 81]");
  contains(create_error(cpu(m.one_head)), "must return a tuple (policy, value[, action_values])");
  contains(create_error(cpu(m.good, {{"colour", "blue"}})), "unknown option for plugin torch: colour");
  contains(create_error(cpu(m.good, {{"mode", "graph"}})), "mode=graph needs a CUDA device");
  contains(create_error(cpu(m.good, {{"dtype", "fp16"}})), "dtype=fp16 needs a CUDA device");
  contains(create_error(cpu(m.good, {{"dtype", "fp8"}})), "option 'dtype' of plugin torch: 'fp8' is not one of fp32, fp16");
  contains(create_error(cpu(m.good, {{"warm_kind", "nap"}})), "option 'warm_kind'");
  contains(create_error(cpu(m.good, {{"buckets", "8,4"}})), "option 'buckets' of plugin torch");
  contains(create_error(cpu(m.good, {{"warm_period_us", "0"}})), "warm_period_us");
  contains(create_error({{"model", m.good}, {"device", "gpu"}}), "'gpu' is not cpu, cuda or cuda:N");
#if !HEARTH_TORCH_CUDA_BUILD
  contains(create_error({{"model", m.good}, {"device", "cuda"}}), "CUDA requested (cuda:0) but");
  contains(create_error({{"model", m.good}, {"device", "cuda:1"}, {"mode", "eager"}}), "CUDA requested (cuda:1) but");
#endif
  contains(create_error({{"model", m.good}, {"device", "cuda:99"}}), "CUDA requested (cuda:99) but");

  Instance p(cpu(m.good));
  REQUIRE(p.plugin);
  const auto nine = random_positions(9, 3);
  std::vector<float> policy(9 * kCells), value(9);
  char err[256] = "";
  CHECK(api().evaluate(p.plugin, nine.data(), 9, policy.data(), value.data(), err, sizeof(err)) != 0);
  contains(err, "batch of 9 positions is outside 1..8");
}

TEST_CASE("keep-warm on the CPU: eager dummies tick while hot, then stop") {
  for (const char* kind : {"forward", "kernel"}) {
    CAPTURE(kind);
    Instance p(cpu(models().good, {{"keep_warm", "on"}, {"warm_period_us", "1000"}, {"hot_window_s", "0.15"},
                                   {"warm_kind", kind}}));
    REQUIRE_MESSAGE(p.plugin, p.error);
    CHECK(json_number(p.stats(), "dummies") == 0);  // not armed before the first batch or game
    p.evaluate(random_positions(1, 4), 1);
    REQUIRE(eventually([&] { return json_number(p.stats(), "dummies") >= 3; }));
    REQUIRE(eventually([&] { return !json_hot(p.stats()); }));
    const double cold = json_number(p.stats(), "dummies");
    std::this_thread::sleep_for(std::chrono::milliseconds(400));
    CHECK(json_number(p.stats(), "dummies") == cold);

    api().game_start(p.plugin);  // a game re-arms it ahead of any batch ...
    REQUIRE(eventually([&] { return json_number(p.stats(), "dummies") > cold; }));
    CHECK(json_number(p.stats(), "games_in_progress") == 1);
    api().game_end(p.plugin);  // ... and its end cools it at once
    REQUIRE(eventually([&] { return !json_hot(p.stats()); }));
    CHECK(json_number(p.stats(), "real_jobs") == 1);
  }
  Instance off(cpu(models().good));  // keep_warm defaults to off on the CPU
  REQUIRE(off.plugin);
  off.evaluate(random_positions(1, 5), 1);
  api().game_start(off.plugin);
  std::this_thread::sleep_for(std::chrono::milliseconds(30));
  CHECK(json_number(off.stats(), "dummies") == 0);
}

TEST_CASE("devices=cpu,cpu: two runners, results as on one device, both used, hints to both") {
  Instance one(cpu(models().good));
  Instance two({{"model", models().good}, {"devices", "cpu,cpu"}, {"buckets", "1,4,8"}});
  REQUIRE_MESSAGE(one.plugin, one.error);
  REQUIRE_MESSAGE(two.plugin, two.error);
  hearth_plugin_info info_one{}, info_two{};
  REQUIRE(api().describe(one.plugin, &info_one) == 0);
  REQUIRE(api().describe(two.plugin, &info_two) == 0);
  CHECK(info_one.max_concurrent_calls == 1);
  CHECK(info_two.max_concurrent_calls == 2);
  CHECK(info_two.max_batch == info_one.max_batch);
  CHECK(info_two.num_preferred_batches == info_one.num_preferred_batches);
  CHECK(std::string(info_two.description).find("2 devices: cpu,cpu") != std::string::npos);
  CHECK(one.stats().find("\"per_device\"") == std::string::npos);  // one device: stats as ever

  // One after another: the calls take the devices in turn.
  const int sizes[] = {5, 3, 8, 1};
  for (int i = 0; i < 4; ++i) {
    CAPTURE(i);
    const auto input = random_positions(sizes[i], 20 + i);
    auto [p1, v1] = one.evaluate(input, sizes[i]);
    auto [p2, v2] = two.evaluate(input, sizes[i]);
    check_close(p2, p1, 1e-6);
    check_close(v2, v1, 1e-6);
  }
  std::string stats = two.stats();
  CAPTURE(stats);
  std::vector<std::string> devices = per_device(stats);
  REQUIRE(devices.size() == 2);
  CHECK(json_number(devices[0], "batches") == 2);  // calls of 5 and 8
  CHECK(json_number(devices[1], "batches") == 2);  // calls of 3 and 1
  CHECK(json_number(devices[0], "positions") == 13);
  CHECK(json_number(stats, "batches") == 4);  // the totals come first
  CHECK(json_number(stats, "positions") == 17);
  CHECK(json_number(stats, "errors") == 0);

  // Two threads at once (the most the plugin reported): each result is its own input's.
  const auto a = random_positions(8, 40), b = random_positions(4, 41);
  const auto want_a = one.evaluate(a, 8), want_b = one.evaluate(b, 4);
  std::atomic<int> wrong{0};
  using Outputs = std::pair<std::vector<float>, std::vector<float>>;
  auto hammer = [&](const std::vector<float>& input, int n, const Outputs& want) {
    auto close = [](const std::vector<float>& x, const std::vector<float>& y) {
      for (size_t i = 0; i < x.size(); ++i)
        if (!(std::fabs(x[i] - y[i]) <= 1e-6f)) return false;
      return x.size() == y.size();
    };
    for (int k = 0; k < 15; ++k) {
      std::vector<float> policy(static_cast<size_t>(n) * kCells, NAN), value(n, NAN);
      char err[256] = "";
      if (api().evaluate(two.plugin, input.data(), n, policy.data(), value.data(), err, sizeof(err)) != 0 ||
          !close(policy, want.first) || !close(value, want.second))
        wrong++;
    }
  };
  std::thread ta(hammer, std::cref(a), 8, std::cref(want_a));
  std::thread tb(hammer, std::cref(b), 4, std::cref(want_b));
  ta.join();
  tb.join();
  CHECK(wrong == 0);
  stats = two.stats();
  devices = per_device(stats);
  REQUIRE(devices.size() == 2);
  CHECK(json_number(devices[0], "batches") + json_number(devices[1], "batches") == 34);
  CHECK(json_number(stats, "batches") == 34);

  api().game_start(two.plugin);  // hints reach each device thread soon, not at once
  CHECK(eventually([&] { return count_of(two.stats(), "\"games_in_progress\":1") == 2; }));
  api().game_end(two.plugin);
  CHECK(eventually([&] { return count_of(two.stats(), "\"games_in_progress\":0") == 2; }));
}

TEST_CASE("devices: bad lists and mixes get one clear message") {
  const Models& m = models();
  auto contains = [](const std::string& text, const std::string& part) {
    INFO(text);
    CHECK(text.find(part) != std::string::npos);
    CHECK(text.find('\n') == std::string::npos);
  };
  contains(create_error({{"model", m.good}, {"device", "cpu"}, {"devices", "cpu,cpu"}}),
           "options 'device' and 'devices' of plugin torch exclude each other");
  contains(create_error({{"model", m.good}, {"devices", "cpu,,cpu"}}),
           "option 'devices' of plugin torch: '' in 'cpu,,cpu' is not cpu, cuda or cuda:N");
  contains(create_error({{"model", m.good}, {"devices", "cpu,gpu"}}), "'gpu' in 'cpu,gpu' is not cpu, cuda or cuda:N");
  contains(create_error({{"model", m.good}, {"devices", ""}}), "'' in '' is not cpu, cuda or cuda:N");
  // Each runner checks its own options: their error comes through as it is.
  contains(create_error({{"model", m.good}, {"devices", "cpu,cpu"}, {"dtype", "fp16"}}),
           "dtype=fp16 needs a CUDA device");
#if !HEARTH_TORCH_CUDA_BUILD
  contains(create_error({{"model", m.good}, {"devices", "cuda:0,cuda:1"}}),
           "CUDA requested (cuda:0) but this LibTorch was built without CUDA");
  contains(create_error({{"model", m.good}, {"devices", "all"}}),
           "option 'devices' of plugin torch: 'all' finds no CUDA device: this LibTorch was built without CUDA");
#endif
  // A list of one is the plain one-device plugin.
  Instance single({{"model", m.good}, {"devices", " cpu "}, {"buckets", "1,4,8"}});
  REQUIRE_MESSAGE(single.plugin, single.error);
  hearth_plugin_info info{};
  REQUIRE(api().describe(single.plugin, &info) == 0);
  CHECK(info.max_concurrent_calls == 1);
  CHECK(single.stats().rfind("{\"device\":\"cpu\"", 0) == 0);
}

TEST_CASE("the host's stack over devices=cpu,cpu: two evaluation threads, results as on one device") {
  hearth::EvaluatorConfig config;
  config.plugin = std::string(HEARTH_PLUGIN_DIR) + "/libhearth_torch.so";
  config.plugin_options = {{"model", models().good}, {"devices", "cpu,cpu"}, {"buckets", "1,4,8"}};
  config.cache_entries = 0;
  config.batch_deadline_us = 100;
  const hearth::EvaluatorPtr ev = hearth::make_evaluator(config, kSize, hearth::Rule::Freestyle);
  CHECK(ev->spec().max_concurrent_calls == 2);
  constexpr int kThreads = 4, kCalls = 6, kPerCall = 3;
  Instance one(cpu(models().good));
  REQUIRE(one.plugin);
  std::vector<std::vector<float>> inputs;
  std::vector<std::pair<std::vector<float>, std::vector<float>>> wanted;  // one device's outputs
  for (int t = 0; t < kThreads; ++t) {
    inputs.push_back(random_positions(kPerCall, 60 + t));
    wanted.push_back(one.evaluate(inputs.back(), kPerCall));
  }
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::vector<float> policy(kPerCall * kCells), value(kPerCall);
      std::vector<hearth::EvalRequest> reqs;
      for (int i = 0; i < kPerCall; ++i)
        reqs.push_back({&inputs[t][i * 4 * kCells], 0, &policy[i * kCells], &value[i]});
      for (int c = 0; c < kCalls; ++c) {
        std::fill(value.begin(), value.end(), NAN);
        ev->evaluate(reqs.data(), kPerCall);
        double worst = 0;
        for (size_t i = 0; i < policy.size(); ++i)
          worst = std::max(worst, double(std::fabs(policy[i] - wanted[t].first[i])));
        for (int i = 0; i < kPerCall; ++i) worst = std::max(worst, double(std::fabs(value[i] - wanted[t].second[i])));
        if (!(worst <= 1e-6)) wrong++;
      }
    });
  }
  for (auto& t : threads) t.join();
  CHECK(wrong == 0);
  const std::string stats = ev->stats_json();
  CAPTURE(stats);
  CHECK(stats.find("\"evaluation_threads\":2") != std::string::npos);
  CHECK(per_device(stats).size() == 2);
}

TEST_CASE("hearth_make_reference_net writes a loadable model") {
  const std::string path = models().dir + "/tool7.pt";
  const std::string tool = HEARTH_MAKE_REFERENCE_NET;
  REQUIRE(std::system((tool + " --size 7 --seed 3 --out " + path + " 2>/dev/null").c_str()) == 0);
  Instance ok({{"model", path}, {"device", "cpu"}, {"buckets", "1,2"}}, 7);
  REQUIRE_MESSAGE(ok.plugin, ok.error);
  hearth_plugin_info info{};
  REQUIRE(api().describe(ok.plugin, &info) == 0);
  CHECK(info.policy_size == 49);
  CHECK(create_error({{"model", path}, {"device", "cpu"}}, 9).find("expected [1, 81]") != std::string::npos);
  CHECK(std::system((tool + " --heads 5 --out " + path + " 2>/dev/null").c_str()) != 0);
}

#if HEARTH_TORCH_CUDA_BUILD
// Runs only where the plugin is built against CUDA LibTorch and a GPU is visible.
TEST_CASE("CUDA: graphs, eager and fp16 match the reference; keep-warm ticks on the GPU") {
  Instance probe({{"model", models().good}, {"device", "cuda"}, {"buckets", "1,4,8"}});
  if (!probe.plugin) {
    MESSAGE("no usable GPU: " << probe.error);
    CHECK(probe.error.find("CUDA requested (cuda:0) but") != std::string::npos);
    return;
  }
  const auto input = random_positions(5, 6);
  const ReferenceOutputs ref = reference_forward(models().good, input.data(), 5, kSize);
  struct Case {
    Options options;
    double tolerance;  // cuDNN may use TF32 for convolutions; fp16 is coarser still
  };
  const std::vector<Case> cases = {
      {{{"mode", "graph"}}, 5e-3},
      {{{"mode", "eager"}}, 5e-3},
      {{{"mode", "graph"}, {"dtype", "fp16"}}, 5e-2},
      {{{"mode", "eager"}, {"dtype", "fp16"}}, 5e-2},
  };
  for (const auto& c : cases) {
    Options o{{"model", models().good}, {"device", "cuda:0"}, {"buckets", "1,4,8"}, {"value_transform", "none"},
              {"gpu_timing", "on"}, {"keep_warm", "off"}};
    o.insert(o.end(), c.options.begin(), c.options.end());
    Instance p(o);
    REQUIRE_MESSAGE(p.plugin, p.error);
    CAPTURE(p.stats());
    auto [policy, value] = p.evaluate(input, 5);
    check_close(policy, ref.policy, c.tolerance);
    check_close(value, ref.value, c.tolerance);
    auto [policy1, value1] = p.evaluate(std::vector<float>(input.begin(), input.begin() + 4 * kCells), 1);
    check_close(policy1, std::vector<float>(policy.begin(), policy.begin() + kCells), c.tolerance);
    CHECK(p.stats().find("\"gpu_time\":{\"count\":2,") != std::string::npos);
  }
  for (const char* kind : {"forward", "kernel"}) {
    CAPTURE(kind);
    Instance p({{"model", models().good}, {"device", "cuda"}, {"buckets", "1,4,8"}, {"warm_kind", kind},
                {"warm_period_us", "1000"}, {"hot_window_s", "0.2"}});  // keep_warm on by default on CUDA
    REQUIRE_MESSAGE(p.plugin, p.error);
    p.evaluate(input, 5);
    REQUIRE(eventually([&] { return json_number(p.stats(), "dummies") >= 3; }));
    REQUIRE(eventually([&] { return !json_hot(p.stats()); }));
    auto [policy, value] = p.evaluate(input, 5);  // results survive the dummies
    check_close(policy, ref.policy, 5e-3);
    MESSAGE(p.stats());
  }
}
#endif

#endif  // HEARTH_TORCH_TESTS
