// DeviceThread / keep-warm (plugins/torch/keep_warm.h): jobs run on one thread, dummies tick
// only while hot, never overlap real work, stop after the hot window, follow game hints, and
// shut down cleanly. No timing thresholds: waits poll for a state with a generous deadline, and
// the only time bounds asserted follow from the rules themselves.
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "plugins/torch/keep_warm.h"

using namespace hearth::torch_plugin;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

KeepWarmConfig warm(std::chrono::microseconds period, std::chrono::microseconds window) {
  KeepWarmConfig c;
  c.enabled = true;
  c.period = period;
  c.hot_window = window;
  return c;
}

// Polls `done` every millisecond until it holds or 10 s pass (a stuck timer fails the test, a
// slow machine does not).
template <class Pred>
bool eventually(Pred done) {
  const auto deadline = Clock::now() + 10s;
  while (!done()) {
    if (Clock::now() > deadline) return false;
    std::this_thread::sleep_for(1ms);
  }
  return true;
}

struct Interval {
  Clock::time_point start, end;
  std::thread::id thread;
};

// Records every dummy's interval and thread.
struct DummyLog {
  std::mutex mu;
  std::vector<Interval> runs;
  std::function<void()> callback() {
    return [this] {
      Interval i{Clock::now(), {}, std::this_thread::get_id()};
      i.end = Clock::now();
      std::lock_guard<std::mutex> lock(mu);
      runs.push_back(i);
    };
  }
  size_t count() {
    std::lock_guard<std::mutex> lock(mu);
    return runs.size();
  }
};

}  // namespace

TEST_CASE("sample reservoir: exact percentiles while it holds everything, bounded beyond") {
  SampleReservoir small(2000);
  for (int i = 1; i <= 1000; ++i) small.add(i);
  const auto s = small.summary();
  CHECK(s.count == 1000);
  CHECK(s.max == 1000);
  CHECK(s.mean == doctest::Approx(500.5));
  CHECK(s.p50 == 500);
  CHECK(s.p99 == 990);

  SampleReservoir bounded(100);
  for (int i = 0; i < 10000; ++i) bounded.add(i % 100);
  const auto b = bounded.summary();
  CHECK(b.count == 10000);
  CHECK(b.max == 99);
  CHECK(b.p50 >= 20);  // a uniform sample of 0..99: the median cannot sit at an extreme
  CHECK(b.p50 <= 80);
}

TEST_CASE("run: results and exceptions reach the caller; the thread survives an exception") {
  DeviceThread t(KeepWarmConfig{}, [] {});
  CHECK(t.run([] { return 42; }) == 42);
  CHECK_THROWS_WITH_AS(t.run([]() -> int { throw std::runtime_error("boom"); }), "boom", std::runtime_error);
  std::thread::id where;
  t.run([&] { where = std::this_thread::get_id(); });
  CHECK((where != std::this_thread::get_id()));
  CHECK(t.run_setup([&] { return t.on_device_thread(); }));
  CHECK(t.stats().real_jobs == 3);  // run_setup does not count
}

TEST_CASE("keep-warm ticks on the device thread while hot, at most once per period") {
  DummyLog log;
  const auto period = 2ms;
  DeviceThread t(warm(period, 10s), log.callback());
  std::thread::id device;
  const auto start = Clock::now();
  t.run([&] { device = std::this_thread::get_id(); });
  REQUIRE(eventually([&] { return log.count() >= 5; }));
  const auto elapsed = Clock::now() - start;
  const size_t n = log.count();
  // Each dummy follows the end of the previous device work by at least one period.
  CHECK(n <= static_cast<size_t>(elapsed / period) + 1);
  std::lock_guard<std::mutex> lock(log.mu);
  for (const auto& r : log.runs) CHECK((r.thread == device));
  for (size_t i = 1; i < log.runs.size(); ++i) CHECK(log.runs[i].start - log.runs[i - 1].end >= period);
  const auto s = t.stats();
  CHECK(s.enabled);
  CHECK(s.dummies >= 5);
  CHECK(s.hot_seconds >= s.dummy_seconds);
}

TEST_CASE("no dummy overlaps a real job, and none starts within a period of one's end") {
  DummyLog log;
  const auto period = 1ms;
  DeviceThread t(warm(period, 10s), log.callback());
  std::vector<Interval> jobs;
  for (int i = 0; i < 40; ++i) {
    Interval job;
    t.run([&] {
      job.start = Clock::now();
      std::this_thread::sleep_for(std::chrono::microseconds(500 + 100 * (i % 7)));
      job.end = Clock::now();
    });
    jobs.push_back(job);
    std::this_thread::sleep_for(std::chrono::microseconds(300 * (i % 9)));  // gaps around the period
  }
  REQUIRE(eventually([&] { return log.count() >= 5; }));
  std::lock_guard<std::mutex> lock(log.mu);
  for (const auto& d : log.runs) {
    for (const auto& j : jobs) {
      CHECK((d.end <= j.start || d.start >= j.end));  // no overlap
      if (d.start >= j.end && d.start - j.end < period) FAIL("a dummy started within one period of a job's end");
    }
  }
  CHECK(t.stats().real_jobs == 40);
}

TEST_CASE("ticks stop after the hot window and resume on the next real job or game_start") {
  DummyLog log;
  DeviceThread t(warm(1ms, 100ms), log.callback());
  t.run([] {});
  REQUIRE(eventually([&] { return !t.stats().hot; }));
  const size_t cold = log.count();
  std::this_thread::sleep_for(300ms);  // three windows: a cold instance has no timer at all
  CHECK(log.count() == cold);
  CHECK(!t.stats().hot);

  t.game_start();  // re-arms at once
  REQUIRE(eventually([&] { return log.count() > cold; }));
  REQUIRE(eventually([&] { return !t.stats().hot; }));  // a game without batches still cools
  CHECK(t.stats().games_in_progress == 1);
  const size_t after_game = log.count();

  t.run([] {});
  REQUIRE(eventually([&] { return log.count() > after_game; }));
}

TEST_CASE("game hints nest; game_end bringing the count to 0 goes cold at once") {
  DummyLog log;
  DeviceThread t(warm(1ms, 60s), log.callback());
  t.game_start();
  t.game_start();
  REQUIRE(eventually([&] { return log.count() >= 2; }));
  t.game_end();  // one game still in progress: stays hot
  const size_t mid = log.count();
  REQUIRE(eventually([&] { return log.count() >= mid + 3; }));
  CHECK(t.stats().games_in_progress == 1);
  CHECK(t.stats().hot);
  t.game_end();  // none left: cold although the 60 s window is far from over
  REQUIRE(eventually([&] { return !t.stats().hot; }));
  const size_t cold = log.count();
  std::this_thread::sleep_for(50ms);
  CHECK(log.count() == cold);
  CHECK(t.stats().games_in_progress == 0);
  t.game_end();  // unbalanced: the count stays at 0
  t.run([] {});  // a real batch makes it hot again even after game_end
  REQUIRE(eventually([&] { return log.count() > cold; }));
  CHECK(t.stats().games_in_progress == 0);
}

TEST_CASE("keep_warm off: no timer, no dummy, whatever the hints") {
  std::atomic<int> dummies{0};
  KeepWarmConfig off;
  off.enabled = false;
  off.period = 1ms;
  DeviceThread t(off, [&] { ++dummies; });
  t.game_start();
  for (int i = 0; i < 5; ++i) t.run([] {});
  std::this_thread::sleep_for(50ms);
  CHECK(dummies == 0);
  const auto s = t.stats();
  CHECK(!s.enabled);
  CHECK(!s.hot);
  CHECK(s.dummies == 0);
  CHECK(s.games_in_progress == 1);
}

TEST_CASE("latency telemetry splits first-after-idle from continuous jobs") {
  KeepWarmConfig c;
  c.period = 1ms;
  c.idle_threshold = 200ms;
  DeviceThread t(c, [] {});
  t.run([] {});  // the first job ever counts as first-after-idle
  t.run([] {});  // back to back: continuous
  std::this_thread::sleep_for(250ms);
  t.run([] {});  // after an idle gap above the threshold
  const auto s = t.stats();
  CHECK(s.real_jobs == 3);
  CHECK(s.idle_threshold_us == 200000);
  CHECK(s.first_latency_us.count == 2);
  CHECK(s.continuous_latency_us.count == 1);
  CHECK(s.first_idle_gap_us.count == 1);
  CHECK(s.first_idle_gap_us.max >= 250000);
  CHECK(s.queue_wait_us.count == 3);
  const std::string json = s.to_json();
  CHECK(json.find("\"first_after_idle\":{\"count\":2") != std::string::npos);
  CHECK(json.find("\"continuous\":{\"count\":1") != std::string::npos);

  KeepWarmConfig d;
  d.period = 2ms;  // default threshold: min(10 periods, 5 ms)
  CHECK(DeviceThread(d, [] {}).stats().idle_threshold_us == 5000);
  d.period = 100us;
  CHECK(DeviceThread(d, [] {}).stats().idle_threshold_us == 1000);
}

TEST_CASE("a failing dummy is logged once and switches keep-warm off") {
  std::atomic<int> logged{0};
  DeviceThread t(
      warm(1ms, 60s), [] { throw std::runtime_error("device lost"); },
      [&](int, const std::string& message) {
        if (message.find("device lost") != std::string::npos) ++logged;
      });
  t.run([] {});
  REQUIRE(eventually([&] { return t.stats().dummy_errors == 1; }));
  std::this_thread::sleep_for(20ms);
  const auto s = t.stats();
  CHECK(s.dummy_errors == 1);
  CHECK(!s.enabled);
  CHECK(!s.hot);
  CHECK(logged == 1);
  CHECK(t.run([] { return 7; }) == 7);  // real work is unaffected
}

TEST_CASE("shutdown with a pending timer does not wait for it") {
  std::atomic<int> dummies{0};
  const auto start = Clock::now();
  {
    DeviceThread t(warm(std::chrono::seconds(60), std::chrono::seconds(600)), [&] { ++dummies; });
    t.run([] {});  // arms the timer 60 s ahead
  }
  CHECK(Clock::now() - start < 30s);  // a destructor that waited for the timer would take 60 s
  CHECK(dummies == 0);
}

TEST_CASE("shutdown during a tick lets the tick finish, then stops") {
  std::atomic<bool> in_dummy{false}, finished{false};
  std::atomic<int> dummies{0};
  {
    DeviceThread t(warm(1ms, 60s), [&] {
      ++dummies;
      in_dummy = true;
      std::this_thread::sleep_for(30ms);
      finished = true;
    });
    t.run([] {});
    REQUIRE(eventually([&] { return in_dummy.load(); }));
  }
  CHECK(finished);
  const int at_exit = dummies;
  std::this_thread::sleep_for(10ms);
  CHECK(dummies == at_exit);
}
