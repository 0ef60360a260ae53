// Tournament results: one row per finished game, and the standings computed from them (per
// player, per pairing, per colour, faults), as a JSON summary and as a table for people.
//
// Thread-safety: plain values and pure functions; a Standings is used by one thread at a time.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "engine/tournament/game.h"
#include "engine/tournament/schedule.h"
#include "engine/tournament/stats.h"

namespace hearth {

// What the results file keeps of a game (enough to rebuild the standings and the game itself).
struct GameResult {
  ScheduledGame game;
  Outcome outcome = Outcome::Draw;
  Termination termination = Termination::FullBoard;
  std::string reason;
  int moves = 0;           // stones at the end, opening included
  int opening_stones = 0;
  int64_t black_ms = 0, white_ms = 0;
  std::string moves_text;  // "x,y x,y ..." 0-based, Black first (tournament_openings.h syntax)
};

GameResult result_of(const GameRecord& record);

struct PlayerStanding {
  std::string name;
  WinLossDraw record;                         // over all its games
  std::map<std::string, int64_t> faults;      // termination name -> games it lost so
};

class Standings {
 public:
  explicit Standings(std::vector<std::string> names, std::vector<Pairing> pairings);
  void add(const GameResult& r);

  const std::vector<PlayerStanding>& players() const { return players_; }
  // The pairing's record from its first player's view.
  const WinLossDraw& pairing(int p) const { return pairing_records_.at(p); }
  const std::vector<Pairing>& pairings() const { return pairings_; }
  int64_t games() const { return games_; }
  int64_t black_wins() const { return black_wins_; }
  int64_t white_wins() const { return white_wins_; }
  int64_t draws() const { return draws_; }
  // Players ranked by score rate, then points, then name.
  std::vector<int> ranking() const;

 private:
  std::vector<PlayerStanding> players_;
  std::vector<Pairing> pairings_;
  std::vector<WinLossDraw> pairing_records_;
  int64_t games_ = 0, black_wins_ = 0, white_wins_ = 0, draws_ = 0;
};

// What the summary reports besides the standings.
struct SummaryInfo {
  std::string hash;
  int board_size = 15;
  std::string rule;
  std::string format;
  int64_t games_total = 0;             // games this run is to play: its shard's, or all
  std::string shard;                   // "i/n", or "" for the whole schedule
  int64_t schedule_games = 0;          // games in the whole schedule (every shard)
  int64_t games_this_run = 0;
  double seconds_this_run = 0.0;
  bool complete = false;
  std::string stopped;                 // why the run stopped early, or ""
  std::optional<SprtSettings> sprt;    // set when SPRT is on (two players)
  std::string evaluators_json = "[]";  // EvaluatorPool::stats_json
};

// The summary as one JSON object (summary.json; format in the README section).
std::string summary_json(const Standings& standings, const SummaryInfo& info);
// The standings as a table for stdout.
std::string summary_text(const Standings& standings, const SummaryInfo& info);

// "+70.4", "+inf", "-inf"; "nan" when undefined.
std::string format_elo(double elo);

}  // namespace hearth
