#include "engine/search/time_manager.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace hearth {

MoveBudget plan_move(const TimeSettings& settings, const TimeControl& control, int empty_squares) {
  MoveBudget out;
  out.budget_ms = kMinBudgetMs;
  // timeout_turn 0 means "as fast as possible": the least budget, whatever the match clock says.
  if (control.turn_ms <= 0) {
    out.cap_ms = 0;
    return out;
  }
  // Work in double: the protocol's numbers can be anything up to int64, and overflow must not
  // turn a huge limit into a negative one.
  double cap = static_cast<double>(control.turn_ms);
  double share = std::numeric_limits<double>::infinity();
  if (control.match_ms > 0) {
    const double left = static_cast<double>(control.time_left_ms.value_or(control.match_ms));
    cap = std::min(cap, left);
    const int own_moves_possible = std::max(1, (std::max(0, empty_squares) + 1) / 2);
    const int expected = std::min(own_moves_possible, std::max(1, settings.moves_horizon));
    share = left / std::max(std::max(1, settings.min_moves_left), expected);
  }
  const double margin =
      static_cast<double>(std::max<int64_t>(0, settings.margin_ms)) + std::max(0.0, settings.margin_fraction) * std::max(0.0, cap);
  const double usable = std::min(cap - margin, share);
  constexpr double kMaxMs = static_cast<double>(std::numeric_limits<int64_t>::max() / 2);
  out.cap_ms = cap <= 0 ? 0 : static_cast<int64_t>(std::min(cap, kMaxMs));
  if (usable >= kMinBudgetMs) out.budget_ms = static_cast<int64_t>(std::floor(std::min(usable, kMaxMs)));
  return out;
}

}  // namespace hearth
