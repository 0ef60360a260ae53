// cache(batching(plugin)), or cache(plugin) for a reentrant plugin: the cache sits outermost so
// that hits never wait in the batch queue.
#include "evaluator/evaluator_stack.h"

#include <memory>

#include "evaluator/batching_evaluator.h"
#include "evaluator/caching_evaluator.h"
#include "evaluator/plugin_evaluator.h"
#include "evaluator/plugin_loader.h"
#include "evaluator/timing_evaluator.h"

namespace hearth {

EvaluatorPtr make_evaluator(const EvaluatorConfig& config, int board_size, Rule rule) {
  if (config.max_batch < 0)
    throw PluginError("evaluator: max_batch " + std::to_string(config.max_batch) + " must be >= 0 (0: the plugin's)");
  if (config.batch_deadline_us < 0)
    throw PluginError("evaluator: batch deadline " + std::to_string(config.batch_deadline_us) +
                      " us must be >= 0");
  LoadedPlugin plugin = load_plugin(config.plugin, plugin_search_dirs(config.plugin_dir));
  EvaluatorPtr backend = std::make_shared<PluginEvaluator>(std::move(plugin), board_size, rule, config.plugin_options);
  // Timing sits right on the plugin so a batch's time is the plugin's, without queueing.
  if (config.batch_timeline) backend = std::make_shared<TimingEvaluator>(backend, config.batch_timeline);
  // A reentrant plugin (a CPU evaluator) runs inline on the search threads: a batching thread
  // would only add a hand-off to every call.
  if (!(backend->spec().max_concurrent_calls >= PluginEvaluator::kMaxConcurrentCalls))
    backend = std::make_shared<BatchingEvaluator>(backend, config.max_batch, config.batch_deadline_us);
  return std::make_shared<CachingEvaluator>(backend, config.cache_entries);
}

}  // namespace hearth
