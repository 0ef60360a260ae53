// How many CUDA devices this process sees: what the torch plugin's devices=all expands to.
// cuda_devices.cpp includes one small LibTorch header only, so it compiles in a second.
//
// Thread-safety: visible_cuda_devices may be called from any thread.
#pragma once

#include <string>

namespace hearth::torch_plugin {

struct VisibleCudaDevices {
  int count = 0;
  std::string why_none;  // when count is 0: one line saying why
};

VisibleCudaDevices visible_cuda_devices();

}  // namespace hearth::torch_plugin
