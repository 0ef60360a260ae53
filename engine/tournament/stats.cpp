#include "engine/tournament/stats.h"

#include <cmath>
#include <limits>
#include <stdexcept>

namespace hearth {
namespace {

constexpr double kZ975 = 1.959963984540054;  // the standard normal's 97.5 % quantile
constexpr double kRegularization = 1e-3;     // fishtest's stand-in count for an outcome never seen

}  // namespace

double elo_from_score(double score) {
  if (score <= 0.0) return -std::numeric_limits<double>::infinity();
  if (score >= 1.0) return std::numeric_limits<double>::infinity();
  return -400.0 * std::log10(1.0 / score - 1.0);
}

double score_from_elo(double elo) { return 1.0 / (1.0 + std::pow(10.0, -elo / 400.0)); }

EloEstimate estimate_elo(const WinLossDraw& r) {
  EloEstimate e;
  const double n = static_cast<double>(r.games());
  if (n == 0) {
    e.margin = std::numeric_limits<double>::quiet_NaN();
    return e;
  }
  const double w = r.wins / n, l = r.losses / n, d = r.draws / n;
  const double mu = w + d / 2.0;
  e.score = mu;
  e.draw_ratio = d;
  e.elo = elo_from_score(mu);
  const double variance = w * (1.0 - mu) * (1.0 - mu) + l * mu * mu + d * (0.5 - mu) * (0.5 - mu);
  const double sigma = std::sqrt(variance / n);
  const double hi = mu + kZ975 * sigma, lo = mu - kZ975 * sigma;
  e.margin = (hi >= 1.0 || lo <= 0.0 || sigma == 0.0) ? std::numeric_limits<double>::quiet_NaN()
                                                      : (elo_from_score(hi) - elo_from_score(lo)) / 2.0;
  const double decisive = static_cast<double>(r.wins + r.losses);
  e.los = decisive > 0 ? 0.5 + 0.5 * std::erf(static_cast<double>(r.wins - r.losses) / std::sqrt(2.0 * decisive)) : 0.5;
  return e;
}

const char* sprt_decision_name(SprtDecision d) {
  switch (d) {
    case SprtDecision::AcceptH0: return "H0";
    case SprtDecision::AcceptH1: return "H1";
    default: return "continue";
  }
}

std::string check_sprt_settings(const SprtSettings& s) {
  if (!(s.alpha > 0.0 && s.alpha <= 0.5)) return "SPRT alpha must be in (0, 0.5], not " + std::to_string(s.alpha);
  if (!(s.beta > 0.0 && s.beta <= 0.5)) return "SPRT beta must be in (0, 0.5], not " + std::to_string(s.beta);
  if (!(s.elo1 > s.elo0))
    return "SPRT elo1 (" + std::to_string(s.elo1) + ") must be greater than elo0 (" + std::to_string(s.elo0) + ")";
  return "";
}

SprtResult sprt(const WinLossDraw& r, const SprtSettings& settings) {
  const std::string problem = check_sprt_settings(settings);
  if (!problem.empty()) throw std::invalid_argument(problem);
  SprtResult out;
  out.lower = std::log(settings.beta / (1.0 - settings.alpha));
  out.upper = std::log((1.0 - settings.beta) / settings.alpha);
  if (r.games() == 0) return out;
  const auto count = [](int64_t c) { return c > 0 ? static_cast<double>(c) : kRegularization; };
  const double l = count(r.losses), d = count(r.draws), w = count(r.wins);
  const double n = l + d + w;
  const double mu = (d * 0.5 + w) / n;
  const double var = (l * mu * mu + d * (0.5 - mu) * (0.5 - mu) + w * (1.0 - mu) * (1.0 - mu)) / n;
  const double s0 = score_from_elo(settings.elo0), s1 = score_from_elo(settings.elo1);
  out.llr = n * (s1 - s0) * (2.0 * mu - s0 - s1) / var / 2.0;
  if (r.wins > 0 && r.losses > 0) {
    if (out.llr >= out.upper) out.decision = SprtDecision::AcceptH1;
    else if (out.llr <= out.lower) out.decision = SprtDecision::AcceptH0;
  }
  return out;
}

}  // namespace hearth
