// The residual policy/value net (trainer.h, NetShape) as a LibTorch module for training, and its
// files: the TorchScript net the torch plugin loads, the version-neutral weights (weights.h), and
// reading weights back from any of the three kinds of file hearth train writes.
//
// Part of the trainer module only: this header includes LibTorch, so nothing that includes
// spdlog may include it (../shared/gpu/README.md, fmt clash).
//
// Thread-safety: as LibTorch modules: one thread at a time per net.
#pragma once

#include <torch/torch.h>

#include <string>
#include <utility>

#include "engine/train/trainer.h"

namespace hearth::train {

// A convolution without bias followed by batch norm.
struct ConvBnImpl : torch::nn::Module {
  ConvBnImpl(int in, int out, int kernel);
  torch::Tensor forward(const torch::Tensor& x);
  torch::nn::Conv2d conv{nullptr};
  torch::nn::BatchNorm2d bn{nullptr};
};
TORCH_MODULE(ConvBn);

// Parameter and buffer names: stem, b<i>_1, b<i>_2 (ConvBn: conv.weight, bn.weight, bn.bias,
// bn.running_mean, bn.running_var), p_1 (ConvBn 1x1), p_2 (1x1 conv with bias), v_1 (ConvBn 1x1),
// v_2 and v_3 (linear).
struct ResNetImpl : torch::nn::Module {
  explicit ResNetImpl(NetShape shape);
  // x: [N, 4, H, W] -> policy logits [N, H*W], raw value [N, 1] (before tanh).
  std::pair<torch::Tensor, torch::Tensor> forward(const torch::Tensor& x);

  NetShape shape;
  ConvBn stem{nullptr};
  std::vector<std::pair<ConvBn, ConvBn>> blocks;
  ConvBn p_1{nullptr};
  torch::nn::Conv2d p_2{nullptr};
  ConvBn v_1{nullptr};
  torch::nn::Linear v_2{nullptr}, v_3{nullptr};
};
TORCH_MODULE(ResNet);

// The TorchScript module of `net` (batch norm folded into the convolutions, the forward in
// TorchScript source), saved to `path`. Throws std::runtime_error naming the file.
void save_torchscript(ResNet& net, const std::string& path);
// The weights file (weights.h) of `net`, saved to `path`.
void save_weights_file(ResNet& net, const std::string& path);

// The shape of a net file hearth train wrote: a checkpoint.pt, a net.pt or a net.weights. Throws
// std::runtime_error naming the file when it is none of them.
NetShape read_net_shape(const std::string& path);
// Loads the weights of such a file into `net` (whose shape must be the file's; a net.pt gives its
// folded convolutions, batch norm then passing them through unchanged). Throws naming the file.
void load_net_weights(ResNet& net, const std::string& path);

// The first line of a LibTorch error, without its backtrace.
std::string error_line(const std::exception& e);

}  // namespace hearth::train
