// The trainer module's one LibTorch class: the optimizer, the losses, checkpoints, and the table
// `hearth train` opens (trainer.h).
#include <torch/torch.h>
#include <torch/version.h>

#ifdef HEARTH_TRAIN_CUDA
#include <ATen/autocast_mode.h>
#endif

#include <optional>
#include <stdexcept>

#include "engine/train/net.h"
#include "engine/train/trainer.h"
#include "engine/train/weights.h"

namespace hearth::train {
namespace {

torch::Device parse_device(const std::string& name) {
  int index = -1;
  if (name == "cpu") return torch::Device(torch::kCPU);
  if (name == "cuda") {
    index = 0;
  } else if (name.rfind("cuda:", 0) == 0 && name.size() > 5 && name.size() <= 8 &&
             name.find_first_not_of("0123456789", 5) == std::string::npos) {
    index = std::stoi(name.substr(5));
  } else {
    throw std::runtime_error("train.device '" + name + "' is not cpu, cuda or cuda:N");
  }
  if (!torch::cuda::is_available())
    throw std::runtime_error("train.device " + name + ": this LibTorch (" + TORCH_VERSION +
                             ") sees no CUDA device (a CPU-only build, or no GPU here): use train.device cpu");
  if (index >= static_cast<int>(torch::cuda::device_count()))
    throw std::runtime_error("train.device " + name + ": only " + std::to_string(torch::cuda::device_count()) +
                             " CUDA device(s) visible");
  return torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(index));
}

// Why `path` is not a checkpoint hearth train wrote; "" when it is one.
std::string not_a_checkpoint(const std::string& path) {
  const char* init = " (a net starts a run with train.init)";
  if (is_weights_file(path)) return std::string("it is a net.weights, not a checkpoint") + init;
  try {
    torch::serialize::InputArchive ar;
    ar.load_from(path, torch::Device(torch::kCPU));
    c10::IValue format;
    if (!ar.try_read("hearth_format", format) || !format.isString()) return "not a checkpoint of hearth train";
    if (format.toStringRef() == "net") return std::string("it is a net.pt, not a checkpoint") + init;
    return format.toStringRef() == "checkpoint" ? "" : "not a checkpoint of hearth train";
  } catch (const std::exception& e) {
    return "it cannot be read (" + error_line(e) + ")";
  }
}

#ifdef HEARTH_TRAIN_CUDA
// bf16 autocast on CUDA for the scope of a forward.
class Autocast {
 public:
  explicit Autocast(bool on) : on_(on) {
    if (!on_) return;
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
    at::autocast::set_autocast_dtype(at::kCUDA, at::kBFloat16);
    at::autocast::set_autocast_enabled(at::kCUDA, true);
#else
    at::autocast::set_autocast_gpu_dtype(at::kBFloat16);
    at::autocast::set_enabled(true);
#endif
  }
  ~Autocast() {
    if (!on_) return;
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
    at::autocast::set_autocast_enabled(at::kCUDA, false);
#else
    at::autocast::set_enabled(false);
#endif
    at::autocast::clear_cache();
  }
  Autocast(const Autocast&) = delete;
  Autocast& operator=(const Autocast&) = delete;

 private:
  bool on_;
};
#else
struct Autocast {
  explicit Autocast(bool) {}
};
#endif

class TorchTrainer final : public Trainer {
 public:
  explicit TorchTrainer(const TrainerConfig& config);

  int64_t steps_done() const override { return steps_; }
  std::string description() const override;
  StepStats train_step(const Batch& batch, double lr) override;
  StepStats measure(const Batch& batch) override;
  void forward(const float* planes, int n, int size, float* policy, float* value) override;
  void save_checkpoint(const std::string& path) override;
  void save_net(const std::string& path) override;
  void save_weights(const std::string& path) override;

 private:
  struct Targets {
    torch::Tensor x, policy, value;
  };
  Targets upload(const Batch& batch) const;
  // The losses and measures of `logits`/`raw` against the targets; [policy, value] losses keep
  // their graph for backward.
  std::pair<torch::Tensor, torch::Tensor> losses(const torch::Tensor& logits, const torch::Tensor& raw,
                                                 const Targets& t, torch::Tensor* measures) const;
  StepStats stats(const torch::Tensor& measures) const;
  torch::Tensor reg_loss() const;
  void make_optimizer();
  void set_lr(double lr);

  TrainerConfig config_;
  torch::Device device_;
  ResNet net_{nullptr};
  std::vector<torch::Tensor> decayed_, plain_;  // conv and linear weights; biases and batch norm
  std::unique_ptr<torch::optim::Optimizer> optimizer_;
  int64_t steps_ = 0;
  bool bf16_ = false;
};

TorchTrainer::TorchTrainer(const TrainerConfig& config) : config_(config), device_(parse_device(config.device)) {
  if (config_.shape.blocks < 0 || config_.shape.channels < 1)
    throw std::runtime_error("train.blocks and train.channels must be at least 0 and 1");
  if (config_.optimizer != "sgd" && config_.optimizer != "adamw")
    throw std::runtime_error("train.optimizer '" + config_.optimizer + "' is not sgd or adamw");
  if (config_.precision == "bf16") {
    if (!device_.is_cuda())
      throw std::runtime_error("train.precision bf16 is for CUDA devices; on " + config_.device + " use fp32");
    bf16_ = true;
  } else if (config_.precision != "fp32") {
    throw std::runtime_error("train.precision '" + config_.precision + "' is not fp32 or bf16");
  }
  if (!config_.resume.empty() && !config_.init.empty())
    throw std::runtime_error("a trainer either resumes a checkpoint or starts from a net, not both");
  if (!config_.resume.empty()) {
    const std::string why = not_a_checkpoint(config_.resume);
    if (!why.empty()) throw std::runtime_error("cannot resume from " + config_.resume + ": " + why);
  }
  torch::manual_seed(config_.seed);
  net_ = ResNet(config_.shape);
  const std::string& from = config_.resume.empty() ? config_.init : config_.resume;
  if (!from.empty()) {
    const NetShape file = read_net_shape(from);
    if (file != config_.shape)
      throw std::runtime_error(from + " is a net of " + shape_text(file) + ", this run trains " +
                               shape_text(config_.shape) + " (train.blocks, train.channels)");
    load_net_weights(net_, from);
  }
  net_->to(device_);
  for (const auto& p : net_->named_parameters()) (p.value().dim() > 1 ? decayed_ : plain_).push_back(p.value());
  make_optimizer();
  if (config_.resume.empty()) return;
  try {
    torch::serialize::InputArchive ar;
    ar.load_from(config_.resume, device_);
    c10::IValue optimizer, step;
    if (!ar.try_read("hearth_optimizer", optimizer) || !optimizer.isString() || !ar.try_read("hearth_step", step) ||
        !step.isInt())
      throw std::runtime_error("no optimizer state");
    if (optimizer.toStringRef() != config_.optimizer)
      throw std::runtime_error("it was trained with " + optimizer.toStringRef() + ", train.optimizer is " +
                               config_.optimizer);
    torch::serialize::InputArchive state;
    ar.read("optimizer", state);
    optimizer_->load(state);
    steps_ = step.toInt();
  } catch (const std::exception& e) {
    throw std::runtime_error("cannot resume from " + config_.resume + ": " + error_line(e));
  }
}

void TorchTrainer::make_optimizer() {
  using namespace torch::optim;
  std::vector<OptimizerParamGroup> groups;
  if (config_.optimizer == "sgd") {
    auto options = [&](double wd) {
      return std::make_unique<SGDOptions>(SGDOptions(0.1).momentum(config_.momentum).weight_decay(wd));
    };
    groups.emplace_back(decayed_, options(config_.weight_decay));
    groups.emplace_back(plain_, options(0.0));
    optimizer_ = std::make_unique<SGD>(std::move(groups), SGDOptions(0.1).momentum(config_.momentum));
  } else {
    auto options = [&](double wd) {
      return std::make_unique<AdamWOptions>(
          AdamWOptions(1e-3).betas(std::make_tuple(config_.momentum, 0.999)).weight_decay(wd));
    };
    groups.emplace_back(decayed_, options(config_.weight_decay));
    groups.emplace_back(plain_, options(0.0));
    optimizer_ = std::make_unique<AdamW>(std::move(groups), AdamWOptions(1e-3));
  }
}

void TorchTrainer::set_lr(double lr) {
  for (auto& group : optimizer_->param_groups()) {
    if (config_.optimizer == "sgd")
      static_cast<torch::optim::SGDOptions&>(group.options()).lr(lr);
    else
      static_cast<torch::optim::AdamWOptions&>(group.options()).lr(lr);
  }
}

std::string TorchTrainer::description() const {
  int64_t parameters = 0;
  for (const auto& p : net_->parameters()) parameters += p.numel();
  return "resnet, " + shape_text(config_.shape) + " (" + std::to_string(parameters) + " parameters) on " +
         config_.device + ", " + (bf16_ ? "bf16 autocast" : "fp32") + ", " + config_.optimizer + ", LibTorch " +
         TORCH_VERSION;
}

TorchTrainer::Targets TorchTrainer::upload(const Batch& b) const {
  const int64_t n = b.n, s = b.size;
  if (n < 1 || s < 1 || b.planes.size() != static_cast<size_t>(n * 4 * s * s) ||
      b.policy.size() != static_cast<size_t>(n * s * s) || b.value.size() != static_cast<size_t>(n))
    throw std::runtime_error("a batch of the wrong size reached the trainer");
  auto blob = [&](const std::vector<float>& v, std::vector<int64_t> shape) {
    return torch::from_blob(const_cast<float*>(v.data()), shape, torch::kFloat).to(device_);
  };
  return {blob(b.planes, {n, 4, s, s}), blob(b.policy, {n, s * s}), blob(b.value, {n})};
}

std::pair<torch::Tensor, torch::Tensor> TorchTrainer::losses(const torch::Tensor& logits_in, const torch::Tensor& raw,
                                                             const Targets& t, torch::Tensor* measures) const {
  const torch::Tensor logits = logits_in.to(torch::kFloat);
  const torch::Tensor value = torch::tanh(raw.to(torch::kFloat).reshape({-1}));
  const torch::Tensor policy_loss = -(t.policy * torch::log_softmax(logits, 1)).sum(1).mean();
  const torch::Tensor value_loss = (value - t.value).pow(2).mean();
  torch::NoGradGuard no_grad;
  const torch::Tensor accuracy = (logits.argmax(1) == t.policy.argmax(1)).to(torch::kFloat).mean();
  const torch::Tensor error = (value - t.value).abs().mean();
  const torch::Tensor entropy = -(t.policy * torch::log(t.policy.clamp_min(1e-12))).sum(1).mean();
  *measures = torch::stack({policy_loss.detach(), value_loss.detach(), reg_loss(), accuracy, error, entropy});
  return {policy_loss, value_loss};
}

torch::Tensor TorchTrainer::reg_loss() const {
  torch::NoGradGuard no_grad;
  torch::Tensor sum = torch::zeros({}, torch::TensorOptions().device(device_));
  for (const auto& w : decayed_) sum = sum + w.pow(2).sum();
  return sum * (0.5 * config_.weight_decay);
}

StepStats TorchTrainer::stats(const torch::Tensor& measures) const {
  const torch::Tensor m = measures.to(torch::kCPU, torch::kDouble).contiguous();
  const double* v = m.data_ptr<double>();
  StepStats s;
  s.policy_loss = v[0];
  s.value_loss = v[1];
  s.reg_loss = v[2];
  s.loss = v[0] + v[1] + v[2];
  s.policy_accuracy = v[3];
  s.value_error = v[4];
  s.policy_entropy = v[5];
  return s;
}

StepStats TorchTrainer::train_step(const Batch& batch, double lr) {
  try {
    const Targets t = upload(batch);
    net_->train();
    set_lr(lr);
    torch::Tensor logits, raw, measures;
    {
      Autocast autocast(bf16_);
      std::tie(logits, raw) = net_->forward(t.x);
    }
    const auto [policy_loss, value_loss] = losses(logits, raw, t, &measures);
    optimizer_->zero_grad();
    (policy_loss + value_loss).backward();
    optimizer_->step();
    ++steps_;
    return stats(measures);
  } catch (const c10::Error& e) {
    throw std::runtime_error("training step " + std::to_string(steps_ + 1) + " failed: " + error_line(e));
  }
}

StepStats TorchTrainer::measure(const Batch& batch) {
  try {
    torch::NoGradGuard no_grad;
    const Targets t = upload(batch);
    net_->eval();
    auto [logits, raw] = net_->forward(t.x);
    torch::Tensor measures;
    losses(logits, raw, t, &measures);
    return stats(measures);
  } catch (const c10::Error& e) {
    throw std::runtime_error("measuring the net failed: " + error_line(e));
  }
}

void TorchTrainer::forward(const float* planes, int n, int size, float* policy, float* value) {
  try {
    torch::NoGradGuard no_grad;
    net_->eval();
    const torch::Tensor x =
        torch::from_blob(const_cast<float*>(planes), {n, 4, size, size}, torch::kFloat).to(device_);
    auto [logits, raw] = net_->forward(x);
    const torch::Tensor p = logits.to(torch::kCPU, torch::kFloat).contiguous();
    const torch::Tensor v = torch::tanh(raw.reshape({-1})).to(torch::kCPU, torch::kFloat).contiguous();
    std::copy(p.data_ptr<float>(), p.data_ptr<float>() + p.numel(), policy);
    std::copy(v.data_ptr<float>(), v.data_ptr<float>() + v.numel(), value);
  } catch (const c10::Error& e) {
    throw std::runtime_error("the trainer's forward failed: " + error_line(e));
  }
}

void TorchTrainer::save_checkpoint(const std::string& path) {
  try {
    torch::serialize::OutputArchive ar;
    ar.write("hearth_format", c10::IValue(std::string("checkpoint")));
    ar.write("hearth_blocks", c10::IValue(int64_t{config_.shape.blocks}));
    ar.write("hearth_channels", c10::IValue(int64_t{config_.shape.channels}));
    ar.write("hearth_optimizer", c10::IValue(config_.optimizer));
    ar.write("hearth_step", c10::IValue(steps_));
    torch::serialize::OutputArchive model, state;
    net_->save(model);
    ar.write("model", model);
    optimizer_->save(state);
    ar.write("optimizer", state);
    ar.save_to(path);
  } catch (const std::exception& e) {
    throw std::runtime_error("cannot write the checkpoint " + path + ": " + error_line(e));
  }
}

void TorchTrainer::save_net(const std::string& path) { save_torchscript(net_, path); }

void TorchTrainer::save_weights(const std::string& path) { save_weights_file(net_, path); }

std::unique_ptr<Trainer> create(const TrainerConfig& config) {
  try {
    return std::make_unique<TorchTrainer>(config);
  } catch (const c10::Error& e) {
    throw std::runtime_error(error_line(e));
  }
}

std::string torch_version() { return TORCH_VERSION; }

const TrainerApi kApi{kTrainerApiVersion, create, torch_version};

}  // namespace
}  // namespace hearth::train

extern "C" __attribute__((visibility("default"))) const hearth::train::TrainerApi* hearth_trainer_api() {
  return &hearth::train::kApi;
}
