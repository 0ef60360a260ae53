// `hearth latency`'s results and their reports: what one configuration measured (every sample,
// the summaries and ratios per batch and gap, keep-warm telemetry, the stop check), the
// pass/miss rule against the targets below, and the writers of the JSON (every sample), the
// markdown summary (pass/miss per row) and the .dat table for bench/plot_latency.gnuplot.
//
// Thread-safety: pure functions (thread-safe).
#pragma once

#include <algorithm>
#include <string>
#include <vector>

#include "engine/bench/latency_plan.h"
#include "engine/bench/report.h"
#include "engine/config/options.h"

namespace hearth::latency {

// Targets for keep-warm rows with a gap in [kTargetMinGap, kTargetMaxGap] seconds.
constexpr double kTargetMinGap = 0.05, kTargetMaxGap = 20.0;
constexpr double kTargetP50Ratio = 1.15, kTargetP99Ratio = 1.5, kTargetDuty = 0.03;

struct Sample {
  double wall_us = 0;
  double gpu_us = -1;  // < 0: not measured (CPU, or no gpu_timing)
};

struct GapResult {
  double gap_s = 0;
  std::vector<Sample> samples;
  bench::Summary wall, gpu;
  double ratio_p50 = 0, ratio_p99 = 0;
};

struct BatchResult {
  int batch = 0;
  std::vector<GapResult> gaps;
};

struct StopCheck {
  bool ran = false;
  long long after_game_end = -1, after_hot_window = -1, during_hot_window = -1;
  long long total() const { return std::max(0LL, after_game_end) + std::max(0LL, after_hot_window); }
};

struct ConfigResult {
  Config config;
  std::string error;  // non-empty: the configuration failed
  std::vector<BatchResult> batches;
  double duty = 0;
  long long dummies = 0, skipped = 0;
  double sm_clock_mhz = -1, pstate = -1;
  StopCheck stop;
  std::string plugin_stats = "null";
};

// "pass" / "miss: <reasons>" for a keep-warm row against the targets; "ref" for keep-warm off,
// "-" for gaps outside the target range. stop_dummies < 0: no stop check ran.
std::string verdict(const Warm& warm, double gap_s, double ratio_p50, double ratio_p99, double duty,
                    long long stop_dummies);

// The reports of a run of `plan` with settings `s` on `machine` (bench::machine_json).
std::string report_json(const LatencySettings& s, const Plan& plan, const std::string& machine,
                        const std::vector<ConfigResult>& results);
std::string report_markdown(const LatencySettings& s, const Plan& plan, const std::string& machine,
                            const std::vector<ConfigResult>& results);
// gap (s, > 0) then the p50 ratio of each configuration (and batch, when several); "?" = not run.
std::string report_dat(const Plan& plan, const std::vector<ConfigResult>& results);

}  // namespace hearth::latency
