// Builds the evaluator that search uses: cache(batching(plugin)), or
// cache(batching(timing(plugin))) when a batch timeline is given (benchmarks' telemetry). A
// reentrant plugin (it reports HEARTH_MAX_CONCURRENT_CALLS: heuristic, uniform) is called inline
// by the search threads, cache(plugin), with no batching thread: the batching layer's max_batch
// and deadline then do not apply, and each call carries one thread's leaves.
//
// Thread-safety: make_evaluator may be called from any thread; the evaluator it returns is
// thread-safe.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "engine/game/board.h"
#include "evaluator/evaluator.h"

namespace hearth {

class BatchTimeline;  // evaluator/timing_evaluator.h

struct EvaluatorConfig {
  std::string plugin = "heuristic";  // a name, a path to a .so, or "builtin:<name>" (plugin_loader.h)
  std::string plugin_dir;            // searched first for libhearth_<name>.so
  std::vector<std::pair<std::string, std::string>> plugin_options;
  int max_batch = 0;                 // 0: the plugin's max_batch
  int batch_deadline_us = 200;
  size_t cache_entries = 32768;      // 0: no cache; ~29 MiB on 15x15, ~52 MiB on 20x20
  // When set, a TimingEvaluator around the plugin records every batch the plugin runs here (its
  // start and duration). Set by benchmarks in code, not an option: null costs nothing.
  std::shared_ptr<BatchTimeline> batch_timeline;
};

// Loads the plugin and stacks the wrappers around it. Throws PluginError (plugin_loader.h) for
// any failure, bad numbers in `config` included.
EvaluatorPtr make_evaluator(const EvaluatorConfig& config, int board_size, Rule rule);

}  // namespace hearth
