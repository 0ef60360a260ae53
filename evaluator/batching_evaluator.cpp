// The batching queue. Callers' EvalRequests are copied into the batch as they are (they point at
// the callers' own buffers), so the inner evaluator writes results straight back to the callers.
// Several evaluation threads share the queue under one mutex; each takes the oldest positions.
#include "evaluator/batching_evaluator.h"

#include <algorithm>
#include <stdexcept>
#include <vector>

#include "evaluator/json_text.h"

namespace hearth {

BatchingEvaluator::BatchingEvaluator(EvaluatorPtr inner, int max_batch, int deadline_us)
    : EvaluatorWrapper(std::move(inner), "batching evaluator") {
  if (max_batch < 0) throw std::invalid_argument("batching evaluator: max_batch " + std::to_string(max_batch) + " < 0");
  if (deadline_us < 0)
    throw std::invalid_argument("batching evaluator: deadline_us " + std::to_string(deadline_us) + " < 0");
  spec_ = inner_->spec();
  const int inner_max = std::max(1, spec_.max_batch);
  max_batch_ = max_batch == 0 ? inner_max : std::min(max_batch, inner_max);
  spec_.max_batch = max_batch_;
  deadline_ = std::chrono::microseconds(deadline_us);
  const int threads = std::max(1, spec_.max_concurrent_calls);
  for (int i = 0; i < threads; ++i) inner_->client_joined();
  try {
    for (int i = 0; i < threads; ++i) threads_.emplace_back(&BatchingEvaluator::run, this);
  } catch (...) {  // a thread could not start: stop those that did, then fail
    stop();
    throw;
  }
}

BatchingEvaluator::~BatchingEvaluator() { stop(); }

void BatchingEvaluator::stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
    work_cv_.notify_all();
  }
  for (auto& t : threads_) t.join();
  {
    // No batch is in flight now, so every unfinished job is in the queue.
    std::lock_guard<std::mutex> lock(mutex_);
    for (Job* job : queue_) {
      if (job->error.empty()) job->error = "evaluator shut down";
      finish(job);
    }
    queue_.clear();
    pending_positions_ = 0;
  }
  for (int i = std::max(1, spec_.max_concurrent_calls); i > 0; --i) inner_->client_left();
}

void BatchingEvaluator::evaluate(EvalRequest* requests, int n) {
  if (n <= 0) return;
  Job job;
  job.requests = requests;
  job.n = n;
  job.outstanding = n;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopping_) throw EvalError("evaluator shut down");
    job.arrived = Clock::now();
    queue_.push_back(&job);
    pending_positions_ += n;
    ++waiting_;
    // Notified under the lock: once it is released this call touches only `job`.
    work_cv_.notify_one();
  }
  std::unique_lock<std::mutex> done_lock(job.done_mutex);
  job.done_cv.wait(done_lock, [&] { return job.done; });
  if (!job.error.empty()) throw EvalError(job.error);
}

void BatchingEvaluator::client_joined() {
  std::lock_guard<std::mutex> lock(mutex_);
  ++clients_;
}

void BatchingEvaluator::client_left() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (clients_ > 0) --clients_;
  work_cv_.notify_one();  // the clients still here may now all be waiting
}

BatchingEvaluator::Close BatchingEvaluator::wait_for_batch(std::unique_lock<std::mutex>& lock) {
  for (;;) {
    if (stopping_) return Close::Shutdown;
    if (pending_positions_ == 0) {
      work_cv_.wait(lock);
      continue;
    }
    if (pending_positions_ >= max_batch_) return Close::Full;
    if (clients_ > 0 && waiting_ >= clients_) return Close::AllWaiting;
    const Clock::time_point close_at = queue_.front()->arrived + deadline_;
    if (Clock::now() >= close_at) return Close::Deadline;
    work_cv_.wait_until(lock, close_at);
  }
}

void BatchingEvaluator::finish(Job* job) {
  --waiting_;
  std::lock_guard<std::mutex> done_lock(job->done_mutex);
  job->done = true;
  // Under done_mutex: the caller cannot return (and free the job) before this completes.
  job->done_cv.notify_one();
}

void BatchingEvaluator::run() {
  std::vector<EvalRequest> batch;
  std::vector<std::pair<Job*, int>> parts;  // each job in the batch and how many positions
  batch.reserve(max_batch_);
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    const Close why = wait_for_batch(lock);
    if (why == Close::Shutdown) break;

    batch.clear();
    parts.clear();
    while (static_cast<int>(batch.size()) < max_batch_ && !queue_.empty()) {
      Job* job = queue_.front();
      const int take = std::min(job->n - job->next_unassigned, max_batch_ - static_cast<int>(batch.size()));
      batch.insert(batch.end(), job->requests + job->next_unassigned, job->requests + job->next_unassigned + take);
      job->next_unassigned += take;
      pending_positions_ -= take;
      parts.emplace_back(job, take);
      if (job->next_unassigned == job->n) queue_.pop_front();
    }
    (why == Close::Full ? closed_full_ : why == Close::AllWaiting ? closed_all_waiting_ : closed_deadline_)++;
    const int size = static_cast<int>(batch.size());
    peak_batches_in_flight_ = std::max(peak_batches_in_flight_, ++batches_in_flight_);
    // More than one batch's worth was queued: an idle thread may close the next one meanwhile.
    if (pending_positions_ > 0) work_cv_.notify_one();
    lock.unlock();

    std::string error;
    const auto t0 = Clock::now();
    try {
      inner_->evaluate(batch.data(), size);
    } catch (const std::exception& e) {
      error = *e.what() ? e.what() : "inner evaluator failed";
    } catch (...) {
      error = "inner evaluator failed with an unknown exception";
    }
    inner_ns_ += std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - t0).count();
    batches_++;
    positions_ += size;
    histogram_[histogram_bucket(size)]++;
    if (!error.empty()) failed_batches_++;

    lock.lock();
    --batches_in_flight_;
    for (auto [job, count] : parts) {
      job->outstanding -= count;
      if (!error.empty()) {
        // The call fails as a whole, even if another of its parts (in another thread's batch)
        // succeeds: keep the first error and drop the positions of it not yet batched.
        if (job->error.empty()) job->error = error;
        if (job->next_unassigned < job->n) {
          const int rest = job->n - job->next_unassigned;
          pending_positions_ -= rest;
          job->outstanding -= rest;
          job->next_unassigned = job->n;
          queue_.erase(std::find(queue_.begin(), queue_.end(), job));
        }
      }
      if (job->outstanding == 0) finish(job);
    }
  }
}

int BatchingEvaluator::histogram_bucket(int size) {
  int bucket = 0;
  while (size > 1 && bucket < kHistogramBuckets - 1) {
    size >>= 1;
    ++bucket;
  }
  return bucket;
}

std::string BatchingEvaluator::histogram_label(int bucket) {
  const int lo = 1 << bucket;
  if (bucket == kHistogramBuckets - 1) return ">=" + std::to_string(lo);
  if (bucket == 0) return "1";
  return std::to_string(lo) + "-" + std::to_string(2 * lo - 1);
}

BatchingEvaluator::Stats BatchingEvaluator::stats() const {
  Stats s;
  s.batches = batches_.load();
  s.positions = positions_.load();
  s.average_batch = s.batches ? static_cast<double>(s.positions) / s.batches : 0.0;
  s.closed_full = closed_full_.load();
  s.closed_all_waiting = closed_all_waiting_.load();
  s.closed_deadline = closed_deadline_.load();
  s.failed_batches = failed_batches_.load();
  for (int i = 0; i < kHistogramBuckets; ++i) s.size_histogram[i] = histogram_[i].load();
  s.inner_seconds = inner_ns_.load() * 1e-9;
  s.evaluation_threads = static_cast<int>(threads_.size());
  std::lock_guard<std::mutex> lock(mutex_);
  s.waiting_callers = waiting_;
  s.peak_batches_in_flight = peak_batches_in_flight_;
  return s;
}

BatchCounters BatchingEvaluator::batch_counters() const {
  const Stats s = stats();
  return {s.batches, s.positions};
}

std::string BatchingEvaluator::stats_json() const {
  const Stats s = stats();
  std::string hist;
  for (int i = 0; i < kHistogramBuckets; ++i)
    hist += (i ? "," : "") + json::quote(histogram_label(i)) + ":" + std::to_string(s.size_histogram[i]);
  return "{\"max_batch\":" + std::to_string(max_batch_) + ",\"deadline_us\":" + std::to_string(deadline_.count()) +
         ",\"batches\":" + std::to_string(s.batches) + ",\"positions\":" + std::to_string(s.positions) +
         ",\"average_batch\":" + json::number(s.average_batch) + ",\"closed_full\":" + std::to_string(s.closed_full) +
         ",\"closed_all_waiting\":" + std::to_string(s.closed_all_waiting) +
         ",\"closed_deadline\":" + std::to_string(s.closed_deadline) +
         ",\"failed_batches\":" + std::to_string(s.failed_batches) + ",\"batch_sizes\":{" + hist +
         "},\"inner_seconds\":" + json::number(s.inner_seconds) +
         ",\"evaluation_threads\":" + std::to_string(s.evaluation_threads) +
         ",\"peak_batches_in_flight\":" + std::to_string(s.peak_batches_in_flight) +
         ",\"inner\":" + inner_->stats_json() + "}";
}

}  // namespace hearth
