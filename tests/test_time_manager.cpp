// Time budget per move: never over min(turn, time left) minus the margin, a fair share of the
// match clock, sane with tiny, zero, negative and huge numbers.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <vector>

#include "engine/search/time_manager.h"

using namespace hearth;

namespace {
// The hard limit the budget must respect: min(turn, time left when the match is limited) minus
// the margin, but never below the minimum budget (one playout must always be allowed).
int64_t allowed(const TimeSettings& s, const TimeControl& c) {
  if (c.turn_ms <= 0) return kMinBudgetMs;
  double cap = static_cast<double>(c.turn_ms);
  if (c.match_ms > 0) cap = std::min(cap, static_cast<double>(c.time_left_ms.value_or(c.match_ms)));
  const double limit = cap - static_cast<double>(s.margin_ms) - s.margin_fraction * std::max(0.0, cap);
  return std::max<int64_t>(kMinBudgetMs, static_cast<int64_t>(std::min(limit, 9e18)));
}
}  // namespace

TEST_CASE("the budget keeps the hard limit for every combination of clocks") {
  const TimeSettings s;
  const int64_t big = std::numeric_limits<int64_t>::max();
  const std::vector<int64_t> turns = {0, 1, 10, 49, 50, 51, 100, 1000, 5000, 30000, 1LL << 40, big};
  const std::vector<int64_t> matches = {0, 1, 1000, 180000, 1LL << 40, big};
  const std::vector<int64_t> lefts = {big, 1LL << 40, 180000, 5000, 100, 51, 50, 1, 0, -1, -100000};
  const std::vector<int> empties = {0, 1, 2, 10, 100, 225, 484};
  for (int64_t turn : turns)
    for (int64_t match : matches)
      for (int64_t left : lefts)
        for (int empty : empties) {
          CAPTURE(turn);
          CAPTURE(match);
          CAPTURE(left);
          CAPTURE(empty);
          TimeControl c;
          c.turn_ms = turn;
          c.match_ms = match;
          c.time_left_ms = left;
          const MoveBudget b = plan_move(s, c, empty);
          CHECK(b.budget_ms >= kMinBudgetMs);
          CHECK(b.budget_ms <= allowed(s, c));
        }
}

TEST_CASE("turn time only: nearly the whole turn, minus the margin") {
  TimeSettings s;
  s.margin_ms = 50;
  s.margin_fraction = 0.02;
  TimeControl c;
  c.turn_ms = 5000;
  const MoveBudget b = plan_move(s, c, 225);
  CHECK(b.budget_ms == 5000 - 50 - 100);
  CHECK(b.cap_ms == 5000);
}

TEST_CASE("unlimited match: time_left is ignored") {
  const TimeSettings s;
  TimeControl c;
  c.turn_ms = 5000;
  c.match_ms = 0;
  c.time_left_ms = 10;
  const int64_t with_tiny_left = plan_move(s, c, 200).budget_ms;
  c.time_left_ms.reset();
  CHECK(with_tiny_left == plan_move(s, c, 200).budget_ms);
  CHECK(with_tiny_left > 4000);
}

TEST_CASE("match clock: a share of time_left, never the whole clock") {
  TimeSettings s;
  s.min_moves_left = 8;
  s.moves_horizon = 25;
  TimeControl c;
  c.turn_ms = 1000000;
  c.match_ms = 180000;
  c.time_left_ms = 100000;
  // Early on a 15x15 board: the horizon (25 own moves) sets the share.
  CHECK(plan_move(s, c, 220).budget_ms == 100000 / 25);
  // Near a full board: at least 8 parts still.
  CHECK(plan_move(s, c, 3).budget_ms == 100000 / 8);
  // Less time left: a smaller budget.
  c.time_left_ms = 20000;
  CHECK(plan_move(s, c, 220).budget_ms == 20000 / 25);
  // Unknown time_left under a match limit: the whole match time is assumed.
  c.time_left_ms.reset();
  CHECK(plan_move(s, c, 220).budget_ms == 180000 / 25);
}

TEST_CASE("the turn limit still caps a generous match clock") {
  const TimeSettings s;
  TimeControl c;
  c.turn_ms = 2000;
  c.match_ms = 1000000000;
  c.time_left_ms = 1000000000;
  CHECK(plan_move(s, c, 225).budget_ms == allowed(s, c));
  CHECK(plan_move(s, c, 225).budget_ms < 2000);
}

TEST_CASE("no time at all: the minimum budget, not zero (zero would mean no limit to search)") {
  const TimeSettings s;
  TimeControl c;
  c.turn_ms = 0;  // protocol: play as fast as possible
  CHECK(plan_move(s, c, 100).budget_ms == kMinBudgetMs);
  c.turn_ms = 5000;
  c.match_ms = 60000;
  for (int64_t left : {int64_t{0}, int64_t{-1}, int64_t{-5000}, int64_t{30}}) {
    c.time_left_ms = left;
    CHECK(plan_move(s, c, 100).budget_ms == kMinBudgetMs);
  }
}

TEST_CASE("more time never gives a smaller budget") {
  const TimeSettings s;
  TimeControl c;
  c.match_ms = 600000;
  int64_t previous = 0;
  for (int64_t left = -100; left < 600000; left = left < 0 ? left + 50 : left * 3 / 2 + 7) {
    c.turn_ms = 30000;
    c.time_left_ms = left;
    const int64_t b = plan_move(s, c, 150).budget_ms;
    CHECK(b >= previous);
    previous = b;
  }
}
