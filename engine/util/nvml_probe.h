// NvmlProbe: the one NVML reader (the torch plugin's telemetry, the benchmarks' machine
// description). Reads a GPU's name, the driver version, its SM clock and performance state
// through NVML when the driver's libnvidia-ml.so.1 is present, found with dlopen at run time (no
// link-time dependency; a machine without it simply reports nothing). Stats only: never changes
// any GPU setting.
//
// Thread-safety: read() may be called from any thread, concurrently (NVML is thread-safe).
#pragma once

#include <string>

namespace hearth {

class NvmlProbe {
 public:
  struct Reading {
    unsigned sm_clock_mhz = 0;
    unsigned sm_clock_max_mhz = 0;
    int pstate = -1;  // 0 = P0 (fastest) .. 15; -1 unknown
  };
  // pci_bus_id as NVML and CUDA spell it, e.g. "0000:65:00.0". Never throws.
  explicit NvmlProbe(const std::string& pci_bus_id);
  // The device of NVML index `index` (the CUDA index where CUDA_VISIBLE_DEVICES is unset).
  explicit NvmlProbe(int index);
  ~NvmlProbe();
  NvmlProbe(const NvmlProbe&) = delete;
  NvmlProbe& operator=(const NvmlProbe&) = delete;

  bool available() const { return device_ != nullptr; }
  // False when NVML is absent or the query fails.
  bool read(Reading* out) const;
  // The device's name and the driver's version; "unknown" when unavailable.
  std::string device_name() const;
  std::string driver_version() const;
  // ,"sm_clock_mhz":..,"sm_clock_max_mhz":..,"pstate":.. (with the leading comma), or "" when
  // unavailable: ready to splice into a JSON object.
  std::string json_fields() const;

 private:
  // Loads NVML and initialises it; false (and nothing held) when absent.
  bool open();

  void* lib_ = nullptr;
  void* device_ = nullptr;  // nvmlDevice_t
  using ClockFn = int (*)(void*, int, unsigned*);
  using PstateFn = int (*)(void*, int*);
  using ShutdownFn = int (*)();
  ClockFn clock_info_ = nullptr;
  ClockFn max_clock_info_ = nullptr;
  PstateFn pstate_ = nullptr;
  ShutdownFn shutdown_ = nullptr;
  using NameFn = int (*)(void*, char*, unsigned);
  using DriverFn = int (*)(char*, unsigned);
  NameFn name_ = nullptr;
  DriverFn driver_ = nullptr;
};

}  // namespace hearth
