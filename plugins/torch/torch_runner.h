// TorchRunner: a TorchScript policy/value network on one device, behind an interface that needs
// no LibTorch headers (torch_runner.cpp is the plugin's only LibTorch translation unit).
//
// All device work -- loading, warm-up, CUDA graph capture, every real batch and every keep-warm
// dummy -- runs on the runner's DeviceThread (keep_warm.h). create() returns once every batch
// bucket is warmed (and, in graph mode, captured): the runner is then ready.
//
// Thread-safety: every member may be called from any thread; evaluate() calls are serialized on
// the device thread. Destruction must not race other calls.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace hearth::torch_plugin {

enum class DType { Float32, Float16 };
enum class RunMode { Auto, Graph, Eager };  // Auto: graph on CUDA, eager on CPU
enum class ValueTransform { Tanh, None };   // applied to the network's raw value output
enum class WarmKind { Forward, Kernel };    // what a keep-warm dummy runs

struct TorchRunnerConfig {
  std::string model_path;
  std::string device = "cpu";  // "cpu", "cuda" (= cuda:0) or "cuda:N"
  DType dtype = DType::Float32;
  RunMode mode = RunMode::Auto;
  std::vector<int> buckets{1, 8, 32, 128};  // ascending; a batch is padded up to the next one
  ValueTransform value_transform = ValueTransform::Tanh;
  int board_size = 15;  // the host's; the model is probed at this size
  bool keep_warm = false;
  long long warm_period_us = 2000;
  double hot_window_s = 30.0;
  WarmKind warm_kind = WarmKind::Forward;
  bool gpu_timing = false;  // CUDA events around each real forward (CUDA only)
  std::function<void(int level, const std::string& message)> log;  // levels as hearth_log_level
};

class TorchRunner {
 public:
  // Loads, validates, warms up and (graph mode) captures. Throws std::runtime_error or
  // std::invalid_argument with one line naming the cause: model file missing or not loadable,
  // outputs of the wrong kind or shape for the board size, CUDA unavailable, bad option mix.
  static std::unique_ptr<TorchRunner> create(const TorchRunnerConfig& config);
  virtual ~TorchRunner() = default;

  virtual int board_size() const = 0;
  virtual int policy_size() const = 0;
  virtual const std::vector<int>& buckets() const = 0;
  virtual int max_batch() const = 0;     // the largest bucket
  virtual std::string description() const = 0;  // one line

  // input: n x 4 x size x size floats; policy: n x size*size logits; value: n floats (after the
  // value transform). 1 <= n <= max_batch(). Throws std::runtime_error on failure.
  virtual void evaluate(const float* input, int n, float* policy, float* value) = 0;
  virtual void game_start() = 0;
  virtual void game_end() = 0;
  virtual std::string stats_json() const = 0;  // one JSON object
};

}  // namespace hearth::torch_plugin
