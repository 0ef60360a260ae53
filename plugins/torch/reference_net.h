// The reference network, written as TorchScript with random weights from a seed (no Python), and
// a plain LibTorch forward of a saved model to check the plugin against. No LibTorch headers here:
// reference_net.cpp is the only LibTorch translation unit of the library hearth_torch_reference.
//
// Architecture: Conv2d 4->32 3x3 pad 1, ReLU, Conv2d 32->64 3x3 pad 1, ReLU, global average pool,
// heads Linear(64, P) policy, Linear(64, 1) raw value (the plugin applies the value transform),
// Linear(64, P) action values; forward returns (policy, value, action_values).
//
// Thread-safety: both functions are free of shared state; call them from any thread.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace hearth::torch_plugin {

struct ReferenceNetOptions {
  int board_size = 20;
  uint64_t seed = 1;
  int channels1 = 32, channels2 = 64;
  // For tests of the plugin's validation: a policy head of another size (0 = board_size^2), and
  // how many outputs forward returns: 3 (policy, value, action_values), 2 (policy, value), or 1
  // (the policy tensor alone, not a tuple).
  int policy_size = 0;
  int heads = 3;
};

// Builds the module and saves it to `path`. Throws std::runtime_error (one line) on failure.
void write_reference_net(const ReferenceNetOptions& options, const std::string& path);

struct ReferenceOutputs {
  std::vector<float> policy;  // n x policy_size, as the model returns it
  std::vector<float> value;   // n raw values (no transform)
};

// Loads the TorchScript model at `path` on the CPU and runs one fp32 forward of exactly n
// positions (input: n x 4 x size x size floats). Throws std::runtime_error on failure.
ReferenceOutputs reference_forward(const std::string& path, const float* input, int n, int board_size);

}  // namespace hearth::torch_plugin
