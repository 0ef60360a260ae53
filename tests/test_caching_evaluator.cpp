// CachingEvaluator: hits are exact copies, misses go down as one call, the capacity bounds what
// is kept, and concurrent use returns every position's own results.
#include <doctest/doctest.h>

#include <atomic>
#include <cstring>
#include <memory>
#include <mutex>
#include <numeric>
#include <string>
#include <thread>
#include <vector>

#include "evaluator/caching_evaluator.h"

using namespace hearth;

namespace {

constexpr int kPolicy = 3;
constexpr uint64_t kPoison = 0xBADull;

float value_of(uint64_t key) { return static_cast<float>(key % 997) / 997.0f - 0.5f; }
float policy_of(uint64_t key, int j) { return static_cast<float>(key) * 0.25f + static_cast<float>(j); }

// A thread-safe test inner evaluator that records the keys of every call and the hints.
class RecordingEvaluator : public Evaluator {
 public:
  RecordingEvaluator() {
    spec_.board_size = 1;
    spec_.input_planes = 1;
    spec_.policy_size = kPolicy;
    spec_.max_batch = 256;
  }
  const EvalSpec& spec() const override { return spec_; }
  void evaluate(EvalRequest* r, int n) override {
    std::vector<uint64_t> keys;
    for (int i = 0; i < n; ++i) keys.push_back(r[i].key);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      calls_.push_back(keys);
    }
    for (int i = 0; i < n; ++i) {
      if (r[i].key == kPoison) throw EvalError("poisoned key");
      *r[i].value = value_of(r[i].key);
      for (int j = 0; j < kPolicy; ++j) r[i].policy[j] = policy_of(r[i].key, j);
    }
  }
  void game_start() override { games_started++; }
  void game_end() override { games_ended++; }
  void client_joined() override { clients++; }
  void client_left() override { clients--; }
  std::string stats_json() const override { return "{\"recording\":true}"; }

  std::vector<std::vector<uint64_t>> calls() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return calls_;
  }
  size_t positions() const {
    size_t total = 0;
    for (const auto& c : calls()) total += c.size();
    return total;
  }
  std::atomic<int> games_started{0}, games_ended{0}, clients{0};

 private:
  EvalSpec spec_;
  mutable std::mutex mutex_;
  std::vector<std::vector<uint64_t>> calls_;
};

struct Call {
  std::vector<uint64_t> keys;
  std::vector<float> planes, policy, value;
  std::vector<EvalRequest> reqs;
  explicit Call(std::vector<uint64_t> k) : keys(std::move(k)) {
    const size_t n = keys.size();
    planes.assign(n, 0.0f);
    policy.assign(n * kPolicy, -9.0f);
    value.assign(n, -9.0f);
    for (size_t i = 0; i < n; ++i) reqs.push_back({&planes[i], keys[i], &policy[i * kPolicy], &value[i]});
  }
  void run(Evaluator& ev) { ev.evaluate(reqs.data(), static_cast<int>(keys.size())); }
  bool results_match() const {
    for (size_t i = 0; i < keys.size(); ++i) {
      if (value[i] != value_of(keys[i])) return false;
      for (int j = 0; j < kPolicy; ++j)
        if (policy[i * kPolicy + j] != policy_of(keys[i], j)) return false;
    }
    return true;
  }
};

}  // namespace

TEST_CASE("hits return outputs identical to the first evaluation, without the inner") {
  auto inner = std::make_shared<RecordingEvaluator>();
  CachingEvaluator cache(inner, 100);
  Call first({0, 1, 2, 3});  // key 0 on a fresh cache must miss: empty slots are not key 0
  first.run(cache);
  CHECK(first.results_match());
  REQUIRE(inner->calls().size() == 1);

  Call second({0, 1, 2, 3});
  second.run(cache);
  CHECK(inner->calls().size() == 1);
  CHECK(std::memcmp(first.policy.data(), second.policy.data(), first.policy.size() * sizeof(float)) == 0);
  CHECK(std::memcmp(first.value.data(), second.value.data(), first.value.size() * sizeof(float)) == 0);
  const CachingEvaluator::Stats s = cache.stats();
  CHECK(s.hits == 4);
  CHECK(s.misses == 4);
  CHECK(s.hit_rate == doctest::Approx(0.5));
}

TEST_CASE("the misses of one call go to the inner as one call, in order") {
  auto inner = std::make_shared<RecordingEvaluator>();
  CachingEvaluator cache(inner, 100);
  Call warm({1, 2, 3});
  warm.run(cache);
  Call mixed({1, 10, 2, 11, 3, 12});
  mixed.run(cache);
  CHECK(mixed.results_match());
  const auto calls = inner->calls();
  REQUIRE(calls.size() == 2);
  CHECK(calls[1] == std::vector<uint64_t>{10, 11, 12});
  CHECK(cache.stats().hits == 3);
}

TEST_CASE("capacity bounds what is kept: colliding keys overwrite their slot") {
  auto inner = std::make_shared<RecordingEvaluator>();
  const size_t capacity = 8;
  CachingEvaluator cache(inner, capacity);
  CHECK(cache.capacity() == capacity);
  CHECK(cache.memory_bytes() == capacity * CachingEvaluator::bytes_per_entry(kPolicy));
  CHECK(CachingEvaluator::bytes_per_entry(225) == 8 + 4 + 4 * 225 + 1);

  for (uint64_t k = 0; k < 100; ++k) Call({k}).run(cache);
  const uint64_t misses_before = cache.stats().misses;
  Call all([] {
    std::vector<uint64_t> keys(100);
    std::iota(keys.begin(), keys.end(), 0);
    return keys;
  }());
  all.run(cache);
  CHECK(all.results_match());
  CHECK(cache.stats().hits <= capacity);
  CHECK(cache.stats().misses - misses_before >= 100 - capacity);

  Call({5}).run(cache);
  Call({5 + capacity}).run(cache);  // same slot: evicts key 5
  const size_t calls_before = inner->calls().size();
  Call again({5});
  again.run(cache);
  CHECK(inner->calls().size() == calls_before + 1);
  CHECK(again.results_match());
}

TEST_CASE("capacity 0 passes every call through") {
  auto inner = std::make_shared<RecordingEvaluator>();
  CachingEvaluator cache(inner, 0);
  Call a({1, 2});
  a.run(cache);
  Call b({1, 2});
  b.run(cache);
  CHECK(b.results_match());
  CHECK(inner->calls().size() == 2);
  CHECK(cache.stats().hits == 0);
  CHECK(cache.memory_bytes() == 0);
}

TEST_CASE("an inner failure stores nothing and propagates") {
  auto inner = std::make_shared<RecordingEvaluator>();
  CachingEvaluator cache(inner, 100);
  Call bad({4, kPoison});
  CHECK_THROWS_AS(bad.run(cache), EvalError);
  Call retry({4});
  retry.run(cache);
  CHECK(retry.results_match());
  CHECK(inner->calls().size() == 2);  // key 4 was not cached from the failed call
}

TEST_CASE("hints are forwarded; stats include the inner's") {
  auto inner = std::make_shared<RecordingEvaluator>();
  CachingEvaluator cache(inner, 10);
  cache.client_joined();
  cache.game_start();
  cache.game_end();
  CHECK(inner->clients == 1);
  cache.client_left();
  CHECK(inner->clients == 0);
  CHECK(inner->games_started == 1);
  CHECK(inner->games_ended == 1);
  Call({1}).run(cache);
  Call({1}).run(cache);
  const std::string json = cache.stats_json();
  CHECK(json.find("\"hits\":1,\"misses\":1,\"hit_rate\":0.5") != std::string::npos);
  CHECK(json.find("\"inner\":{\"recording\":true}") != std::string::npos);
}

TEST_CASE("concurrent use: every position gets its own results") {
  auto inner = std::make_shared<RecordingEvaluator>();
  CachingEvaluator cache(inner, 64);  // smaller than the key set: slots are overwritten concurrently
  const int threads = 4, calls = 500, batch = 4;
  std::atomic<int> wrong{0};
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      for (int c = 0; c < calls; ++c) {
        std::vector<uint64_t> keys;
        for (int j = 0; j < batch; ++j) keys.push_back(static_cast<uint64_t>((t * 31 + c * 7 + j * 13) % 200));
        Call call(keys);
        call.run(cache);
        if (!call.results_match()) wrong++;
      }
    });
  }
  for (auto& th : pool) th.join();
  CHECK(wrong == 0);
  const CachingEvaluator::Stats s = cache.stats();
  CHECK(s.hits + s.misses == static_cast<uint64_t>(threads * calls * batch));
  CHECK(inner->positions() == s.misses);
}
