#include "plugins/torch/keep_warm.h"
#include "engine/util/percentile.h"

#include <algorithm>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cmath>
#include <sstream>
#include <stdexcept>

namespace hearth::torch_plugin {

namespace {
double to_us(std::chrono::steady_clock::duration d) {
  return std::chrono::duration<double, std::micro>(d).count();
}
double to_s(std::chrono::steady_clock::duration d) { return std::chrono::duration<double>(d).count(); }
}  // namespace

// ---- SampleReservoir ----

SampleReservoir::SampleReservoir(size_t capacity) : capacity_(std::max<size_t>(capacity, 1)) {
  kept_.reserve(capacity_);
}

void SampleReservoir::add(double x) {
  std::lock_guard<std::mutex> lock(mu_);
  ++count_;
  sum_ += x;
  max_ = count_ == 1 ? x : std::max(max_, x);
  if (kept_.size() < capacity_) {
    kept_.push_back(x);
    return;
  }
  rng_ ^= rng_ << 13;
  rng_ ^= rng_ >> 7;
  rng_ ^= rng_ << 17;
  const uint64_t slot = rng_ % count_;  // keep x with probability capacity / count
  if (slot < capacity_) kept_[slot] = x;
}

SampleReservoir::Summary SampleReservoir::summary() const {
  std::vector<double> v;
  Summary s;
  {
    std::lock_guard<std::mutex> lock(mu_);
    v = kept_;
    s.count = count_;
    s.mean = count_ ? sum_ / static_cast<double>(count_) : 0.0;
    s.max = max_;
  }
  if (v.empty()) return s;
  std::sort(v.begin(), v.end());
  s.p50 = hearth::percentile_of_sorted(v, 0.50);
  s.p99 = hearth::percentile_of_sorted(v, 0.99);
  return s;
}

// ---- KeepWarmStats ----

namespace {
void summary_json(std::ostringstream& o, const char* name, const SampleReservoir::Summary& s) {
  o << ",\"" << name << "\":{\"count\":" << s.count << ",\"mean_us\":" << s.mean << ",\"p50_us\":" << s.p50
    << ",\"p99_us\":" << s.p99 << ",\"max_us\":" << s.max << "}";
}
}  // namespace

std::string KeepWarmStats::to_json() const {
  std::ostringstream o;
  o << "{\"enabled\":" << (enabled ? "true" : "false") << ",\"hot\":" << (hot ? "true" : "false")
    << ",\"games_in_progress\":" << games_in_progress << ",\"dummies\":" << dummies << ",\"skipped\":" << skipped
    << ",\"dummy_errors\":" << dummy_errors << ",\"dummy_seconds\":" << dummy_seconds
    << ",\"hot_seconds\":" << hot_seconds << ",\"duty\":" << duty() << ",\"real_jobs\":" << real_jobs
    << ",\"idle_threshold_us\":" << idle_threshold_us;
  summary_json(o, "first_after_idle", first_latency_us);
  summary_json(o, "continuous", continuous_latency_us);
  summary_json(o, "first_idle_gap", first_idle_gap_us);
  summary_json(o, "queue_wait", queue_wait_us);
  o << "}";
  return o.str();
}

// ---- DeviceThread ----

struct DeviceThread::Impl {
  using TimePoint = Clock::time_point;

  Impl(DeviceThread& o, std::function<void()> d, Log l)
      : owner(o), work(io.get_executor()), timer(io), dummy(std::move(d)), log(std::move(l)),
        keep_warm(o.config_.enabled) {}

  DeviceThread& owner;
  boost::asio::io_context io;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work;
  boost::asio::steady_timer timer;
  std::thread thread;
  std::function<void()> dummy;
  Log log;

  // Device-thread state: touched only by handlers running on the io_context's thread.
  bool armed = false;       // one timer wait is pending
  uint64_t generation = 0;  // a handler whose generation is stale was cancelled or superseded
  int games = 0;
  TimePoint hot_until{};
  bool has_real_end = false;
  TimePoint last_real_end{};

  // Shared with other threads.
  std::atomic<bool> keep_warm;  // config.enabled, until a dummy fails; written on the device thread
  std::atomic<bool> stopped{false};
  std::atomic<int> pending_real{0};
  std::atomic<int> games_in_progress{0};
  std::atomic<uint64_t> dummies{0}, skipped{0}, dummy_errors{0}, real_jobs{0};
  std::atomic<int64_t> dummy_ns{0};
  mutable std::mutex hot_mu;  // guards the hot-time accounting below
  bool hot = false;
  TimePoint hot_since{};
  Clock::duration hot_total{0};
  SampleReservoir first_latency, continuous_latency, first_gap, queue_wait;

  void set_hot(bool now_hot, TimePoint now) {
    std::lock_guard<std::mutex> lock(hot_mu);
    if (now_hot == hot) return;
    if (now_hot) {
      hot_since = now;
    } else {
      hot_total += now - hot_since;
    }
    hot = now_hot;
  }

  void arm(TimePoint when) {
    armed = true;
    const uint64_t g = ++generation;
    set_hot(true, Clock::now());
    timer.expires_at(when);
    timer.async_wait([this, g](const boost::system::error_code& ec) {
      if (!ec) tick(g);
    });
  }

  void disarm(TimePoint now) {
    if (armed) timer.cancel();
    armed = false;
    ++generation;
    set_hot(false, now);
  }

  // Arms the timer if keep-warm is on and it is not ticking; the first tick comes at `when`.
  void ensure_armed(TimePoint when) {
    if (keep_warm && !armed && !stopped.load()) arm(when);
  }

  void tick(uint64_t g) {
    if (g != generation || !armed) return;
    armed = false;
    const TimePoint now = Clock::now();
    if (!keep_warm || stopped.load() || now >= hot_until) {
      set_hot(false, now);  // cold: not re-armed until a real job or game_start
      return;
    }
    const auto period = owner.config_.period;
    if (pending_real.load() > 0) {  // a real job is queued right behind this handler
      ++skipped;
      arm(now + period);
      return;
    }
    if (has_real_end && now - last_real_end < period) {
      ++skipped;
      arm(last_real_end + period);
      return;
    }
    try {
      dummy();
    } catch (const std::exception& e) {
      fail_dummy(e.what());
      return;
    } catch (...) {
      fail_dummy("unknown exception");
      return;
    }
    const TimePoint end = Clock::now();
    ++dummies;
    dummy_ns += std::chrono::duration_cast<std::chrono::nanoseconds>(end - now).count();
    arm(end + period);
  }

  void fail_dummy(const std::string& what) {
    ++dummy_errors;
    keep_warm = false;
    disarm(Clock::now());
    if (log) log(2, "keep-warm dummy failed, keep-warm switched off: " + what);
  }
};

DeviceThread::DeviceThread(KeepWarmConfig config, std::function<void()> dummy, Log log) : config_(config) {
  if (config_.period.count() <= 0) throw std::invalid_argument("keep-warm period must be positive");
  if (config_.hot_window.count() <= 0) throw std::invalid_argument("keep-warm hot window must be positive");
  if (config_.idle_threshold.count() <= 0)
    config_.idle_threshold = std::min<std::chrono::microseconds>(10 * config_.period, std::chrono::milliseconds(5));
  impl_ = std::make_unique<Impl>(*this, std::move(dummy), std::move(log));
  impl_->thread = std::thread([io = &impl_->io] { io->run(); });
  thread_id_ = impl_->thread.get_id();
}

DeviceThread::~DeviceThread() {
  impl_->stopped = true;
  Impl* impl = impl_.get();
  // Runs after any job or tick in progress and any job already posted; then nothing is left to
  // do and io.run() returns.
  boost::asio::post(impl->io, [impl] {
    impl->disarm(Clock::now());
    impl->work.reset();
  });
  impl->thread.join();
}

namespace {
// One blocking call: the caller waits on it while the device thread runs the job.
struct PendingCall {
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  std::exception_ptr error;
  DeviceThread::Clock::time_point started;
  double gap_us = -1;  // idle gap since the previous real job ended; -1 = none before
};
}  // namespace

void DeviceThread::execute(std::function<void()>& job, bool real) {
  if (on_device_thread()) {  // a job that runs another: inline, or it would wait for itself
    job();
    return;
  }
  if (impl_->stopped.load()) throw std::runtime_error("device thread is shut down");
  Impl* impl = impl_.get();
  PendingCall call;
  const Clock::time_point submitted = Clock::now();
  if (real) ++impl->pending_real;
  boost::asio::post(impl->io, [impl, &job, &call, real, submitted] {
    call.started = Clock::now();
    if (real) {
      --impl->pending_real;
      if (impl->has_real_end) call.gap_us = std::max(0.0, to_us(submitted - impl->last_real_end));
    }
    try {
      job();
    } catch (...) {
      call.error = std::current_exception();
    }
    if (real) {
      const Clock::time_point end = Clock::now();
      impl->has_real_end = true;
      impl->last_real_end = end;
      impl->hot_until = end + impl->owner.config_.hot_window;
      ++impl->real_jobs;
      impl->ensure_armed(end + impl->owner.config_.period);
    }
    std::lock_guard<std::mutex> lock(call.mu);  // notify under the lock: `call` dies once seen done
    call.done = true;
    call.cv.notify_one();
  });
  {
    std::unique_lock<std::mutex> lock(call.mu);
    call.cv.wait(lock, [&call] { return call.done; });
  }
  if (real) {
    const double latency = to_us(Clock::now() - submitted);
    impl->queue_wait.add(to_us(call.started - submitted));
    const double threshold = static_cast<double>(config_.idle_threshold.count());
    if (call.gap_us < 0 || call.gap_us >= threshold) {
      impl->first_latency.add(latency);
      if (call.gap_us >= 0) impl->first_gap.add(call.gap_us);
    } else {
      impl->continuous_latency.add(latency);
    }
  }
  if (call.error) std::rethrow_exception(call.error);
}

void DeviceThread::game_start() {
  Impl* impl = impl_.get();
  boost::asio::post(impl->io, [impl] {
    impl->games_in_progress = ++impl->games;
    const Clock::time_point now = Clock::now();
    impl->hot_until = std::max(impl->hot_until, now + impl->owner.config_.hot_window);
    impl->ensure_armed(now);  // warm up ahead of the game's first batch
  });
}

void DeviceThread::game_end() {
  Impl* impl = impl_.get();
  boost::asio::post(impl->io, [impl] {
    if (impl->games > 0) --impl->games;
    impl->games_in_progress = impl->games;
    if (impl->games == 0) {
      const Clock::time_point now = Clock::now();
      impl->hot_until = now;
      impl->disarm(now);
    }
  });
}

KeepWarmStats DeviceThread::stats() const {
  const Impl& i = *impl_;
  KeepWarmStats s;
  s.enabled = i.keep_warm.load();
  s.games_in_progress = i.games_in_progress.load();
  s.dummies = i.dummies.load();
  s.skipped = i.skipped.load();
  s.dummy_errors = i.dummy_errors.load();
  s.dummy_seconds = static_cast<double>(i.dummy_ns.load()) * 1e-9;
  {
    std::lock_guard<std::mutex> lock(i.hot_mu);
    s.hot = i.hot;
    s.hot_seconds = to_s(i.hot_total + (i.hot ? Clock::now() - i.hot_since : Clock::duration(0)));
  }
  s.real_jobs = i.real_jobs.load();
  s.idle_threshold_us = static_cast<double>(config_.idle_threshold.count());
  s.first_latency_us = i.first_latency.summary();
  s.continuous_latency_us = i.continuous_latency.summary();
  s.first_idle_gap_us = i.first_gap.summary();
  s.queue_wait_us = i.queue_wait.summary();
  return s;
}

}  // namespace hearth::torch_plugin
