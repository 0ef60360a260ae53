// The backend: an Evaluator that runs one instance of a loaded plugin.
//
// Thread-safety: every method may be called from any thread. The plugin ABI allows one thread at
// a time per instance, so evaluate/game_start/game_end/stats_json are serialized by one mutex:
// concurrent callers queue on it rather than batch together. Put a BatchingEvaluator in front
// to turn concurrent callers into batches.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "engine/board.h"
#include "evaluator/evaluator.h"
#include "evaluator/plugin_loader.h"

namespace hearth {

using PluginOptions = std::vector<std::pair<std::string, std::string>>;

class PluginEvaluator : public Evaluator {
 public:
  // Creates the instance (host log -> spdlog logger "plugin", stderr unless the program registered
  // one of that name first) and checks what it describes against the game: board size, 4 input
  // planes, size*size policy, max_batch >= 1. Throws PluginError with the plugin's own message
  // when create fails (e.g. an unknown option) or naming both values on a mismatch.
  PluginEvaluator(LoadedPlugin plugin, int board_size, Rule rule, const PluginOptions& options);
  ~PluginEvaluator() override;  // destroys the instance, then closes the library
  PluginEvaluator(const PluginEvaluator&) = delete;
  PluginEvaluator& operator=(const PluginEvaluator&) = delete;

  const EvalSpec& spec() const override { return spec_; }
  // Any n >= 0: positions go to the plugin in chunks of at most spec().max_batch. Throws EvalError
  // with the plugin's message when it fails (outputs of that call are then unspecified).
  void evaluate(EvalRequest* requests, int n) override;
  void game_start() override;
  void game_end() override;
  // {"plugin", "path", "calls", "positions", "stats": the plugin's own object or null}
  std::string stats_json() const override;

  const LoadedPlugin& plugin() const { return plugin_; }

 private:
  struct InstanceDeleter {
    const hearth_plugin_api* api;
    void operator()(hearth_plugin* p) const { api->destroy(p); }
  };

  void evaluate_chunk(EvalRequest* requests, int n);  // n <= max_batch, mutex_ held

  LoadedPlugin plugin_;        // declared first: outlives the instance (its code lives here)
  std::string log_prefix_;     // host.log_ctx points here; stable since the object never moves
  hearth_host host_{};
  EvalSpec spec_;
  std::unique_ptr<hearth_plugin, InstanceDeleter> instance_;

  mutable std::mutex mutex_;   // one caller in the plugin at a time (ABI threading contract)
  std::vector<float> input_, policy_, value_;  // gather/scatter buffers, reused under mutex_
  uint64_t calls_ = 0, positions_ = 0;         // under mutex_
};

}  // namespace hearth
