// TimingEvaluator and BatchTimeline: every call is forwarded untouched and recorded once, with
// its start, duration and size; failures are recorded and rethrown; the timeline stays bounded;
// in the evaluator stack the wrapper sees exactly the batches the plugin runs (not cache hits).
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "engine/game/board.h"
#include "engine/game/encoding.h"
#include "evaluator/evaluator_stack.h"
#include "evaluator/timing_evaluator.h"

using namespace hearth;
using Clock = std::chrono::steady_clock;

namespace {

constexpr uint64_t kPoison = 0xBADull;
constexpr int kPolicy = 3;

// A thread-safe inner evaluator whose outputs are a function of the key; sleeps `delay` per call
// and counts every hint.
class FakeEvaluator : public Evaluator {
 public:
  explicit FakeEvaluator(std::chrono::microseconds delay = std::chrono::microseconds(0)) : delay_(delay) {
    spec_.board_size = 1;
    spec_.input_planes = 1;
    spec_.policy_size = kPolicy;
    spec_.max_batch = 64;
    spec_.description = "fake";
  }
  const EvalSpec& spec() const override { return spec_; }
  void evaluate(EvalRequest* r, int n) override {
    calls++;
    if (delay_.count() > 0) std::this_thread::sleep_for(delay_);
    for (int i = 0; i < n; ++i) {
      if (r[i].key == kPoison) throw EvalError("poisoned");
      *r[i].value = static_cast<float>(r[i].key) * 0.5f;
      for (int j = 0; j < kPolicy; ++j) r[i].policy[j] = static_cast<float>(r[i].key + j);
    }
  }
  void game_start() override { starts++; }
  void game_end() override { ends++; }
  void client_joined() override { joined++; }
  void client_left() override { left++; }
  std::string stats_json() const override { return "{\"fake_calls\":" + std::to_string(calls.load()) + "}"; }

  std::atomic<int> calls{0}, starts{0}, ends{0}, joined{0}, left{0};

 private:
  EvalSpec spec_;
  std::chrono::microseconds delay_;
};

struct Positions {
  std::vector<float> planes, policy, value;
  std::vector<EvalRequest> requests;
  explicit Positions(int n, uint64_t first_key = 1) : planes(n, 0.0f), policy(n * kPolicy), value(n), requests(n) {
    for (int i = 0; i < n; ++i) requests[i] = {&planes[i], first_key + i, &policy[i * kPolicy], &value[i]};
  }
};

}  // namespace

TEST_CASE("every call is forwarded with its results and recorded once, with start, size and duration") {
  auto inner = std::make_shared<FakeEvaluator>(std::chrono::milliseconds(2));
  auto timeline = std::make_shared<BatchTimeline>();
  TimingEvaluator timed(inner, timeline);
  CHECK(timed.spec().description == "fake");
  CHECK(timed.spec().policy_size == kPolicy);

  const Clock::time_point before = Clock::now();
  Positions a(5, 10), b(2, 40);
  timed.evaluate(a.requests.data(), 5);
  timed.evaluate(b.requests.data(), 2);
  const Clock::time_point after = Clock::now();

  CHECK(inner->calls == 2);
  for (int i = 0; i < 5; ++i) {
    CHECK(a.value[i] == doctest::Approx((10 + i) * 0.5));
    CHECK(a.policy[i * kPolicy + 2] == doctest::Approx(10 + i + 2));
  }
  CHECK(b.value[1] == doctest::Approx(41 * 0.5));

  const auto batches = timeline->batches();
  REQUIRE(batches.size() == 2);
  CHECK(timeline->recorded() == 2);
  CHECK(batches[0].positions == 5);
  CHECK(batches[1].positions == 2);
  for (const auto& batch : batches) {
    CHECK(batch.start >= before);
    CHECK(batch.start <= after);
    CHECK_FALSE(batch.failed);
    CHECK(batch.micros >= 2000.0);  // the inner sleeps 2 ms: a lower bound, never flaky
  }
  CHECK(batches[1].start >= batches[0].start + std::chrono::milliseconds(2));
  // first_since: the first batch at or after a moment.
  REQUIRE(timeline->first_since(before).has_value());
  CHECK(timeline->first_since(before)->positions == 5);
  CHECK(timeline->first_since(batches[1].start)->positions == 2);
  CHECK_FALSE(timeline->first_since(after + std::chrono::seconds(1)).has_value());

  const std::string stats = timed.stats_json();
  CHECK(stats.find("\"timed_calls\":2") != std::string::npos);
  CHECK(stats.find("\"inner\":{\"fake_calls\":2}") != std::string::npos);
  CHECK(stats.find("\"batches\"") == std::string::npos);  // names the batching layer's readers look up
}

TEST_CASE("hints are forwarded") {
  auto inner = std::make_shared<FakeEvaluator>();
  TimingEvaluator timed(inner, std::make_shared<BatchTimeline>());
  timed.game_start();
  timed.game_start();
  timed.game_end();
  timed.client_joined();
  timed.client_left();
  timed.client_left();
  CHECK(inner->starts == 2);
  CHECK(inner->ends == 1);
  CHECK(inner->joined == 1);
  CHECK(inner->left == 2);
}

TEST_CASE("a failing call is recorded as failed and rethrown; later calls work") {
  auto inner = std::make_shared<FakeEvaluator>();
  auto timeline = std::make_shared<BatchTimeline>();
  TimingEvaluator timed(inner, timeline);
  Positions bad(3, kPoison - 1);  // keys kPoison-1, kPoison, kPoison+1
  CHECK_THROWS_AS(timed.evaluate(bad.requests.data(), 3), EvalError);
  Positions good(1, 7);
  timed.evaluate(good.requests.data(), 1);
  CHECK(good.value[0] == doctest::Approx(3.5));
  const auto batches = timeline->batches();
  REQUIRE(batches.size() == 2);
  CHECK(batches[0].failed);
  CHECK(batches[0].positions == 3);
  CHECK_FALSE(batches[1].failed);
}

TEST_CASE("the timeline keeps the latest `capacity` batches and counts all; clear empties it") {
  auto timeline = std::make_shared<BatchTimeline>(3);
  TimingEvaluator timed(std::make_shared<FakeEvaluator>(), timeline);
  for (int n = 1; n <= 5; ++n) {
    Positions p(n);
    timed.evaluate(p.requests.data(), n);
  }
  const auto batches = timeline->batches();
  REQUIRE(batches.size() == 3);
  CHECK(batches[0].positions == 3);
  CHECK(batches[2].positions == 5);
  CHECK(timeline->recorded() == 5);
  timeline->clear();
  CHECK(timeline->batches().empty());
  CHECK(timeline->recorded() == 0);
}

TEST_CASE("concurrent callers: every call recorded exactly once") {
  auto inner = std::make_shared<FakeEvaluator>();
  auto timeline = std::make_shared<BatchTimeline>();
  TimingEvaluator timed(inner, timeline);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) {
        Positions p(1 + (i + t) % 4, 100 * t + i);
        timed.evaluate(p.requests.data(), static_cast<int>(p.requests.size()));
        CHECK(p.value[0] == doctest::Approx((100 * t + i) * 0.5));
      }
    });
  for (auto& th : threads) th.join();
  CHECK(inner->calls == 200);
  CHECK(timeline->recorded() == 200);
  CHECK(timeline->batches().size() == 200);
}

TEST_CASE("the timeline reads the wrapped evaluator's stats while it lives, and holds it weakly") {
  auto timeline = std::make_shared<BatchTimeline>();
  CHECK(timeline->source_stats_json() == "null");
  {
    auto inner = std::make_shared<FakeEvaluator>();
    TimingEvaluator timed(inner, timeline);
    Positions p(1);
    timed.evaluate(p.requests.data(), 1);
    CHECK(timeline->source_stats_json() == "{\"fake_calls\":1}");
  }
  CHECK(timeline->source_stats_json() == "null");
  CHECK_THROWS_AS(TimingEvaluator(nullptr, timeline), std::invalid_argument);
  CHECK_THROWS_AS(TimingEvaluator(std::make_shared<FakeEvaluator>(), nullptr), std::invalid_argument);
}

TEST_CASE("in the stack: a timeline records the plugin's batches, cache hits never reach it") {
  EvaluatorConfig config;
  config.plugin = "builtin:uniform";
  config.batch_deadline_us = 0;
  config.cache_entries = 1000;
  config.batch_timeline = std::make_shared<BatchTimeline>();
  EvaluatorPtr stack = make_evaluator(config, 9, Rule::Freestyle);

  Board board(9);
  board.play(board.move_at(4, 4));
  std::vector<float> planes(input_floats(9)), policy(81), value(1);
  encode(board, planes.data());
  EvalRequest r{planes.data(), board.eval_key(), policy.data(), value.data()};
  stack->evaluate(&r, 1);
  REQUIRE(config.batch_timeline->recorded() == 1);
  CHECK(config.batch_timeline->batches()[0].positions == 1);
  stack->evaluate(&r, 1);  // the same key: a cache hit
  CHECK(config.batch_timeline->recorded() == 1);
  CHECK(stack->stats_json().find("\"timed_calls\":1") != std::string::npos);
  CHECK(config.batch_timeline->source_stats_json().find("\"plugin\":\"uniform\"") != std::string::npos);

  EvaluatorConfig plain = config;  // without a timeline the stack has no timing layer
  plain.batch_timeline = nullptr;
  CHECK(make_evaluator(plain, 9, Rule::Freestyle)->stats_json().find("timed_calls") == std::string::npos);
}
