// The [tournament] section of the option table (options.cpp): how `hearth tournament` schedules,
// plays and records games. Players themselves are described in tournament_players.h.
//
// Thread-safety: a plain value.
#pragma once

#include <cstdint>
#include <string>

namespace hearth {

// The [merge] section: `hearth merge` joins the results of shards (tournament_merge.h). Kept here
// beside the tournament's own settings (Settings::tournament.merge) since only tournaments use it.
struct MergeSettings {
  std::string out_dir;         // where the merged results.jsonl, summary.json and games/ go
  std::string inputs;          // the shards' out_dirs, separated by ','
  bool allow_missing = false;  // write the merge even if some games were played by no shard
};

struct TournamentSettings {
  // Player specs separated by ';' (grammar in tournament_players.h), e.g.
  // "heuristic; uniform visits=400; name=pela cmd=/opt/pela/pbrain-pela turn_ms=1000".
  std::string players;
  std::string players_dir = "configs/players";  // where a bare player name NAME finds NAME.ini
  std::string format = "round-robin";           // or "gauntlet": the first player meets each other one
  int games = 2;                                 // games per pairing; openings are played in colour-swapped pairs
  int concurrency = 1;                           // games played at once
  std::string openings;                          // openings file; empty = random openings
  int opening_stones = 4;                        // stones of a random opening (even)
  uint64_t seed = 1;                             // random openings and per-game search seeds
  std::string out_dir = "tournament";            // results.jsonl, summary.json, games/, training.txt
  std::string shard;                             // "i/n": play only the games with index % n == i; "" = all
  int max_games = 0;                             // play at most this many games in this run; 0 = all
  std::string records = "all";                   // per-game records: all (psq and sgf), psq, sgf, none
  int64_t timeout_margin_ms = 1000;              // a move later than its limit plus this loses on time
  int64_t start_timeout_ms = 30000;              // an external engine must answer START within this
  bool sprt = false;
  double sprt_elo0 = 0.0;
  double sprt_elo1 = 5.0;
  double sprt_alpha = 0.05;
  double sprt_beta = 0.05;
  bool selfplay = false;                  // one in-process player against itself, writing training data
  double selfplay_dirichlet_alpha = 0.05;  // replaces the player's search.dirichlet_alpha in self-play
  int selfplay_temperature_moves = 8;     // replaces the player's search.temperature_moves in self-play
  MergeSettings merge;                    // `hearth merge`, section [merge]
};

}  // namespace hearth
