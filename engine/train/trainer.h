// The torch part of `hearth train` behind an interface with no LibTorch (and no spdlog) in it.
//
// The net, the optimizer, the losses and every file LibTorch writes live in a module of their own,
// libhearth_trainer.so (net.cpp, trainer.cpp), built only when LibTorch is found; `hearth train`
// opens it with dlopen when it runs (load_trainer_api). So `hearth` itself never links LibTorch:
// every other subcommand starts as fast as before, and LibTorch's own copies of fmt and of
// std::filesystem symbols never meet the program's (../shared/gpu/README.md).
//
// The module reports through return values and exceptions (std::runtime_error, one line); the
// front end (command.cpp) logs.
//
// Thread-safety: a Trainer is used from one thread at a time. load_trainer_api is thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace hearth::train {

// The residual net (net.cpp): a 3x3 stem conv, `blocks` residual blocks of two 3x3 convs of
// `channels` channels (batch norm, ReLU), a policy head (1x1 conv, ReLU, 1x1 conv: H*W logits)
// and a value head (1x1 conv, ReLU, mean / size-scaled mean / max pooling, two linear layers: one
// raw value, which tanh maps to [-1, 1]). Fully convolutional: one net plays every board size.
struct NetShape {
  int blocks = 6;
  int channels = 64;
  bool operator==(const NetShape& o) const { return blocks == o.blocks && channels == o.channels; }
  bool operator!=(const NetShape& o) const { return !(*this == o); }
};
// The channels of the policy and value heads' 1x1 convs.
inline int head_channels(const NetShape& s) { return s.channels / 2 > 1 ? s.channels / 2 : 1; }
// "6 blocks of 64 channels".
inline std::string shape_text(const NetShape& s) {
  return std::to_string(s.blocks) + (s.blocks == 1 ? " block" : " blocks") + " of " + std::to_string(s.channels) +
         " channels";
}

// n positions of one board size, as the net and the losses take them.
struct Batch {
  int n = 0;
  int size = 0;
  std::vector<float> planes;  // n x 4 x size x size (encoding.h)
  std::vector<float> policy;  // n x size*size: the visit distribution (each row sums to 1, or is all 0)
  std::vector<float> value;   // n: the value target in [-1, 1]
  std::vector<int> symmetry;  // n: the symmetry each position was drawn under (symmetry.h)
};

// The losses and measures of one step, over its batch (before the step's update).
struct StepStats {
  double loss = 0;             // policy_loss + value_loss + reg_loss
  double policy_loss = 0;      // cross-entropy against the visit distribution
  double value_loss = 0;       // mean squared error of tanh(value) against the value target
  double reg_loss = 0;         // weight_decay / 2 x the squared norm of the conv and linear weights
  double policy_accuracy = 0;  // fraction of positions whose top logit is the most visited move
  double value_error = 0;      // mean absolute error of tanh(value)
  double policy_entropy = 0;   // of the targets: the policy loss a perfect fit reaches
};

struct TrainerConfig {
  NetShape shape;
  std::string device = "cpu";       // cpu, cuda (= cuda:0) or cuda:N
  std::string optimizer = "sgd";    // sgd (with momentum) or adamw
  double momentum = 0.9;            // sgd momentum; adamw's beta1
  double weight_decay = 1e-4;       // on conv and linear weights (not biases, not batch norm)
  std::string precision = "fp32";   // fp32, or bf16: autocast on CUDA (fp32 on the CPU)
  uint64_t seed = 1;                // the initial weights
  // At most one of these: a checkpoint to continue (weights, batch-norm statistics, optimizer
  // state, step count), or a net to start from (a checkpoint.pt, net.pt or net.weights of the same
  // shape: weights only; a fresh optimizer at step 0).
  std::string resume;
  std::string init;
};

class Trainer {
 public:
  virtual ~Trainer() = default;
  virtual int64_t steps_done() const = 0;
  // One line: the shape, parameters, device, precision and LibTorch version.
  virtual std::string description() const = 0;
  // One optimizer step on `batch` at learning rate `lr`; the batch's losses before the update.
  virtual StepStats train_step(const Batch& batch, double lr) = 0;
  // The losses of the net as it plays (batch norm on its running statistics), no update.
  virtual StepStats measure(const Batch& batch) = 0;
  // The net as it plays: policy n x size*size logits, value n floats in [-1, 1] (tanh applied).
  virtual void forward(const float* planes, int n, int size, float* policy, float* value) = 0;
  // Files, each written in full at `path` (the caller renames them into place):
  //   the checkpoint: weights, batch-norm statistics, optimizer state, step (a LibTorch archive);
  //   the net the torch plugin loads: TorchScript, batch norm folded into the convolutions, the
  //     value raw (the plugin's value_transform = tanh, its default, maps it to [-1, 1]);
  //   the weights in a version-neutral file of our own (weights.h), for train.init and conversion.
  virtual void save_checkpoint(const std::string& path) = 0;
  virtual void save_net(const std::string& path) = 0;
  virtual void save_weights(const std::string& path) = 0;
};

// What the module exports, as `hearth_trainer_api` (extern "C"). Host and module come from one
// build, so C++ types cross freely; the version catches a stale module beside a newer program.
constexpr int kTrainerApiVersion = 1;
struct TrainerApi {
  int version;
  // Throws std::runtime_error, one line naming the file or option at fault: an unknown device or
  // one this LibTorch cannot use, a resume/init file that is unreadable, of another architecture
  // or of another optimizer.
  std::unique_ptr<Trainer> (*create)(const TrainerConfig& config);
  std::string (*torch_version)();
};

// Whether this build has the torch part (LibTorch was found when it was configured).
bool trainer_built();
// The module's table, opened once: libhearth_trainer.so beside the program, in <its dir>/plugins,
// else in the build's folder. Throws std::runtime_error naming the cause (no LibTorch in this
// build, module missing, not loadable, wrong version).
const TrainerApi& load_trainer_api();

}  // namespace hearth::train
