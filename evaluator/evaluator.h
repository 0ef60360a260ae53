// The seam between search and evaluation. Search sees only this interface; which plugin runs,
// whether results are cached and how positions are batched are wrappers around it
// (plugin_evaluator.h, batching_evaluator.h, caching_evaluator.h).
#pragma once

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace hearth {

struct EvalSpec {
  int board_size = 15;
  int input_planes = 4;
  int policy_size = 225;
  int max_batch = 1;                // largest batch one evaluate() call may carry
  std::vector<int> preferred_batches;  // ascending
  std::string description;
  // evaluate() calls served at once: a plugin spread over N devices serves N (one batch each).
  // BatchingEvaluator runs this many evaluation threads and passes the value on.
  int max_concurrent_calls = 1;
  int input_floats() const { return input_planes * board_size * board_size; }
};

// One position to evaluate. The buffers belong to the caller and stay valid until evaluate()
// returns: planes holds spec().input_floats() floats, policy receives spec().policy_size logits,
// value one float in [-1, 1] from the side to move's view.
struct EvalRequest {
  const float* planes = nullptr;
  uint64_t key = 0;  // Board::eval_key(): equal keys mean equal planes (used by caches)
  float* policy = nullptr;
  float* value = nullptr;
};

// Thrown by evaluate() when the backend fails (a plugin's error message inside).
struct EvalError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Calls into the backend and the positions they carried, counted by the lowest layer of a stack
// that forms them (the batching layer, else the plugin itself).
struct BatchCounters {
  uint64_t batches = 0;
  uint64_t positions = 0;
};

class Evaluator {
 public:
  virtual ~Evaluator() = default;
  // Immutable after construction: thread-safe.
  virtual const EvalSpec& spec() const = 0;
  // Evaluates n positions (n <= spec().max_batch unless the implementation batches itself).
  // Thread-safety is the implementation's to state; search needs a thread-safe evaluator
  // (BatchingEvaluator, or a cache over one).
  virtual void evaluate(EvalRequest* requests, int n) = 0;
  // Hints that a game starts or ends (drives keep-warm). Thread-safe in every implementation.
  virtual void game_start() {}
  virtual void game_end() {}
  // A thread that will submit positions joins, or leaves. Batching layers use the count to close a
  // batch as soon as every such thread waits, rather than at the deadline. Wrappers forward these
  // to the layer below (EvaluatorWrapper). Thread-safe in every implementation.
  virtual void client_joined() {}
  virtual void client_left() {}
  // A JSON object with counters of this layer and the layers below. Thread-safe.
  virtual std::string stats_json() const { return "{}"; }
  // The batches this stack sent to its backend so far (see BatchCounters); zeros where no layer
  // counts. Thread-safe.
  virtual BatchCounters batch_counters() const { return {}; }
};

using EvaluatorPtr = std::shared_ptr<Evaluator>;

// Base of the wrappers around an evaluator (cache, batching, timing): owns the layer below and
// forwards the hints to it, so a wrapper overrides only what it changes. Thread-safety: that of
// the inner evaluator's hints (thread-safe, as stated above).
class EvaluatorWrapper : public Evaluator {
 public:
  // Throws std::invalid_argument "<what>: no inner evaluator" when inner is null.
  EvaluatorWrapper(EvaluatorPtr inner, const std::string& what) : inner_(std::move(inner)) {
    if (!inner_) throw std::invalid_argument(what + ": no inner evaluator");
  }
  void game_start() override { inner_->game_start(); }
  void game_end() override { inner_->game_end(); }
  void client_joined() override { inner_->client_joined(); }
  void client_left() override { inner_->client_left(); }
  BatchCounters batch_counters() const override { return inner_->batch_counters(); }

 protected:
  const EvaluatorPtr inner_;
};

}  // namespace hearth
