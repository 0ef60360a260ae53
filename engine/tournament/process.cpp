#include "engine/tournament/process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace hearth {
namespace {

void close_fd(int* fd) {
  if (*fd >= 0) ::close(*fd);
  *fd = -1;
}

int millis_until(ChildProcess::Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - ChildProcess::Clock::now()).count();
  return static_cast<int>(std::clamp<int64_t>(left, 0, 1 << 30));
}

}  // namespace

ChildProcess::ChildProcess(const std::vector<std::string>& argv, const std::string& dir, const std::string& stderr_path) {
  if (argv.empty()) throw std::runtime_error("cannot start an engine: empty command");
  const std::string& program = argv[0];
  int in_pair[2] = {-1, -1}, out_pipe[2] = {-1, -1};
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, in_pair) != 0)
    throw std::runtime_error("cannot start '" + program + "': socketpair: " + std::strerror(errno));
  if (::pipe2(out_pipe, O_CLOEXEC) != 0) {
    const int e = errno;
    ::close(in_pair[0]);
    ::close(in_pair[1]);
    throw std::runtime_error("cannot start '" + program + "': pipe: " + std::strerror(e));
  }
  const std::string err_path = stderr_path.empty() ? "/dev/null" : stderr_path;
  int err_fd = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (err_fd < 0) err_fd = ::open("/dev/null", O_WRONLY | O_CLOEXEC);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in_pair[1], 0);
  posix_spawn_file_actions_adddup2(&actions, out_pipe[1], 1);
  if (err_fd >= 0) posix_spawn_file_actions_adddup2(&actions, err_fd, 2);
  if (!dir.empty()) posix_spawn_file_actions_addchdir_np(&actions, dir.c_str());

  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  // Own process group (killing it ends the engine's helpers too); no signal blocked and the
  // usual dispositions, whatever the tournament set for itself.
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  posix_spawnattr_setpgroup(&attr, 0);
  sigset_t none, defaults;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&attr, &none);
  sigemptyset(&defaults);
  for (int s : {SIGPIPE, SIGINT, SIGTERM, SIGHUP, SIGQUIT}) sigaddset(&defaults, s);
  posix_spawnattr_setsigdefault(&attr, &defaults);

  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const int rc = ::posix_spawn(&pid_, program.c_str(), &actions, &attr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  ::close(in_pair[1]);
  ::close(out_pipe[1]);
  if (err_fd >= 0) ::close(err_fd);
  if (rc != 0) {
    ::close(in_pair[0]);
    ::close(out_pipe[0]);
    pid_ = -1;
    throw std::runtime_error("cannot start '" + program + "'" + (dir.empty() ? "" : " in '" + dir + "'") + ": " +
                             std::strerror(rc));
  }
  stdin_fd_ = in_pair[0];
  stdout_fd_ = out_pipe[0];
}

ChildProcess::~ChildProcess() {
  kill_now();
  close_fd(&stdin_fd_);
  close_fd(&stdout_fd_);
}

bool ChildProcess::write_line(const std::string& line, Clock::time_point deadline) {
  if (stdin_fd_ < 0) return false;
  const std::string data = line + "\n";
  size_t sent = 0;
  while (sent < data.size()) {
    const ssize_t n = ::send(stdin_fd_, data.data() + sent, data.size() - sent, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
      sent += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      // The child is not reading: wait for room until the deadline.
      pollfd p{stdin_fd_, POLLOUT, 0};
      const int wait = millis_until(deadline);
      if (wait == 0 || ::poll(&p, 1, wait) <= 0) return false;
      continue;
    }
    return false;  // EPIPE or another error: the child is gone
  }
  return true;
}

ChildProcess::Read ChildProcess::read_line(std::string* line, Clock::time_point deadline, const std::atomic<bool>* stop) {
  for (;;) {
    const size_t newline = buffer_.find('\n');
    if (newline != std::string::npos) {
      *line = buffer_.substr(0, newline);
      buffer_.erase(0, newline + 1);
      if (!line->empty() && line->back() == '\r') line->pop_back();
      return Read::Line;
    }
    if (buffer_.size() > kMaxLine) {
      buffer_.clear();
      return Read::TooLong;
    }
    if (eof_) {
      if (buffer_.empty()) return Read::Eof;
      *line = buffer_;
      buffer_.clear();
      if (!line->empty() && line->back() == '\r') line->pop_back();
      return Read::Line;
    }
    if (stop && stop->load()) return Read::Stopped;
    const int left = millis_until(deadline);
    if (left == 0) return Read::Timeout;
    pollfd p{stdout_fd_, POLLIN, 0};
    // Short slices so that `stop` is seen promptly.
    const int r = ::poll(&p, 1, std::min(left, 20));
    if (r < 0 && errno != EINTR) {
      eof_ = true;
      continue;
    }
    if (r <= 0) continue;
    char chunk[4096];
    const ssize_t n = ::read(stdout_fd_, chunk, sizeof(chunk));
    if (n > 0) {
      buffer_.append(chunk, static_cast<size_t>(n));
    } else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
      eof_ = true;
    }
  }
}

bool ChildProcess::reap(std::chrono::milliseconds wait) {
  if (reaped_ || pid_ < 0) return true;
  const auto deadline = Clock::now() + wait;
  for (;;) {
    const pid_t r = ::waitpid(pid_, &status_, WNOHANG);
    if (r == pid_ || (r < 0 && errno == ECHILD)) {
      reaped_ = true;
      return true;
    }
    if (Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
}

std::string ChildProcess::exit_description(std::chrono::milliseconds wait) {
  if (!reap(wait)) return "still running";
  if (WIFEXITED(status_)) return "exited with status " + std::to_string(WEXITSTATUS(status_));
  if (WIFSIGNALED(status_)) return std::string("killed by signal ") + std::to_string(WTERMSIG(status_)) + " (" +
                                   strsignal(WTERMSIG(status_)) + ")";
  return "ended";
}

void ChildProcess::kill_now() {
  if (pid_ < 0 || reaped_) return;
  ::kill(-pid_, SIGKILL);  // the whole group: the engine and whatever it started
  ::kill(pid_, SIGKILL);
  while (::waitpid(pid_, &status_, 0) < 0 && errno == EINTR) {
  }
  reaped_ = true;
}

std::string ChildProcess::finish(std::chrono::milliseconds grace) {
  if (stdin_fd_ >= 0) ::shutdown(stdin_fd_, SHUT_WR);
  if (!reap(grace)) kill_now();
  return exit_description(std::chrono::milliseconds(0));
}

}  // namespace hearth
