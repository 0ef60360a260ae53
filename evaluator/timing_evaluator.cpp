#include "evaluator/timing_evaluator.h"

#include <algorithm>
#include <stdexcept>
#include <utility>

#include "evaluator/json_text.h"

namespace hearth {

BatchTimeline::BatchTimeline(size_t capacity) : capacity_(std::max<size_t>(capacity, 1)) {}

void BatchTimeline::record(const Batch& batch) {
  std::lock_guard<std::mutex> lock(mu_);
  ++recorded_;
  kept_.push_back(batch);
  if (kept_.size() > capacity_) kept_.pop_front();
}

std::vector<BatchTimeline::Batch> BatchTimeline::batches() const {
  std::lock_guard<std::mutex> lock(mu_);
  return {kept_.begin(), kept_.end()};
}

std::optional<BatchTimeline::Batch> BatchTimeline::first_since(Clock::time_point t) const {
  std::lock_guard<std::mutex> lock(mu_);
  // Starts are recorded in completion order, which can differ from start order only when calls
  // overlap (a thread-safe inner evaluator without a batching layer): look at every record.
  std::optional<Batch> best;
  for (const Batch& b : kept_)
    if (b.start >= t && (!best || b.start < best->start)) best = b;
  return best;
}

uint64_t BatchTimeline::recorded() const {
  std::lock_guard<std::mutex> lock(mu_);
  return recorded_;
}

void BatchTimeline::clear() {
  std::lock_guard<std::mutex> lock(mu_);
  kept_.clear();
  recorded_ = 0;
}

void BatchTimeline::set_source(const std::weak_ptr<Evaluator>& source) {
  std::lock_guard<std::mutex> lock(mu_);
  source_ = source;
}

std::string BatchTimeline::source_stats_json() const {
  EvaluatorPtr source;
  {
    std::lock_guard<std::mutex> lock(mu_);
    source = source_.lock();
  }
  return source ? source->stats_json() : "null";  // called without mu_: stats may take a while
}

TimingEvaluator::TimingEvaluator(EvaluatorPtr inner, std::shared_ptr<BatchTimeline> timeline)
    : EvaluatorWrapper(std::move(inner), "TimingEvaluator"), timeline_(std::move(timeline)) {
  if (!timeline_) throw std::invalid_argument("TimingEvaluator: no timeline");
  timeline_->set_source(inner_);
}

void TimingEvaluator::evaluate(EvalRequest* requests, int n) {
  BatchTimeline::Batch batch;
  batch.positions = n;
  batch.start = BatchTimeline::Clock::now();
  auto finish = [&](bool failed) {
    batch.micros = std::chrono::duration<double, std::micro>(BatchTimeline::Clock::now() - batch.start).count();
    batch.failed = failed;
    timeline_->record(batch);
    std::lock_guard<std::mutex> lock(mu_);
    ++calls_;
    total_us_ += batch.micros;
    max_us_ = std::max(max_us_, batch.micros);
  };
  try {
    inner_->evaluate(requests, n);
  } catch (...) {
    finish(true);
    throw;
  }
  finish(false);
}

std::string TimingEvaluator::stats_json() const {
  uint64_t calls;
  double mean, max;
  {
    std::lock_guard<std::mutex> lock(mu_);
    calls = calls_;
    mean = calls_ ? total_us_ / static_cast<double>(calls_) : 0.0;
    max = max_us_;
  }
  return "{\"timed_calls\":" + std::to_string(calls) + ",\"timed_mean_us\":" + json::number(mean) +
         ",\"timed_max_us\":" + json::number(max) + ",\"inner\":" + inner_->stats_json() + "}";
}

}  // namespace hearth
