// A fixed-size cache of evaluations by position key (Board::eval_key()) in front of another
// evaluator. Memory is allocated once at construction and never grows: each entry takes
// bytes_per_entry(policy_size) = 8 (key) + 4 (value) + 4*policy_size (policy) + 1 (valid flag)
// bytes, i.e. 913 bytes on 15x15: 100000 entries are about 87 MiB.
// A key goes to entry key % capacity and overwrites what was there (no probing, no LRU: cheap,
// and recent positions are the ones search asks for again).
//
// Thread-safety: thread-safe if the inner evaluator is. Entries are guarded by sharded mutexes;
// the inner evaluator is called without any of them held.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "evaluator/evaluator.h"

namespace hearth {

class CachingEvaluator : public EvaluatorWrapper {
 public:
  struct Stats {
    uint64_t hits = 0;
    uint64_t misses = 0;
    double hit_rate = 0.0;  // hits / (hits + misses), 0 before any lookup
  };

  // capacity: entries; 0 = pass every call through uncached.
  CachingEvaluator(EvaluatorPtr inner, size_t capacity);

  static size_t bytes_per_entry(int policy_size) { return 8 + 4 + 4 * static_cast<size_t>(policy_size) + 1; }
  size_t capacity() const { return capacity_; }
  size_t memory_bytes() const { return capacity_ * bytes_per_entry(spec_.policy_size); }

  const EvalSpec& spec() const override { return spec_; }
  // Hits are copied out; the misses of this call go to the inner evaluator as ONE evaluate()
  // call (keeping a search thread's minibatch together for the batching layer), then stored.
  // If the inner throws, nothing is stored and the exception propagates.
  void evaluate(EvalRequest* requests, int n) override;
  // {"capacity", "bytes", "hits", "misses", "hit_rate", "inner": ...}
  std::string stats_json() const override;
  Stats stats() const;

 private:
  static constexpr size_t kShards = 64;

  bool lookup(const EvalRequest& request);  // copies out on a hit
  void store(const EvalRequest& request);

  EvalSpec spec_;
  size_t capacity_;
  size_t policy_size_;
  std::vector<uint64_t> keys_;
  std::vector<float> values_;
  std::vector<float> policies_;  // capacity x policy_size
  std::vector<uint8_t> valid_;   // a key of 0 is a valid key, so occupancy is kept apart
  std::unique_ptr<std::mutex[]> shard_mutexes_;  // entry e is guarded by e % kShards
  std::atomic<uint64_t> hits_{0}, misses_{0};
};

}  // namespace hearth
