#include "engine/bench/report.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <ostream>
#include <sstream>
#include <thread>

#include "engine/util/nvml_probe.h"
#include "engine/util/percentile.h"
#include "evaluator/json_text.h"

namespace hearth::bench {

bool write_report_file(const std::string& path, const std::string& text, std::ostream& out, const char* who) {
  if (path.empty()) return true;
  std::ofstream f(path);
  f << text;
  f.close();
  if (!f) {
    spdlog::error("{}: cannot write {}", who, path);
    return false;
  }
  out << "wrote " << path << "\n";
  return true;
}

// ---- statistics ----

Summary summarize(std::vector<double> samples) {
  Summary s;
  s.count = samples.size();
  if (samples.empty()) return s;
  std::sort(samples.begin(), samples.end());
  s.p50 = percentile_of_sorted(samples, 0.50);
  s.p99 = percentile_of_sorted(samples, 0.99);
  s.max = samples.back();
  double sum = 0;
  for (double x : samples) sum += x;
  s.mean = sum / static_cast<double>(samples.size());
  return s;
}

double ratio(double a, double b) { return b > 0 ? a / b : 0.0; }

// ---- formatting ----

std::string fixed(double x, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.*f", digits, x);
  return buf;
}

std::string format_number(double x) {
  std::ostringstream o;
  o << x;
  return o.str();
}

std::string join_ints(const std::vector<int>& v) {
  std::string s;
  for (int x : v) s += (s.empty() ? "" : ",") + std::to_string(x);
  return s;
}

// ---- JSON reading and the machine ----

double json_number(const std::string& json, const std::string& key, double fallback) {
  const std::string needle = "\"" + key + "\":";
  const size_t at = json.find(needle);
  if (at == std::string::npos) return fallback;
  const char* start = json.c_str() + at + needle.size();
  char* end = nullptr;
  const double v = std::strtod(start, &end);
  return end == start ? fallback : v;
}

std::string json_string(const std::string& json, const std::string& key, const std::string& fallback) {
  const std::string needle = "\"" + key + "\":\"";
  const size_t at = json.find(needle);
  if (at == std::string::npos) return fallback;
  std::string out;
  for (size_t i = at + needle.size(); i < json.size() && json[i] != '"'; ++i) {
    if (json[i] == '\\' && i + 1 < json.size()) ++i;  // our writers escape only quotes and backslashes here
    out += json[i];
  }
  return out;
}

std::string machine_json(int cuda_index, const std::string& plugin_stats_json) {
  char host[256] = {0};
  if (gethostname(host, sizeof(host) - 1) != 0) std::snprintf(host, sizeof(host), "unknown");
  char date[64] = {0};
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  std::strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%SZ", &utc);
  const NvmlProbe nvml(cuda_index);
  return "{\"host\":" + json::quote(host) + ",\"date\":" + json::quote(date) +
         ",\"gpu_name\":" + json::quote(nvml.device_name()) + ",\"driver\":" + json::quote(nvml.driver_version()) +
         ",\"gpu_name_cuda\":" + json::quote(json_string(plugin_stats_json, "gpu_name", "unknown")) +
         ",\"libtorch\":" + json::quote(json_string(plugin_stats_json, "libtorch", "unknown")) +
         ",\"hardware_threads\":" + std::to_string(std::thread::hardware_concurrency()) + "}";
}

}  // namespace hearth::bench
