// Direct-mapped evaluation cache with sharded locks.
#include "evaluator/caching_evaluator.h"

#include <algorithm>
#include <cstring>
#include <stdexcept>

#include "evaluator/json_text.h"

namespace hearth {

CachingEvaluator::CachingEvaluator(EvaluatorPtr inner, size_t capacity)
    : EvaluatorWrapper(std::move(inner), "caching evaluator"), capacity_(capacity) {
  spec_ = inner_->spec();
  policy_size_ = static_cast<size_t>(spec_.policy_size);
  keys_.assign(capacity_, 0);
  values_.assign(capacity_, 0.0f);
  policies_.assign(capacity_ * policy_size_, 0.0f);
  valid_.assign(capacity_, 0);
  shard_mutexes_ = std::make_unique<std::mutex[]>(kShards);
}

bool CachingEvaluator::lookup(const EvalRequest& r) {
  const size_t entry = r.key % capacity_;
  std::lock_guard<std::mutex> lock(shard_mutexes_[entry % kShards]);
  if (!valid_[entry] || keys_[entry] != r.key) return false;
  std::memcpy(r.policy, &policies_[entry * policy_size_], policy_size_ * sizeof(float));
  *r.value = values_[entry];
  return true;
}

void CachingEvaluator::store(const EvalRequest& r) {
  const size_t entry = r.key % capacity_;
  std::lock_guard<std::mutex> lock(shard_mutexes_[entry % kShards]);
  keys_[entry] = r.key;
  values_[entry] = *r.value;
  std::memcpy(&policies_[entry * policy_size_], r.policy, policy_size_ * sizeof(float));
  valid_[entry] = 1;
}

void CachingEvaluator::evaluate(EvalRequest* requests, int n) {
  if (n <= 0) return;
  if (capacity_ == 0) {
    misses_ += n;
    inner_->evaluate(requests, n);
    return;
  }
  // Small calls are the common case: keep the miss list off the heap for them.
  constexpr int kInline = 64;
  EvalRequest inline_misses[kInline];
  std::vector<EvalRequest> heap_misses;
  EvalRequest* misses = inline_misses;
  if (n > kInline) {
    heap_misses.resize(n);
    misses = heap_misses.data();
  }
  int m = 0;
  for (int i = 0; i < n; ++i)
    if (!lookup(requests[i])) misses[m++] = requests[i];
  hits_ += n - m;
  misses_ += m;
  if (m == 0) return;
  inner_->evaluate(misses, m);
  for (int i = 0; i < m; ++i) store(misses[i]);
}

CachingEvaluator::Stats CachingEvaluator::stats() const {
  Stats s;
  s.hits = hits_.load();
  s.misses = misses_.load();
  const uint64_t total = s.hits + s.misses;
  s.hit_rate = total ? static_cast<double>(s.hits) / total : 0.0;
  return s;
}

std::string CachingEvaluator::stats_json() const {
  const Stats s = stats();
  return "{\"capacity\":" + std::to_string(capacity_) + ",\"bytes\":" + std::to_string(memory_bytes()) +
         ",\"hits\":" + std::to_string(s.hits) + ",\"misses\":" + std::to_string(s.misses) +
         ",\"hit_rate\":" + json::number(s.hit_rate) + ",\"inner\":" + inner_->stats_json() + "}";
}

}  // namespace hearth
