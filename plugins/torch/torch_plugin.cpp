// The `torch` plugin: a TorchScript policy/value network on CPU or CUDA (torch_runner.h), behind
// the plugin C ABI. No LibTorch header here: the ABI glue compiles in seconds.
//
// Options (key=value):
//   model            path of the TorchScript file (required)
//   device           cpu | cuda | cuda:N                      (default cpu: works everywhere)
//   dtype            fp32 | fp16 (fp16 on CUDA only)          (default fp32)
//   mode             graph | eager (graph on CUDA only)       (default graph on CUDA, eager on CPU)
//   buckets          ascending batch sizes; a batch is padded to the next one, the largest is
//                    max_batch                                (default 1,8,32,128)
//   value_transform  tanh | none, applied to the raw value    (default tanh)
//   keep_warm        on | off                                 (default on for CUDA, off for CPU)
//   warm_period_us   idle time before a keep-warm dummy       (default 2000)
//   hot_window_s     keep warm this long after the last batch (default 30; see keep_warm.h)
//   warm_kind        forward | kernel: what a dummy runs      (default forward)
//   gpu_timing       on | off: CUDA events around forwards    (default off)
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <initializer_list>
#include <memory>
#include <string>

#include "evaluator/plugin_export.h"
#include "evaluator/plugin_support.h"
#include "plugins/torch/torch_runner.h"

namespace {

using hearth::plugin::write_error;
namespace tp = hearth::torch_plugin;

struct TorchPlugin {
  std::unique_ptr<tp::TorchRunner> runner;
};

TorchPlugin* as_plugin(hearth_plugin* p) { return reinterpret_cast<TorchPlugin*>(p); }

// Takes `key` and checks it is one of `allowed` (listed in the message otherwise).
std::string take_choice(hearth::plugin::Options& opts, const std::string& key, const std::string& fallback,
                        std::initializer_list<const char*> allowed) {
  const std::string v = opts.take_string(key, fallback);
  std::string list;
  for (const char* a : allowed) {
    if (v == a) return v;
    list += (list.empty() ? "" : ", ") + std::string(a);
  }
  throw std::invalid_argument("option '" + key + "' of plugin torch: '" + v + "' is not one of " + list);
}

tp::TorchRunnerConfig parse_options(const hearth_host* host, hearth::plugin::Options& opts) {
  tp::TorchRunnerConfig c;
  c.board_size = host->board_size;
  c.model_path = opts.take_string("model", "");
  if (c.model_path.empty())
    throw std::invalid_argument("option 'model' of plugin torch is required (the path of a TorchScript file)");
  c.device = opts.take_string("device", "cpu");
  const bool cuda = c.device.rfind("cuda", 0) == 0;
  c.dtype = take_choice(opts, "dtype", "fp32", {"fp32", "fp16"}) == "fp16" ? tp::DType::Float16 : tp::DType::Float32;
  const std::string mode = take_choice(opts, "mode", cuda ? "graph" : "eager", {"graph", "eager"});
  c.mode = mode == "graph" ? tp::RunMode::Graph : tp::RunMode::Eager;
  c.buckets = hearth::plugin::parse_batch_list(opts.take_string("buckets", "1,8,32,128"), "option 'buckets' of plugin torch");
  c.value_transform = take_choice(opts, "value_transform", "tanh", {"tanh", "none"}) == "none"
                          ? tp::ValueTransform::None
                          : tp::ValueTransform::Tanh;
  c.keep_warm = opts.take_bool("keep_warm", cuda);
  c.warm_period_us = opts.take_int("warm_period_us", 2000);
  c.hot_window_s = opts.take_double("hot_window_s", 30.0);
  c.warm_kind = take_choice(opts, "warm_kind", "forward", {"forward", "kernel"}) == "kernel" ? tp::WarmKind::Kernel
                                                                                           : tp::WarmKind::Forward;
  c.gpu_timing = opts.take_bool("gpu_timing", false);
  opts.finish();
  if (host->log) {
    void* ctx = host->log_ctx;
    auto log = host->log;
    c.log = [log, ctx](int level, const std::string& message) { log(ctx, level, message.c_str()); };
  }
  return c;
}

hearth_plugin* torch_create(const hearth_host* host, const char* const* keys, const char* const* values, int32_t n,
                            char* err, size_t errlen) {
  try {
    hearth::plugin::Options opts(keys, values, n, "torch");
    auto plugin = std::make_unique<TorchPlugin>();
    plugin->runner = tp::TorchRunner::create(parse_options(host, opts));
    return reinterpret_cast<hearth_plugin*>(plugin.release());
  } catch (const std::exception& e) {
    write_error(err, errlen, e.what());
    return nullptr;
  }
}

void torch_destroy(hearth_plugin* plugin) { delete as_plugin(plugin); }

int torch_describe(hearth_plugin* plugin, hearth_plugin_info* info) {
  const tp::TorchRunner& r = *as_plugin(plugin)->runner;
  std::memset(info, 0, sizeof(*info));
  info->board_size = r.board_size();
  info->input_planes = 4;
  info->policy_size = r.policy_size();
  info->max_batch = r.max_batch();
  const auto& buckets = r.buckets();
  for (size_t i = 0; i < buckets.size() && i < HEARTH_MAX_BATCH_SIZES; ++i) info->preferred_batches[i] = buckets[i];
  info->num_preferred_batches = static_cast<int32_t>(std::min<size_t>(buckets.size(), HEARTH_MAX_BATCH_SIZES));
  std::snprintf(info->description, sizeof(info->description), "%s", r.description().c_str());
  return 0;
}

int torch_evaluate(hearth_plugin* plugin, const float* input, int32_t batch, float* policy, float* value, char* err,
                   size_t errlen) {
  try {
    as_plugin(plugin)->runner->evaluate(input, batch, policy, value);
    return 0;
  } catch (const std::exception& e) {
    write_error(err, errlen, e.what());
    return 1;
  }
}

void torch_game_start(hearth_plugin* plugin) { as_plugin(plugin)->runner->game_start(); }
void torch_game_end(hearth_plugin* plugin) { as_plugin(plugin)->runner->game_end(); }

int torch_stats(hearth_plugin* plugin, char* out, size_t len) {
  try {
    const std::string json = as_plugin(plugin)->runner->stats_json();
    if (!out || json.size() + 1 > len) return 1;  // truncated JSON would be worse than none
    std::memcpy(out, json.c_str(), json.size() + 1);
    return 0;
  } catch (const std::exception&) {
    return 1;
  }
}

const hearth_plugin_api kTorchApi = {
    sizeof(hearth_plugin_api), "torch",          torch_create,   torch_destroy, torch_describe,
    torch_evaluate,            torch_game_start, torch_game_end, torch_stats,
};

}  // namespace

HEARTH_PLUGIN_ENTRY(kTorchApi)
