#include "engine/util/nvml_probe.h"

#include <dlfcn.h>

#include <string>

namespace hearth {

namespace {
constexpr int kNvmlSuccess = 0;
constexpr int kNvmlClockSm = 1;  // NVML_CLOCK_SM
}  // namespace

bool NvmlProbe::open() {
  lib_ = dlopen("libnvidia-ml.so.1", RTLD_NOW | RTLD_LOCAL);
  if (!lib_) return false;
  auto init = reinterpret_cast<int (*)()>(dlsym(lib_, "nvmlInit_v2"));
  clock_info_ = reinterpret_cast<ClockFn>(dlsym(lib_, "nvmlDeviceGetClockInfo"));
  max_clock_info_ = reinterpret_cast<ClockFn>(dlsym(lib_, "nvmlDeviceGetMaxClockInfo"));
  pstate_ = reinterpret_cast<PstateFn>(dlsym(lib_, "nvmlDeviceGetPerformanceState"));
  name_ = reinterpret_cast<NameFn>(dlsym(lib_, "nvmlDeviceGetName"));
  driver_ = reinterpret_cast<DriverFn>(dlsym(lib_, "nvmlSystemGetDriverVersion"));
  shutdown_ = reinterpret_cast<ShutdownFn>(dlsym(lib_, "nvmlShutdown"));
  if (!init || !clock_info_ || !pstate_ || !shutdown_ || init() != kNvmlSuccess) {
    shutdown_ = nullptr;
    return false;
  }
  return true;
}

NvmlProbe::NvmlProbe(const std::string& pci_bus_id) {
  if (!open()) return;
  auto by_pci = reinterpret_cast<int (*)(const char*, void**)>(dlsym(lib_, "nvmlDeviceGetHandleByPciBusId_v2"));
  void* device = nullptr;
  if (by_pci && by_pci(pci_bus_id.c_str(), &device) == kNvmlSuccess) device_ = device;
}

NvmlProbe::NvmlProbe(int index) {
  if (index < 0 || !open()) return;
  auto by_index = reinterpret_cast<int (*)(unsigned, void**)>(dlsym(lib_, "nvmlDeviceGetHandleByIndex_v2"));
  void* device = nullptr;
  if (by_index && by_index(static_cast<unsigned>(index), &device) == kNvmlSuccess) device_ = device;
}

std::string NvmlProbe::device_name() const {
  char buf[128] = {0};
  return device_ && name_ && name_(device_, buf, sizeof(buf)) == kNvmlSuccess ? buf : "unknown";
}

std::string NvmlProbe::driver_version() const {
  char buf[128] = {0};
  return shutdown_ && driver_ && driver_(buf, sizeof(buf)) == kNvmlSuccess ? buf : "unknown";
}

NvmlProbe::~NvmlProbe() {
  if (shutdown_) shutdown_();
  if (lib_) dlclose(lib_);
}

bool NvmlProbe::read(Reading* out) const {
  if (!device_) return false;
  Reading r;
  if (clock_info_(device_, kNvmlClockSm, &r.sm_clock_mhz) != kNvmlSuccess) return false;
  if (max_clock_info_) max_clock_info_(device_, kNvmlClockSm, &r.sm_clock_max_mhz);
  int p = -1;
  if (pstate_(device_, &p) == kNvmlSuccess && p >= 0 && p <= 15) r.pstate = p;
  *out = r;
  return true;
}

std::string NvmlProbe::json_fields() const {
  Reading r;
  if (!read(&r)) return "";
  return ",\"sm_clock_mhz\":" + std::to_string(r.sm_clock_mhz) + ",\"sm_clock_max_mhz\":" +
         std::to_string(r.sm_clock_max_mhz) + ",\"pstate\":" + std::to_string(r.pstate);
}

}  // namespace hearth
