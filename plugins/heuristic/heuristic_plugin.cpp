// The `heuristic` plugin: ABI glue around ThreatEvaluator (threat_eval.h), the CPU default.
// Options: temperature (divides the graded logits, default 1), max_batch (default 1024).
#include <cstdio>
#include <cstring>
#include <string>

#include "engine/game/encoding.h"
#include "evaluator/plugin_export.h"
#include "evaluator/plugin_support.h"
#include "plugins/heuristic/threat_eval.h"

namespace {

struct HeuristicPlugin {
  hearth::ThreatEvaluator evaluator;
  int max_batch;
};

hearth::Rule rule_from_host(int32_t rule) {
  if (rule == HEARTH_RULE_FREESTYLE) return hearth::Rule::Freestyle;
  if (rule == HEARTH_RULE_STANDARD) return hearth::Rule::Standard;
  throw std::invalid_argument("plugin heuristic: unsupported rule number " + std::to_string(rule) +
                              " (supported: 0 freestyle, 1 standard)");
}

hearth_plugin* heuristic_create(const hearth_host* host, const char* const* keys, const char* const* values,
                                int32_t n, char* err, size_t errlen) {
  try {
    if (!host) throw std::invalid_argument("plugin heuristic: no host description given");
    hearth::plugin::Options opts(keys, values, n, "heuristic");
    const double temperature = opts.take_double("temperature", 1.0);
    const long long max_batch = opts.take_int("max_batch", 1024);
    opts.finish();
    if (max_batch < 1 || max_batch > (1 << 20))
      throw std::invalid_argument("option 'max_batch' of plugin heuristic must be in 1..1048576, not " +
                                  std::to_string(max_batch));
    auto* p = new HeuristicPlugin{
        hearth::ThreatEvaluator(host->board_size, rule_from_host(host->rule), static_cast<float>(temperature)),
        static_cast<int>(max_batch)};
    return reinterpret_cast<hearth_plugin*>(p);
  } catch (const std::exception& e) {
    hearth::plugin::write_error(err, errlen, e.what());
    return nullptr;
  }
}

void heuristic_destroy(hearth_plugin* plugin) { delete reinterpret_cast<HeuristicPlugin*>(plugin); }

int heuristic_describe(hearth_plugin* plugin, hearth_plugin_info* info) {
  const auto* p = reinterpret_cast<HeuristicPlugin*>(plugin);
  std::memset(info, 0, sizeof(*info));
  const int size = p->evaluator.size();
  info->board_size = size;
  info->input_planes = hearth::kInputPlanes;
  info->policy_size = size * size;
  info->max_batch = p->max_batch;
  // Positions are evaluated one by one, so every batch size costs the same per position.
  info->preferred_batches[0] = p->max_batch;
  info->num_preferred_batches = 1;
  // Reentrant (every call reads its own input and writes its own output): the search threads
  // call it inline.
  info->max_concurrent_calls = HEARTH_MAX_CONCURRENT_CALLS;
  std::snprintf(info->description, sizeof(info->description), "heuristic threat evaluator (%s, temperature %g)",
                p->evaluator.rule() == hearth::Rule::Freestyle ? "freestyle" : "standard",
                static_cast<double>(p->evaluator.temperature()));
  return 0;
}

int heuristic_evaluate(hearth_plugin* plugin, const float* input, int32_t batch, float* policy, float* value,
                       char* err, size_t errlen) {
  const auto* p = reinterpret_cast<HeuristicPlugin*>(plugin);
  if (batch < 0 || batch > p->max_batch) {
    hearth::plugin::write_error(err, errlen, "plugin heuristic: batch " + std::to_string(batch) +
                                                 " is outside 0.." + std::to_string(p->max_batch));
    return 1;
  }
  const int size = p->evaluator.size();
  const size_t cells = static_cast<size_t>(size) * size;
  for (int32_t b = 0; b < batch; ++b)
    p->evaluator.evaluate(input + b * hearth::kInputPlanes * cells, policy + b * cells, value + b);
  return 0;
}

const hearth_plugin_api kHeuristicApi = {
    sizeof(hearth_plugin_api), "heuristic", heuristic_create, heuristic_destroy, heuristic_describe,
    heuristic_evaluate, nullptr, nullptr, nullptr,
};

}  // namespace

HEARTH_PLUGIN_ENTRY(kHeuristicApi)
