// What every benchmark report shares (`hearth bench`, `hearth latency`, `hearth human-paced`):
// writing the report file, summary statistics of samples, ratios, number formatting, reading a
// field out of a stats JSON, and the machine a report was made on.
//
// Thread-safety: pure functions (thread-safe); write_report_file is thread-safe for distinct
// paths; machine_json reads the host name, the clock and NVML, and is thread-safe.
#pragma once

#include <cstddef>
#include <iosfwd>
#include <string>
#include <vector>

namespace hearth::bench {

// Writes a benchmark report file (no-op for an empty path) and says so on `out`; on failure logs
// "<who>: cannot write <path>" and returns false.
bool write_report_file(const std::string& path, const std::string& text, std::ostream& out, const char* who);

// Nearest-rank percentiles (engine/util/percentile.h). All 0 for no samples.
struct Summary {
  size_t count = 0;
  double p50 = 0, p99 = 0, max = 0, mean = 0;
};
Summary summarize(std::vector<double> samples);

// a / b, or 0 when b is not positive.
double ratio(double a, double b);

// `x` with `digits` digits after the point (printf "%.*f"): fixed(1.5, 2) is "1.50".
std::string fixed(double x, int digits);
// `x` as a default std::ostream writes it (6 significant digits, no trailing zeros): "0.05", "20".
std::string format_number(double x);
// Integers joined by commas: "1,4,128".
std::string join_ints(const std::vector<int>& v);

// The number after "key": in a JSON text (first occurrence), or `fallback`; and a string value.
double json_number(const std::string& json, const std::string& key, double fallback = 0.0);
std::string json_string(const std::string& json, const std::string& key, const std::string& fallback = "");

// {"host","date","gpu_name","driver","libtorch",...} for benchmark reports: GPU name and driver
// from NVML (dlopen, absent = "unknown") for CUDA device `cuda_index` (< 0: none), the rest from
// the plugin's stats JSON when it has them.
std::string machine_json(int cuda_index, const std::string& plugin_stats_json);

}  // namespace hearth::bench
