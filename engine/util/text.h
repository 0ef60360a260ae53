// Small text helpers shared by every layer: blanks, comma lists and the one number parser.
// Pure functions: thread-safe.
#pragma once

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <string_view>
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

// The one integer parser: all of `text` is a decimal integer with an optional sign ('+' or '-')
// and no blanks (callers that accept blanks around a value trim first). False, with *out
// unspecified, for anything else or a value outside T.
template <class T>
bool parse_int(std::string_view text, T* out) {
  if (!text.empty() && text[0] == '+') text.remove_prefix(1);
  if (text.empty() || text[0] == '+') return false;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, *out);
  return ec == std::errc() && ptr == end;
}

// A finite decimal number (strtod's syntax: 1.5, -2, 3e-4), all of `text`, no blanks.
inline bool parse_real(const std::string& text, double* out) {
  if (text.empty() || std::isspace(static_cast<unsigned char>(text[0]))) return false;
  char* end = nullptr;
  *out = std::strtod(text.c_str(), &end);
  return end == text.c_str() + text.size() && std::isfinite(*out);
}

}  // namespace hearth
