// Small text helpers shared by the option parser, the protocol front-ends and the benchmarks.
// Pure functions: thread-safe.
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

namespace hearth {

// `s` without leading and trailing blanks (space, tab, CR, LF).
inline std::string trim(const std::string& s) {
  const size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  const size_t e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

// Comma-separated items, trimmed; "" is an empty list; an empty item throws
// std::invalid_argument naming `what`.
inline std::vector<std::string> split_list(const std::string& text, const std::string& what) {
  std::vector<std::string> items;
  if (trim(text).empty()) return items;
  size_t pos = 0;
  for (;;) {
    const size_t comma = text.find(',', pos);
    const std::string item = trim(text.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos));
    if (item.empty()) throw std::invalid_argument(what + ": empty item in '" + text + "'");
    items.push_back(item);
    if (comma == std::string::npos) return items;
    pos = comma + 1;
  }
}

}  // namespace hearth
