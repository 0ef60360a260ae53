// A child process talked to by lines, for external tournament engines.
//
// Its stdin is one end of a Unix socket pair, so that writing to an engine that died fails with an
// error instead of raising SIGPIPE in the tournament; its stdout is a pipe; its stderr is appended
// to a file (or /dev/null). It runs in a process group of its own so that killing it also ends
// any helper processes it started. Every wait has a deadline; nothing here blocks for ever.
//
// Thread-safety: one thread at a time uses a ChildProcess. read_line() polls `stop` (set by any
// thread) every few milliseconds, which is how another thread interrupts a wait.
#pragma once

#include <sys/types.h>
#include <sys/wait.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

namespace hearth {

class ChildProcess {
 public:
  using Clock = std::chrono::steady_clock;
  enum class Read { Line, Timeout, Eof, TooLong, Stopped };
  static constexpr size_t kMaxLine = 64 * 1024;

  // Starts argv (argv[0] a path to the program) in `dir` (empty: ours). Throws
  // std::runtime_error naming the program and the cause.
  ChildProcess(const std::vector<std::string>& argv, const std::string& dir, const std::string& stderr_path);
  ~ChildProcess();  // kills the process group if still running, and reaps the child
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  // Sends `line` and a newline; false if the child does not take it by `deadline` or is gone.
  bool write_line(const std::string& line, Clock::time_point deadline);
  // The next line without its "\n" or "\r\n". Eof: the child closed its stdout (a last line
  // without newline is returned first). TooLong: more than kMaxLine bytes without a newline.
  Read read_line(std::string* line, Clock::time_point deadline, const std::atomic<bool>* stop = nullptr);

  // Closes the child's stdin, waits up to `grace` for it to exit, then kills its process group.
  // Returns how it ended (exit_description()).
  std::string finish(std::chrono::milliseconds grace);
  // Kills the process group at once and reaps the child.
  void kill_now();
  // How the child ended ("exited with status 3", "killed by signal 11"), waiting up to `wait`
  // for it; "still running" if it has not.
  std::string exit_description(std::chrono::milliseconds wait);
  pid_t pid() const { return pid_; }
  // The signal that ended the child (0: still running, not reaped yet, or it exited).
  int end_signal() const { return reaped_ && WIFSIGNALED(status_) ? WTERMSIG(status_) : 0; }

 private:
  bool reap(std::chrono::milliseconds wait);  // true once the child is reaped

  pid_t pid_ = -1;
  int stdin_fd_ = -1;   // our end of the socket pair
  int stdout_fd_ = -1;  // read end of the pipe
  bool reaped_ = false;
  int status_ = 0;
  std::string buffer_;  // bytes read past the last returned line
  bool eof_ = false;
};

}  // namespace hearth
