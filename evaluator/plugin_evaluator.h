// The backend: an Evaluator that runs one instance of a loaded plugin.
//
// Thread-safety: every method may be called from any thread. The plugin says how many evaluate
// calls it serves at once (hearth_plugin_info::max_concurrent_calls, spec().max_concurrent_calls):
//   - 1 (every plugin on one device): evaluate/game_start/game_end/stats_json are serialized, as
//     the ABI requires: concurrent callers queue rather than batch together.
//   - N > 1 (a plugin spread over N devices): up to N evaluate calls run in the plugin at once,
//     each with gather/scatter buffers of its own; further callers queue for free call buffers.
//     game_start/game_end/stats_json are serialized among themselves and may overlap evaluate
//     calls (the plugin declared it handles concurrency).
// Put a BatchingEvaluator in front to turn concurrent callers into batches (it runs N evaluation
// threads for such a plugin).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "engine/game/board.h"
#include "evaluator/evaluator.h"
#include "evaluator/plugin_loader.h"

namespace hearth {

using PluginOptions = std::vector<std::pair<std::string, std::string>>;

class PluginEvaluator : public Evaluator {
 public:
  // The most concurrent evaluate calls a plugin may ask for (one per device; 64 is far above any
  // one host's GPUs, and each costs the batching layer a thread).
  static constexpr int kMaxConcurrentCalls = HEARTH_MAX_CONCURRENT_CALLS;

  // Creates the instance (host log -> spdlog logger "plugin", stderr unless the program registered
  // one of that name first) and checks what it describes against the game: board size, 4 input
  // planes, size*size policy, max_batch >= 1, max_concurrent_calls in 0..kMaxConcurrentCalls
  // (0 means 1). Throws PluginError with the plugin's own message when create fails (e.g. an
  // unknown option) or naming both values on a mismatch.
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
  BatchCounters batch_counters() const override { return {calls_.load(), positions_.load()}; }

  const LoadedPlugin& plugin() const { return plugin_; }

 private:
  struct InstanceDeleter {
    const hearth_plugin_api* api;
    void operator()(hearth_plugin* p) const { api->destroy(p); }
  };
  // What one evaluate call in the plugin needs of its own: the contiguous batch buffers.
  struct CallBuffers {
    std::vector<float> input, policy, value;
  };
  class BuffersLease;    // takes free call buffers (waiting for them), gives it back on destruction
  class ControlLock;  // what the hint and stats calls hold

  void evaluate_chunk(CallBuffers& buffers, EvalRequest* requests, int n);  // n <= max_batch

  LoadedPlugin plugin_;        // declared first: outlives the instance (its code lives here)
  std::string log_prefix_;     // host.log_ctx points here; stable since the object never moves
  hearth_host host_{};
  EvalSpec spec_;
  std::unique_ptr<hearth_plugin, InstanceDeleter> instance_;

  // A counting semaphore over spec_.max_concurrent_calls slots: each evaluate call in the plugin
  // holds one. With one slot it is the one mutex the ABI asks for, and the hint and stats calls
  // hold it too.
  mutable std::mutex buffers_mutex_;
  mutable std::condition_variable buffers_freed_;
  mutable std::vector<CallBuffers> call_buffers_;
  mutable std::vector<int> free_buffers_;  // indices into call_buffers_, under buffers_mutex_
  mutable std::mutex control_mutex_;     // game_start/game_end/stats_json: one at a time
  std::atomic<uint64_t> calls_{0}, positions_{0};
};

}  // namespace hearth
