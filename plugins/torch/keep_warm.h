// DeviceThread: the one thread that submits all device work of a torch plugin instance, with an
// optional keep-warm timer.
//
// Why one thread: on the GPU what goes cold after an idle gap is work submission from the
// *launching thread*; dummies from another thread barely help. So real batches and keep-warm
// dummies run on the same thread: run() posts a job to it and blocks until done, and a
// boost::asio::steady_timer on that thread calls dummy() while the instance is HOT.
//
// Keep-warm semantics (config.enabled; off = no timer at all, zero ticks):
//   - The timer ticks while HOT. Each tick runs dummy() once, unless a real job is queued, or one
//     finished less than `period` ago (then the tick is SKIPPED and re-armed for one period after
//     that job's end). `period` is thus the idle time between the end of device work and the next
//     dummy. Dummies never queue: there is one timer wait at most, and a real job posted during a
//     dummy waits for that dummy only.
//   - HOT until `hot_until`, which a real job's end moves to end + hot_window and a game_start to
//     now + hot_window (and a game_start arms the timer at once, so the first dummy precedes the
//     game's first batch). Game hints nest: game_start/game_end count games in progress. When a
//     game_end brings the count to 0 the instance goes cold at once (the host said no game is on);
//     the next real job or game_start makes it hot again. So with game hints: hot from game_start
//     until game_end, but never longer than hot_window after the last real job or game_start (a
//     forgotten game_end cannot burn the GPU forever); without hints: hot for hot_window after
//     every real job.
//   - Cold: the timer is not re-armed at all (no wakeups); a real job or game_start re-arms it.
//   - A dummy that throws is logged once and keep-warm switches itself off for good.
//
// Telemetry: dummies issued/skipped, dummy time and hot wall time (duty = dummy / hot), real
// jobs, and caller-seen latency of real jobs split into "first after idle" (the gap since the
// previous real job ended is >= idle_threshold) and "continuous", each with p50/p99 over a
// bounded reservoir, plus the idle gaps before first-after-idle jobs.
//
// Thread-safety: every public member may be called from any thread, concurrently. run() called
// from the device thread itself runs the job inline. The destructor must not race other calls;
// it finishes the job or tick in progress and any job already posted, cancels the timer and
// joins the thread.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

namespace hearth::torch_plugin {

// Bounded sample of a stream of numbers (Vitter's algorithm R: a uniform sample of everything
// added, in fixed memory). Thread-safe.
class SampleReservoir {
 public:
  struct Summary {
    uint64_t count = 0;  // samples added, not only kept
    double mean = 0, p50 = 0, p99 = 0, max = 0;
  };
  explicit SampleReservoir(size_t capacity = 4096);
  void add(double x);
  Summary summary() const;

 private:
  mutable std::mutex mu_;
  size_t capacity_;
  std::vector<double> kept_;
  uint64_t count_ = 0;
  double sum_ = 0, max_ = 0;
  uint64_t rng_ = 0x9E3779B97F4A7C15ull;  // xorshift state: deterministic, no global RNG
};

struct KeepWarmConfig {
  bool enabled = false;
  std::chrono::microseconds period{2000};
  std::chrono::microseconds hot_window{std::chrono::seconds(30)};
  // A real job is "first after idle" when the gap since the previous real job ended is at least
  // this; 0 = min(10 * period, 5 ms). Set from period even when keep-warm is off, so runs with
  // and without keep-warm classify alike.
  std::chrono::microseconds idle_threshold{0};
};

struct KeepWarmStats {
  bool enabled = false;
  bool hot = false;
  int games_in_progress = 0;
  uint64_t dummies = 0, skipped = 0, dummy_errors = 0;
  double dummy_seconds = 0, hot_seconds = 0;
  double duty() const { return hot_seconds > 0 ? dummy_seconds / hot_seconds : 0.0; }
  uint64_t real_jobs = 0;
  double idle_threshold_us = 0;
  SampleReservoir::Summary first_latency_us, continuous_latency_us;  // caller-seen
  SampleReservoir::Summary first_idle_gap_us;  // the gap before each first-after-idle job
  SampleReservoir::Summary queue_wait_us;      // posted -> started (waiting behind a dummy)
  // One JSON object (no surrounding braces' neighbours): {"enabled":...,...}
  std::string to_json() const;
};

class DeviceThread {
 public:
  using Clock = std::chrono::steady_clock;
  using Log = std::function<void(int level, const std::string& message)>;  // levels as hearth_log_level

  // `dummy` runs on the device thread at each unskipped tick (unused when keep-warm is off). It
  // may touch state that setup jobs create: the timer is armed only by a real job or game_start.
  DeviceThread(KeepWarmConfig config, std::function<void()> dummy, Log log = nullptr);
  ~DeviceThread();
  DeviceThread(const DeviceThread&) = delete;
  DeviceThread& operator=(const DeviceThread&) = delete;

  // Runs a real job on the device thread, blocks until it is done, returns its result or rethrows
  // its exception. Counts in telemetry and makes the instance hot.
  template <class F>
  auto run(F&& job) -> std::invoke_result_t<F&> {
    return dispatch(std::forward<F>(job), true);
  }
  // Runs a job on the device thread without touching telemetry or hot state: loading, warm-up,
  // CUDA graph capture, teardown.
  template <class F>
  auto run_setup(F&& job) -> std::invoke_result_t<F&> {
    return dispatch(std::forward<F>(job), false);
  }

  void game_start();
  void game_end();
  KeepWarmStats stats() const;
  const KeepWarmConfig& config() const { return config_; }
  bool on_device_thread() const { return std::this_thread::get_id() == thread_id_; }

 private:
  template <class F>
  auto dispatch(F&& job, bool real) -> std::invoke_result_t<F&> {
    using R = std::invoke_result_t<F&>;
    if constexpr (std::is_void_v<R>) {
      std::function<void()> fn = [&job] { job(); };
      execute(fn, real);
    } else {
      std::optional<R> result;
      std::function<void()> fn = [&job, &result] { result.emplace(job()); };
      execute(fn, real);
      return std::move(*result);
    }
  }
  void execute(std::function<void()>& job, bool real);

  struct Impl;  // asio state: keeps <boost/asio.hpp> out of every includer
  friend struct Impl;
  KeepWarmConfig config_;
  std::unique_ptr<Impl> impl_;
  std::thread::id thread_id_;
};

}  // namespace hearth::torch_plugin
