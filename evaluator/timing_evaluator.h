// Telemetry as a wrapper: a TimingEvaluator sits around another evaluator (in the stack: between
// the batching layer and the plugin, see EvaluatorConfig::batch_timeline) and records the start
// time and duration of every evaluate() call into a BatchTimeline that a benchmark holds. Nothing
// else changes: every call and hint is forwarded, results untouched. The benchmark can then ask
// "which batch came first after this moment, and how long did it take?" (human_paced_bench.h).
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "evaluator/evaluator.h"

namespace hearth {

// The record of timed batches, bounded (the oldest are dropped past `capacity`).
// Thread-safety: every method may be called from any thread, concurrently.
class BatchTimeline {
 public:
  using Clock = std::chrono::steady_clock;
  struct Batch {
    Clock::time_point start;
    double micros = 0;  // wall time of the inner evaluate() call
    int positions = 0;
    bool failed = false;  // the inner evaluator threw
  };

  explicit BatchTimeline(size_t capacity = 1 << 16);

  void record(const Batch& batch);
  // Batches recorded and still kept, oldest first.
  std::vector<Batch> batches() const;
  // The first kept batch that started at or after `t`, if any.
  std::optional<Batch> first_since(Clock::time_point t) const;
  uint64_t recorded() const;  // all batches ever recorded, dropped ones included
  void clear();

  // The evaluator most recently wrapped by a TimingEvaluator writing here (held weakly: the
  // timeline never keeps an evaluator alive), so a benchmark can read the plugin's stats while
  // the engine that owns the stack runs. "null" once that evaluator is gone.
  void set_source(const std::weak_ptr<Evaluator>& source);
  std::string source_stats_json() const;

 private:
  mutable std::mutex mu_;
  size_t capacity_;
  std::deque<Batch> kept_;
  uint64_t recorded_ = 0;
  std::weak_ptr<Evaluator> source_;
};

// Forwards everything to `inner` and times each evaluate() call into `timeline`.
// Thread-safety: as the inner evaluator (the recording itself is thread-safe).
class TimingEvaluator : public EvaluatorWrapper {
 public:
  // Throws std::invalid_argument when inner or timeline is null.
  TimingEvaluator(EvaluatorPtr inner, std::shared_ptr<BatchTimeline> timeline);

  const EvalSpec& spec() const override { return inner_->spec(); }
  // Records the call (marked failed if the inner throws, then rethrows).
  void evaluate(EvalRequest* requests, int n) override;
  // {"timed_calls", "timed_mean_us", "timed_max_us", "inner": ...}. Key names differ from the
  // batching layer's "batches"/"positions" so that a reader of the JSON finds each layer's own.
  std::string stats_json() const override;

 private:
  std::shared_ptr<BatchTimeline> timeline_;
  mutable std::mutex mu_;  // guards the summary counters below
  uint64_t calls_ = 0;
  double total_us_ = 0, max_us_ = 0;
};

}  // namespace hearth
