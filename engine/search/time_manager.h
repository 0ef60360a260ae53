// How long to think for one move under the piskvork time controls. Pure functions: thread-safe.
//
// The budget never exceeds the hard cap min(turn time, time left in the match) minus a safety
// margin (margin_ms + margin_fraction * cap) that covers stopping the search, finishing an
// in-flight evaluator batch and writing the reply. Under a match clock a move also gets at most
// time_left / max(min_moves_left, expected own moves still to play), so the clock lasts the game.
#pragma once

#include <cstdint>
#include <optional>

namespace hearth {

struct TimeSettings {
  int64_t turn_ms = 5000;         // time per move when the protocol does not say (timeout_turn)
  int64_t match_ms = 0;           // time for the whole match, 0 = unlimited (timeout_match)
  int64_t margin_ms = 50;         // kept back from every hard limit
  double margin_fraction = 0.02;  // and this fraction of the hard limit on top
  int moves_horizon = 25;         // own moves planned for at most (a sliding horizon)
  int min_moves_left = 8;         // time_left is always divided by at least this
};

// The clock as the manager last reported it.
struct TimeControl {
  int64_t turn_ms = 0;                  // 0 = play as fast as possible (protocol meaning)
  int64_t match_ms = 0;                 // 0 = no match limit
  std::optional<int64_t> time_left_ms;  // unknown: match_ms is assumed; may be negative
};

struct MoveBudget {
  int64_t budget_ms = 0;  // think this long; always >= kMinBudgetMs
  int64_t cap_ms = -1;    // the hard limit before the margin; -1 = none
};

// The least budget ever returned: the search still makes one playout and answers at once.
constexpr int64_t kMinBudgetMs = 1;

// The budget for the next move. `empty_squares` is the number of empty cells on the board (the
// game cannot last more than half of them more own moves).
MoveBudget plan_move(const TimeSettings& settings, const TimeControl& control, int empty_squares);

}  // namespace hearth
