// Match statistics: Elo difference with a 95 % error margin, likelihood of superiority, and the
// sequential probability ratio test, with the formulas cutechess-cli and fishtest use.
//
//   score     s = (wins + draws / 2) / games
//   Elo       -400 log10(1 / s - 1)                      (60 % -> +70.4)
//   margin    half the Elo spread of s +- 1.95996 * sigma / sqrt(games), sigma the per-game
//             standard deviation of the score (cutechess's EloCalculator)
//   LOS       0.5 + 0.5 erf((wins - losses) / sqrt(2 (wins + losses)))
//   SPRT      logistic Elo; LLR by fishtest's GSPRT approximation on the trinomial
//             (loss/draw/win) results, with empty outcomes regularized to 1e-3 games:
//             LLR = N (s1 - s0) (2 mu - s0 - s1) / (2 var),  s_i = 1 / (1 + 10^(-elo_i / 400)),
//             mu and var the mean and variance of the per-game score; bounds ln(beta / (1 - alpha))
//             and ln((1 - beta) / alpha). As in cutechess, no decision is taken before both sides
//             have won a game: the approximation is meaningless on one-sided samples (two wins
//             out of two games would "prove" anything).
//
// Thread-safety: pure functions (thread-safe).
#pragma once

#include <cstdint>
#include <string>

namespace hearth {

struct WinLossDraw {
  int64_t wins = 0, losses = 0, draws = 0;
  int64_t games() const { return wins + losses + draws; }
  double points() const { return static_cast<double>(wins) + 0.5 * static_cast<double>(draws); }
  double score() const { return games() ? points() / static_cast<double>(games()) : 0.0; }
  WinLossDraw reversed() const { return {losses, wins, draws}; }
};

struct EloEstimate {
  double elo = 0.0;       // +-infinity for a score of 1 or 0; 0 with no games
  double margin = 0.0;    // 95 % error margin; NaN when it cannot be estimated (no games, a 0 or 1 score)
  double los = 0.5;       // likelihood of superiority, 0..1
  double score = 0.0;
  double draw_ratio = 0.0;
};

double elo_from_score(double score);
double score_from_elo(double elo);
EloEstimate estimate_elo(const WinLossDraw& r);

struct SprtSettings {
  double elo0 = 0.0, elo1 = 5.0, alpha = 0.05, beta = 0.05;
};

enum class SprtDecision { Continue, AcceptH0, AcceptH1 };
const char* sprt_decision_name(SprtDecision d);  // "continue", "H0", "H1"

struct SprtResult {
  double llr = 0.0;
  double lower = 0.0, upper = 0.0;  // the bounds
  SprtDecision decision = SprtDecision::Continue;
};

// Throws std::invalid_argument for alpha or beta outside (0, 0.5] or elo1 <= elo0.
SprtResult sprt(const WinLossDraw& r, const SprtSettings& settings);
// The same checks, as a message ("" if the settings are usable).
std::string check_sprt_settings(const SprtSettings& settings);

}  // namespace hearth
