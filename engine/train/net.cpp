#include "engine/train/net.h"

#include <cmath>
#include <map>
#include <stdexcept>

#include "engine/train/weights.h"

namespace hearth::train {

std::string error_line(const std::exception& e) {
  std::string text = e.what();
  if (const auto* ce = dynamic_cast<const c10::Error*>(&e)) text = ce->what_without_backtrace();
  return text.substr(0, text.find('\n'));
}

ConvBnImpl::ConvBnImpl(int in, int out, int kernel) {
  conv = register_module("conv", torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, kernel)
                                                       .padding(kernel / 2)
                                                       .bias(false)));
  bn = register_module("bn", torch::nn::BatchNorm2d(out));
}

torch::Tensor ConvBnImpl::forward(const torch::Tensor& x) { return bn(conv(x)); }

ResNetImpl::ResNetImpl(NetShape s) : shape(s) {
  const int c = s.channels, h = head_channels(s);
  stem = register_module("stem", ConvBn(4, c, 3));
  for (int i = 0; i < s.blocks; ++i) {
    const std::string name = "b" + std::to_string(i);
    ConvBn a = register_module(name + "_1", ConvBn(c, c, 3));
    ConvBn b = register_module(name + "_2", ConvBn(c, c, 3));
    blocks.emplace_back(a, b);
  }
  p_1 = register_module("p_1", ConvBn(c, h, 1));
  p_2 = register_module("p_2", torch::nn::Conv2d(torch::nn::Conv2dOptions(h, 1, 1).bias(true)));
  v_1 = register_module("v_1", ConvBn(c, h, 1));
  v_2 = register_module("v_2", torch::nn::Linear(3 * h, c));
  v_3 = register_module("v_3", torch::nn::Linear(c, 1));
}

std::pair<torch::Tensor, torch::Tensor> ResNetImpl::forward(const torch::Tensor& x) {
  torch::Tensor h = torch::relu(stem(x));
  for (auto& [a, b] : blocks) h = torch::relu(b(torch::relu(a(h))) + h);
  torch::Tensor policy = p_2(torch::relu(p_1(h))).flatten(1);
  torch::Tensor v = torch::relu(v_1(h));
  // Global pooling: the mean, the mean scaled by the board's size (so one net can tell 9x9 from
  // 20x20, as KataGo does) and the max.
  const double scale = (std::sqrt(static_cast<double>(x.size(2) * x.size(3))) - 14.0) / 10.0;
  const torch::Tensor mean = v.mean({2, 3});
  torch::Tensor g = torch::cat({mean, mean * scale, v.amax({2, 3})}, 1);
  return {policy, v_3(torch::relu(v_2(g)))};
}

namespace {

// Batch norm folded into the convolution before it: weight * s, bias beta - mean * s, with
// s = gamma / sqrt(var + eps).
std::pair<torch::Tensor, torch::Tensor> fold(ConvBn& cb) {
  auto& bn = cb->bn;
  const torch::Tensor s = bn->weight / torch::sqrt(bn->running_var + bn->options.eps());
  torch::Tensor w = cb->conv->weight * s.view({-1, 1, 1, 1});
  torch::Tensor b = bn->bias - bn->running_mean * s;
  return {w.to(torch::kCPU, torch::kFloat).contiguous().clone(), b.to(torch::kCPU, torch::kFloat).contiguous().clone()};
}

torch::Tensor cpu(const torch::Tensor& t) { return t.detach().to(torch::kCPU, torch::kFloat).contiguous().clone(); }

// The forward pass in TorchScript source: the same computation as ResNetImpl::forward, on the
// folded weights, with ops that both LibTorch 1.13 and 2.x script.
std::string forward_source(int blocks) {
  const std::string conv3 = ", [1, 1], [1, 1])";
  std::string src =
      "def forward(self, x):\n"
      "    h = torch.relu(torch.conv2d(x, self.stem_w, self.stem_b" + conv3 + ")\n";
  for (int i = 0; i < blocks; ++i) {
    const std::string b = "self.b" + std::to_string(i);
    src += "    r = torch.relu(torch.conv2d(h, " + b + "_w1, " + b + "_b1" + conv3 + ")\n";
    src += "    h = torch.relu(torch.conv2d(r, " + b + "_w2, " + b + "_b2" + conv3 + " + h)\n";
  }
  src +=
      "    p = torch.relu(torch.conv2d(h, self.p_w1, self.p_b1))\n"
      "    policy = torch.flatten(torch.conv2d(p, self.p_w2, self.p_b2), 1)\n"
      "    v = torch.relu(torch.conv2d(h, self.v_w1, self.v_b1))\n"
      "    scale = (float(x.size(2) * x.size(3)) ** 0.5 - 14.0) / 10.0\n"
      "    m = torch.mean(v, [2, 3])\n"
      "    g = torch.cat([m, m * scale, torch.amax(v, [2, 3])], 1)\n"
      "    g = torch.relu(torch.linear(g, self.v_w2, self.v_b2))\n"
      "    value = torch.linear(g, self.v_w3, self.v_b3)\n"
      "    return (policy, value)\n";
  return src;
}

// (the net's name, the TorchScript parameter) of each folded or copied tensor.
struct ScriptParam {
  std::string name;
  torch::Tensor value;
};

std::vector<ScriptParam> script_params(ResNet& net) {
  std::vector<ScriptParam> out;
  auto add_fold = [&](const std::string& w, const std::string& b, ConvBn& cb) {
    auto [wt, bt] = fold(cb);
    out.push_back({w, wt});
    out.push_back({b, bt});
  };
  add_fold("stem_w", "stem_b", net->stem);
  for (size_t i = 0; i < net->blocks.size(); ++i) {
    const std::string b = "b" + std::to_string(i);
    add_fold(b + "_w1", b + "_b1", net->blocks[i].first);
    add_fold(b + "_w2", b + "_b2", net->blocks[i].second);
  }
  add_fold("p_w1", "p_b1", net->p_1);
  out.push_back({"p_w2", cpu(net->p_2->weight)});
  out.push_back({"p_b2", cpu(net->p_2->bias)});
  add_fold("v_w1", "v_b1", net->v_1);
  out.push_back({"v_w2", cpu(net->v_2->weight)});
  out.push_back({"v_b2", cpu(net->v_2->bias)});
  out.push_back({"v_w3", cpu(net->v_3->weight)});
  out.push_back({"v_b3", cpu(net->v_3->bias)});
  return out;
}

// Every parameter and buffer of the net that the weights file holds, by full name
// (stem.conv.weight, b0_1.bn.running_mean, ...); batch norm's step counters are left out.
std::vector<std::pair<std::string, torch::Tensor>> state_tensors(ResNet& net) {
  std::vector<std::pair<std::string, torch::Tensor>> out;
  for (const auto& p : net->named_parameters()) out.emplace_back(p.key(), p.value());
  for (const auto& b : net->named_buffers())
    if (b.key().find("num_batches_tracked") == std::string::npos) out.emplace_back(b.key(), b.value());
  return out;
}

std::string shape_of(const torch::Tensor& t) {
  std::string s = "[";
  for (int64_t i = 0; i < t.dim(); ++i) s += (i ? ", " : "") + std::to_string(t.size(i));
  return s + "]";
}

std::string shape_of(const std::vector<int64_t>& dims) {
  std::string s = "[";
  for (size_t i = 0; i < dims.size(); ++i) s += (i ? ", " : "") + std::to_string(dims[i]);
  return s + "]";
}

const char kNotOurs[] =
    " is not a net written by hearth train (a checkpoint.pt, net.pt or net.weights): its architecture is not this "
    "trainer's";

// A LibTorch file (checkpoint.pt or net.pt) as an archive, with its hearth_format attribute.
torch::serialize::InputArchive open_archive(const std::string& path, std::string* format) {
  torch::serialize::InputArchive ar;
  try {
    ar.load_from(path, torch::Device(torch::kCPU));
  } catch (const std::exception& e) {
    throw std::runtime_error(path + " cannot be read as a net (" + error_line(e) + ")");
  }
  c10::IValue value;
  if (!ar.try_read("hearth_format", value) || !value.isString()) throw std::runtime_error(path + kNotOurs);
  *format = value.toStringRef();
  return ar;
}

int64_t read_int(torch::serialize::InputArchive& ar, const std::string& key, const std::string& path) {
  c10::IValue value;
  if (!ar.try_read(key, value) || !value.isInt()) throw std::runtime_error(path + ": no " + key + kNotOurs);
  return value.toInt();
}

void copy_into(torch::Tensor& into, const torch::Tensor& from, const std::string& name, const std::string& path) {
  if (into.sizes() != from.sizes())
    throw std::runtime_error(path + ": " + name + " has shape " + shape_of(from) + ", the net needs " + shape_of(into));
  torch::NoGradGuard no_grad;
  into.copy_(from);
}

}  // namespace

void save_torchscript(ResNet& net, const std::string& path) {
  try {
    torch::NoGradGuard no_grad;
    torch::jit::Module m("HearthResNet");
    for (const ScriptParam& p : script_params(net)) m.register_parameter(p.name, p.value, /*is_buffer=*/false);
    m.register_attribute("hearth_format", c10::StringType::get(), std::string("net"));
    m.register_attribute("hearth_blocks", c10::IntType::get(), int64_t{net->shape.blocks});
    m.register_attribute("hearth_channels", c10::IntType::get(), int64_t{net->shape.channels});
    m.define(forward_source(net->shape.blocks));
    m.save(path);
  } catch (const std::exception& e) {
    throw std::runtime_error("cannot write the net " + path + ": " + error_line(e));
  }
}

void save_weights_file(ResNet& net, const std::string& path) {
  WeightsFile w;
  w.blocks = net->shape.blocks;
  w.channels = net->shape.channels;
  for (const auto& [name, tensor] : state_tensors(net)) {
    const torch::Tensor t = cpu(tensor);
    NamedArray a;
    a.name = name;
    a.shape.assign(t.sizes().begin(), t.sizes().end());
    a.values.assign(t.data_ptr<float>(), t.data_ptr<float>() + t.numel());
    w.arrays.push_back(std::move(a));
  }
  write_weights_file(path, w);
}

NetShape read_net_shape(const std::string& path) {
  if (is_weights_file(path)) {
    const WeightsFile w = read_weights_file(path);
    return {w.blocks, w.channels};
  }
  std::string format;
  torch::serialize::InputArchive ar = open_archive(path, &format);
  NetShape s;
  s.blocks = static_cast<int>(read_int(ar, "hearth_blocks", path));
  s.channels = static_cast<int>(read_int(ar, "hearth_channels", path));
  return s;
}

void load_net_weights(ResNet& net, const std::string& path) {
  if (is_weights_file(path)) {
    const WeightsFile w = read_weights_file(path);
    std::map<std::string, const NamedArray*> by_name;
    for (const NamedArray& a : w.arrays) by_name[a.name] = &a;
    for (auto& [name, tensor] : state_tensors(net)) {
      const auto it = by_name.find(name);
      if (it == by_name.end()) throw std::runtime_error(path + " has no array " + name + kNotOurs);
      const NamedArray& a = *it->second;
      const torch::Tensor from =
          torch::from_blob(const_cast<float*>(a.values.data()), a.shape, torch::kFloat);
      if (from.sizes() != tensor.sizes())
        throw std::runtime_error(path + ": " + name + " has shape " + shape_of(a.shape) + ", the net needs " +
                                 shape_of(tensor));
      copy_into(tensor, from, name, path);
      by_name.erase(it);
    }
    if (!by_name.empty()) throw std::runtime_error(path + " has an array " + by_name.begin()->first + kNotOurs);
    return;
  }
  std::string format;
  torch::serialize::InputArchive ar = open_archive(path, &format);
  if (format == "checkpoint") {
    try {
      torch::serialize::InputArchive model;
      ar.read("model", model);
      net->load(model);
    } catch (const std::exception& e) {
      throw std::runtime_error(path + ": its weights do not fit the net (" + error_line(e) + ")");
    }
    return;
  }
  if (format != "net") throw std::runtime_error(path + kNotOurs);
  // A net.pt holds the convolutions with batch norm folded in: they go into the convolutions,
  // and batch norm passes them through (gamma 1, beta the folded bias, mean 0, var 1 - eps).
  auto read = [&](const std::string& name) {
    torch::Tensor t;
    if (!ar.try_read(name, t)) throw std::runtime_error(path + " has no parameter " + name + kNotOurs);
    return t;
  };
  auto unfold = [&](ConvBn& cb, const std::string& w, const std::string& b) {
    copy_into(cb->conv->weight, read(w), w, path);
    copy_into(cb->bn->bias, read(b), b, path);
    torch::NoGradGuard no_grad;
    cb->bn->weight.fill_(1.0);
    cb->bn->running_mean.zero_();
    cb->bn->running_var.fill_(1.0 - cb->bn->options.eps());
  };
  unfold(net->stem, "stem_w", "stem_b");
  for (size_t i = 0; i < net->blocks.size(); ++i) {
    const std::string b = "b" + std::to_string(i);
    unfold(net->blocks[i].first, b + "_w1", b + "_b1");
    unfold(net->blocks[i].second, b + "_w2", b + "_b2");
  }
  unfold(net->p_1, "p_w1", "p_b1");
  copy_into(net->p_2->weight, read("p_w2"), "p_w2", path);
  copy_into(net->p_2->bias, read("p_b2"), "p_b2", path);
  unfold(net->v_1, "v_w1", "v_b1");
  copy_into(net->v_2->weight, read("v_w2"), "v_w2", path);
  copy_into(net->v_2->bias, read("v_b2"), "v_b2", path);
  copy_into(net->v_3->weight, read("v_w3"), "v_w3", path);
  copy_into(net->v_3->bias, read("v_b3"), "v_b3", path);
}

}  // namespace hearth::train
