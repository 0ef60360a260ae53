#include "engine/bench/latency.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <ostream>
#include <stdexcept>
#include <thread>
#include <utility>

#include "engine/bench/latency_plan.h"
#include "engine/bench/latency_report.h"
#include "engine/bench/report.h"
#include "engine/bench/search_bench.h"
#include "engine/game/encoding.h"
#include "evaluator/device_name.h"
#include "evaluator/json_text.h"
#include "evaluator/plugin_evaluator.h"
#include "evaluator/plugin_loader.h"

namespace hearth::latency {
namespace {

using bench::format_number;
using bench::join_ints;
using bench::json_number;
using bench::ratio;
using bench::summarize;

using Clock = std::chrono::steady_clock;

double micros(Clock::duration d) { return std::chrono::duration<double, std::micro>(d).count(); }

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

}  // namespace

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
  const std::string machine = bench::machine_json(ctx.cuda ? cuda_index_of(s.device) : -1, stats_for_machine);
  const std::string markdown = report_markdown(s, plan, machine, results);
  out << "\n" << markdown;
  bool wrote = bench::write_report_file(s.json, report_json(s, plan, machine, results), out, "latency");
  wrote = bench::write_report_file(s.markdown, markdown, out, "latency") && wrote;
  wrote = bench::write_report_file(s.dat, report_dat(plan, results), out, "latency") && wrote;
  return failed || !wrote ? 1 : 0;
}

}  // namespace hearth::latency
