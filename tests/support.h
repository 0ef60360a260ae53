// Helpers the test suites share (tests/test_*.cpp include it as "tests/support.h").
// Thread-safety: plain functions; each call stands alone.
#pragma once

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace hearth_test {

inline bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// The whole file; "" if it cannot be read.
inline std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace hearth_test
