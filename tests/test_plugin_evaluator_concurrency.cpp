// PluginEvaluator with a plugin that serves several evaluate calls at once (max_concurrent_calls,
// one per device): that many calls reach it together, never more, each with buffers of its own;
// hint and stats calls do not wait for evaluations then, while a one-call plugin still sees one
// call at a time of any kind. The plugin lives in this test (a LoadedPlugin over an in-process
// API table); calls are held at a latch inside it, never timed.
#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "evaluator/batching_evaluator.h"
#include "evaluator/plugin_evaluator.h"
#include "evaluator/plugin_support.h"

using namespace hearth;

namespace {

constexpr int kSize = 5;
constexpr int kCells = kSize * kSize;
constexpr int kInput = 4 * kCells;
constexpr auto kLatchTimeout = std::chrono::seconds(20);  // only a broken evaluator waits this long

// The in-test plugin. Options: concurrent (what describe reports as max_concurrent_calls),
// rendezvous (evaluate calls wait inside until this many are in at once; then the latch stays
// open), hold=on (they also wait for release()). Outputs: value = first input float, policy =
// the first kCells input floats.
struct LatchPlugin {
  int concurrent = 0, rendezvous = 1;
  bool hold = false;
  std::mutex mu;
  std::condition_variable cv;
  int in_flight = 0, peak = 0;
  int calls_inside = 0, overlaps = 0;  // calls of any kind inside at once / times that was > 1
  bool latch_open = false, released = false, timed_out = false;
  long games = 0;

  void enter() {  // mu held
    if (++calls_inside > 1) ++overlaps;
  }
  void release() {
    std::lock_guard<std::mutex> lock(mu);
    released = true;
    cv.notify_all();
  }
  bool wait_in_flight(int n) {
    std::unique_lock<std::mutex> lock(mu);
    return cv.wait_for(lock, kLatchTimeout, [&] { return in_flight >= n; });
  }
};

std::atomic<LatchPlugin*> g_latest{nullptr};  // the instance the test looks into

hearth_plugin* latch_create(const hearth_host*, const char* const* keys, const char* const* values, int32_t n,
                            char* err, size_t errlen) {
  try {
    plugin::Options opts(keys, values, n, "latch");
    auto p = std::make_unique<LatchPlugin>();
    p->concurrent = static_cast<int>(opts.take_int("concurrent", 0));
    p->rendezvous = static_cast<int>(opts.take_int("rendezvous", 1));
    p->hold = opts.take_bool("hold", false);
    opts.finish();
    g_latest = p.get();
    return reinterpret_cast<hearth_plugin*>(p.release());
  } catch (const std::exception& e) {
    plugin::write_error(err, errlen, e.what());
    return nullptr;
  }
}

void latch_destroy(hearth_plugin* p) { delete reinterpret_cast<LatchPlugin*>(p); }

int latch_describe(hearth_plugin* plugin, hearth_plugin_info* info) {
  const auto* p = reinterpret_cast<LatchPlugin*>(plugin);
  std::memset(info, 0, sizeof(*info));
  info->board_size = kSize;
  info->input_planes = 4;
  info->policy_size = kCells;
  info->max_batch = 4;
  info->max_concurrent_calls = p->concurrent;
  std::snprintf(info->description, sizeof(info->description), "latch");
  return 0;
}

int latch_evaluate(hearth_plugin* plugin, const float* input, int32_t batch, float* policy, float* value, char*,
                   size_t) {
  auto* p = reinterpret_cast<LatchPlugin*>(plugin);
  {
    std::unique_lock<std::mutex> lock(p->mu);
    p->enter();
    p->peak = std::max(p->peak, ++p->in_flight);
    if (p->in_flight >= p->rendezvous) p->latch_open = true;
    p->cv.notify_all();
    if (!p->cv.wait_for(lock, kLatchTimeout, [&] { return p->latch_open && (!p->hold || p->released); })) {
      p->timed_out = true;
      p->latch_open = p->released = true;  // fail once, not once per call
    }
  }
  for (int i = 0; i < batch; ++i) {
    value[i] = input[i * kInput];
    std::memcpy(policy + i * kCells, input + i * kInput, kCells * sizeof(float));
  }
  std::lock_guard<std::mutex> lock(p->mu);
  --p->in_flight;
  --p->calls_inside;
  return 0;
}

void latch_hint(hearth_plugin* plugin) {
  auto* p = reinterpret_cast<LatchPlugin*>(plugin);
  std::lock_guard<std::mutex> lock(p->mu);
  p->enter();
  ++p->games;
  --p->calls_inside;
}

int latch_stats(hearth_plugin* plugin, char* out, size_t len) {
  auto* p = reinterpret_cast<LatchPlugin*>(plugin);
  std::lock_guard<std::mutex> lock(p->mu);
  p->enter();
  std::snprintf(out, len, "{\"peak\":%d}", p->peak);
  --p->calls_inside;
  return 0;
}

const hearth_plugin_api kLatchApi = {
    sizeof(hearth_plugin_api), "latch", latch_create, latch_destroy, latch_describe, latch_evaluate,
    latch_hint,                latch_hint, latch_stats,
};

std::unique_ptr<PluginEvaluator> make_latch(const PluginOptions& options) {
  return std::make_unique<PluginEvaluator>(LoadedPlugin(nullptr, &kLatchApi, "latch", "in-test"), kSize,
                                           Rule::Freestyle, options);
}

// n positions whose first float is `first + i`, and buffers for their outputs.
struct Call {
  std::vector<float> planes, policy, value;
  std::vector<EvalRequest> reqs;
  Call(int n, float first) : planes(static_cast<size_t>(n) * kInput, 0.0f), policy(n * kCells, -1), value(n, -1) {
    for (int i = 0; i < n; ++i) {
      planes[i * kInput] = first + i;
      planes[i * kInput + 1] = 0.5f * (first + i);
      reqs.push_back({&planes[i * kInput], 0, &policy[i * kCells], &value[i]});
    }
  }
  bool results_match() const {
    for (size_t i = 0; i < value.size(); ++i)
      if (value[i] != planes[i * kInput] || policy[i * kCells + 1] != planes[i * kInput + 1]) return false;
    return true;
  }
};

}  // namespace

TEST_CASE("a plugin serving 3 calls at once gets 3 at once, never more, each with its own buffers") {
  auto ev = make_latch({{"concurrent", "3"}, {"rendezvous", "3"}});
  LatchPlugin& plugin = *g_latest;
  CHECK(ev->spec().max_concurrent_calls == 3);
  constexpr int kThreads = 6, kCalls = 30;
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int c = 0; c < kCalls; ++c) {
        Call call(1 + (t + c) % 7, 1000.0f * t + 10.0f * c);  // calls over 4 positions go in chunks
        ev->evaluate(call.reqs.data(), static_cast<int>(call.reqs.size()));
        if (!call.results_match()) wrong++;
      }
    });
  }
  for (auto& t : threads) t.join();
  CHECK(wrong == 0);
  CHECK_FALSE(plugin.timed_out);  // the first three calls met inside the plugin
  CHECK(plugin.peak == 3);
  const std::string stats = ev->stats_json();
  CHECK(stats.find("\"stats\":{\"peak\":3}") != std::string::npos);
}

TEST_CASE("with several calls at once, hints and stats do not wait for evaluations") {
  auto ev = make_latch({{"concurrent", "2"}, {"rendezvous", "2"}, {"hold", "on"}});
  LatchPlugin& plugin = *g_latest;
  std::vector<std::thread> threads;
  std::vector<std::unique_ptr<Call>> calls;
  for (int t = 0; t < 2; ++t) calls.push_back(std::make_unique<Call>(3, 100.0f * (t + 1)));
  for (int t = 0; t < 2; ++t)
    threads.emplace_back([&, t] { ev->evaluate(calls[t]->reqs.data(), 3); });
  REQUIRE(plugin.wait_in_flight(2));
  // Both evaluations are held inside the plugin: these return only if they do not wait for them.
  auto control = std::async(std::launch::async, [&] {
    ev->game_start();
    ev->game_end();
    return ev->stats_json();
  });
  const bool returned = control.wait_for(kLatchTimeout) == std::future_status::ready;
  plugin.release();  // (on failure too, so that nothing hangs)
  CHECK(returned);
  CHECK(control.get().find("\"calls\":0") != std::string::npos);  // no evaluation had finished
  for (auto& t : threads) t.join();
  CHECK(plugin.games == 2);
  CHECK(calls[0]->results_match());
  CHECK(calls[1]->results_match());
  CHECK(ev->stats_json().find("\"calls\":2,\"positions\":6") != std::string::npos);
}

TEST_CASE("a one-call plugin sees one call at a time, hints and stats included") {
  for (const char* reported : {"0", "1"}) {
    CAPTURE(reported);
    auto ev = make_latch({{"concurrent", reported}});
    LatchPlugin& plugin = *g_latest;
    CHECK(ev->spec().max_concurrent_calls == 1);
    std::vector<std::thread> threads;
    std::atomic<int> wrong{0};
    for (int t = 0; t < 2; ++t) {
      threads.emplace_back([&, t] {
        for (int c = 0; c < 200; ++c) {
          Call call(2, 10.0f * c + t);
          ev->evaluate(call.reqs.data(), 2);
          if (!call.results_match()) wrong++;
        }
      });
    }
    threads.emplace_back([&] {
      for (int c = 0; c < 200; ++c) {
        ev->game_start();
        ev->game_end();
      }
    });
    threads.emplace_back([&] {
      for (int c = 0; c < 200; ++c) ev->stats_json();
    });
    for (auto& t : threads) t.join();
    CHECK(wrong == 0);
    CHECK(plugin.overlaps == 0);
    CHECK(plugin.peak == 1);
    CHECK(plugin.games == 400);
  }
}

TEST_CASE("max_concurrent_calls outside 0..64 is refused with both values") {
  for (const char* bad : {"-1", "65"}) {
    std::string message;
    try {
      make_latch({{"concurrent", bad}});
    } catch (const PluginError& e) {
      message = e.what();
    }
    CHECK(message.find(std::string("reports max_concurrent_calls ") + bad + ", the host needs 0..64") !=
          std::string::npos);
  }
  CHECK(make_latch({{"concurrent", "64"}})->spec().max_concurrent_calls == 64);
}

TEST_CASE("the stack: a batching layer over a 2-call plugin keeps both busy with batches of their own") {
  auto plugin_ev = std::shared_ptr<PluginEvaluator>(make_latch({{"concurrent", "2"}, {"rendezvous", "2"}}));
  LatchPlugin& plugin = *g_latest;
  BatchingEvaluator ev(plugin_ev, 4, 10'000'000);
  CHECK(ev.spec().max_concurrent_calls == 2);
  CHECK(ev.stats().evaluation_threads == 2);
  // Each call fills a batch (4 positions) so batches close at once, and two must meet in the plugin.
  std::vector<std::thread> threads;
  std::atomic<int> wrong{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int c = 0; c < 10; ++c) {
        Call call(4, 1000.0f * t + 10.0f * c);
        ev.evaluate(call.reqs.data(), 4);
        if (!call.results_match()) wrong++;
      }
    });
  }
  for (auto& t : threads) t.join();
  CHECK(wrong == 0);
  CHECK_FALSE(plugin.timed_out);
  CHECK(plugin.peak == 2);
  CHECK(ev.stats().peak_batches_in_flight == 2);
}
