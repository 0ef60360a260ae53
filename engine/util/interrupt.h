// Ctrl-C and SIGTERM during a long run (a tournament, a training run): while an InterruptScope
// lives, SIGINT/SIGTERM only set interrupt_flag(), which the run polls to stop cleanly and keep
// what it has; SA_RESETHAND makes a second signal act as usual. One scope at a time (main thread);
// the flag itself is lock-free and may be read from any thread.
#pragma once

#include <signal.h>

#include <atomic>

namespace hearth {

std::atomic<bool>& interrupt_flag();

class InterruptScope {
 public:
  InterruptScope();  // clears the flag and installs the handlers
  ~InterruptScope();  // restores the previous handlers
  InterruptScope(const InterruptScope&) = delete;
  InterruptScope& operator=(const InterruptScope&) = delete;

 private:
  struct sigaction old_int_ {};
  struct sigaction old_term_ {};
};

}  // namespace hearth
