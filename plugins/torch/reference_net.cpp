#include "plugins/torch/reference_net.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/script.h>

#include <cmath>
#include <stdexcept>

namespace hearth::torch_plugin {

namespace {

std::string first_line(const std::exception& e) {
  std::string text = e.what();
  if (const auto* ce = dynamic_cast<const c10::Error*>(&e)) text = ce->what_without_backtrace();
  return text.substr(0, text.find('\n'));
}

// The forward pass in TorchScript source; the heads' shapes come from the registered weights.
std::string forward_source(int heads) {
  std::string src =
      "def forward(self, x):\n"
      "    h = torch.relu(torch.conv2d(x, self.conv1_weight, self.conv1_bias, [1, 1], [1, 1]))\n"
      "    h = torch.relu(torch.conv2d(h, self.conv2_weight, self.conv2_bias, [1, 1], [1, 1]))\n"
      "    g = torch.mean(h, [2, 3])\n"
      "    policy = torch.linear(g, self.policy_weight, self.policy_bias)\n";
  if (heads == 1) return src + "    return policy\n";
  src += "    value = torch.linear(g, self.value_weight, self.value_bias)\n";
  if (heads == 2) return src + "    return (policy, value)\n";
  return src +
         "    action_values = torch.linear(g, self.action_value_weight, self.action_value_bias)\n"
         "    return (policy, value, action_values)\n";
}

}  // namespace

void write_reference_net(const ReferenceNetOptions& o, const std::string& path) {
  if (o.board_size < 1 || o.channels1 < 1 || o.channels2 < 1 || o.policy_size < 0 || o.heads < 1 || o.heads > 3)
    throw std::runtime_error("reference net: invalid options");
  const int64_t policy = o.policy_size > 0 ? o.policy_size : int64_t{o.board_size} * o.board_size;
  try {
    torch::NoGradGuard no_grad;
    at::Generator gen = at::detail::createCPUGenerator(o.seed);
    // He-style initialisation so activations neither vanish nor explode through the stack.
    auto weight = [&](std::vector<int64_t> shape, int64_t fan_in) {
      return torch::randn(shape, gen, torch::kFloat) * std::sqrt(2.0 / static_cast<double>(fan_in));
    };
    auto bias = [&](int64_t n) { return torch::randn({n}, gen, torch::kFloat) * 0.1; };
    torch::jit::Module m("HearthReferenceNet");
    m.register_parameter("conv1_weight", weight({o.channels1, 4, 3, 3}, 4 * 9), false);
    m.register_parameter("conv1_bias", bias(o.channels1), false);
    m.register_parameter("conv2_weight", weight({o.channels2, o.channels1, 3, 3}, int64_t{o.channels1} * 9), false);
    m.register_parameter("conv2_bias", bias(o.channels2), false);
    m.register_parameter("policy_weight", weight({policy, o.channels2}, o.channels2), false);
    m.register_parameter("policy_bias", bias(policy), false);
    m.register_parameter("value_weight", weight({1, o.channels2}, o.channels2), false);
    m.register_parameter("value_bias", bias(1), false);
    m.register_parameter("action_value_weight", weight({policy, o.channels2}, o.channels2), false);
    m.register_parameter("action_value_bias", bias(policy), false);
    m.define(forward_source(o.heads));
    m.save(path);
  } catch (const std::exception& e) {
    throw std::runtime_error("cannot write reference net " + path + ": " + first_line(e));
  }
}

ReferenceOutputs reference_forward(const std::string& path, const float* input, int n, int board_size) {
  try {
    torch::NoGradGuard no_grad;
    torch::jit::Module m = torch::jit::load(path, torch::Device(torch::kCPU));
    m.eval();
    const torch::Tensor x =
        torch::from_blob(const_cast<float*>(input), {n, 4, board_size, board_size}, torch::kFloat).clone();
    const auto tuple = m.forward({x}).toTuple();
    const torch::Tensor policy = tuple->elements()[0].toTensor().to(torch::kFloat).contiguous();
    const torch::Tensor value = tuple->elements()[1].toTensor().to(torch::kFloat).reshape({n}).contiguous();
    ReferenceOutputs out;
    out.policy.assign(policy.data_ptr<float>(), policy.data_ptr<float>() + policy.numel());
    out.value.assign(value.data_ptr<float>(), value.data_ptr<float>() + value.numel());
    return out;
  } catch (const std::exception& e) {
    throw std::runtime_error("reference forward of " + path + " failed: " + first_line(e));
  }
}

}  // namespace hearth::torch_plugin
