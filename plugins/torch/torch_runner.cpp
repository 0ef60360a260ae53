// The torch plugin's one LibTorch translation unit: loading, validation, batch buckets, CUDA
// graphs, fp16, keep-warm dummies. CUDA code sits behind HEARTH_TORCH_CUDA, which CMake sets only
// when find_package(Torch) reports a CUDA build (Debian's CPU LibTorch ships ATen/cuda headers
// without the runtime they need).
#include "plugins/torch/torch_runner.h"
#include "evaluator/device_name.h"

#include <torch/cuda.h>
#include <torch/script.h>
#include <torch/version.h>

#include <c10/core/InferenceMode.h>
#include <sys/stat.h>

#ifdef HEARTH_TORCH_CUDA
#include <ATen/cuda/CUDAContext.h>
#include <ATen/cuda/CUDAEvent.h>
#include <ATen/cuda/CUDAGraph.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#endif

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <tuple>
#include <utility>

#include "plugins/torch/keep_warm.h"
#include "engine/util/nvml_probe.h"

namespace hearth::torch_plugin {

namespace {

std::string first_line(const std::string& text) {
  const size_t end = text.find('\n');
  return end == std::string::npos ? text : text.substr(0, end);
}

// LibTorch's messages carry a C++ backtrace; one line is what a user needs.
std::string error_line(const std::exception& e) {
  if (const auto* ce = dynamic_cast<const c10::Error*>(&e)) return first_line(ce->what_without_backtrace());
  return first_line(e.what());
}

std::string shape_text(const torch::Tensor& t) {
  std::ostringstream o;
  o << t.sizes();
  return o.str();
}

struct DeviceChoice {
  bool cuda = false;
  int index = -1;
  std::string name = "cpu";
};

DeviceChoice parse_device(const std::string& text) {
  DeviceChoice d;
  if (text == "cpu") return d;
  const std::optional<int> index = hearth::parse_device_name(text);
  if (!index) throw std::invalid_argument("option 'device' of plugin torch: '" + text + "' is not cpu, cuda or cuda:N");
  d.cuda = true;
  d.index = *index;
  d.name = "cuda:" + std::to_string(d.index);
  return d;
}

using Clock = std::chrono::steady_clock;

#ifdef HEARTH_TORCH_CUDA
// Thread-local capture: all of a runner's CUDA work is on its own device thread, so capture
// forbids unsafe calls on that thread only, and another runner in the process (or its keep-warm
// ticks) may keep working on its own thread meanwhile. Each graph gets a private memory pool.
constexpr cudaStreamCaptureMode kCaptureMode = cudaStreamCaptureModeThreadLocal;
#endif

class Runner final : public TorchRunner {
 public:
  explicit Runner(const TorchRunnerConfig& config);
  ~Runner() override;

  int board_size() const override { return size_; }
  int policy_size() const override { return policy_size_; }
  const std::vector<int>& buckets() const override { return bucket_sizes_; }
  int max_batch() const override { return bucket_sizes_.back(); }
  std::string description() const override { return description_; }
  void evaluate(const float* input, int n, float* policy, float* value) override;
  void game_start() override { thread_->game_start(); }
  void game_end() override { thread_->game_end(); }
  std::string stats_json() const override;

 private:
  // One padded batch size: its input/output tensors and, in graph mode, its captured graph.
  // Tensors are touched only on the device thread; the counters from any thread.
  struct Bucket {
    int n = 0;
    torch::Tensor host_in;   // n x 4 x S x S floats; pinned on CUDA; the CPU forward's input
    torch::Tensor dev_in;    // CUDA: device copy of host_in; the graph's static input
    torch::Tensor policy;    // CUDA: n x P floats on device: the graph's static output, or the last eager one
    torch::Tensor value;     // CUDA: n floats on device, after the value transform
    torch::Tensor host_policy, host_value;  // CUDA: pinned copies read by the host
#ifdef HEARTH_TORCH_CUDA
    std::unique_ptr<at::cuda::CUDAGraph> graph;  // CUDAGraph cannot move: held by pointer
#endif
    std::atomic<uint64_t> batches{0}, positions{0};
  };

  // Device thread only.
  void load_and_prepare();
  void probe();
  void prepare_bucket(Bucket& b);
  void prepare_warm_kernel();
  void release();
  std::pair<torch::Tensor, torch::Tensor> unpack(const torch::jit::IValue& out, int n) const;
  std::pair<torch::Tensor, torch::Tensor> forward_float(const torch::Tensor& input, int n);
  void run_batch(Bucket& b, const float* input, int n, float* policy, float* value);
  void dummy();
  size_t bucket_index(int n) const;

  TorchRunnerConfig config_;
  DeviceChoice device_;
  bool graph_mode_ = false;
  bool half_ = false;
  int size_ = 0, policy_size_ = 0, input_floats_ = 0;
  std::vector<int> bucket_sizes_;
  std::string description_;
  std::string pci_bus_id_;
  std::string gpu_name_;  // CUDA: the device's name, for benchmark reports
  double ready_seconds_ = 0;

  torch::jit::Module module_;
  std::vector<std::unique_ptr<Bucket>> buckets_;
  torch::Tensor warm_scratch_;  // the tiny tensor a `kernel` dummy adds to
#ifdef HEARTH_TORCH_CUDA
  std::optional<c10::cuda::CUDAStream> stream_;  // a pool stream: never the default stream
  std::unique_ptr<at::cuda::CUDAGraph> kernel_graph_;
  std::unique_ptr<at::cuda::CUDAEvent> timing_start_, timing_end_;
#endif

  std::unique_ptr<NvmlProbe> nvml_;
  SampleReservoir gpu_us_;
  std::atomic<double> last_gpu_us_{0};  // the latest real forward's GPU time (gpu_timing on CUDA)
  std::atomic<uint64_t> errors_{0};
  // Declared last so it is destroyed first: no job or dummy can outlive the state above.
  std::unique_ptr<DeviceThread> thread_;
};

Runner::Runner(const TorchRunnerConfig& config) : config_(config) {
  const auto start = Clock::now();
  size_ = config_.board_size;
  if (size_ < 1 || size_ > 64) throw std::invalid_argument("board size " + std::to_string(size_) + " is out of range");
  policy_size_ = size_ * size_;
  input_floats_ = 4 * size_ * size_;
  bucket_sizes_ = config_.buckets;
  if (bucket_sizes_.empty()) throw std::invalid_argument("option 'buckets' of plugin torch: no batch sizes given");
  for (size_t i = 0; i < bucket_sizes_.size(); ++i)
    if (bucket_sizes_[i] < 1 || (i > 0 && bucket_sizes_[i] <= bucket_sizes_[i - 1]))
      throw std::invalid_argument("option 'buckets' of plugin torch: sizes must be positive and ascending");
  if (config_.warm_period_us < 1) throw std::invalid_argument("option 'warm_period_us' of plugin torch must be >= 1");
  if (!(config_.hot_window_s > 0)) throw std::invalid_argument("option 'hot_window_s' of plugin torch must be > 0");

  device_ = parse_device(config_.device);
  if (device_.cuda) {
#ifndef HEARTH_TORCH_CUDA
    throw std::runtime_error("CUDA requested (" + device_.name +
                             ") but this LibTorch was built without CUDA (a CPU-only build); use device=cpu");
#else
    if (!torch::cuda::is_available())
      throw std::runtime_error("CUDA requested (" + device_.name +
                               ") but torch::cuda::is_available() is false: no usable GPU or driver");
    const int count = static_cast<int>(torch::cuda::device_count());
    if (device_.index >= count)
      throw std::runtime_error("CUDA requested (" + device_.name + ") but only " + std::to_string(count) +
                               " CUDA device(s) are visible");
#endif
  }
  if (config_.mode == RunMode::Graph && !device_.cuda)
    throw std::invalid_argument("mode=graph needs a CUDA device (device=" + config_.device + "); use mode=eager on cpu");
  graph_mode_ = device_.cuda && config_.mode != RunMode::Eager;
  half_ = config_.dtype == DType::Float16;
  if (half_ && !device_.cuda) throw std::invalid_argument("dtype=fp16 needs a CUDA device; use dtype=fp32 on cpu");

  // stat, not std::filesystem: pip LibTorch 2.x exports std::filesystem symbols of its own that
  // interpose on the system's in any process that links it (remove_all crashes there).
  struct stat file {};
  if (stat(config_.model_path.c_str(), &file) != 0 || !S_ISREG(file.st_mode))
    throw std::runtime_error("model file not found: " + config_.model_path);

  KeepWarmConfig kw;
  kw.enabled = config_.keep_warm;
  kw.period = std::chrono::microseconds(config_.warm_period_us);
  kw.hot_window = std::chrono::microseconds(static_cast<long long>(config_.hot_window_s * 1e6));
  thread_ = std::make_unique<DeviceThread>(kw, [this] { dummy(); }, config_.log);
  try {
    thread_->run_setup([this] { load_and_prepare(); });
  } catch (const c10::Error& e) {  // messages of our own are one line already; LibTorch's are not
    throw std::runtime_error("torch: preparing " + config_.model_path + " on " + device_.name +
                             " failed: " + error_line(e));
  }
  ready_seconds_ = std::chrono::duration<double>(Clock::now() - start).count();
  if (device_.cuda && !pci_bus_id_.empty()) nvml_ = std::make_unique<NvmlProbe>(pci_bus_id_);

  std::string list;
  for (int b : bucket_sizes_) list += (list.empty() ? "" : ",") + std::to_string(b);
  const std::string file_name = config_.model_path.substr(config_.model_path.find_last_of('/') + 1);
  description_ = "torch " + file_name + " on " + device_.name +
                 ", " + (half_ ? "fp16" : "fp32") + ", " + (graph_mode_ ? "cuda graphs" : "eager") + ", buckets " +
                 list + (config_.keep_warm ? ", keep-warm" : "");
  if (config_.log) {
    char ready[64];
    std::snprintf(ready, sizeof(ready), " ready in %.2f s", ready_seconds_);
    config_.log(1, description_ + ready);
  }
}

Runner::~Runner() {
  try {
    thread_->run_setup([this] { release(); });  // graphs and tensors go where they were made
  } catch (...) {
  }
}

void Runner::release() {
  buckets_.clear();
  warm_scratch_ = torch::Tensor();
#ifdef HEARTH_TORCH_CUDA
  kernel_graph_.reset();
  timing_start_.reset();
  timing_end_.reset();
#endif
  module_ = torch::jit::Module();
}

void Runner::load_and_prepare() {
  const torch::Device device = device_.cuda ? torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(device_.index))
                                            : torch::Device(torch::kCPU);
  {
    torch::NoGradGuard no_grad;  // not InferenceMode: converting parameters must stay ordinary tensors
    try {
      module_ = torch::jit::load(config_.model_path, device);
    } catch (const std::exception& e) {
      throw std::runtime_error("cannot load TorchScript model " + config_.model_path + ": " + error_line(e));
    }
    module_.eval();
    // Each runner loads its own module, so converting it cannot pull weights from under another
    // runner's captured graphs.
    if (half_) module_.to(torch::kHalf);
  }
#ifdef HEARTH_TORCH_CUDA
  if (device_.cuda) {
    stream_.emplace(c10::cuda::getStreamFromPool(false, static_cast<c10::DeviceIndex>(device_.index)));
    const cudaDeviceProp* prop = at::cuda::getDeviceProperties(static_cast<c10::DeviceIndex>(device_.index));
    char bus[32];
    std::snprintf(bus, sizeof(bus), "%04x:%02x:%02x.0", static_cast<unsigned>(prop->pciDomainID),
                  static_cast<unsigned>(prop->pciBusID), static_cast<unsigned>(prop->pciDeviceID));
    pci_bus_id_ = bus;
    gpu_name_ = prop->name;
    if (config_.gpu_timing) {
      timing_start_ = std::make_unique<at::cuda::CUDAEvent>(cudaEventDefault);
      timing_end_ = std::make_unique<at::cuda::CUDAEvent>(cudaEventDefault);
    }
  }
#endif
  c10::InferenceMode inference;
  probe();
  for (int n : bucket_sizes_) {
    buckets_.push_back(std::make_unique<Bucket>());
    buckets_.back()->n = n;
    prepare_bucket(*buckets_.back());
  }
  prepare_warm_kernel();
}

// One forward of a zero batch at the host's board size: the model's shapes must fit the game.
void Runner::probe() {
  const auto options = torch::TensorOptions().dtype(torch::kFloat).device(
      device_.cuda ? torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(device_.index)) : torch::Device(torch::kCPU));
  torch::Tensor x = torch::zeros({1, 4, size_, size_}, options);
  if (half_) x = x.to(torch::kHalf);
  torch::jit::IValue out;
  try {
#ifdef HEARTH_TORCH_CUDA
    std::optional<c10::cuda::CUDAStreamGuard> guard;
    if (stream_) guard.emplace(*stream_);
#endif
    out = module_.forward({x});
  } catch (const std::exception& e) {
    throw std::runtime_error("model " + config_.model_path + " failed on a [1, 4, " + std::to_string(size_) + ", " +
                             std::to_string(size_) + "] input (board size " + std::to_string(size_) +
                             "): " + error_line(e));
  }
  unpack(out, 1);
}

std::pair<torch::Tensor, torch::Tensor> Runner::unpack(const torch::jit::IValue& out, int n) const {
  const std::string model = "model " + config_.model_path;
  if (!out.isTuple())
    throw std::runtime_error(model + " must return a tuple (policy, value[, action_values]) of tensors; it returns a " +
                             out.tagKind());
  const auto tuple = out.toTuple();
  const auto& items = tuple->elements();
  if (items.size() < 2 || items.size() > 3)
    throw std::runtime_error(model + " must return a tuple (policy, value[, action_values]) of tensors; it returns " +
                             std::to_string(items.size()) + " elements");
  for (size_t i = 0; i < items.size(); ++i)
    if (!items[i].isTensor())
      throw std::runtime_error(model + ": output " + std::to_string(i) + " is a " + items[i].tagKind() +
                               ", not a tensor");
  torch::Tensor policy = items[0].toTensor();
  torch::Tensor value = items[1].toTensor();
  const std::string board = " (board size " + std::to_string(size_) + ")";
  if (policy.dim() != 2 || policy.size(0) != n || policy.size(1) != policy_size_)
    throw std::runtime_error(model + ": policy output has shape " + shape_text(policy) + ", expected [" +
                             std::to_string(n) + ", " + std::to_string(policy_size_) + "]" + board);
  const bool value_ok = (value.dim() == 2 && value.size(0) == n && value.size(1) == 1) ||
                        (value.dim() == 1 && value.size(0) == n);
  if (!value_ok)
    throw std::runtime_error(model + ": value output has shape " + shape_text(value) + ", expected [" +
                             std::to_string(n) + ", 1]");
  return {policy, value};
}

// The network on a float input of n positions: float policy [n, P] and transformed float value [n].
std::pair<torch::Tensor, torch::Tensor> Runner::forward_float(const torch::Tensor& input, int n) {
  const torch::Tensor x = half_ ? input.to(torch::kHalf) : input;
  auto [policy, value] = unpack(module_.forward({x}), n);
  policy = policy.to(torch::kFloat).contiguous();
  value = value.reshape({n}).to(torch::kFloat);
  if (config_.value_transform == ValueTransform::Tanh) value = torch::tanh(value);
  return {policy, value.contiguous()};
}

void Runner::prepare_bucket(Bucket& b) {
  auto host = torch::TensorOptions().dtype(torch::kFloat);
#ifdef HEARTH_TORCH_CUDA
  if (device_.cuda) {
    host = host.pinned_memory(true);
    const auto dev = torch::TensorOptions().dtype(torch::kFloat).device(torch::kCUDA, static_cast<c10::DeviceIndex>(device_.index));
    b.host_in = torch::zeros({b.n, 4, size_, size_}, host);
    b.host_policy = torch::zeros({b.n, policy_size_}, host);
    b.host_value = torch::zeros({b.n}, host);
    b.dev_in = torch::zeros({b.n, 4, size_, size_}, dev);
    c10::cuda::CUDAStreamGuard guard(*stream_);
    // Warm-up on the capture stream: cuDNN picks algorithms and the TorchScript executor
    // profiles and optimizes before anything is captured.
    for (int i = 0; i < 3; ++i) std::tie(b.policy, b.value) = forward_float(b.dev_in, b.n);
    stream_->synchronize();
    if (graph_mode_) {
      b.graph = std::make_unique<at::cuda::CUDAGraph>();
      b.graph->capture_begin({0, 0}, kCaptureMode);
      std::tie(b.policy, b.value) = forward_float(b.dev_in, b.n);  // static outputs: kept alive
      b.graph->capture_end();
      b.graph->replay();  // the first replay uploads the graph: before "ready", not in a game
      stream_->synchronize();
    }
    return;
  }
#endif
  b.host_in = torch::zeros({b.n, 4, size_, size_}, host);
  for (int i = 0; i < 2; ++i) forward_float(b.host_in, b.n);  // the executor's profiling runs
}

void Runner::prepare_warm_kernel() {
#ifdef HEARTH_TORCH_CUDA
  if (device_.cuda) {
    warm_scratch_ = torch::zeros({1}, torch::TensorOptions().dtype(torch::kFloat).device(
                                          torch::kCUDA, static_cast<c10::DeviceIndex>(device_.index)));
    c10::cuda::CUDAStreamGuard guard(*stream_);
    warm_scratch_.add_(1);
    stream_->synchronize();
    if (graph_mode_ && config_.warm_kind == WarmKind::Kernel) {
      kernel_graph_ = std::make_unique<at::cuda::CUDAGraph>();
      kernel_graph_->capture_begin({0, 0}, kCaptureMode);
      warm_scratch_.add_(1);  // one tiny kernel
      kernel_graph_->capture_end();
      kernel_graph_->replay();
      stream_->synchronize();
    }
    return;
  }
#endif
  warm_scratch_ = torch::zeros({1});
}

size_t Runner::bucket_index(int n) const {
  size_t i = 0;
  while (bucket_sizes_[i] < n) ++i;  // callers check n <= max_batch()
  return i;
}

void Runner::run_batch(Bucket& b, const float* input, int n, float* policy, float* value) {
  c10::InferenceMode inference;
  float* staging = b.host_in.data_ptr<float>();
  std::memcpy(staging, input, sizeof(float) * static_cast<size_t>(n) * input_floats_);
  // Padding rows are zeroed so a batch's result never depends on an earlier batch's leftovers.
  if (n < b.n) std::memset(staging + static_cast<size_t>(n) * input_floats_, 0, sizeof(float) * static_cast<size_t>(b.n - n) * input_floats_);
  torch::Tensor p, v;
#ifdef HEARTH_TORCH_CUDA
  if (device_.cuda) {
    c10::cuda::CUDAStreamGuard guard(*stream_);  // replay() launches on the current stream
    if (timing_start_) timing_start_->record(*stream_);
    b.dev_in.copy_(b.host_in, /*non_blocking=*/true);
    if (b.graph) {
      b.graph->replay();
    } else {
      std::tie(b.policy, b.value) = forward_float(b.dev_in, b.n);
    }
    b.host_policy.copy_(b.policy, /*non_blocking=*/true);
    b.host_value.copy_(b.value, /*non_blocking=*/true);
    if (timing_end_) timing_end_->record(*stream_);
    stream_->synchronize();
    if (timing_start_) {
      const double us = 1000.0 * timing_start_->elapsed_time(*timing_end_);
      gpu_us_.add(us);
      last_gpu_us_ = us;
    }
    p = b.host_policy;
    v = b.host_value;
  } else
#endif
  {
    std::tie(p, v) = forward_float(b.host_in, b.n);
  }
  std::memcpy(policy, p.data_ptr<float>(), sizeof(float) * static_cast<size_t>(n) * policy_size_);
  std::memcpy(value, v.data_ptr<float>(), sizeof(float) * static_cast<size_t>(n));
}

void Runner::evaluate(const float* input, int n, float* policy, float* value) {
  if (n < 1 || n > max_batch())
    throw std::invalid_argument("torch: batch of " + std::to_string(n) + " positions is outside 1.." +
                                std::to_string(max_batch()));
  Bucket& b = *buckets_[bucket_index(n)];
  try {
    thread_->run([&] { run_batch(b, input, n, policy, value); });
  } catch (const std::exception& e) {
    ++errors_;
    throw std::runtime_error("torch forward failed: " + error_line(e));
  }
  ++b.batches;
  b.positions += static_cast<uint64_t>(n);
}

// A keep-warm tick: one tiny piece of device work on the device thread, finished before return
// so a real batch never queues behind more than this.
void Runner::dummy() {
  c10::InferenceMode inference;
  Bucket& smallest = *buckets_.front();
#ifdef HEARTH_TORCH_CUDA
  if (device_.cuda) {
    c10::cuda::CUDAStreamGuard guard(*stream_);
    if (config_.warm_kind == WarmKind::Kernel) {
      if (kernel_graph_) {
        kernel_graph_->replay();
      } else {
        warm_scratch_.add_(1);
      }
    } else if (smallest.graph) {
      smallest.graph->replay();  // overwrites the bucket's static outputs: real batches copy theirs out first
    } else {
      forward_float(smallest.dev_in, smallest.n);
    }
    stream_->synchronize();
    return;
  }
#endif
  if (config_.warm_kind == WarmKind::Kernel) {
    warm_scratch_.add_(1);
  } else {
    forward_float(smallest.host_in, smallest.n);
  }
}

std::string Runner::stats_json() const {
  std::ostringstream o;
  uint64_t batches = 0, positions = 0, padded = 0;
  std::string per_bucket;
  for (const auto& b : buckets_) {
    const uint64_t nb = b->batches.load(), np = b->positions.load();
    batches += nb;
    positions += np;
    padded += nb * static_cast<uint64_t>(b->n);
    per_bucket += std::string(per_bucket.empty() ? "" : ",") + "{\"size\":" + std::to_string(b->n) +
                  ",\"batches\":" + std::to_string(nb) + ",\"positions\":" + std::to_string(np) + "}";
  }
  o << "{\"device\":\"" << device_.name << "\",\"dtype\":\"" << (half_ ? "fp16" : "fp32") << "\",\"mode\":\""
    << (graph_mode_ ? "graph" : "eager") << "\",\"warm_kind\":\""
    << (config_.warm_kind == WarmKind::Kernel ? "kernel" : "forward") << "\",\"board_size\":" << size_
    << ",\"ready_seconds\":" << ready_seconds_ << ",\"batches\":" << batches << ",\"positions\":" << positions
    << ",\"padded_positions\":" << padded << ",\"errors\":" << errors_.load() << ",\"buckets\":[" << per_bucket << "]"
    << ",\"libtorch\":\"" << TORCH_VERSION << "\"";
  if (!gpu_name_.empty()) o << ",\"gpu_name\":\"" << gpu_name_ << "\"";
  if (config_.gpu_timing && device_.cuda) {
    const auto g = gpu_us_.summary();
    o << ",\"gpu_time\":{\"count\":" << g.count << ",\"mean_us\":" << g.mean << ",\"p50_us\":" << g.p50
      << ",\"p99_us\":" << g.p99 << ",\"max_us\":" << g.max << "},\"last_gpu_us\":" << last_gpu_us_.load();
  }
  if (nvml_) o << nvml_->json_fields();
  o << ",\"keep_warm\":" << thread_->stats().to_json() << "}";
  return o.str();
}

}  // namespace

std::unique_ptr<TorchRunner> TorchRunner::create(const TorchRunnerConfig& config) {
  return std::make_unique<Runner>(config);
}

}  // namespace hearth::torch_plugin
