#include "engine/util/text.h"
#include "engine/util/nvml_probe.h"
#include "engine/util/percentile.h"
#include "engine/bench/latency.h"

#include <dlfcn.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <memory>
#include <ostream>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <utility>

#include "engine/bench/search_bench.h"
#include "engine/game/encoding.h"
#include "evaluator/json_text.h"
#include "evaluator/device_name.h"
#include "evaluator/plugin_evaluator.h"
#include "evaluator/plugin_loader.h"

namespace hearth::latency {
namespace {

using Clock = std::chrono::steady_clock;

Mode parse_mode(const std::string& item, const std::string& what) {
  for (bool graph : {false, true})
    for (bool fp16 : {false, true})
      if (item == Mode{graph, fp16}.name()) return Mode{graph, fp16};
  throw std::invalid_argument(what + ": '" + item + "' is not a mode (eager-fp32, graph-fp32, graph-fp16, eager-fp16)");
}

// One warm item with an explicit period, or nullopt-like Off for "off"; bare names handled by callers.
Warm parse_warm_item(const std::string& item, const std::string& what) {
  if (item == "off") return Warm{};
  const size_t at = item.find('@');
  const std::string kind = item.substr(0, at);
  Warm w;
  if (kind == "kernel") {
    w.kind = Warm::Kind::Kernel;
  } else if (kind == "forward") {
    w.kind = Warm::Kind::Forward;
  } else {
    throw std::invalid_argument(what + ": '" + item + "' is not off, kernel[@US] or forward[@US]");
  }
  if (at == std::string::npos)
    throw std::invalid_argument(what + ": '" + item + "' needs a period, e.g. " + kind + "@1000");
  if (!parse_int(item.substr(at + 1), &w.period_us) || w.period_us < 1)
    throw std::invalid_argument(what + ": '" + item + "': the period must be an integer >= 1 (microseconds)");
  return w;
}

std::string format_number(double x) {
  std::ostringstream o;
  o << x;
  return o.str();
}

std::string join_ints(const std::vector<int>& v) {
  std::string s;
  for (int x : v) s += (s.empty() ? "" : ",") + std::to_string(x);
  return s;
}

double micros(Clock::duration d) { return std::chrono::duration<double, std::micro>(d).count(); }

// ---- results ----

struct Sample {
  double wall_us = 0;
  double gpu_us = -1;  // < 0: not measured (CPU, or no gpu_timing)
};

struct GapResult {
  double gap_s = 0;
  std::vector<Sample> samples;
  Summary wall, gpu;
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

// What every configuration shares.
struct Context {
  std::string plugin;
  std::vector<std::string> search_dirs;
  std::string model, device;
  bool cuda = false;
  bool gpu_time = false;  // CUDA events on, read after every forward
  int board_size = 0;
  PluginOptions extra;               // [plugin] options from the settings: override ours
  std::vector<float> planes;         // max batch positions, encoded
  std::vector<float> policy, value;  // outputs
};

PluginOptions plugin_options(const Context& ctx, const Config& c, const std::vector<int>& buckets,
                             double hot_window_s) {
  PluginOptions o = {{"model", ctx.model},
                     {"device", ctx.device},
                     {"mode", c.mode.graph ? "graph" : "eager"},
                     {"dtype", c.mode.fp16 ? "fp16" : "fp32"},
                     {"buckets", join_ints(buckets)},
                     {"keep_warm", c.warm.kind == Warm::Kind::Off ? "off" : "on"},
                     {"hot_window_s", format_number(hot_window_s)},
                     {"gpu_timing", ctx.gpu_time ? "on" : "off"}};
  if (c.warm.kind != Warm::Kind::Off) {
    o.emplace_back("warm_kind", c.warm.kind == Warm::Kind::Kernel ? "kernel" : "forward");
    o.emplace_back("warm_period_us", std::to_string(c.warm.period_us));
  }
  o.insert(o.end(), ctx.extra.begin(), ctx.extra.end());  // the plugin keeps the last value of a key
  return o;
}

std::unique_ptr<PluginEvaluator> make_instance(const Context& ctx, const PluginOptions& options) {
  return std::make_unique<PluginEvaluator>(load_plugin(ctx.plugin, ctx.search_dirs), ctx.board_size, Rule::Freestyle,
                                           options);
}

void forward(PluginEvaluator& ev, Context& ctx, int n) {
  std::vector<EvalRequest> requests(static_cast<size_t>(n));
  const size_t in = static_cast<size_t>(input_floats(ctx.board_size));
  const size_t cells = static_cast<size_t>(ctx.board_size) * ctx.board_size;
  for (int i = 0; i < n; ++i) {
    requests[i].planes = &ctx.planes[in * i];
    requests[i].policy = &ctx.policy[cells * i];
    requests[i].value = &ctx.value[i];
  }
  ev.evaluate(requests.data(), n);
}

long long dummies_of(const PluginEvaluator& ev) {
  return static_cast<long long>(json_number(ev.stats_json(), "dummies"));
}

void sleep_seconds(double s) {
  if (s > 0) std::this_thread::sleep_for(std::chrono::duration<double>(s));
}

// How long to wait before counting "dummies after": a tick due just before the stop still runs
// its dummy (a forward of the smallest batch at most), which must not be counted as after it.
Clock::duration settle_time(const Config& c, Clock::duration forward_time) {
  return std::chrono::milliseconds(20) + std::chrono::microseconds(c.warm.period_us) + 2 * forward_time;
}

// The keep-warm stop check on a second instance with the short hot window: one real forward, no
// game hints, then no dummy may come once the hot window (plus one period) has passed.
void hot_window_check(Context& ctx, const Config& c, const Plan& plan, StopCheck* stop) {
  auto ev = make_instance(ctx, plugin_options(ctx, c, {plan.batches.front()}, plan.hot_window_s));
  const Clock::time_point start = Clock::now();
  forward(*ev, ctx, plan.batches.front());
  const Clock::time_point end = Clock::now();
  std::this_thread::sleep_until(
      end + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(plan.hot_window_s)) +
      settle_time(c, end - start));
  const long long before = dummies_of(*ev);
  sleep_seconds(plan.stop_observe_s);
  stop->during_hot_window = before;
  stop->after_hot_window = dummies_of(*ev) - before;
}

ConfigResult run_config(Context& ctx, const Config& c, const Plan& plan, std::ostream& out) {
  ConfigResult r;
  r.config = c;
  try {
    // The measuring instance stays hot across the longest gap: the game is on (game_start), and
    // the hot window outlasts every gap, so only keep-warm decides what an idle gap costs.
    const double longest = *std::max_element(c.gaps.begin(), c.gaps.end());
    auto ev = make_instance(ctx, plugin_options(ctx, c, plan.batches, longest + 10.0));
    ev->game_start();
    for (int b : plan.batches)
      for (int i = 0; i < plan.warmup; ++i) forward(*ev, ctx, b);
    Clock::time_point last_end = Clock::now();
    for (int b : plan.batches) {
      BatchResult br;
      br.batch = b;
      for (double gap : c.gaps) {
        GapResult g;
        g.gap_s = gap;
        for (int i = 0; i < plan.samples_at(gap); ++i) {
          if (gap > 0) std::this_thread::sleep_until(last_end + std::chrono::duration<double>(gap));
          const Clock::time_point t0 = Clock::now();
          forward(*ev, ctx, b);
          last_end = Clock::now();
          Sample s;
          s.wall_us = micros(last_end - t0);
          // Read between forwards: at gap 0 the only idle time (latency.gpu_time off removes it).
          if (ctx.gpu_time) s.gpu_us = json_number(ev->stats_json(), "last_gpu_us", -1);
          g.samples.push_back(s);
        }
        std::vector<double> wall, gpu;
        for (const Sample& s : g.samples) {
          wall.push_back(s.wall_us);
          if (s.gpu_us >= 0) gpu.push_back(s.gpu_us);
        }
        g.wall = summarize(wall);
        g.gpu = summarize(gpu);
        const GapResult& base = br.gaps.empty() ? g : br.gaps.front();  // gap 0 comes first
        g.ratio_p50 = ratio(g.wall.p50, base.wall.p50);
        g.ratio_p99 = ratio(g.wall.p99, base.wall.p99);
        char line[200];
        std::snprintf(line, sizeof(line), "  %-26s batch %4d gap %7gs: p50 %9.1f p99 %9.1f max %9.1f us  x%.2f x%.2f\n",
                      c.name().c_str(), b, gap, g.wall.p50, g.wall.p99, g.wall.max, g.ratio_p50, g.ratio_p99);
        out << line << std::flush;
        br.gaps.push_back(std::move(g));
      }
      r.batches.push_back(std::move(br));
    }
    r.plugin_stats = json::object_or_string(ev->stats_json());
    r.duty = json_number(r.plugin_stats, "duty");
    r.dummies = static_cast<long long>(json_number(r.plugin_stats, "dummies"));
    r.skipped = static_cast<long long>(json_number(r.plugin_stats, "skipped"));
    r.sm_clock_mhz = json_number(r.plugin_stats, "sm_clock_mhz", -1);
    r.pstate = json_number(r.plugin_stats, "pstate", -1);
    if (c.warm.kind != Warm::Kind::Off) {
      r.stop.ran = true;
      ev->game_end();
      const double smallest_us = r.batches.front().gaps.front().wall.max;  // the smallest batch back to back
      std::this_thread::sleep_for(settle_time(
          c, std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double, std::micro>(smallest_us))));
      const long long before = dummies_of(*ev);
      sleep_seconds(plan.stop_observe_s);
      r.stop.after_game_end = dummies_of(*ev) - before;
      ev.reset();
      hot_window_check(ctx, c, plan, &r.stop);
      out << "  " << c.name() << " stop check: " << r.stop.after_game_end << " dummies after game_end, "
          << r.stop.after_hot_window << " after the hot window\n";
    }
  } catch (const std::exception& e) {
    r.error = e.what();
    spdlog::error("latency: {}: {}", c.name(), e.what());
    out << "  " << c.name() << " FAILED: " << e.what() << "\n";
  }
  return r;
}

// The board size the model serves: the first size at which a small CPU instance can be made.
int probe_board_size(const LatencySettings& s, const std::vector<std::string>& dirs, const PluginOptions& extra) {
  std::vector<int> sizes = {20, 15};
  for (int n = Board::kMinSize; n <= Board::kMaxSize; ++n)
    if (n != 20 && n != 15) sizes.push_back(n);
  std::string first_error;
  for (int n : sizes) {
    PluginOptions o = extra;
    for (const auto& kv : PluginOptions{{"model", s.model},
                                        {"device", "cpu"},
                                        {"mode", "eager"},
                                        {"dtype", "fp32"},
                                        {"buckets", "1"},
                                        {"keep_warm", "off"}})
      o.push_back(kv);
    try {
      PluginEvaluator probe(load_plugin(s.plugin, dirs), n, Rule::Freestyle, o);
      return n;
    } catch (const std::exception& e) {
      if (first_error.empty()) first_error = e.what();
    }
  }
  throw std::runtime_error("cannot tell the model's board size (no size 5..22 loads); at size 20: " + first_error);
}

int cuda_index_of(const std::string& device) { return parse_device_name(device).value_or(kCpuDevice); }

std::string summary_json(const Summary& s) {
  if (s.count == 0) return "null";
  return "{\"count\":" + std::to_string(s.count) + ",\"p50\":" + json::number(s.p50) +
         ",\"p99\":" + json::number(s.p99) + ",\"max\":" + json::number(s.max) + ",\"mean\":" + json::number(s.mean) +
         "}";
}

long long stop_dummies(const ConfigResult& r) { return r.stop.ran ? r.stop.total() : -1; }

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

std::string fixed(double x, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.*f", digits, x);
  return buf;
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

}  // namespace

// ---- names ----

std::string Mode::name() const { return std::string(graph ? "graph" : "eager") + (fp16 ? "-fp16" : "-fp32"); }

std::string Warm::name() const {
  switch (kind) {
    case Kind::Off:
      return "off";
    case Kind::Kernel:
      return "kernel@" + std::to_string(period_us);
    case Kind::Forward:
      return "forward@" + std::to_string(period_us);
  }
  return "?";
}

std::string Config::name() const { return mode.name() + ":" + warm.name(); }

double Plan::gap_seconds() const {
  double total = 0;
  for (const Config& c : configs)
    for (double gap : c.gaps) total += gap * samples_at(gap) * static_cast<double>(batches.size());
  return total;
}

double Plan::stop_check_seconds() const {
  double total = 0;
  for (const Config& c : configs)
    if (c.warm.kind != Warm::Kind::Off)
      total += 2 * stop_observe_s + hot_window_s + 2 * (static_cast<double>(c.warm.period_us) * 1e-6 + 0.02);
  return total;
}

// ---- parsing ----

std::vector<Mode> parse_modes(const std::string& text, const std::string& what) {
  std::vector<Mode> modes;
  for (const std::string& item : split_list(text, what)) {
    const Mode m = parse_mode(item, what);
    if (std::find(modes.begin(), modes.end(), m) != modes.end())
      throw std::invalid_argument(what + ": '" + item + "' is listed twice");
    modes.push_back(m);
  }
  if (modes.empty()) throw std::invalid_argument(what + ": no modes given");
  return modes;
}

std::vector<long long> parse_periods(const std::string& text, const std::string& what) {
  std::vector<long long> periods;
  for (const std::string& item : split_list(text, what)) {
    long long p = 0;
    if (!parse_int(item, &p) || p < 1)
      throw std::invalid_argument(what + ": '" + item + "' is not a period in microseconds (an integer >= 1)");
    if (std::find(periods.begin(), periods.end(), p) != periods.end())
      throw std::invalid_argument(what + ": '" + item + "' is listed twice");
    periods.push_back(p);
  }
  return periods;
}

std::vector<Warm> parse_warm(const std::string& text, const std::vector<long long>& periods, const std::string& what) {
  std::vector<Warm> out;
  auto add = [&](const Warm& w, const std::string& item) {
    if (std::find(out.begin(), out.end(), w) != out.end())
      throw std::invalid_argument(what + ": '" + item + "' repeats " + w.name());
    out.push_back(w);
  };
  for (const std::string& item : split_list(text, what)) {
    if (item == "kernel" || item == "forward") {
      if (periods.empty())
        throw std::invalid_argument(what + ": bare '" + item + "' needs latency.periods (or write " + item + "@US)");
      for (long long p : periods) add(Warm{item == "kernel" ? Warm::Kind::Kernel : Warm::Kind::Forward, p}, item);
    } else {
      add(parse_warm_item(item, what), item);
    }
  }
  if (out.empty()) throw std::invalid_argument(what + ": no keep-warm settings given (use off for none)");
  return out;
}

std::vector<double> parse_gaps(const std::string& text, const std::string& what) {
  std::vector<double> gaps;
  for (const std::string& item : split_list(text, what)) {
    double g = 0;
    if (!parse_real(item, &g) || g < 0 || g > 3600)
      throw std::invalid_argument(what + ": '" + item + "' is not a gap in seconds (0..3600)");
    if (std::find(gaps.begin(), gaps.end(), g) != gaps.end())
      throw std::invalid_argument(what + ": '" + item + "' is listed twice");
    gaps.push_back(g);
  }
  return gaps;
}

std::vector<int> parse_batches(const std::string& text, const std::string& what) {
  std::vector<int> batches;
  for (const std::string& item : split_list(text, what)) {
    long long b = 0;
    if (!parse_int(item, &b) || b < 1 || b > 4096)
      throw std::invalid_argument(what + ": '" + item + "' is not a batch size (1..4096)");
    if (std::find(batches.begin(), batches.end(), static_cast<int>(b)) != batches.end())
      throw std::invalid_argument(what + ": '" + item + "' is listed twice");
    batches.push_back(static_cast<int>(b));
  }
  if (batches.empty()) throw std::invalid_argument(what + ": no batch sizes given");
  if (batches.size() > 16) throw std::invalid_argument(what + ": at most 16 batch sizes (the plugin's bucket limit)");
  std::sort(batches.begin(), batches.end());
  return batches;
}

std::vector<std::pair<Mode, Warm>> parse_config_names(const std::string& text, const std::string& what) {
  std::vector<std::pair<Mode, Warm>> out;
  for (const std::string& item : split_list(text, what)) {
    const size_t colon = item.find(':');
    if (colon == std::string::npos)
      throw std::invalid_argument(what + ": '" + item + "' is not mode:warm (e.g. graph-fp16:kernel@1000)");
    out.emplace_back(parse_mode(trim(item.substr(0, colon)), what),
                     parse_warm_item(trim(item.substr(colon + 1)), what));
  }
  return out;
}

Plan make_plan(const LatencySettings& s) {
  Plan plan;
  plan.samples = s.samples;
  plan.continuous_samples = s.continuous_samples;
  plan.warmup = s.warmup;
  plan.hot_window_s = s.hot_window_s;
  plan.stop_observe_s = s.stop_observe_s;
  if (plan.samples < 1 || plan.continuous_samples < 1 || plan.warmup < 0)
    throw std::invalid_argument("latency: samples and continuous_samples must be >= 1, warmup >= 0");
  if (!(plan.hot_window_s > 0) || plan.stop_observe_s < 0)
    throw std::invalid_argument("latency: hot_window_s must be > 0 and stop_observe_s >= 0");
  plan.batches = parse_batches(s.batches, "latency.batches");
  const std::vector<Mode> modes = parse_modes(s.modes, "latency.modes");
  const std::vector<Warm> warms = parse_warm(s.warm, parse_periods(s.periods, "latency.periods"), "latency.warm");
  std::vector<double> gaps = parse_gaps(s.gaps, "latency.gaps");
  gaps.erase(std::remove(gaps.begin(), gaps.end(), 0.0), gaps.end());
  gaps.insert(gaps.begin(), 0.0);  // every ratio is to gap 0: always measured, first
  for (const Mode& m : modes)
    for (const Warm& w : warms) plan.configs.push_back(Config{m, w, gaps});

  const std::vector<double> long_gaps = parse_gaps(s.long_gaps, "latency.long_gaps");
  const auto long_configs = parse_config_names(s.long_configs, "latency.long_configs");
  if (long_gaps.empty() != long_configs.empty())
    throw std::invalid_argument("latency.long_gaps and latency.long_configs go together: give both or neither");
  for (const auto& [mode, warm] : long_configs) {
    auto it = std::find_if(plan.configs.begin(), plan.configs.end(),
                           [&](const Config& c) { return c.mode == mode && c.warm == warm; });
    const std::string name = Config{mode, warm, {}}.name();
    if (it == plan.configs.end())
      throw std::invalid_argument("latency.long_configs: '" + name + "' is not among the planned configurations");
    for (double g : long_gaps) {
      if (std::find(it->gaps.begin(), it->gaps.end(), g) != it->gaps.end())
        throw std::invalid_argument("latency.long_gaps: " + format_number(g) + " is already a gap of " + name);
      it->gaps.push_back(g);
    }
  }
  return plan;
}

// ---- statistics ----

Summary summarize(std::vector<double> samples) {
  Summary s;
  s.count = samples.size();
  if (samples.empty()) return s;
  std::sort(samples.begin(), samples.end());
  s.p50 = percentile_of_sorted(samples, 0.50);
  s.p99 = percentile_of_sorted(samples, 0.99);
  s.max = samples.back();
  double sum = 0;
  for (double x : samples) sum += x;
  s.mean = sum / static_cast<double>(samples.size());
  return s;
}

double ratio(double a, double b) { return b > 0 ? a / b : 0.0; }

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

// ---- machine and JSON reading ----

double json_number(const std::string& json, const std::string& key, double fallback) {
  const std::string needle = "\"" + key + "\":";
  const size_t at = json.find(needle);
  if (at == std::string::npos) return fallback;
  const char* start = json.c_str() + at + needle.size();
  char* end = nullptr;
  const double v = std::strtod(start, &end);
  return end == start ? fallback : v;
}

std::string json_string(const std::string& json, const std::string& key, const std::string& fallback) {
  const std::string needle = "\"" + key + "\":\"";
  const size_t at = json.find(needle);
  if (at == std::string::npos) return fallback;
  std::string out;
  for (size_t i = at + needle.size(); i < json.size() && json[i] != '"'; ++i) {
    if (json[i] == '\\' && i + 1 < json.size()) ++i;  // our writers escape only quotes and backslashes here
    out += json[i];
  }
  return out;
}

std::string machine_json(int cuda_index, const std::string& plugin_stats_json) {
  char host[256] = {0};
  if (gethostname(host, sizeof(host) - 1) != 0) std::snprintf(host, sizeof(host), "unknown");
  char date[64] = {0};
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  std::strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%SZ", &utc);
  const NvmlProbe nvml(cuda_index);
  return "{\"host\":" + json::quote(host) + ",\"date\":" + json::quote(date) +
         ",\"gpu_name\":" + json::quote(nvml.device_name()) + ",\"driver\":" + json::quote(nvml.driver_version()) +
         ",\"gpu_name_cuda\":" + json::quote(json_string(plugin_stats_json, "gpu_name", "unknown")) +
         ",\"libtorch\":" + json::quote(json_string(plugin_stats_json, "libtorch", "unknown")) +
         ",\"hardware_threads\":" + std::to_string(std::thread::hardware_concurrency()) + "}";
}

// ---- the run ----

int run_latency(const Settings& settings, std::ostream& out) {
  const LatencySettings& s = settings.latency;
  Plan plan;
  try {
    plan = make_plan(s);
  } catch (const std::invalid_argument& e) {
    spdlog::error("{}", e.what());
    return 2;
  }
  size_t forwards = 0;
  for (const Config& c : plan.configs)
    for (double g : c.gaps) forwards += static_cast<size_t>(plan.samples_at(g)) * plan.batches.size();
  out << "hearth latency: " << plan.configs.size() << " configurations x batches " << join_ints(plan.batches) << ", "
      << forwards << " timed forwards\n";
  for (const Config& c : plan.configs) {
    out << "  " << c.name() << ": gaps";
    for (double g : c.gaps) out << " " << format_number(g);
    out << " s\n";
  }
  char eta[200];
  std::snprintf(eta, sizeof(eta),
                "expected duration: %.0f s of idle gaps + %.0f s of stop checks = %.0f s, plus setup (model load, "
                "warm-up, graph capture) per configuration\n",
                plan.gap_seconds(), plan.stop_check_seconds(), plan.gap_seconds() + plan.stop_check_seconds());
  out << eta << std::flush;
  if (s.dry_run) return 0;
  if (s.model.empty()) {
    spdlog::error(
        "latency: --latency.model is required (write one with hearth_make_reference_net --size 20 --out FILE)");
    return 2;
  }

  Context ctx;
  ctx.plugin = s.plugin;
  ctx.search_dirs = plugin_search_dirs(settings.evaluator.plugin_dir);
  ctx.model = s.model;
  ctx.device = s.device;
  ctx.cuda = s.device.rfind("cuda", 0) == 0;
  ctx.gpu_time = ctx.cuda && s.gpu_time;
  ctx.extra = settings.evaluator.plugin_options;
  try {
    ctx.board_size = s.board_size > 0 ? s.board_size : probe_board_size(s, ctx.search_dirs, ctx.extra);
    BenchSettings positions;
    positions.positions = plan.batches.back();
    positions.max_stones = std::min(20, ctx.board_size * ctx.board_size / 2);
    positions.min_stones = std::min(6, positions.max_stones);
    const size_t in = static_cast<size_t>(input_floats(ctx.board_size));
    for (const Board& b : bench_positions(positions, ctx.board_size, Rule::Freestyle)) {
      ctx.planes.resize(ctx.planes.size() + in);
      encode(b, &ctx.planes[ctx.planes.size() - in]);
    }
  } catch (const std::exception& e) {
    spdlog::error("latency: {}", e.what());
    return 1;
  }
  ctx.policy.resize(static_cast<size_t>(plan.batches.back()) * ctx.board_size * ctx.board_size);
  ctx.value.resize(static_cast<size_t>(plan.batches.back()));
  out << "board " << ctx.board_size << "x" << ctx.board_size << ", plugin " << s.plugin << ", device " << s.device
      << "\n";

  std::vector<ConfigResult> results;
  bool failed = false;
  std::string stats_for_machine = "{}";
  for (size_t i = 0; i < plan.configs.size(); ++i) {
    out << "[" << i + 1 << "/" << plan.configs.size() << "] " << plan.configs[i].name() << "\n" << std::flush;
    results.push_back(run_config(ctx, plan.configs[i], plan, out));
    if (!results.back().error.empty()) failed = true;
    if (results.back().error.empty() && stats_for_machine == "{}") stats_for_machine = results.back().plugin_stats;
  }
  const std::string machine = machine_json(ctx.cuda ? cuda_index_of(s.device) : -1, stats_for_machine);
  const std::string markdown = report_markdown(s, plan, machine, results);
  out << "\n" << markdown;
  bool wrote = write_report_file(s.json, report_json(s, plan, machine, results), out, "latency");
  wrote = write_report_file(s.markdown, markdown, out, "latency") && wrote;
  wrote = write_report_file(s.dat, report_dat(plan, results), out, "latency") && wrote;
  return failed || !wrote ? 1 : 0;
}

}  // namespace hearth::latency
