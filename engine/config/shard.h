// Shards of a tournament's schedule (tournament.shard, `hearth slurm`): which games one run plays.
// In config because the option table checks the value; the tournament and the Slurm front-end
// read it. Pure values and functions: thread-safe (parse_shard_option reads the environment).
#pragma once

#include <cstdint>
#include <string>

namespace hearth {

// A shard of the schedule: the games whose index % count == index. count 1 = the whole schedule.
struct Shard {
  int index = 0;
  int count = 1;
  bool whole() const { return count == 1; }
  bool has(int64_t game_index) const { return game_index % count == index; }
  std::string text() const { return whole() ? "" : std::to_string(index) + "/" + std::to_string(count); }
  // Games of a schedule of `total` games in this shard.
  int64_t games_of(int64_t total) const { return total > index ? (total - index + count - 1) / count : 0; }
};

// Parses tournament.shard: "" (the whole schedule) or "i/n" with 0 <= i < n. On a bad value
// returns false and sets *error to the reason (without the option's name).
bool parse_shard(const std::string& text, Shard* out, std::string* error);

// The tournament.shard option as a tournament reads it: parse_shard's values, and "slurm" = this
// Slurm array task's shard, i/n from SLURM_ARRAY_TASK_ID and SLURM_ARRAY_TASK_COUNT (for a script
// submitted as one array of n tasks numbered 0..n-1; a task resubmitted alone runs in an array of
// 1, so `hearth slurm` writes i/n out instead). On failure returns false and sets *error.
bool parse_shard_option(const std::string& text, Shard* out, std::string* error);

}  // namespace hearth
