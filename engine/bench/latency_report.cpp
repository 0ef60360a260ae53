#include "engine/bench/latency_report.h"

#include <algorithm>
#include <sstream>
#include <string>
#include <vector>

#include "evaluator/json_text.h"

namespace hearth::latency {
namespace {

using bench::fixed;
using bench::format_number;
using bench::join_ints;
using bench::json_string;
using bench::Summary;

std::string summary_json(const Summary& s) {
  if (s.count == 0) return "null";
  return "{\"count\":" + std::to_string(s.count) + ",\"p50\":" + json::number(s.p50) +
         ",\"p99\":" + json::number(s.p99) + ",\"max\":" + json::number(s.max) + ",\"mean\":" + json::number(s.mean) +
         "}";
}

long long stop_dummies(const ConfigResult& r) { return r.stop.ran ? r.stop.total() : -1; }

}  // namespace

std::string verdict(const Warm& warm, double gap_s, double ratio_p50, double ratio_p99, double duty,
                    long long stop_dummies) {
  if (warm.kind == Warm::Kind::Off) return "ref";
  if (gap_s < kTargetMinGap || gap_s > kTargetMaxGap) return "-";
  std::string why;
  auto add = [&](const std::string& reason) { why += (why.empty() ? "" : ", ") + reason; };
  if (ratio_p50 > kTargetP50Ratio) add("p50 " + fixed(ratio_p50, 2) + "x");
  if (ratio_p99 > kTargetP99Ratio) add("p99 " + fixed(ratio_p99, 2) + "x");
  if (duty > kTargetDuty) add("duty " + fixed(duty * 100, 1) + "%");
  if (stop_dummies > 0) add(std::to_string(stop_dummies) + " dummies after stop");
  return why.empty() ? "pass" : "miss: " + why;
}

std::string report_json(const LatencySettings& s, const Plan& plan, const std::string& machine,
                        const std::vector<ConfigResult>& results) {
  std::ostringstream o;
  o << "{\"bench\":\"latency\",\"machine\":" << machine << ",\"settings\":{\"plugin\":" << json::quote(s.plugin)
    << ",\"model\":" << json::quote(s.model) << ",\"device\":" << json::quote(s.device)
    << ",\"modes\":" << json::quote(s.modes) << ",\"warm\":" << json::quote(s.warm)
    << ",\"periods\":" << json::quote(s.periods) << ",\"gaps\":" << json::quote(s.gaps)
    << ",\"long_gaps\":" << json::quote(s.long_gaps) << ",\"long_configs\":" << json::quote(s.long_configs)
    << ",\"batches\":" << json::quote(join_ints(plan.batches)) << ",\"samples\":" << plan.samples
    << ",\"continuous_samples\":" << plan.continuous_samples << ",\"warmup\":" << plan.warmup
    << ",\"hot_window_s\":" << json::number(plan.hot_window_s)
    << ",\"stop_observe_s\":" << json::number(plan.stop_observe_s)
    << ",\"gpu_time\":" << (s.gpu_time ? "true" : "false")
    << "},\"targets\":{\"min_gap_s\":" << json::number(kTargetMinGap)
    << ",\"max_gap_s\":" << json::number(kTargetMaxGap) << ",\"p50_ratio\":" << json::number(kTargetP50Ratio)
    << ",\"p99_ratio\":" << json::number(kTargetP99Ratio) << ",\"duty\":" << json::number(kTargetDuty)
    << ",\"dummies_after_stop\":0},\"expected_seconds\":{\"gaps\":" << json::number(plan.gap_seconds())
    << ",\"stop_checks\":" << json::number(plan.stop_check_seconds()) << "},\"configs\":[";
  for (size_t i = 0; i < results.size(); ++i) {
    const ConfigResult& r = results[i];
    const Config& c = r.config;
    o << (i ? "," : "") << "{\"name\":" << json::quote(c.name()) << ",\"mode\":\"" << (c.mode.graph ? "graph" : "eager")
      << "\",\"dtype\":\"" << (c.mode.fp16 ? "fp16" : "fp32") << "\",\"warm\":\""
      << (c.warm.kind == Warm::Kind::Off      ? "off"
          : c.warm.kind == Warm::Kind::Kernel ? "kernel"
                                              : "forward")
      << "\",\"period_us\":" << c.warm.period_us << ",\"error\":" << (r.error.empty() ? "null" : json::quote(r.error))
      << ",\"batches\":[";
    for (size_t j = 0; j < r.batches.size(); ++j) {
      const BatchResult& b = r.batches[j];
      o << (j ? "," : "") << "{\"batch\":" << b.batch << ",\"gaps\":[";
      for (size_t k = 0; k < b.gaps.size(); ++k) {
        const GapResult& g = b.gaps[k];
        o << (k ? "," : "") << "{\"gap_s\":" << json::number(g.gap_s) << ",\"samples\":[";
        for (size_t m = 0; m < g.samples.size(); ++m)
          o << (m ? "," : "") << "{\"wall_us\":" << json::number(g.samples[m].wall_us)
            << ",\"gpu_us\":" << (g.samples[m].gpu_us >= 0 ? json::number(g.samples[m].gpu_us) : "null") << "}";
        o << "],\"wall_us\":" << summary_json(g.wall) << ",\"gpu_us\":" << summary_json(g.gpu)
          << ",\"ratio_p50\":" << json::number(g.ratio_p50) << ",\"ratio_p99\":" << json::number(g.ratio_p99)
          << ",\"verdict\":" << json::quote(verdict(c.warm, g.gap_s, g.ratio_p50, g.ratio_p99, r.duty, stop_dummies(r)))
          << "}";
      }
      o << "]}";
    }
    o << "],\"keep_warm\":{\"duty\":" << json::number(r.duty) << ",\"dummies\":" << r.dummies
      << ",\"skipped\":" << r.skipped << "},\"nvml\":";
    if (r.sm_clock_mhz >= 0 || r.pstate >= 0)
      o << "{\"sm_clock_mhz\":" << json::number(r.sm_clock_mhz) << ",\"pstate\":" << json::number(r.pstate) << "}";
    else
      o << "null";
    o << ",\"stop_check\":";
    if (r.stop.ran)
      o << "{\"after_game_end\":" << r.stop.after_game_end << ",\"after_hot_window\":" << r.stop.after_hot_window
        << ",\"during_hot_window\":" << r.stop.during_hot_window
        << ",\"hot_window_s\":" << json::number(plan.hot_window_s)
        << ",\"observe_s\":" << json::number(plan.stop_observe_s) << "}";
    else
      o << "null";
    o << ",\"plugin_stats\":" << r.plugin_stats << "}";
  }
  o << "]}\n";
  return o.str();
}

std::string report_markdown(const LatencySettings& s, const Plan& plan, const std::string& machine,
                            const std::vector<ConfigResult>& results) {
  std::ostringstream o;
  o << "# Hearth latency after idle gaps\n\n"
    << "Machine: " << json_string(machine, "host", "?") << ", " << json_string(machine, "date", "?") << ", GPU "
    << json_string(machine, "gpu_name", "unknown") << " (driver " << json_string(machine, "driver", "unknown")
    << "), LibTorch " << json_string(machine, "libtorch", "unknown") << ", device " << s.device << ", model " << s.model
    << ".\n\n"
    << "One forward = one plugin evaluate() call, wall clock around it; ratios are to gap 0 (back to back) of the\n"
    << "same configuration and batch. Target for keep-warm rows with a gap of " << kTargetMinGap << "-" << kTargetMaxGap
    << " s: p50 <= " << kTargetP50Ratio << "x, p99 <= " << kTargetP99Ratio << "x, duty <= " << kTargetDuty * 100
    << " %, 0 dummies after game_end and after the hot window. `ref`: keep-warm off.\n\n"
    << "| config | batch | gap s | n | p50 us | p99 us | max us | ratio p50 | ratio p99 | GPU p50 us | duty % | "
       "verdict |\n"
    << "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|\n";
  for (const ConfigResult& r : results) {
    if (!r.error.empty()) {
      o << "| " << r.config.name() << " | | | | | | | | | | | failed: " << r.error << " |\n";
      continue;
    }
    for (const BatchResult& b : r.batches)
      for (const GapResult& g : b.gaps)
        o << "| " << r.config.name() << " | " << b.batch << " | " << format_number(g.gap_s) << " | " << g.wall.count
          << " | " << fixed(g.wall.p50, 1) << " | " << fixed(g.wall.p99, 1) << " | " << fixed(g.wall.max, 1) << " | "
          << fixed(g.ratio_p50, 2) << " | " << fixed(g.ratio_p99, 2) << " | "
          << (g.gpu.count ? fixed(g.gpu.p50, 1) : "-") << " | " << fixed(r.duty * 100, 2) << " | "
          << verdict(r.config.warm, g.gap_s, g.ratio_p50, g.ratio_p99, r.duty, stop_dummies(r)) << " |\n";
  }
  o << "\n## Keep-warm stop check and telemetry\n\n"
    << "Dummies counted over " << plan.stop_observe_s << " s after game_end, and after a hot window of "
    << plan.hot_window_s << " s (+ one period) with no work; both must be 0.\n\n"
    << "| config | after game_end | after hot window | during hot window | dummies | skipped | duty % | SM MHz | "
       "P-state |\n"
    << "|---|---:|---:|---:|---:|---:|---:|---:|---:|\n";
  for (const ConfigResult& r : results) {
    if (!r.error.empty()) continue;
    auto opt = [](double v) { return v >= 0 ? format_number(v) : std::string("-"); };
    o << "| " << r.config.name() << " | " << (r.stop.ran ? std::to_string(r.stop.after_game_end) : "-") << " | "
      << (r.stop.ran ? std::to_string(r.stop.after_hot_window) : "-") << " | "
      << (r.stop.ran ? std::to_string(r.stop.during_hot_window) : "-") << " | " << r.dummies << " | " << r.skipped
      << " | " << fixed(r.duty * 100, 2) << " | " << opt(r.sm_clock_mhz) << " | " << opt(r.pstate) << " |\n";
  }
  return o.str();
}

// gap (s, > 0) then the p50 ratio of each configuration (and batch, when several); "?" = not run.
std::string report_dat(const Plan& plan, const std::vector<ConfigResult>& results) {
  std::vector<double> gaps;
  for (const ConfigResult& r : results)
    for (const BatchResult& b : r.batches)
      for (const GapResult& g : b.gaps)
        if (g.gap_s > 0) gaps.push_back(g.gap_s);
  std::sort(gaps.begin(), gaps.end());
  gaps.erase(std::unique(gaps.begin(), gaps.end()), gaps.end());
  std::ostringstream o;
  o << "gap_s";
  for (const ConfigResult& r : results)
    for (int batch : plan.batches)
      o << " " << r.config.name() << (plan.batches.size() > 1 ? "/b" + std::to_string(batch) : "");
  o << "\n";
  for (double gap : gaps) {
    o << format_number(gap);
    for (const ConfigResult& r : results)
      for (int batch : plan.batches) {
        std::string cell = "?";
        for (const BatchResult& b : r.batches)
          for (const GapResult& g : b.gaps)
            if (b.batch == batch && g.gap_s == gap) cell = fixed(g.ratio_p50, 4);
        o << " " << cell;
      }
    o << "\n";
  }
  return o.str();
}

}  // namespace hearth::latency
