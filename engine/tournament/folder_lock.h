// One writer per output folder: an exclusive flock(2) on DIR/.hearth.lock, held while the object
// lives and dropped by the kernel if the process dies. A tournament takes it on its out_dir, so
// that two runs on one folder (a Slurm task resubmitted while the first copy still runs, a command
// started twice) never append to one results file and never play a game twice.
//
// flock works on local filesystems and on NFSv4 (Linux maps it to a POSIX lock there).
//
// Thread-safety: construct and destroy on any one thread; the object has no other operations.
#pragma once

#include <string>

namespace hearth {

class FolderLock {
 public:
  // Throws std::runtime_error naming the folder (and the pid that holds the lock, if it wrote it).
  explicit FolderLock(const std::string& dir);
  ~FolderLock();
  FolderLock(const FolderLock&) = delete;
  FolderLock& operator=(const FolderLock&) = delete;

  const std::string& path() const { return path_; }

 private:
  std::string path_;
  int fd_ = -1;
};

}  // namespace hearth
