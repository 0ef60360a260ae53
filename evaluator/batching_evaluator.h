// Turns many threads' small evaluate() calls into large batches for one inner evaluator (the
// OpenSpiel vpevaluator / lc0 network_demux idea): callers enqueue and block; evaluation threads
// of this object's own form batches and run the inner evaluator. There are as many evaluation
// threads as the inner serves calls at once (spec().max_concurrent_calls, e.g. one per device of
// a plugin spread over several GPUs); each forms its own batches from the one shared queue, so
// every device gets full batches of its own. One evaluation thread for an ordinary inner.
//
// A batch closes when (a) it holds max_batch positions, (b) every registered client
// (client_joined minus client_left) is waiting for a result, so nothing more can arrive, or
// (c) deadline_us microseconds passed since its oldest request arrived (0: at once). With no
// registered client only (a) and (c) apply. A call of n positions that does not fit is split
// across batches; the caller returns when all of its positions are done.
//
// Thread-safety: every method may be called from any thread, concurrently. The inner evaluator
// is only ever called from the evaluation threads, at most spec().max_concurrent_calls at once
// (so with 1 it need not be thread-safe). If the inner evaluator throws, every caller with
// positions in that batch gets EvalError with its message (their remaining positions are
// dropped, and the call fails even where another of its parts, in another thread's batch,
// succeeded) and later calls are served as usual. The destructor stops the threads after the
// batches in flight; callers still blocked then get EvalError("evaluator shut down").
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "evaluator/evaluator.h"

namespace hearth {

class BatchingEvaluator : public EvaluatorWrapper {
 public:
  // Histogram buckets of batch sizes: 1, 2-3, 4-7, ..., 256-511, >= 512.
  static constexpr int kHistogramBuckets = 10;

  struct Stats {
    uint64_t batches = 0;
    uint64_t positions = 0;
    double average_batch = 0.0;
    uint64_t closed_full = 0;
    uint64_t closed_all_waiting = 0;
    uint64_t closed_deadline = 0;
    uint64_t failed_batches = 0;     // the inner evaluator threw
    std::array<uint64_t, kHistogramBuckets> size_histogram{};
    double inner_seconds = 0.0;      // total time inside the inner evaluate(), summed over threads
    int waiting_callers = 0;         // callers blocked right now (a snapshot)
    int evaluation_threads = 1;      // batches that may run at once
    int peak_batches_in_flight = 0;  // most batches seen running at once
  };

  // max_batch: positions per batch, 0 = the inner's spec().max_batch; a larger value is clamped
  // to it. deadline_us >= 0. Throws std::invalid_argument on negative values. Registers each of
  // its evaluation threads as a client of the inner evaluator.
  BatchingEvaluator(EvaluatorPtr inner, int max_batch, int deadline_us);
  ~BatchingEvaluator() override;
  BatchingEvaluator(const BatchingEvaluator&) = delete;
  BatchingEvaluator& operator=(const BatchingEvaluator&) = delete;

  // The inner's spec with max_batch = this batch size (max_concurrent_calls stays the inner's: the
  // batches that run at once); evaluate() itself accepts any n from any number of threads.
  const EvalSpec& spec() const override { return spec_; }
  void evaluate(EvalRequest* requests, int n) override;
  // Counted here, not forwarded: this layer's own threads are the inner's only clients.
  void client_joined() override;
  void client_left() override;
  std::string stats_json() const override;
  BatchCounters batch_counters() const override;
  Stats stats() const;

  // The bucket of kHistogramBuckets that a batch of `size` positions falls in, and its label.
  static int histogram_bucket(int size);
  static std::string histogram_label(int bucket);

 private:
  using Clock = std::chrono::steady_clock;

  // One caller's evaluate() call; lives on the caller's stack. Completion is signalled through
  // the job's own mutex so that a woken caller touches nothing of this object (it may be in
  // its destructor).
  struct Job {
    EvalRequest* requests;
    int n;
    int next_unassigned = 0;  // positions [0, next_unassigned) are in a batch or done
    int outstanding;          // positions not yet evaluated (or dropped after an error)
    Clock::time_point arrived;
    std::string error;        // set (under mutex_) when a batch of this job failed
    std::mutex done_mutex;
    std::condition_variable done_cv;
    bool done = false;
  };
  enum class Close { Full, AllWaiting, Deadline, Shutdown };

  void run();                                      // one evaluation thread
  void stop();                                     // stops and joins the threads, fails the rest
  Close wait_for_batch(std::unique_lock<std::mutex>& lock);
  void finish(Job* job);                           // mutex_ held; wakes the caller

  EvalSpec spec_;
  int max_batch_;
  std::chrono::microseconds deadline_;

  mutable std::mutex mutex_;
  std::condition_variable work_cv_;   // wakes an evaluation thread
  std::deque<Job*> queue_;            // jobs with unassigned positions, oldest first
  int pending_positions_ = 0;         // unassigned positions in queue_
  int clients_ = 0;                   // registered clients
  int waiting_ = 0;                   // callers whose job is not done
  int batches_in_flight_ = 0;
  int peak_batches_in_flight_ = 0;
  bool stopping_ = false;

  std::atomic<uint64_t> batches_{0}, positions_{0}, closed_full_{0}, closed_all_waiting_{0},
      closed_deadline_{0}, failed_batches_{0}, inner_ns_{0};
  std::array<std::atomic<uint64_t>, kHistogramBuckets> histogram_{};

  std::vector<std::thread> threads_;  // last: started after everything above is initialized
};

}  // namespace hearth
