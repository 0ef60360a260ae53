// The `torch` plugin: a TorchScript policy/value network on CPU or CUDA (torch_runner.h), behind
// the plugin C ABI, on one device or spread over several. No LibTorch header here: the ABI glue
// compiles in seconds.
//
// Options (key=value):
//   model            path of the TorchScript file (required)
//   device           cpu | cuda | cuda:N                      (default cpu: works everywhere)
//   devices          several devices, comma-separated (cuda:0,cuda:1), or all = every visible
//                    CUDA device; instead of `device`, not with it. One runner per device, each
//                    with its own copy of the model, graphs, device thread and keep-warm; all
//                    are warmed before create returns. describe() reports their number as
//                    max_concurrent_calls, and each evaluate call goes to the device with the
//                    fewest positions in flight (device_pool.h). Settings below apply to each.
//   dtype            fp32 | fp16 (fp16 on CUDA only)          (default fp32)
//   mode             graph | eager (graph on CUDA only)       (default graph on CUDA, eager on CPU)
//   buckets          ascending batch sizes; a batch is padded to the next one, the largest is
//                    max_batch                                (default 1,8,32,128)
//   value_transform  tanh | none, applied to the raw value    (default tanh)
//   keep_warm        on | off                                 (default on for CUDA, off for CPU)
//   warm_period_us   idle time before a keep-warm dummy       (default 2000)
//   hot_window_s     keep warm this long after the last batch (default 30; see keep_warm.h)
//   warm_kind        forward | kernel: what a dummy runs      (default kernel: bench/gpu-h100)
//   gpu_timing       on | off: CUDA events around forwards    (default off)
//
// Threading: evaluate may be called by up to max_concurrent_calls threads at once (the device
// pool and every runner are thread-safe); the other calls as the ABI says.
#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstring>
#include <exception>
#include <initializer_list>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "evaluator/plugin_export.h"
#include "evaluator/device_name.h"
#include "evaluator/plugin_support.h"
#include "plugins/torch/cuda_devices.h"
#include "plugins/torch/device_pool.h"
#include "plugins/torch/torch_runner.h"

namespace {

using hearth::plugin::write_error;
namespace tp = hearth::torch_plugin;

// More devices than any host has; the host accepts at most 64 concurrent calls.
constexpr size_t kMaxDevices = 64;

struct TorchPlugin {
  std::vector<std::string> device_names;  // one per runner, in pool order
  std::unique_ptr<tp::DevicePool<tp::TorchRunner>> pool;
  std::string description;
  std::atomic<uint64_t> errors{0};
  bool several() const { return device_names.size() > 1; }
};

TorchPlugin* as_plugin(hearth_plugin* p) { return reinterpret_cast<TorchPlugin*>(p); }

// Takes `key` when it was given (an empty value counts as given).
std::optional<std::string> take_given(hearth::plugin::Options& opts, const std::string& key) {
  static const std::string kAbsent = "\n<absent>";  // no real option value holds a newline
  std::string v = opts.take_string(key, kAbsent);
  if (v == kAbsent) return std::nullopt;
  return v;
}

// Takes `key` and checks it is one of `allowed` (listed in the message otherwise).
std::optional<std::string> take_choice(hearth::plugin::Options& opts, const std::string& key,
                                       std::initializer_list<const char*> allowed) {
  const std::optional<std::string> v = take_given(opts, key);
  if (!v) return v;
  std::string list;
  for (const char* a : allowed) {
    if (*v == a) return v;
    list += (list.empty() ? "" : ", ") + std::string(a);
  }
  throw std::invalid_argument("option '" + key + "' of plugin torch: '" + *v + "' is not one of " + list);
}

// Takes the on/off `key` when it was given with a value.
std::optional<bool> take_bool_given(hearth::plugin::Options& opts, const std::string& key) {
  const std::optional<std::string> v = take_given(opts, key);
  if (!v || v->empty()) return std::nullopt;
  const char* k = key.c_str();
  const char* value = v->c_str();
  hearth::plugin::Options one(&k, &value, 1, "torch");  // its parser and its message
  return one.take_bool(key, false);
}

bool is_cuda(const std::string& device) { return device.rfind("cuda", 0) == 0; }

// The value of `devices`: "all" or a comma-separated list of cpu | cuda | cuda:N.
std::vector<std::string> parse_device_list(const std::string& text) {
  const std::string what = "option 'devices' of plugin torch";
  if (text == "all") {
    const tp::VisibleCudaDevices visible = tp::visible_cuda_devices();
    if (visible.count == 0) throw std::runtime_error(what + ": 'all' finds no CUDA device: " + visible.why_none);
    std::vector<std::string> all;
    for (int i = 0; i < visible.count && all.size() < kMaxDevices; ++i) all.push_back("cuda:" + std::to_string(i));
    return all;
  }
  std::vector<std::string> list;
  size_t begin = 0;
  for (;;) {
    const size_t end = std::min(text.find(',', begin), text.size());
    std::string item = text.substr(begin, end - begin);
    item.erase(0, item.find_first_not_of(" \t"));
    item.erase(item.find_last_not_of(" \t") + 1);
    if (!hearth::parse_device_name(item))
      throw std::invalid_argument(what + ": '" + item + "' in '" + text +
                                  "' is not cpu, cuda or cuda:N (or give devices=all)");
    list.push_back(item);
    if (end == text.size()) break;
    begin = end + 1;
  }
  if (list.size() > kMaxDevices)
    throw std::invalid_argument(what + ": " + std::to_string(list.size()) + " devices, at most " +
                                std::to_string(kMaxDevices));
  return list;
}

// What the options say: the settings shared by every device, and the devices.
struct TorchOptions {
  tp::TorchRunnerConfig common;          // device, mode and keep_warm are set per device
  std::optional<std::string> mode;       // as given; the default depends on the device
  std::optional<bool> keep_warm;         // likewise
  std::vector<std::string> devices;

  tp::TorchRunnerConfig for_device(const std::string& device) const {
    tp::TorchRunnerConfig c = common;
    c.device = device;
    c.mode = mode.value_or(is_cuda(device) ? "graph" : "eager") == "graph" ? tp::RunMode::Graph : tp::RunMode::Eager;
    c.keep_warm = keep_warm.value_or(is_cuda(device));
    return c;
  }
};

TorchOptions parse_options(const hearth_host* host, hearth::plugin::Options& opts) {
  TorchOptions o;
  tp::TorchRunnerConfig& c = o.common;
  c.board_size = host->board_size;
  c.model_path = opts.take_string("model", "");
  if (c.model_path.empty())
    throw std::invalid_argument("option 'model' of plugin torch is required (the path of a TorchScript file)");
  const std::optional<std::string> device = take_given(opts, "device");
  const std::optional<std::string> devices = take_given(opts, "devices");
  if (device && devices)
    throw std::invalid_argument("options 'device' and 'devices' of plugin torch exclude each other: give 'device' "
                                "for one device or 'devices' for several");
  o.devices = devices ? parse_device_list(*devices) : std::vector<std::string>{device.value_or("cpu")};
  c.dtype = take_choice(opts, "dtype", {"fp32", "fp16"}).value_or("fp32") == "fp16" ? tp::DType::Float16
                                                                                   : tp::DType::Float32;
  o.mode = take_choice(opts, "mode", {"graph", "eager"});
  c.buckets = hearth::plugin::parse_batch_list(opts.take_string("buckets", "1,8,32,128"), "option 'buckets' of plugin torch");
  c.value_transform = take_choice(opts, "value_transform", {"tanh", "none"}).value_or("tanh") == "none"
                          ? tp::ValueTransform::None
                          : tp::ValueTransform::Tanh;
  o.keep_warm = take_bool_given(opts, "keep_warm");
  c.warm_period_us = opts.take_int("warm_period_us", 2000);
  c.hot_window_s = opts.take_double("hot_window_s", 30.0);
  c.warm_kind = take_choice(opts, "warm_kind", {"forward", "kernel"}).value_or("kernel") == "kernel"
                    ? tp::WarmKind::Kernel
                    : tp::WarmKind::Forward;
  c.gpu_timing = opts.take_bool("gpu_timing", false);
  opts.finish();
  if (host->log) {
    void* ctx = host->log_ctx;
    auto log = host->log;
    c.log = [log, ctx](int level, const std::string& message) { log(ctx, level, message.c_str()); };
  }
  return o;
}

// One runner per device, created side by side (each loads, warms and captures on its own device
// thread, so N devices take about as long as one). Throws the first device's error, in device
// order, after every creation has ended.
std::vector<std::unique_ptr<tp::TorchRunner>> create_runners(const TorchOptions& o) {
  const size_t n = o.devices.size();
  std::vector<std::unique_ptr<tp::TorchRunner>> runners(n);
  std::vector<std::string> errors(n);
  auto create_one = [&](size_t i) {
    try {
      runners[i] = tp::TorchRunner::create(o.for_device(o.devices[i]));
    } catch (const std::exception& e) {
      errors[i] = e.what();
    } catch (...) {
      errors[i] = "torch on " + o.devices[i] + ": unknown error";
    }
  };
  if (n == 1) {
    create_one(0);
  } else {
    std::vector<std::thread> threads;
    std::exception_ptr failed_to_start;
    for (size_t i = 0; i < n && !failed_to_start; ++i) {
      try {
        threads.emplace_back(create_one, i);
      } catch (...) {
        failed_to_start = std::current_exception();
      }
    }
    for (auto& t : threads) t.join();
    if (failed_to_start) std::rethrow_exception(failed_to_start);
  }
  for (const std::string& e : errors)
    if (!e.empty()) throw std::runtime_error(e);
  return runners;
}

hearth_plugin* torch_create(const hearth_host* host, const char* const* keys, const char* const* values, int32_t n,
                            char* err, size_t errlen) {
  try {
    hearth::plugin::Options opts(keys, values, n, "torch");
    const TorchOptions options = parse_options(host, opts);
    auto plugin = std::make_unique<TorchPlugin>();
    plugin->device_names = options.devices;
    plugin->pool = std::make_unique<tp::DevicePool<tp::TorchRunner>>(create_runners(options));
    plugin->description = plugin->pool->device(0).description();
    if (plugin->several()) {
      std::string list;
      for (const auto& d : plugin->device_names) list += (list.empty() ? "" : ",") + d;
      plugin->description += "; " + std::to_string(plugin->device_names.size()) + " devices: " + list;
    }
    return reinterpret_cast<hearth_plugin*>(plugin.release());
  } catch (const std::exception& e) {
    write_error(err, errlen, e.what());
    return nullptr;
  }
}

void torch_destroy(hearth_plugin* plugin) { delete as_plugin(plugin); }

int torch_describe(hearth_plugin* plugin, hearth_plugin_info* info) {
  const TorchPlugin& p = *as_plugin(plugin);
  const tp::TorchRunner& r = p.pool->device(0);  // every runner has the same model and buckets
  std::memset(info, 0, sizeof(*info));
  info->board_size = r.board_size();
  info->input_planes = 4;
  info->policy_size = r.policy_size();
  info->max_batch = r.max_batch();
  const auto& buckets = r.buckets();
  for (size_t i = 0; i < buckets.size() && i < HEARTH_MAX_BATCH_SIZES; ++i) info->preferred_batches[i] = buckets[i];
  info->num_preferred_batches = static_cast<int32_t>(std::min<size_t>(buckets.size(), HEARTH_MAX_BATCH_SIZES));
  std::snprintf(info->description, sizeof(info->description), "%s", p.description.c_str());
  info->max_concurrent_calls = p.pool->size();
  return 0;
}

int torch_evaluate(hearth_plugin* plugin, const float* input, int32_t batch, float* policy, float* value, char* err,
                   size_t errlen) {
  TorchPlugin& p = *as_plugin(plugin);
  try {
    p.pool->run(batch, [&](tp::TorchRunner& runner, int index) {
      try {
        runner.evaluate(input, batch, policy, value);
      } catch (const std::exception& e) {
        // With several devices the message names the one that failed.
        if (p.several()) throw std::runtime_error(p.device_names[index] + ": " + e.what());
        throw;
      }
    });
    return 0;
  } catch (const std::exception& e) {
    ++p.errors;
    write_error(err, errlen, e.what());
    return 1;
  }
}

void torch_game_start(hearth_plugin* plugin) {
  const auto& pool = *as_plugin(plugin)->pool;
  for (int i = 0; i < pool.size(); ++i) pool.device(i).game_start();
}

void torch_game_end(hearth_plugin* plugin) {
  const auto& pool = *as_plugin(plugin)->pool;
  for (int i = 0; i < pool.size(); ++i) pool.device(i).game_end();
}

// One device: the runner's own object, as it always was. Several: totals of the calls each
// device finished, then each runner's object in device order:
//   {"devices":["cuda:0","cuda:1"],"batches":B,"positions":P,"errors":E,"per_device":[{..},{..}]}
std::string stats_json(const TorchPlugin& p) {
  if (!p.several()) return p.pool->device(0).stats_json();
  uint64_t batches = 0, positions = 0;
  for (const auto& load : p.pool->loads()) {
    batches += load.calls;
    positions += load.positions;
  }
  std::string names, per_device;
  for (size_t i = 0; i < p.device_names.size(); ++i) {
    names += (i ? ",\"" : "\"") + p.device_names[i] + "\"";
    per_device += (i ? "," : "") + p.pool->device(static_cast<int>(i)).stats_json();
  }
  return "{\"devices\":[" + names + "],\"batches\":" + std::to_string(batches) +
         ",\"positions\":" + std::to_string(positions) + ",\"errors\":" + std::to_string(p.errors.load()) +
         ",\"per_device\":[" + per_device + "]}";
}

int torch_stats(hearth_plugin* plugin, char* out, size_t len) {
  try {
    const std::string json = stats_json(*as_plugin(plugin));
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
