#include "engine/train/plot.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <sstream>

namespace hearth::train {
namespace {

std::string num(double x) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.1f", x);
  return text;
}

std::string label(double x) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.4g", x);
  return text;
}

std::string escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '<') out += "&lt;";
    else if (c == '>') out += "&gt;";
    else if (c == '&') out += "&amp;";
    else out += c;
  }
  return out;
}

// A "nice" tick step (1, 2 or 5 times a power of ten) giving about `ticks` ticks over `span`.
double tick_step(double span, int ticks) {
  if (!(span > 0)) return 1;
  const double raw = span / ticks;
  const double power = std::pow(10.0, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 5.0})
    if (raw <= m * power) return m * power;
  return 10 * power;
}

}  // namespace

std::string loss_plot_svg(const PlotData& data, int max_points) {
  const double width = 800, height = 450, left = 70, right = 20, top = 40, bottom = 50;
  const double plot_w = width - left - right, plot_h = height - top - bottom;
  const size_t n = data.steps.size();
  // Buckets of consecutive steps, each averaged into one point per series.
  const size_t per_bucket = std::max<size_t>(1, (n + std::max(1, max_points) - 1) / std::max(1, max_points));
  struct Point {
    double x, y;
  };
  std::vector<std::vector<Point>> lines(data.series.size());
  double x_min = std::numeric_limits<double>::infinity(), x_max = -x_min, y_min = x_min, y_max = -x_min;
  for (size_t start = 0; start < n; start += per_bucket) {
    const size_t end = std::min(n, start + per_bucket);
    double x = 0;
    for (size_t i = start; i < end; ++i) x += static_cast<double>(data.steps[i]);
    x /= static_cast<double>(end - start);
    for (size_t s = 0; s < data.series.size(); ++s) {
      double sum = 0;
      int count = 0;
      for (size_t i = start; i < end && i < data.series[s].values.size(); ++i)
        if (std::isfinite(data.series[s].values[i])) sum += data.series[s].values[i], ++count;
      if (count == 0) continue;
      const double y = sum / count;
      lines[s].push_back({x, y});
      x_min = std::min(x_min, x), x_max = std::max(x_max, x);
      y_min = std::min(y_min, y), y_max = std::max(y_max, y);
    }
  }
  std::ostringstream out;
  out << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << width << "\" height=\"" << height
      << "\" viewBox=\"0 0 " << width << " " << height << "\" font-family=\"sans-serif\" font-size=\"12\">\n"
      << "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
      << "<text x=\"" << width / 2 << "\" y=\"24\" text-anchor=\"middle\" font-size=\"15\">" << escape(data.title)
      << "</text>\n";
  if (!std::isfinite(x_min)) {
    out << "<text x=\"" << width / 2 << "\" y=\"" << height / 2 << "\" text-anchor=\"middle\">no steps yet</text>\n"
        << "</svg>\n";
    return out.str();
  }
  y_min = std::min(y_min, 0.0);
  if (y_max <= y_min) y_max = y_min + 1;
  if (x_max <= x_min) x_max = x_min + 1;
  const auto px = [&](double x) { return left + (x - x_min) / (x_max - x_min) * plot_w; };
  const auto py = [&](double y) { return top + plot_h - (y - y_min) / (y_max - y_min) * plot_h; };
  out << "<g stroke=\"#ddd\">\n";
  const double ys = tick_step(y_max - y_min, 6), xs = tick_step(x_max - x_min, 8);
  for (double y = std::ceil(y_min / ys) * ys; y <= y_max + 1e-9 * ys; y += ys)
    out << "<line x1=\"" << num(left) << "\" y1=\"" << num(py(y)) << "\" x2=\"" << num(left + plot_w) << "\" y2=\""
        << num(py(y)) << "\"/>\n";
  out << "</g>\n<g text-anchor=\"end\">\n";
  for (double y = std::ceil(y_min / ys) * ys; y <= y_max + 1e-9 * ys; y += ys)
    out << "<text x=\"" << num(left - 6) << "\" y=\"" << num(py(y) + 4) << "\">" << label(y) << "</text>\n";
  out << "</g>\n<g text-anchor=\"middle\">\n";
  for (double x = std::ceil(x_min / xs) * xs; x <= x_max + 1e-9 * xs; x += xs)
    out << "<text x=\"" << num(px(x)) << "\" y=\"" << num(top + plot_h + 18) << "\">" << label(x) << "</text>\n";
  out << "<text x=\"" << num(left + plot_w / 2) << "\" y=\"" << num(height - 10) << "\">step</text>\n</g>\n"
      << "<rect x=\"" << num(left) << "\" y=\"" << num(top) << "\" width=\"" << num(plot_w) << "\" height=\""
      << num(plot_h) << "\" fill=\"none\" stroke=\"black\"/>\n";
  for (size_t s = 0; s < data.series.size(); ++s) {
    if (lines[s].empty()) continue;
    out << "<polyline fill=\"none\" stroke-width=\"1.5\" stroke=\"" << data.series[s].colour << "\" points=\"";
    for (size_t i = 0; i < lines[s].size(); ++i)
      out << (i ? " " : "") << num(px(lines[s][i].x)) << "," << num(py(lines[s][i].y));
    out << "\"/>\n";
  }
  for (size_t s = 0; s < data.series.size(); ++s) {
    const double y = top + 14 + 16 * static_cast<double>(s);
    out << "<line x1=\"" << num(left + plot_w - 150) << "\" y1=\"" << num(y - 4) << "\" x2=\""
        << num(left + plot_w - 126) << "\" y2=\"" << num(y - 4) << "\" stroke=\"" << data.series[s].colour
        << "\" stroke-width=\"2\"/>\n<text x=\"" << num(left + plot_w - 120) << "\" y=\"" << num(y) << "\">"
        << escape(data.series[s].name) << "</text>\n";
  }
  out << "</svg>\n";
  return out.str();
}

}  // namespace hearth::train
