// `hearth latency`: how long one plugin forward takes after the process idled for a while, with
// and without keep-warm. The product's point: an eager GPU forward after an idle gap costs several
// times a back-to-back one, and the torch plugin's keep-warm dummies are meant to hide that.
//
// This file holds the measurement and the run; the plan (options -> configurations) is in
// engine/bench/latency_plan.h, the results and their reports in engine/bench/latency_report.h.
//
// For every configuration (mode x keep-warm, latency.modes x latency.warm) a fresh plugin
// instance is made (no batching layer: one forward = one PluginEvaluator::evaluate() call, timed
// by the wall clock around it; GPU time from the plugin's CUDA events, gpu_timing=on), warmed up,
// then for each batch size and each idle gap `samples` forwards each preceded by that gap (gap 0:
// back to back, `continuous_samples` of them; the gap is measured from the end of the previous
// forward). Then the stop check of each keep-warm configuration: dummies counted after game_end,
// and (on a second instance whose hot window is latency.hot_window_s) after the hot window passed
// with no work; both must be 0. Results: JSON (every sample), markdown (pass/miss per row against
// the targets), a .dat table for bench/plot_latency.gnuplot.
//
// Thread-safety: run_latency is a whole program run.
#pragma once

#include <iosfwd>

#include "engine/config/options.h"

namespace hearth::latency {

// Runs `hearth latency`; returns the exit status: 0, 1 (a run failed) or 2 (bad options). The
// plan and progress go to `out`, logs to stderr.
int run_latency(const Settings& settings, std::ostream& out);

}  // namespace hearth::latency
