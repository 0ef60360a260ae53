#include "engine/tournament/results.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "evaluator/json_text.h"
#include "engine/tournament/openings.h"

namespace hearth {
namespace {

// A JSON number, or null where JSON has none (infinite Elo, undefined margin).
std::string number_or_null(double x) { return std::isfinite(x) ? json::number(x) : "null"; }

std::string wld_json(const WinLossDraw& r) {
  const EloEstimate e = estimate_elo(r);
  return "\"games\":" + std::to_string(r.games()) + ",\"wins\":" + std::to_string(r.wins) +
         ",\"losses\":" + std::to_string(r.losses) + ",\"draws\":" + std::to_string(r.draws) +
         ",\"points\":" + json::number(r.points()) + ",\"score\":" + json::number(e.score) +
         ",\"elo\":" + number_or_null(e.elo) + ",\"elo_margin\":" + number_or_null(e.margin) +
         ",\"los\":" + json::number(e.los);
}

std::string elo_with_margin(const WinLossDraw& r) {
  const EloEstimate e = estimate_elo(r);
  std::string text = format_elo(e.elo);
  if (std::isfinite(e.margin)) {
    char buf[32];
    std::snprintf(buf, sizeof(buf), " +/- %.1f", e.margin);
    text += buf;
  }
  return text;
}

}  // namespace

std::string format_elo(double elo) {
  if (elo == 0.0) elo = 0.0;  // no "-0.0"
  if (std::isnan(elo)) return "nan";
  if (std::isinf(elo)) return elo > 0 ? "+inf" : "-inf";
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%+.1f", elo);
  return buf;
}

GameResult result_of(const GameRecord& record) {
  GameResult r;
  r.game = record.game;
  r.outcome = record.outcome;
  r.termination = record.termination;
  r.reason = record.reason;
  r.moves = static_cast<int>(record.moves.size());
  r.opening_stones = record.opening_stones;
  r.black_ms = record.black_ms;
  r.white_ms = record.white_ms;
  r.moves_text = moves_text(record.moves, record.size);
  return r;
}

Standings::Standings(std::vector<std::string> names, std::vector<Pairing> pairings)
    : pairings_(std::move(pairings)), pairing_records_(pairings_.size()) {
  for (auto& n : names) players_.push_back({std::move(n), {}, {}});
}

void Standings::add(const GameResult& r) {
  ++games_;
  const int b = r.game.black, w = r.game.white;
  const bool selfplay = b == w;
  if (r.outcome == Outcome::BlackWin) {
    ++black_wins_;
    if (!selfplay) {
      ++players_[b].record.wins;
      ++players_[w].record.losses;
    }
  } else if (r.outcome == Outcome::WhiteWin) {
    ++white_wins_;
    if (!selfplay) {
      ++players_[w].record.wins;
      ++players_[b].record.losses;
    }
  } else {
    ++draws_;
    if (!selfplay) {
      ++players_[b].record.draws;
      ++players_[w].record.draws;
    }
  }
  if (selfplay) {
    // One player on both sides: its record is its games, all "draws" against itself.
    ++players_[b].record.draws;
  }
  if (is_fault(r.termination)) {
    const int loser = r.outcome == Outcome::BlackWin ? w : b;
    ++players_[loser].faults[termination_name(r.termination)];
  }
  if (r.game.pairing >= 0 && r.game.pairing < static_cast<int>(pairings_.size())) {
    WinLossDraw& p = pairing_records_[r.game.pairing];
    const int first = pairings_[r.game.pairing].first;
    const bool first_is_black = r.game.black == first;
    if (r.outcome == Outcome::Draw || selfplay)
      ++p.draws;
    else if ((r.outcome == Outcome::BlackWin) == first_is_black)
      ++p.wins;
    else
      ++p.losses;
  }
}

std::vector<int> Standings::ranking() const {
  std::vector<int> order(players_.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = static_cast<int>(i);
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) {
    const WinLossDraw &ra = players_[a].record, &rb = players_[b].record;
    if (ra.score() != rb.score()) return ra.score() > rb.score();
    if (ra.points() != rb.points()) return ra.points() > rb.points();
    return players_[a].name < players_[b].name;
  });
  return order;
}

std::string summary_json(const Standings& s, const SummaryInfo& info) {
  std::string out = "{\"format_version\":1,\"hash\":" + json::quote(info.hash) +
                    ",\"board_size\":" + std::to_string(info.board_size) + ",\"rule\":" + json::quote(info.rule) +
                    ",\"format\":" + json::quote(info.format) + ",\"games_total\":" + std::to_string(info.games_total) +
                    ",\"shard\":" + json::quote(info.shard) +
                    ",\"schedule_games\":" + std::to_string(info.schedule_games) +
                    ",\"games_played\":" + std::to_string(s.games()) +
                    ",\"complete\":" + (info.complete ? "true" : "false") + ",\"stopped\":" + json::quote(info.stopped) +
                    ",\"games_this_run\":" + std::to_string(info.games_this_run) +
                    ",\"seconds_this_run\":" + json::number(info.seconds_this_run) + ",\"games_per_minute\":" +
                    json::number(info.seconds_this_run > 0 ? 60.0 * info.games_this_run / info.seconds_this_run : 0.0) +
                    ",\"colours\":{\"black_wins\":" + std::to_string(s.black_wins()) +
                    ",\"white_wins\":" + std::to_string(s.white_wins()) + ",\"draws\":" + std::to_string(s.draws()) +
                    "},\"players\":[";
  const std::vector<int> order = s.ranking();
  for (size_t k = 0; k < order.size(); ++k) {
    const PlayerStanding& p = s.players()[order[k]];
    out += (k ? "," : "") + std::string("{\"rank\":") + std::to_string(k + 1) + ",\"name\":" + json::quote(p.name) +
           "," + wld_json(p.record) + ",\"faults\":{";
    bool first = true;
    for (const auto& [kind, n] : p.faults) {
      out += (first ? "" : ",") + json::quote(kind) + ":" + std::to_string(n);
      first = false;
    }
    out += "}}";
  }
  out += "],\"pairings\":[";
  for (size_t i = 0; i < s.pairings().size(); ++i) {
    const Pairing& p = s.pairings()[i];
    out += (i ? "," : "") + std::string("{\"first\":") + json::quote(s.players()[p.first].name) +
           ",\"second\":" + json::quote(s.players()[p.second].name) + "," + wld_json(s.pairing(static_cast<int>(i))) + "}";
  }
  out += "],\"sprt\":";
  if (info.sprt && !s.pairings().empty()) {
    const SprtResult r = sprt(s.pairing(0), *info.sprt);
    out += "{\"elo0\":" + json::number(info.sprt->elo0) + ",\"elo1\":" + json::number(info.sprt->elo1) +
           ",\"alpha\":" + json::number(info.sprt->alpha) + ",\"beta\":" + json::number(info.sprt->beta) +
           ",\"llr\":" + json::number(r.llr) + ",\"lower\":" + json::number(r.lower) +
           ",\"upper\":" + json::number(r.upper) + ",\"decision\":" + json::quote(sprt_decision_name(r.decision)) + "}";
  } else {
    out += "null";
  }
  out += ",\"evaluators\":" + (info.evaluators_json.empty() ? std::string("[]") : info.evaluators_json) + "}\n";
  return out;
}

std::string summary_text(const Standings& s, const SummaryInfo& info) {
  std::string out;
  char line[512];
  const std::string shard = info.shard.empty() ? "" : " (shard " + info.shard + ")";
  const std::string stopped = info.stopped.empty() ? "" : " (stopped: " + info.stopped + ")";
  std::snprintf(line, sizeof(line), "Tournament %s%s: %lld of %lld games played, %dx%d %s%s\n", info.format.c_str(),
                shard.c_str(), static_cast<long long>(s.games()), static_cast<long long>(info.games_total),
                info.board_size, info.board_size, info.rule.c_str(), stopped.c_str());
  out += line;
  std::snprintf(line, sizeof(line), "%-4s %-20s %6s %6s %6s %6s %7s %18s %7s\n", "Rank", "Name", "Games", "Wins",
                "Losses", "Draws", "Score", "Elo", "LOS");
  out += line;
  const std::vector<int> order = s.ranking();
  for (size_t k = 0; k < order.size(); ++k) {
    const PlayerStanding& p = s.players()[order[k]];
    const EloEstimate e = estimate_elo(p.record);
    std::snprintf(line, sizeof(line), "%-4zu %-20s %6lld %6lld %6lld %6lld %6.1f%% %18s %6.1f%%\n", k + 1,
                  p.name.c_str(), static_cast<long long>(p.record.games()), static_cast<long long>(p.record.wins),
                  static_cast<long long>(p.record.losses), static_cast<long long>(p.record.draws), 100.0 * e.score,
                  elo_with_margin(p.record).c_str(), 100.0 * e.los);
    out += line;
  }
  if (s.pairings().size() > 1 || (s.pairings().size() == 1 && s.pairings()[0].first != s.pairings()[0].second)) {
    out += "Pairings (first player's view):\n";
    for (size_t i = 0; i < s.pairings().size(); ++i) {
      const Pairing& p = s.pairings()[i];
      const WinLossDraw& r = s.pairing(static_cast<int>(i));
      std::snprintf(line, sizeof(line), "  %s vs %s: +%lld -%lld =%lld, score %.1f%%, Elo %s, LOS %.1f%%\n",
                    s.players()[p.first].name.c_str(), s.players()[p.second].name.c_str(),
                    static_cast<long long>(r.wins), static_cast<long long>(r.losses), static_cast<long long>(r.draws),
                    100.0 * r.score(), elo_with_margin(r).c_str(), 100.0 * estimate_elo(r).los);
      out += line;
    }
  }
  std::snprintf(line, sizeof(line), "Colours: Black won %lld, White won %lld, draws %lld\n",
                static_cast<long long>(s.black_wins()), static_cast<long long>(s.white_wins()),
                static_cast<long long>(s.draws()));
  out += line;
  for (const PlayerStanding& p : s.players()) {
    if (p.faults.empty()) continue;
    out += "Faults of " + p.name + ":";
    for (const auto& [kind, n] : p.faults) out += " " + kind + " " + std::to_string(n);
    out += "\n";
  }
  if (info.sprt && !s.pairings().empty()) {
    const SprtResult r = sprt(s.pairing(0), *info.sprt);
    std::snprintf(line, sizeof(line), "SPRT [%.1f, %.1f] alpha %.3g beta %.3g: LLR %.3f (bounds %.3f, %.3f): %s\n",
                  info.sprt->elo0, info.sprt->elo1, info.sprt->alpha, info.sprt->beta, r.llr, r.lower, r.upper,
                  r.decision == SprtDecision::AcceptH1   ? "H1 accepted"
                  : r.decision == SprtDecision::AcceptH0 ? "H0 accepted"
                                                         : "no decision yet");
    out += line;
  }
  return out;
}

}  // namespace hearth
