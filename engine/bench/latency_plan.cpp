#include "engine/bench/latency_plan.h"

#include <algorithm>
#include <stdexcept>

#include "engine/bench/report.h"
#include "engine/util/text.h"

namespace hearth::latency {
namespace {

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
        throw std::invalid_argument("latency.long_gaps: " + bench::format_number(g) + " is already a gap of " + name);
      it->gaps.push_back(g);
    }
  }
  return plan;
}

}  // namespace hearth::latency
