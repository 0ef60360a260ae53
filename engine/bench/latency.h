// `hearth latency`: how long one plugin forward takes after the process idled for a while, with
// and without keep-warm. The product's point: an eager GPU forward after an idle gap costs several
// times a back-to-back one, and the torch plugin's keep-warm dummies are meant to hide that.
//
// For every configuration (mode x keep-warm, latency.modes x latency.warm) a fresh plugin
// instance is made (no batching layer: one forward = one PluginEvaluator::evaluate() call, timed
// by the wall clock around it; GPU time from the plugin's CUDA events, gpu_timing=on), warmed up,
// then for each batch size and each idle gap `samples` forwards each preceded by that gap (gap 0:
// back to back, `continuous_samples` of them; the gap is measured from the end of the previous
// forward). Then the stop check of each keep-warm configuration: dummies counted after game_end,
// and (on a second instance whose hot window is latency.hot_window_s) after the hot window passed
// with no work; both must be 0. Results: JSON (every sample), markdown (pass/miss per row against
// the targets below), a .dat table for bench/plot_latency.gnuplot.
//
// Thread-safety: the parsing and statistics functions are pure (thread-safe); run_latency is a
// whole program run.
#pragma once

#include <cstddef>
#include <cstdint>
#include <iosfwd>
#include <string>
#include <utility>
#include <vector>

#include "engine/config/options.h"

namespace hearth::latency {

// Targets for keep-warm rows with a gap in [kTargetMinGap, kTargetMaxGap] seconds.
constexpr double kTargetMinGap = 0.05, kTargetMaxGap = 20.0;
constexpr double kTargetP50Ratio = 1.15, kTargetP99Ratio = 1.5, kTargetDuty = 0.03;

struct Mode {
  bool graph = false;  // CUDA graphs, else eager
  bool fp16 = false;
  std::string name() const;  // "graph-fp16"
  bool operator==(const Mode& o) const { return graph == o.graph && fp16 == o.fp16; }
};

struct Warm {
  enum class Kind { Off, Forward, Kernel };
  Kind kind = Kind::Off;
  long long period_us = 0;   // Forward/Kernel only
  std::string name() const;  // "off", "kernel@1000"
  bool operator==(const Warm& o) const { return kind == o.kind && period_us == o.period_us; }
};

struct Config {
  Mode mode;
  Warm warm;
  std::vector<double> gaps;  // seconds, 0 first
  std::string name() const;  // "graph-fp16:kernel@1000"
};

struct Plan {
  std::vector<Config> configs;
  std::vector<int> batches;  // ascending
  int samples = 5, continuous_samples = 20, warmup = 20;
  double hot_window_s = 2.0, stop_observe_s = 1.0;
  int samples_at(double gap) const { return gap == 0 ? continuous_samples : samples; }
  // Seconds spent idle on purpose: every gap times its samples, for every config and batch.
  double gap_seconds() const;
  // Seconds the stop checks wait (hot window, observation, margins) over all keep-warm configs.
  double stop_check_seconds() const;
};

// List parsers. Each throws std::invalid_argument naming `what` (the option) and the bad item.
std::vector<Mode> parse_modes(const std::string& text, const std::string& what);
// off | kernel[@US] | forward[@US]; a bare kernel/forward expands to one item per period.
std::vector<Warm> parse_warm(const std::string& text, const std::vector<long long>& periods, const std::string& what);
std::vector<long long> parse_periods(const std::string& text, const std::string& what);
std::vector<double> parse_gaps(const std::string& text, const std::string& what);  // >= 0, distinct
std::vector<int> parse_batches(const std::string& text, const std::string& what);  // sorted, distinct
// "mode:warm" items (bare kernel/forward not allowed: name one period).
std::vector<std::pair<Mode, Warm>> parse_config_names(const std::string& text, const std::string& what);

// The plan for `s`: modes x warm items (mode-major), gaps with 0 put first when missing, the long
// gaps appended to the long configs (which must be among the planned ones). Throws
// std::invalid_argument naming the option and item.
Plan make_plan(const LatencySettings& s);

// Nearest-rank percentiles (engine/util/percentile.h). All 0 for no samples.
struct Summary {
  size_t count = 0;
  double p50 = 0, p99 = 0, max = 0, mean = 0;
};
Summary summarize(std::vector<double> samples);
// a / b, or 0 when b is not positive.
double ratio(double a, double b);

// "pass" / "miss: <reasons>" for a keep-warm row against the targets; "ref" for keep-warm off,
// "-" for gaps outside the target range. stop_dummies < 0: no stop check ran.
std::string verdict(const Warm& warm, double gap_s, double ratio_p50, double ratio_p99, double duty,
                    long long stop_dummies);

// {"host","date","gpu_name","driver","libtorch",...} for benchmark reports: GPU name and driver
// from NVML (dlopen, absent = "unknown") for CUDA device `cuda_index` (< 0: none), the rest from
// the plugin's stats JSON when it has them. Thread-safe.
std::string machine_json(int cuda_index, const std::string& plugin_stats_json);

// The number after "key": in a JSON text (first occurrence), or `fallback`; and a string value.
double json_number(const std::string& json, const std::string& key, double fallback = 0.0);
std::string json_string(const std::string& json, const std::string& key, const std::string& fallback = "");

// Runs `hearth latency`; returns the exit status: 0, 1 (a run failed) or 2 (bad options). The
// plan and progress go to `out`, logs to stderr.
int run_latency(const Settings& settings, std::ostream& out);

}  // namespace hearth::latency
