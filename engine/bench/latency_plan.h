// `hearth latency`'s plan: the configurations (mode x keep-warm) it times, their idle gaps and
// batch sizes, read from the latency.* options by the list parsers below, and the time the plan
// is expected to take.
//
// Thread-safety: pure functions (thread-safe).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "engine/config/options.h"

namespace hearth::latency {

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

}  // namespace hearth::latency
