// Tiny helpers for the hand-written JSON of stats_json(): string escaping and number text.
// Pure functions: thread-safe.
#pragma once

#include <cstdio>
#include <string>

namespace hearth::json {

// `text` as a quoted JSON string.
inline std::string quote(const std::string& text) {
  std::string out = "\"";
  for (unsigned char c : text) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof(buf), "\\u%04x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

// A double as JSON (six significant digits; JSON has no NaN/inf, so those become 0).
inline std::string number(double x) {
  if (!(x == x) || x > 1e300 || x < -1e300) return "0";
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.6g", x);
  return buf;
}

// Text a component produced that should be a JSON object: kept when it looks like one, else
// quoted, so a misbehaving plugin cannot break the enclosing document's structure.
inline std::string object_or_string(const std::string& text) {
  const size_t b = text.find_first_not_of(" \t\r\n");
  const size_t e = text.find_last_not_of(" \t\r\n");
  if (b != std::string::npos && text[b] == '{' && text[e] == '}') return text.substr(b, e - b + 1);
  return quote(text);
}

}  // namespace hearth::json
