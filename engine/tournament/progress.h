// The live progress line of a tournament on stderr:
//   [#########.........]  37/100  heuristic 30.5-6.5 uniform  Elo +317 +/- 120  12.3 games/min  ETA 5m07s
// redrawn in place ("\r" + clear line). Quiet when stderr is not a terminal, so logs and CI
// output stay clean.
//
// Thread-safety: a ProgressBar is used by one thread at a time (the tournament's coordinator,
// under its lock); format_progress is pure.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <string>

namespace hearth {

struct ProgressState {
  int64_t done = 0;            // games recorded, earlier runs included
  int64_t total = 0;
  int64_t done_this_run = 0;
  double seconds_this_run = 0.0;
  std::string score;           // "a 30.5-6.5 b  Elo +317 +/- 120", or the leader with more players
};

// The line (no newline) fitted to `width` columns.
std::string format_progress(const ProgressState& state, int width);

class ProgressBar {
 public:
  // Draws on `out` only when `enabled` (see stderr_is_terminal()).
  ProgressBar(std::ostream& out, bool enabled);
  void update(const ProgressState& state);
  // Ends the line (once), so what follows starts on a fresh one.
  void finish();
  // Erases the line, so that a log message can take its place (the next update() redraws it).
  void clear();
  bool enabled() const { return enabled_; }

  static bool stderr_is_terminal();
  static int terminal_width();  // of stderr; 100 when unknown

 private:
  std::ostream& out_;
  bool enabled_;
  bool drawn_ = false;
};

}  // namespace hearth
