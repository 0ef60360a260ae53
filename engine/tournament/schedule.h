// The tournament schedule: every game to play, each with a stable index, as a pure function of the
// settings, so a run can be resumed (games already recorded are skipped) and, later, split into
// shards (`--shard i/n` = the games whose index % n == i) whose results merge by index.
//
// Pairings: round-robin (every two players once) or gauntlet (player 0 against each other one);
// self-play is one pairing of a player with itself. Each pairing plays `games` games: game g uses
// opening g/2 (cycling through the openings) with the pairing's first player Black when g is even
// and White when g is odd, so each opening is played twice with colours swapped. Games are ordered
// round by round (g major, pairing minor) so that every pairing progresses together:
//   index = g * pairings + pairing.
//
// Thread-safety: pure functions (thread-safe).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "engine/config/shard.h"

namespace hearth {

enum class TournamentFormat { RoundRobin, Gauntlet };

struct Pairing {
  int first = 0;   // player indices; first == second in self-play
  int second = 0;
};

struct ScheduledGame {
  int64_t index = 0;  // position in the schedule: stable for the same settings
  int pairing = 0;
  int round = 0;      // g: the game's number within its pairing
  int black = 0;      // player indices
  int white = 0;
  int opening = 0;    // index into the openings
};

// The pairings of `players` players. Self-play (players == 1 and selfplay) pairs the player with
// itself. Throws std::invalid_argument if there are too few players for the format.
std::vector<Pairing> make_pairings(int players, TournamentFormat format, bool selfplay);

// Every game, in index order. `openings` >= 1.
std::vector<ScheduledGame> make_schedule(const std::vector<Pairing>& pairings, int games_per_pairing, int openings);

// Openings a schedule of `games_per_pairing` games needs to give every game pair its own.
inline int openings_needed(int games_per_pairing) { return (games_per_pairing + 1) / 2; }

// 64-bit FNV-1a of `text` as 16 hex digits: the configuration hash that a results file carries.
std::string fnv1a_hex(const std::string& text);

}  // namespace hearth
