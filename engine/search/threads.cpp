#include "engine/search/threads.h"

#include <spdlog/spdlog.h>

namespace hearth::search_detail {

HelperThreads::~HelperThreads() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    quit_ = true;
  }
  work_cv_.notify_all();
  for (auto& t : threads_) t.join();
}

int HelperThreads::start(int n, std::function<void()> job) {
  std::unique_lock<std::mutex> lock(mutex_);
  try {
    while (static_cast<int>(threads_.size()) < n) {
      const int index = static_cast<int>(threads_.size());
      threads_.emplace_back([this, index] { loop(index); });
    }
  } catch (const std::exception& e) {
    spdlog::warn("search: could only start {} of {} helper threads: {}", threads_.size(), n, e.what());
    n = static_cast<int>(threads_.size());
  }
  job_ = std::move(job);
  wanted_ = n;
  running_ = n;
  ++generation_;
  lock.unlock();
  work_cv_.notify_all();
  return n;
}

void HelperThreads::wait() {
  std::unique_lock<std::mutex> lock(mutex_);
  done_cv_.wait(lock, [this] { return running_ == 0; });
}

void HelperThreads::loop(int index) {
  int64_t seen = 0;
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    work_cv_.wait(lock, [&] { return quit_ || generation_ != seen; });
    if (quit_) return;
    seen = generation_;
    if (index >= wanted_) continue;
    lock.unlock();
    job_();  // job_ is not reassigned until every helper has finished it
    lock.lock();
    if (--running_ == 0) done_cv_.notify_all();
  }
}

}  // namespace hearth::search_detail
