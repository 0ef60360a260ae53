#include "engine/cluster/run_command.h"

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "engine/util/text.h"

extern char** environ;

namespace hearth {
namespace {

// Closes the descriptors it holds however the function leaves.
struct Fds {
  int fd[4] = {-1, -1, -1, -1};  // out read, out write, err read, err write
  ~Fds() {
    for (int f : fd)
      if (f >= 0) ::close(f);
  }
  void close_one(int i) {
    if (fd[i] >= 0) ::close(fd[i]);
    fd[i] = -1;
  }
};

}  // namespace

std::string CommandOutput::describe() const {
  if (!started) return error;
  std::string text = "exited with status " + std::to_string(status);
  const std::string first = trim(err.substr(0, err.find('\n')));
  if (!first.empty()) text += ": " + first;
  return text;
}

CommandOutput run_command(const std::vector<std::string>& argv) {
  CommandOutput result;
  if (argv.empty()) {
    result.error = "no program to run";
    return result;
  }
  Fds p;
  if (::pipe2(p.fd, O_CLOEXEC) != 0 || ::pipe2(p.fd + 2, O_CLOEXEC) != 0) {
    result.error = "cannot run " + argv[0] + ": pipe: " + std::strerror(errno);
    return result;
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, p.fd[1], 1);
  posix_spawn_file_actions_adddup2(&actions, p.fd[3], 2);
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = -1;
  const int rc = ::posix_spawnp(&pid, argv[0].c_str(), &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    result.error = "cannot run " + argv[0] + ": " + std::strerror(rc);
    return result;
  }
  result.started = true;
  p.close_one(1);
  p.close_one(3);
  // Both pipes are drained together so that a child filling one never blocks on it.
  std::string* sinks[2] = {&result.out, &result.err};
  while (p.fd[0] >= 0 || p.fd[2] >= 0) {
    pollfd fds[2] = {{p.fd[0], POLLIN, 0}, {p.fd[2], POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (int k = 0; k < 2; ++k) {
      if (fds[k].fd < 0 || !(fds[k].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      char buf[4096];
      const ssize_t n = ::read(fds[k].fd, buf, sizeof(buf));
      if (n > 0) {
        sinks[k]->append(buf, static_cast<size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        p.close_one(2 * k);
      }
    }
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  result.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
  return result;
}

}  // namespace hearth
