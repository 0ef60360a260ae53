// BatchingEvaluator: results reach their own callers, batches close for the right reason, inner
// failures reach every caller of the batch, shutdown never hangs; over an inner serving several
// calls at once (a plugin over several devices), batches overlap up to that many.
#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <numeric>
#include <string>
#include <thread>
#include <vector>

#include "evaluator/batching_evaluator.h"

using namespace hearth;
using Clock = std::chrono::steady_clock;

namespace {

constexpr uint64_t kPoison = 0xDEADull;
constexpr int kPolicy = 2;

// Results as a function of the key alone, so every position's outputs are checkable.
float value_of(uint64_t key) { return static_cast<float>(key % 1999) / 1999.0f; }
float policy_of(uint64_t key, int j) { return static_cast<float>((key * 7 + j) % 10007); }

// A test inner evaluator: records batch sizes, hints and overlapping calls; throws on kPoison.
class RecordingEvaluator : public Evaluator {
 public:
  explicit RecordingEvaluator(int max_batch) {
    spec_.board_size = 1;
    spec_.input_planes = 1;
    spec_.policy_size = kPolicy;
    spec_.max_batch = max_batch;
  }
  const EvalSpec& spec() const override { return spec_; }
  void evaluate(EvalRequest* r, int n) override {
    if (in_call_.exchange(true)) overlapping_calls++;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      sizes_.push_back(n);
    }
    for (int i = 0; i < n; ++i) {
      if (r[i].key == kPoison) {
        in_call_ = false;
        throw EvalError("poisoned key");
      }
      *r[i].value = value_of(r[i].key);
      for (int j = 0; j < kPolicy; ++j) r[i].policy[j] = policy_of(r[i].key, j);
    }
    in_call_ = false;
  }
  void game_start() override { games_started++; }
  void game_end() override { games_ended++; }
  void client_joined() override { clients++; }
  void client_left() override { clients--; }
  std::string stats_json() const override { return "{\"recording\":true}"; }

  std::vector<int> sizes() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return sizes_;
  }
  std::atomic<int> overlapping_calls{0}, games_started{0}, games_ended{0}, clients{0};

 private:
  EvalSpec spec_;
  std::atomic<bool> in_call_{false};
  mutable std::mutex mutex_;
  std::vector<int> sizes_;
};

// n positions with the given keys and buffers for their outputs.
struct Call {
  std::vector<uint64_t> keys;
  std::vector<float> planes, policy, value;
  std::vector<EvalRequest> reqs;
  explicit Call(std::vector<uint64_t> k) : keys(std::move(k)) {
    const size_t n = keys.size();
    planes.assign(n, 0.0f);
    policy.assign(n * kPolicy, -1.0f);
    value.assign(n, -1.0f);
    for (size_t i = 0; i < n; ++i) reqs.push_back({&planes[i], keys[i], &policy[i * kPolicy], &value[i]});
  }
  int n() const { return static_cast<int>(keys.size()); }
  bool results_match() const {
    for (size_t i = 0; i < keys.size(); ++i) {
      if (value[i] != value_of(keys[i])) return false;
      for (int j = 0; j < kPolicy; ++j)
        if (policy[i * kPolicy + j] != policy_of(keys[i], j)) return false;
    }
    return true;
  }
};

std::string eval_error_of(Evaluator& ev, Call& call) {
  try {
    ev.evaluate(call.reqs.data(), call.n());
  } catch (const EvalError& e) {
    return e.what();
  }
  return "";
}

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

constexpr int kHugeDeadlineUs = 10'000'000;  // 10 s: a batch closed by anything else returns far sooner

}  // namespace

TEST_CASE("many threads: every result matches its own request, and batches form") {
  const int threads = 8, calls_per_thread = 60, max_batch = 8;
  auto inner = std::make_shared<RecordingEvaluator>(64);
  BatchingEvaluator ev(inner, max_batch, kHugeDeadlineUs);
  // All join before any submits, so the first batch waits for all of them (or fills up).
  for (int t = 0; t < threads; ++t) ev.client_joined();
  std::atomic<int> wrong{0}, errors{0};
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      for (int c = 0; c < calls_per_thread; ++c) {
        std::vector<uint64_t> keys;
        const int n = 1 + (c + t) % 5;  // some calls of 5 will not fit and get split
        for (int j = 0; j < n; ++j) keys.push_back(1'000'000ull * (t + 1) + 10ull * c + j);
        Call call(keys);
        if (!eval_error_of(ev, call).empty()) errors++;
        if (!call.results_match()) wrong++;
      }
      ev.client_left();
    });
  }
  for (auto& th : pool) th.join();
  CHECK(wrong == 0);
  CHECK(errors == 0);
  CHECK(inner->overlapping_calls == 0);

  const std::vector<int> sizes = inner->sizes();
  const BatchingEvaluator::Stats s = ev.stats();
  const int total = std::accumulate(sizes.begin(), sizes.end(), 0);
  int expected_total = 0;
  for (int t = 0; t < threads; ++t)
    for (int c = 0; c < calls_per_thread; ++c) expected_total += 1 + (c + t) % 5;
  CHECK(total == expected_total);
  CHECK(s.positions == static_cast<uint64_t>(total));
  CHECK(s.batches == sizes.size());
  CHECK(*std::max_element(sizes.begin(), sizes.end()) > 1);
  CHECK(*std::max_element(sizes.begin(), sizes.end()) <= max_batch);
  CHECK(s.closed_full + s.closed_all_waiting + s.closed_deadline == s.batches);
  uint64_t histogram_total = 0;
  for (uint64_t h : s.size_histogram) histogram_total += h;
  CHECK(histogram_total == s.batches);
  CHECK(s.average_batch == doctest::Approx(static_cast<double>(total) / sizes.size()));
  CHECK(s.waiting_callers == 0);
}

TEST_CASE("all clients waiting closes the batch without waiting for the deadline") {
  auto inner = std::make_shared<RecordingEvaluator>(64);
  BatchingEvaluator ev(inner, 0, kHugeDeadlineUs);
  ev.client_joined();
  Call call({42});
  const auto t0 = Clock::now();
  ev.evaluate(call.reqs.data(), call.n());
  CHECK(seconds_since(t0) < 5.0);  // half the deadline: only a broken close rule gets near it
  CHECK(call.results_match());
  CHECK(inner->sizes() == std::vector<int>{1});
  CHECK(ev.stats().closed_all_waiting == 1);
  ev.client_left();
}

TEST_CASE("the deadline closes a partial batch") {
  auto inner = std::make_shared<RecordingEvaluator>(64);
  BatchingEvaluator ev(inner, 0, 50'000);
  ev.client_joined();
  ev.client_joined();  // the second client never submits
  Call call({7});
  const auto t0 = Clock::now();
  ev.evaluate(call.reqs.data(), call.n());
  CHECK(seconds_since(t0) >= 0.05);  // it cannot close earlier: one of two clients waits
  CHECK(call.results_match());
  CHECK(inner->sizes() == std::vector<int>{1});
  CHECK(ev.stats().closed_deadline == 1);
  CHECK(ev.stats().closed_all_waiting == 0);
}

TEST_CASE("deadline 0 closes at once") {
  auto inner = std::make_shared<RecordingEvaluator>(64);
  BatchingEvaluator ev(inner, 0, 0);
  ev.client_joined();
  ev.client_joined();
  Call call({1, 2, 3});
  ev.evaluate(call.reqs.data(), call.n());
  CHECK(call.results_match());
  CHECK(ev.stats().closed_deadline == 1);
}

TEST_CASE("a call larger than max_batch is split; full batches close as full") {
  auto inner = std::make_shared<RecordingEvaluator>(64);
  BatchingEvaluator ev(inner, 2, kHugeDeadlineUs);
  CHECK(ev.spec().max_batch == 2);
  ev.client_joined();
  Call call({10, 11, 12, 13, 14});
  ev.evaluate(call.reqs.data(), call.n());
  CHECK(call.results_match());
  CHECK(inner->sizes() == std::vector<int>{2, 2, 1});
  const BatchingEvaluator::Stats s = ev.stats();
  CHECK(s.closed_full == 2);
  CHECK(s.closed_all_waiting == 1);
  CHECK(s.size_histogram[BatchingEvaluator::histogram_bucket(2)] == 2);
  CHECK(s.size_histogram[BatchingEvaluator::histogram_bucket(1)] == 1);
}

TEST_CASE("max_batch: 0 takes the inner's, larger is clamped to it; negatives are rejected") {
  auto inner = std::make_shared<RecordingEvaluator>(16);
  CHECK(BatchingEvaluator(inner, 0, 100).spec().max_batch == 16);
  CHECK(BatchingEvaluator(inner, 64, 100).spec().max_batch == 16);
  CHECK(BatchingEvaluator(inner, 4, 100).spec().max_batch == 4);
  CHECK_THROWS_AS(BatchingEvaluator(inner, -1, 100), std::invalid_argument);
  CHECK_THROWS_AS(BatchingEvaluator(inner, 4, -1), std::invalid_argument);
}

TEST_CASE("an inner failure reaches every caller of that batch; service goes on") {
  auto inner = std::make_shared<RecordingEvaluator>(64);
  BatchingEvaluator ev(inner, 0, kHugeDeadlineUs);
  ev.client_joined();
  ev.client_joined();  // two clients: the batch closes only once both have submitted
  std::string error_a, error_b;
  std::thread a([&] {
    Call call({5, kPoison});
    error_a = eval_error_of(ev, call);
  });
  std::thread b([&] {
    Call call({6});
    error_b = eval_error_of(ev, call);
  });
  a.join();
  b.join();
  CHECK(error_a.find("poisoned key") != std::string::npos);
  CHECK(error_b.find("poisoned key") != std::string::npos);
  CHECK(inner->sizes() == std::vector<int>{3});
  CHECK(ev.stats().failed_batches == 1);

  ev.client_left();
  Call after({8, 9});
  CHECK(eval_error_of(ev, after).empty());
  CHECK(after.results_match());
  ev.client_left();
}

TEST_CASE("a failed part of a split call drops the rest of that call") {
  auto inner = std::make_shared<RecordingEvaluator>(64);
  BatchingEvaluator ev(inner, 2, kHugeDeadlineUs);
  ev.client_joined();
  Call call({kPoison, 1, 2, 3, 4});
  CHECK(eval_error_of(ev, call).find("poisoned key") != std::string::npos);
  CHECK(inner->sizes() == std::vector<int>{2});
  Call after({1, 2, 3});
  CHECK(eval_error_of(ev, after).empty());
  CHECK(after.results_match());
  CHECK(ev.stats().waiting_callers == 0);
}

TEST_CASE("hints: game hints are forwarded, the layer is the inner's one client") {
  auto inner = std::make_shared<RecordingEvaluator>(8);
  {
    BatchingEvaluator ev(inner, 0, 100);
    CHECK(inner->clients == 1);
    ev.client_joined();
    ev.client_joined();
    CHECK(inner->clients == 1);
    ev.game_start();
    ev.game_end();
    CHECK(inner->games_started == 1);
    CHECK(inner->games_ended == 1);
    const std::string json = ev.stats_json();
    CHECK(json.find("\"inner\":{\"recording\":true}") != std::string::npos);
    CHECK(json.find("\"batches\":0") != std::string::npos);
  }
  CHECK(inner->clients == 0);
}

TEST_CASE("destructor: returns with no work, and releases a blocked caller with an error") {
  auto inner = std::make_shared<RecordingEvaluator>(8);
  { BatchingEvaluator idle(inner, 0, kHugeDeadlineUs); }
  {
    BatchingEvaluator idle(inner, 0, kHugeDeadlineUs);
    idle.client_joined();
  }

  auto ev = std::make_unique<BatchingEvaluator>(inner, 0, kHugeDeadlineUs);
  ev->client_joined();
  ev->client_joined();  // one of two clients submits: its batch waits for the 10 s deadline
  BatchingEvaluator* raw = ev.get();
  std::string error;
  std::thread caller([&] {
    Call call({3});
    error = eval_error_of(*raw, call);
  });
  while (ev->stats().waiting_callers == 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  const auto t0 = Clock::now();
  ev.reset();
  caller.join();
  CHECK(seconds_since(t0) < 5.0);
  CHECK(error == "evaluator shut down");
  CHECK(inner->sizes().empty());
}

namespace {

// An inner evaluator serving up to `concurrent` calls at once (a plugin over several devices).
// Calls wait inside until `rendezvous` of them are in at once (then the latch stays open), so a
// test sees batches overlap without timing anything; it records the most calls in at once.
class ConcurrentEvaluator : public Evaluator {
 public:
  ConcurrentEvaluator(int max_batch, int concurrent, int rendezvous) : rendezvous_(rendezvous) {
    spec_.board_size = 1;
    spec_.input_planes = 1;
    spec_.policy_size = kPolicy;
    spec_.max_batch = max_batch;
    spec_.max_concurrent_calls = concurrent;
  }
  const EvalSpec& spec() const override { return spec_; }
  void evaluate(EvalRequest* r, int n) override {
    {
      std::unique_lock<std::mutex> lock(mutex_);
      peak_ = std::max(peak_, ++in_flight_);
      if (in_flight_ >= rendezvous_) open_ = true;
      cv_.notify_all();
      // Only a batching layer that never overlaps its batches leaves a call waiting this long.
      if (!cv_.wait_for(lock, std::chrono::seconds(20), [&] { return open_; })) {
        timed_out_ = true;
        open_ = true;  // fail once, not once per batch
      }
      sizes_.push_back(n);
    }
    bool poisoned = false;
    for (int i = 0; i < n; ++i) {
      poisoned = poisoned || r[i].key == kPoison;
      *r[i].value = value_of(r[i].key);
      for (int j = 0; j < kPolicy; ++j) r[i].policy[j] = policy_of(r[i].key, j);
    }
    {
      std::lock_guard<std::mutex> lock(mutex_);
      --in_flight_;
    }
    if (poisoned) throw EvalError("poisoned key");
  }
  void client_joined() override { clients++; }
  void client_left() override { clients--; }

  int peak() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return peak_;
  }
  bool timed_out() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return timed_out_;
  }
  std::vector<int> sizes() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return sizes_;
  }
  std::atomic<int> clients{0};

 private:
  EvalSpec spec_;
  const int rendezvous_;
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  int in_flight_ = 0, peak_ = 0;
  bool open_ = false, timed_out_ = false;
  std::vector<int> sizes_;
};

}  // namespace

TEST_CASE("an inner serving 3 calls at once: batches overlap, never more than 3, results all correct") {
  const int threads = 8, calls_per_thread = 40, max_batch = 4;
  auto inner = std::make_shared<ConcurrentEvaluator>(max_batch, 3, 3);
  {
    BatchingEvaluator ev(inner, max_batch, kHugeDeadlineUs);
    CHECK(inner->clients == 3);  // one per evaluation thread
    CHECK(ev.spec().max_concurrent_calls == 3);
    CHECK(ev.stats().evaluation_threads == 3);
    for (int t = 0; t < threads; ++t) ev.client_joined();
    std::atomic<int> wrong{0}, errors{0};
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t) {
      pool.emplace_back([&, t] {
        for (int c = 0; c < calls_per_thread; ++c) {
          std::vector<uint64_t> keys;
          const int n = 2 + (c + t) % 4;  // 2..5: calls of 5 are split, maybe over two threads' batches
          for (int j = 0; j < n; ++j) keys.push_back(1'000'000ull * (t + 1) + 10ull * c + j);
          Call call(keys);
          if (!eval_error_of(ev, call).empty()) errors++;
          if (!call.results_match()) wrong++;
        }
        ev.client_left();
      });
    }
    for (auto& th : pool) th.join();
    CHECK(wrong == 0);
    CHECK(errors == 0);
    CHECK_FALSE(inner->timed_out());  // the first three batches met inside the inner
    CHECK(inner->peak() == 3);

    const std::vector<int> sizes = inner->sizes();
    const BatchingEvaluator::Stats s = ev.stats();
    int expected_total = 0;
    for (int t = 0; t < threads; ++t)
      for (int c = 0; c < calls_per_thread; ++c) expected_total += 2 + (c + t) % 4;
    CHECK(std::accumulate(sizes.begin(), sizes.end(), 0) == expected_total);
    CHECK(s.positions == static_cast<uint64_t>(expected_total));
    CHECK(s.batches == sizes.size());
    CHECK(*std::max_element(sizes.begin(), sizes.end()) <= max_batch);
    // Every client registered, so no batch waited for the (10 s) deadline: the all-waiting count
    // stays right with batches of several threads in flight.
    CHECK(s.closed_deadline == 0);
    CHECK(s.closed_full + s.closed_all_waiting == s.batches);
    CHECK(s.peak_batches_in_flight == 3);
    CHECK(s.waiting_callers == 0);
    CHECK(ev.stats_json().find("\"evaluation_threads\":3") != std::string::npos);
  }
  CHECK(inner->clients == 0);
}

TEST_CASE("several threads: a call fails as a whole when one of its parts fails") {
  auto inner = std::make_shared<ConcurrentEvaluator>(64, 2, 2);
  BatchingEvaluator ev(inner, 2, kHugeDeadlineUs);
  ev.client_joined();
  // Two full batches at once, one on each thread; whichever finishes first, the call fails.
  Call call({1, 2, kPoison, 3});
  CHECK(eval_error_of(ev, call).find("poisoned key") != std::string::npos);
  CHECK_FALSE(inner->timed_out());
  CHECK(inner->sizes() == std::vector<int>{2, 2});
  CHECK(ev.stats().failed_batches == 1);
  Call after({4, 5, 6});
  CHECK(eval_error_of(ev, after).empty());
  CHECK(after.results_match());
  CHECK(ev.stats().waiting_callers == 0);
}

TEST_CASE("several threads: the destructor stops them all and releases a blocked caller") {
  auto inner = std::make_shared<ConcurrentEvaluator>(8, 3, 1);
  { BatchingEvaluator idle(inner, 0, kHugeDeadlineUs); }
  CHECK(inner->clients == 0);

  auto ev = std::make_unique<BatchingEvaluator>(inner, 0, kHugeDeadlineUs);
  CHECK(inner->clients == 3);
  ev->client_joined();
  ev->client_joined();  // one of two clients submits: its batch waits for the 10 s deadline
  BatchingEvaluator* raw = ev.get();
  std::string error;
  std::thread caller([&] {
    Call call({3});
    error = eval_error_of(*raw, call);
  });
  while (ev->stats().waiting_callers == 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  const auto t0 = Clock::now();
  ev.reset();
  caller.join();
  CHECK(seconds_since(t0) < 5.0);
  CHECK(error == "evaluator shut down");
  CHECK(inner->sizes().empty());
  CHECK(inner->clients == 0);
}
