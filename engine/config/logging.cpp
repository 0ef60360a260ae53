#include "engine/config/logging.h"

#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <memory>
#include <stdexcept>
#include <vector>

namespace hearth {

const char* const* log_level_names() {
  static const char* const kNames[] = {"trace", "debug", "info", "warn", "error", "off", nullptr};
  return kNames;
}

bool is_log_level(const std::string& name) {
  for (const char* const* n = log_level_names(); *n; ++n)
    if (name == *n) return true;
  return false;
}

void setup_logging(const LogSettings& settings) {
  std::vector<spdlog::sink_ptr> sinks;
  sinks.push_back(std::make_shared<spdlog::sinks::stderr_color_sink_mt>());
  if (!settings.file.empty()) {
    try {
      sinks.push_back(std::make_shared<spdlog::sinks::basic_file_sink_mt>(settings.file, /*truncate=*/false));
    } catch (const spdlog::spdlog_ex& e) {
      throw std::runtime_error("cannot open log file '" + settings.file + "': " + e.what());
    }
  }
  auto logger = std::make_shared<spdlog::logger>("hearth", sinks.begin(), sinks.end());
  logger->set_level(spdlog::level::from_str(settings.level));
  // Protocol managers may kill the engine at any moment: flush warnings at once so the cause of a
  // problem is never lost in a buffer.
  logger->flush_on(spdlog::level::warn);
  spdlog::set_default_logger(logger);
}

}  // namespace hearth
