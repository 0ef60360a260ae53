#include "engine/tournament/folder_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "engine/util/text.h"

namespace hearth {

FolderLock::FolderLock(const std::string& dir) : path_(dir + "/.hearth.lock") {
  fd_ = ::open(path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0) throw std::runtime_error("cannot open the lock file " + path_ + ": " + std::strerror(errno));
  if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    char buf[32] = {};
    const ssize_t n = ::pread(fd_, buf, sizeof(buf) - 1, 0);
    const std::string holder = n > 0 ? trim(std::string(buf, static_cast<size_t>(n))) : "";
    ::close(fd_);
    fd_ = -1;
    if (err == EWOULDBLOCK)
      throw std::runtime_error("another hearth" + (holder.empty() ? "" : " (pid " + holder + ")") +
                               " is writing to " + dir + " (it holds " + path_ + "): let it finish or stop it first");
    throw std::runtime_error("cannot lock " + path_ + ": " + std::strerror(err));
  }
  // Who holds it, for the message above (only informative: the lock itself is the flock).
  char host[256] = {};
  ::gethostname(host, sizeof(host) - 1);
  const std::string pid = std::to_string(::getpid()) + " on " + host + "\n";
  if (::ftruncate(fd_, 0) == 0) (void)!::pwrite(fd_, pid.data(), pid.size(), 0);
}

FolderLock::~FolderLock() {
  if (fd_ >= 0) ::close(fd_);  // closing drops the flock
}

}  // namespace hearth
