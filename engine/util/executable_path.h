// Where the running program lives: the plugin loader looks beside it, `hearth slurm` writes it
// into batch scripts, `hearth --help` shows it. Thread-safe.
#pragma once

#include <filesystem>
#include <string>
#include <system_error>

namespace hearth {

// The running program's absolute path (/proc/self/exe), or `fallback` if it cannot be read.
inline std::string executable_path(const std::string& fallback) {
  std::error_code ec;
  const std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec || exe.empty() ? fallback : exe.string();
}

}  // namespace hearth
