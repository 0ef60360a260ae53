// The one percentile definition of every report (benchmarks, keep-warm telemetry): nearest rank,
// the smallest sample with at least a fraction q of the samples at or below it. With 5 samples
// p99 is the maximum; with 100 samples 1..100, p50 is 50 and p99 is 99. Header-only, no
// dependencies (plugins use it too). Pure: thread-safe.
#pragma once

#include <algorithm>
#include <cmath>
#include <vector>

namespace hearth {

// `sorted` ascending; 0 when empty.
inline double percentile_of_sorted(const std::vector<double>& sorted, double q) {
  if (sorted.empty()) return 0;
  const double rank = std::ceil(q * static_cast<double>(sorted.size()) - 1e-9);
  const size_t index = static_cast<size_t>(std::clamp(rank, 1.0, static_cast<double>(sorted.size()))) - 1;
  return sorted[index];
}

inline double percentile(std::vector<double> samples, double q) {
  std::sort(samples.begin(), samples.end());
  return percentile_of_sorted(samples, q);
}

}  // namespace hearth
