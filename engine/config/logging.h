// Program-wide logging setup. Everything logs through spdlog's default logger, which this points at
// stderr (and optionally a file): stdout belongs to the protocol (piskvork) or to the person
// playing, so nothing else may ever write there.
//
// Thread-safety: setup_logging() is meant for the start of main(), before other threads run;
// logging itself (spdlog's *_mt sinks) is thread-safe.
#pragma once

#include <optional>
#include <string>

namespace hearth {

struct LogSettings {
  std::string level = "info";  // trace, debug, info, warn, error, off
  std::string file;            // also log here when not empty (appended)
};

// The level names setup_logging accepts, in increasing severity.
const char* const* log_level_names();  // null-terminated
bool is_log_level(const std::string& name);

// Replaces spdlog's default logger (which writes to stdout) by one writing to stderr and, when
// settings.file is set, to that file. Throws std::runtime_error naming the file if it cannot be
// opened.
void setup_logging(const LogSettings& settings);

}  // namespace hearth
