// The helper threads of a Search, kept for its lifetime.
//
// Why not start threads per run(): glibc gives each new thread a malloc arena, and a helper that
// exits leaves its arena to whichever thread comes next (the tree's freeing thread, say). Memory
// freed from the previous tree then sits in arenas the new helpers do not use, and the resident
// size creeps past the tree budget. Long-lived helpers keep allocating where the old tree freed.
//
// Thread-safety: start/wait/destruction by one owner thread; the job runs on the helpers.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace hearth::search_detail {

class HelperThreads {
 public:
  HelperThreads() = default;
  ~HelperThreads();
  HelperThreads(const HelperThreads&) = delete;
  HelperThreads& operator=(const HelperThreads&) = delete;

  // Runs job() once on each of n helpers (starting threads as needed) and returns at once.
  // Returns how many helpers took the job: fewer than n only if a thread could not start.
  // job must not throw.
  int start(int n, std::function<void()> job);
  // Until every helper given the last job has finished it.
  void wait();

 private:
  void loop(int index);

  std::mutex mutex_;
  std::condition_variable work_cv_;
  std::condition_variable done_cv_;
  std::vector<std::thread> threads_;
  std::function<void()> job_;
  int64_t generation_ = 0;
  int wanted_ = 0;   // helpers [0, wanted_) take the current job
  int running_ = 0;  // of those, how many have not finished it
  bool quit_ = false;
};

}  // namespace hearth::search_detail
