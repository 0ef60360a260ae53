// `hearth bench`: searches a fixed set of positions, each on a fresh tree, and reports visits/s,
// evaluations/s and the evaluator's average batch size, as a table on stdout and optionally as
// JSON (--json FILE).
//
// Thread-safety: run_bench is a whole program run; bench_positions is pure (thread-safe).
#pragma once

#include <iosfwd>
#include <vector>

#include "engine/game/board.h"
#include "engine/config/options.h"

namespace hearth {

// `settings.positions` random openings of min_stones..max_stones stones (none already won),
// the same for the same seed on every platform (own generator, no std:: distributions). Throws
// std::invalid_argument for min_stones > max_stones or more stones than the board can hold.
std::vector<Board> bench_positions(const BenchSettings& settings, int size, Rule rule);

// Runs the benchmark; returns the exit status (nonzero with a message on stderr on failure).
int run_bench(const Settings& settings, std::ostream& out);

}  // namespace hearth
