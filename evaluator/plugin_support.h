// Header-only helpers for writing plugins in C++: option lookup with unknown-key rejection and
// copying error text into the ABI's buffers. Plugins include this instead of linking the host.
#pragma once

#include <cstdio>
#include <cstring>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "evaluator/plugin_abi.h"

namespace hearth::plugin {

// Copies msg into the caller's error buffer, truncating safely.
inline void write_error(char* err, size_t errlen, const std::string& msg) {
  if (!err || errlen == 0) return;
  std::snprintf(err, errlen, "%s", msg.c_str());
}

// The key=value options given to create(). take_* remove a key; finish() throws naming any key
// left over, so a misspelt option is an error rather than silently ignored.
class Options {
 public:
  Options(const char* const* keys, const char* const* values, int n, std::string plugin_name)
      : plugin_(std::move(plugin_name)) {
    for (int i = 0; i < n; ++i) left_[keys[i]] = values[i];
  }
  std::string take_string(const std::string& key, const std::string& fallback) {
    auto it = left_.find(key);
    if (it == left_.end()) return fallback;
    std::string v = it->second;
    left_.erase(it);
    return v;
  }
  long long take_int(const std::string& key, long long fallback) {
    const std::string v = take_string(key, "");
    if (v.empty()) return fallback;
    try {
      size_t used = 0;
      long long x = std::stoll(v, &used);
      if (used == v.size()) return x;
    } catch (const std::exception&) {
    }
    throw std::invalid_argument("option '" + key + "' of plugin " + plugin_ + ": '" + v + "' is not an integer");
  }
  double take_double(const std::string& key, double fallback) {
    const std::string v = take_string(key, "");
    if (v.empty()) return fallback;
    try {
      size_t used = 0;
      double x = std::stod(v, &used);
      if (used == v.size()) return x;
    } catch (const std::exception&) {
    }
    throw std::invalid_argument("option '" + key + "' of plugin " + plugin_ + ": '" + v + "' is not a number");
  }
  bool take_bool(const std::string& key, bool fallback) {
    const std::string v = take_string(key, "");
    if (v.empty()) return fallback;
    if (v == "1" || v == "true" || v == "on" || v == "yes") return true;
    if (v == "0" || v == "false" || v == "off" || v == "no") return false;
    throw std::invalid_argument("option '" + key + "' of plugin " + plugin_ + ": '" + v + "' is not on/off");
  }
  // Throws if any option was not taken.
  void finish() const {
    if (left_.empty()) return;
    std::string names;
    for (const auto& kv : left_) names += (names.empty() ? "" : ", ") + kv.first;
    throw std::invalid_argument("unknown option" + std::string(left_.size() > 1 ? "s" : "") + " for plugin " +
                                plugin_ + ": " + names);
  }

 private:
  std::string plugin_;
  std::map<std::string, std::string> left_;
};

// Parses "1,8,32,128" into ascending batch sizes; throws on anything else.
inline std::vector<int> parse_batch_list(const std::string& text, const std::string& what) {
  std::vector<int> out;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t comma = text.find(',', pos);
    if (comma == std::string::npos) comma = text.size();
    const std::string item = text.substr(pos, comma - pos);
    int v = 0;
    try {
      size_t used = 0;
      v = std::stoi(item, &used);
      if (used != item.size()) v = 0;
    } catch (const std::exception&) {
      v = 0;
    }
    if (v <= 0 || (!out.empty() && v <= out.back()) || out.size() == HEARTH_MAX_BATCH_SIZES)
      throw std::invalid_argument(what + ": '" + text + "' is not an ascending list of at most " +
                                  std::to_string(HEARTH_MAX_BATCH_SIZES) + " positive sizes");
    out.push_back(v);
    pos = comma + 1;
  }
  return out;
}

}  // namespace hearth::plugin
