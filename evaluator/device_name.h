// Device names as the torch plugin, its options and the benchmarks spell them: "cpu", "cuda"
// (which is cuda:0) and "cuda:N". The one parser of them. Header-only, no dependencies, so
// plugins may include it. Pure: thread-safe.
#pragma once

#include <optional>
#include <string_view>

namespace hearth {

inline constexpr int kCpuDevice = -1;

// kCpuDevice for "cpu", N for "cuda:N" (0 for "cuda", N of at most three digits); nullopt for
// anything else (blanks included).
inline std::optional<int> parse_device_name(std::string_view text) {
  if (text == "cpu") return kCpuDevice;
  if (text == "cuda") return 0;
  constexpr std::string_view prefix = "cuda:";
  if (text.substr(0, prefix.size()) != prefix) return std::nullopt;
  const std::string_view digits = text.substr(prefix.size());
  if (digits.empty() || digits.size() > 3) return std::nullopt;
  int index = 0;
  for (const char c : digits) {
    if (c < '0' || c > '9') return std::nullopt;
    index = index * 10 + (c - '0');
  }
  return index;
}

}  // namespace hearth
