// DevicePool: the devices of a plugin spread over several (the torch plugin: one TorchRunner per
// GPU) and the choice of the one that serves each evaluate call. No LibTorch here, header-only:
// unit-tested on its own with fake devices (tests/test_device_pool.cpp).
//
// Dispatch: a call goes to the device with the fewest positions in flight; ties go round-robin
// (the scan starts one past the last device chosen), so calls one after another take the
// devices in turn and calls at once spread out. Positions, not calls, measure load because a
// device's time per batch grows with the batch. The host sends at most size() calls at once
// (the plugin reports size() as max_concurrent_calls), so every call then finds an idle device
// of its own: an idle device has 0 positions in flight, and any busy one has more.
//
// Thread-safety: run/acquire/release/loads may be called from any thread, concurrently (one
// mutex, held only to choose and to count). A device gets a second call at once only when more
// than size() calls are in flight, so devices need to be thread-safe only for such callers.
// device() is thread-safe; what is done with the device is the device's own business.
// Destruction must not race other calls; it destroys the devices in order.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <utility>
#include <vector>

namespace hearth::torch_plugin {

template <class Device>
class DevicePool {
 public:
  struct Load {
    int calls_in_flight = 0;
    int positions_in_flight = 0;
    uint64_t calls = 0;      // finished calls (failed ones included)
    uint64_t positions = 0;  // their positions
  };

  // Throws std::invalid_argument when `devices` is empty or holds a null.
  explicit DevicePool(std::vector<std::unique_ptr<Device>> devices) : devices_(std::move(devices)) {
    if (devices_.empty()) throw std::invalid_argument("device pool: no devices");
    for (const auto& d : devices_)
      if (!d) throw std::invalid_argument("device pool: a device is missing");
    loads_.resize(devices_.size());
  }
  DevicePool(const DevicePool&) = delete;
  DevicePool& operator=(const DevicePool&) = delete;

  int size() const { return static_cast<int>(devices_.size()); }
  Device& device(int index) const { return *devices_.at(static_cast<size_t>(index)); }

  // Runs job(device, index) on the device chosen for a call of `positions` positions, counted in
  // flight there until the job returns or throws; returns what the job returns.
  template <class Job>
  decltype(auto) run(int positions, Job&& job) {
    const Lease lease(*this, positions);
    return job(device(lease.index), lease.index);
  }

  // The two halves of run(), for callers that manage the lease themselves: acquire chooses a
  // device and counts the call in flight there; release(index, positions) must follow, once,
  // with the same positions.
  int acquire(int positions) {
    std::lock_guard<std::mutex> lock(mu_);
    const int n = size();
    int best = next_;
    for (int k = 1; k < n; ++k) {
      const int i = (next_ + k) % n;
      if (loads_[i].positions_in_flight < loads_[best].positions_in_flight) best = i;
    }
    next_ = (best + 1) % n;
    loads_[best].calls_in_flight += 1;
    loads_[best].positions_in_flight += positions;
    return best;
  }
  void release(int index, int positions) {
    std::lock_guard<std::mutex> lock(mu_);
    Load& l = loads_.at(static_cast<size_t>(index));
    l.calls_in_flight -= 1;
    l.positions_in_flight -= positions;
    l.calls += 1;
    l.positions += static_cast<uint64_t>(positions);
  }

  // A snapshot of every device's load, in device order.
  std::vector<Load> loads() const {
    std::lock_guard<std::mutex> lock(mu_);
    return loads_;
  }

 private:
  struct Lease {
    Lease(DevicePool& pool, int positions) : pool(pool), positions(positions), index(pool.acquire(positions)) {}
    ~Lease() { pool.release(index, positions); }
    DevicePool& pool;
    const int positions;
    const int index;
  };

  std::vector<std::unique_ptr<Device>> devices_;
  mutable std::mutex mu_;
  std::vector<Load> loads_;  // under mu_
  int next_ = 0;             // under mu_: where the next scan starts
};

}  // namespace hearth::torch_plugin
