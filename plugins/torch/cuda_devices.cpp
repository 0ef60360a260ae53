// CUDA device count through LibTorch. HEARTH_TORCH_CUDA is set by CMake only for a CUDA build
// of LibTorch (see CMakeLists.txt); a CPU build answers 0 without asking.
#include "plugins/torch/cuda_devices.h"

#include <torch/cuda.h>

namespace hearth::torch_plugin {

VisibleCudaDevices visible_cuda_devices() {
  VisibleCudaDevices d;
#ifdef HEARTH_TORCH_CUDA
  if (!torch::cuda::is_available()) {
    d.why_none = "torch::cuda::is_available() is false: no usable GPU or driver";
    return d;
  }
  d.count = static_cast<int>(torch::cuda::device_count());
  if (d.count == 0) d.why_none = "no CUDA device is visible";
#else
  d.why_none = "this LibTorch was built without CUDA (a CPU-only build)";
#endif
  return d;
}

}  // namespace hearth::torch_plugin
