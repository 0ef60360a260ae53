// The loss plot of a training run (<out>/loss.svg), drawn by hand: one polyline per series over
// the steps, axes with a few ticks, a legend. Long runs are averaged into at most `max_points`
// points per series, which also smooths the per-step noise.
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace hearth::train {

struct PlotSeries {
  std::string name;
  std::string colour;          // an SVG colour, e.g. "#1f77b4"
  std::vector<double> values;  // one per step in PlotData::steps
};

struct PlotData {
  std::string title;
  std::vector<int64_t> steps;
  std::vector<PlotSeries> series;
};

// The SVG document. Non-finite values are left out; an empty plot says so.
std::string loss_plot_svg(const PlotData& data, int max_points = 1000);

}  // namespace hearth::train
