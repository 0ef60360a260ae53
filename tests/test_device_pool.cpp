// DevicePool (plugins/torch/device_pool.h) with fake devices: an idle device wins, ties go
// round-robin, load stays balanced when calls of different sizes overlap, concurrent callers
// up to the number of devices each get a device of their own, and the counts stay exact under
// many threads (throwing jobs included). Concurrency is arranged with barriers, never timing.
#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <random>
#include <stdexcept>
#include <thread>
#include <vector>

#include "plugins/torch/device_pool.h"

using hearth::torch_plugin::DevicePool;

namespace {

struct FakeDevice {
  explicit FakeDevice(std::atomic<int>* destroyed = nullptr) : destroyed(destroyed) {}
  ~FakeDevice() {
    if (destroyed) ++*destroyed;
  }
  std::atomic<int>* destroyed;
  std::atomic<long> positions_served{0};
};

using Pool = DevicePool<FakeDevice>;

std::vector<std::unique_ptr<FakeDevice>> fake_devices(int n, std::atomic<int>* destroyed = nullptr) {
  std::vector<std::unique_ptr<FakeDevice>> v;
  for (int i = 0; i < n; ++i) v.push_back(std::make_unique<FakeDevice>(destroyed));
  return v;
}

// A reusable barrier for `count` threads; the last to arrive runs `on_complete` before the others
// are released (C++20's std::barrier, for C++17).
class Barrier {
 public:
  explicit Barrier(int count) : count_(count) {}
  void arrive_and_wait(const std::function<void()>& on_complete = {}) {
    std::unique_lock<std::mutex> lock(mu_);
    const long generation = generation_;
    if (++arrived_ == count_) {
      if (on_complete) on_complete();
      arrived_ = 0;
      ++generation_;
      cv_.notify_all();
      return;
    }
    cv_.wait(lock, [&] { return generation_ != generation; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  const int count_;
  int arrived_ = 0;
  long generation_ = 0;
};

// Positions each device received when calls arrive one per tick, sizes from `size_of(tick)`, and
// each call stays in flight for as many ticks as it has positions (a device's time grows with the
// batch). Single-threaded and deterministic: the pool's choices alone decide the outcome.
std::vector<double> simulated_shares(int devices, int ticks, const std::function<int(int)>& size_of) {
  Pool pool(fake_devices(devices));
  struct InFlight {
    int index, positions, ends_at;
  };
  std::vector<InFlight> in_flight;
  for (int t = 0; t < ticks; ++t) {
    for (auto it = in_flight.begin(); it != in_flight.end();) {
      if (it->ends_at <= t) {
        pool.release(it->index, it->positions);
        it = in_flight.erase(it);
      } else {
        ++it;
      }
    }
    const int n = size_of(t);
    in_flight.push_back({pool.acquire(n), n, t + n});
  }
  for (const auto& c : in_flight) pool.release(c.index, c.positions);
  std::vector<double> shares;
  double total = 0;
  for (const auto& l : pool.loads()) total += static_cast<double>(l.positions);
  for (const auto& l : pool.loads()) shares.push_back(static_cast<double>(l.positions) / total);
  return shares;
}

}  // namespace

TEST_CASE("an idle device wins; otherwise the one with the fewest positions in flight") {
  Pool pool(fake_devices(3));
  CHECK(pool.size() == 3);
  const int a = pool.acquire(8);
  const int b = pool.acquire(8);
  const int c = pool.acquire(8);
  CHECK(std::vector<int>{a, b, c} == std::vector<int>{0, 1, 2});
  pool.release(1, 8);
  CHECK(pool.acquire(1) == 1);  // the only idle one, whatever the round-robin position
  pool.release(0, 8);
  pool.release(2, 8);
  // In flight now: device 0: 0, device 1: 1, device 2: 0; the turn is at device 2.
  CHECK(pool.acquire(5) == 2);  // idle, and its turn
  CHECK(pool.acquire(2) == 0);  // the idle one, though the turn is at device 0 anyway
  CHECK(pool.acquire(1) == 1);  // 2, 1, 5 in flight: device 1 has the fewest
  CHECK(pool.acquire(1) == 0);  // 2, 2, 5: 0 and 1 tie; the scan starts at device 2, meets 0 first
  const auto loads = pool.loads();
  CHECK(loads[0].positions_in_flight == 3);
  CHECK(loads[0].calls_in_flight == 2);
  CHECK(loads[1].positions_in_flight == 2);
  CHECK(loads[1].calls_in_flight == 2);
  CHECK(loads[2].positions_in_flight == 5);
  CHECK(loads[0].calls == 1);  // finished calls only
  CHECK(loads[0].positions == 8);
}

TEST_CASE("ties go round-robin") {
  Pool pool(fake_devices(3));
  std::vector<int> order;
  for (int i = 0; i < 7; ++i) order.push_back(pool.run(4, [](FakeDevice&, int index) { return index; }));
  CHECK(order == std::vector<int>{0, 1, 2, 0, 1, 2, 0});

  // A tie among some devices only: the turn passes over the busy one.
  Pool busy(fake_devices(3));
  const int first = busy.acquire(3);  // device 0 stays busy
  CHECK(first == 0);
  order.clear();
  for (int i = 0; i < 4; ++i) order.push_back(busy.run(2, [](FakeDevice&, int index) { return index; }));
  CHECK(order == std::vector<int>{1, 2, 1, 2});
  busy.release(first, 3);
}

TEST_CASE("overlapping calls of varied sizes: every device gets its share of positions") {
  // Sizes 8, 1, 1 over and over: plain turn-taking would send every 8 to the same device.
  const auto pattern = simulated_shares(3, 3000, [](int t) { return t % 3 == 0 ? 8 : 1; });
  std::mt19937 rng(12345);
  std::vector<int> sizes(5000);
  for (int& s : sizes) s = 1 + static_cast<int>(rng() % 16);
  const auto random = simulated_shares(4, 5000, [&](int t) { return sizes[t]; });
  for (const auto& shares : {pattern, random}) {
    const double fair = 1.0 / shares.size();
    for (double s : shares) {
      CAPTURE(s);
      CHECK(s > 0.85 * fair);
      CHECK(s < 1.15 * fair);
    }
  }
}

TEST_CASE("concurrent callers: as many as devices each get one; more spread evenly") {
  constexpr int kDevices = 3, kRounds = 40, kMaxSize = 8;
  for (const int callers : {kDevices, 7}) {
    CAPTURE(callers);
    Pool pool(fake_devices(kDevices));
    Barrier all_in(callers), all_out(callers);
    std::mutex mu;
    std::vector<std::vector<Pool::Load>> snapshots;  // taken while every caller is in flight
    std::vector<int> round_positions(kRounds, 0);
    std::vector<std::thread> threads;
    for (int c = 0; c < callers; ++c) {
      threads.emplace_back([&, c] {
        std::mt19937 rng(100 + c);
        for (int r = 0; r < kRounds; ++r) {
          const int n = 1 + static_cast<int>(rng() % kMaxSize);
          {
            std::lock_guard<std::mutex> lock(mu);
            round_positions[r] += n;
          }
          pool.run(n, [&](FakeDevice& d, int) {
            d.positions_served += n;
            all_in.arrive_and_wait([&] { snapshots.push_back(pool.loads()); });
          });
          all_out.arrive_and_wait();  // the next round starts with every device idle
        }
      });
    }
    for (auto& t : threads) t.join();
    REQUIRE(snapshots.size() == kRounds);
    for (int r = 0; r < kRounds; ++r) {
      CAPTURE(r);
      int lo = 1 << 30, hi = 0, total = 0;
      for (const auto& l : snapshots[r]) {
        if (callers == kDevices) CHECK(l.calls_in_flight == 1);  // a device of its own
        lo = std::min(lo, l.positions_in_flight);
        hi = std::max(hi, l.positions_in_flight);
        total += l.positions_in_flight;
      }
      CHECK(total == round_positions[r]);
      CHECK(lo >= 1);                // no device idles while calls pile up elsewhere
      CHECK(hi - lo <= kMaxSize);    // each call went to the least-loaded device
    }
    long served = 0;
    for (int i = 0; i < kDevices; ++i) served += pool.device(i).positions_served;
    int expected = 0;
    for (int p : round_positions) expected += p;
    CHECK(served == expected);
  }
}

TEST_CASE("many threads: counts stay exact, failures release their device, shutdown is clean") {
  std::atomic<int> destroyed{0};
  {
    Pool pool(fake_devices(4, &destroyed));
    constexpr int kThreads = 8, kCalls = 400;
    std::atomic<long> failures{0}, positions{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        std::mt19937 rng(7 * t + 1);
        for (int c = 0; c < kCalls; ++c) {
          const int n = 1 + static_cast<int>(rng() % 32);
          positions += n;
          try {
            pool.run(n, [&](FakeDevice& d, int) {
              d.positions_served += n;
              if (c % 10 == 0) throw std::runtime_error("device failed");
            });
          } catch (const std::runtime_error&) {
            failures++;
          }
        }
      });
    }
    for (auto& t : threads) t.join();
    CHECK(failures == kThreads * kCalls / 10);
    uint64_t calls = 0, dispatched = 0;
    long served = 0;
    for (int i = 0; i < pool.size(); ++i) {
      const Pool::Load l = pool.loads()[i];
      CHECK(l.calls_in_flight == 0);
      CHECK(l.positions_in_flight == 0);
      CHECK(l.calls > 0);
      CHECK(static_cast<long>(l.positions) == pool.device(i).positions_served);
      calls += l.calls;
      dispatched += l.positions;
      served += pool.device(i).positions_served;
    }
    CHECK(calls == static_cast<uint64_t>(kThreads * kCalls));
    CHECK(dispatched == static_cast<uint64_t>(positions.load()));
    CHECK(served == positions);
    CHECK(destroyed == 0);
  }
  CHECK(destroyed == 4);  // each device once, when the pool goes
}

TEST_CASE("a pool needs devices") {
  CHECK_THROWS_AS(Pool(fake_devices(0)), std::invalid_argument);
  auto with_null = fake_devices(2);
  with_null.push_back(nullptr);
  CHECK_THROWS_AS(Pool(std::move(with_null)), std::invalid_argument);
}
