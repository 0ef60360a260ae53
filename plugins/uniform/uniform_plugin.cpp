// The `uniform` plugin: equal logits for every square and value 0. A baseline that makes search
// play by visit counts alone, and the cheapest evaluator for measuring search overhead.
#include <algorithm>
#include <cstring>
#include <string>

#include "evaluator/plugin_export.h"
#include "evaluator/plugin_support.h"

namespace {

struct UniformPlugin {
  int board_size = 15;
  int max_batch = 1024;
};

hearth_plugin* uniform_create(const hearth_host* host, const char* const* keys, const char* const* values,
                              int32_t n, char* err, size_t errlen) {
  try {
    hearth::plugin::Options opts(keys, values, n, "uniform");
    auto* p = new UniformPlugin;
    p->board_size = host->board_size;
    p->max_batch = static_cast<int>(opts.take_int("max_batch", 1024));
    try {
      if (p->max_batch < 1) throw std::invalid_argument("option 'max_batch' of plugin uniform must be >= 1");
      opts.finish();
    } catch (...) {
      delete p;
      throw;
    }
    return reinterpret_cast<hearth_plugin*>(p);
  } catch (const std::exception& e) {
    hearth::plugin::write_error(err, errlen, e.what());
    return nullptr;
  }
}

void uniform_destroy(hearth_plugin* plugin) { delete reinterpret_cast<UniformPlugin*>(plugin); }

int uniform_describe(hearth_plugin* plugin, hearth_plugin_info* info) {
  const auto* p = reinterpret_cast<UniformPlugin*>(plugin);
  std::memset(info, 0, sizeof(*info));
  info->board_size = p->board_size;
  info->input_planes = 4;
  info->policy_size = p->board_size * p->board_size;
  info->max_batch = p->max_batch;
  info->preferred_batches[0] = p->max_batch;
  info->num_preferred_batches = 1;
  info->max_concurrent_calls = HEARTH_MAX_CONCURRENT_CALLS;  // reentrant: called inline

  std::snprintf(info->description, sizeof(info->description), "uniform priors, value 0");
  return 0;
}

int uniform_evaluate(hearth_plugin* plugin, const float*, int32_t batch, float* policy, float* value, char*,
                     size_t) {
  const auto* p = reinterpret_cast<UniformPlugin*>(plugin);
  const int cells = p->board_size * p->board_size;
  std::fill(policy, policy + static_cast<size_t>(batch) * cells, 0.0f);
  std::fill(value, value + batch, 0.0f);
  return 0;
}

const hearth_plugin_api kUniformApi = {
    sizeof(hearth_plugin_api), "uniform", uniform_create, uniform_destroy, uniform_describe,
    uniform_evaluate, nullptr, nullptr, nullptr,
};

}  // namespace

HEARTH_PLUGIN_ENTRY(kUniformApi)
