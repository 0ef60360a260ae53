// `hearth merge`: joins the results of tournament shards (tournament.shard i/n, each run with its
// own tournament.out_dir) into one folder that looks like an unsharded run's: results.jsonl (the
// games in index order), summary.json (the same summary, made by the same code,
// tournament_results.h), games/ (the shards' .psq/.sgf records, copied) and, in self-play,
// training.txt (each game's positions from the shard whose copy of the game was kept, games in
// index order; an unsharded run writes them in the order games end: compare sorted lines).
//
// An input folder without results.jsonl (a shard that never started) adds no games: its games
// are reported missing, and each input short of games is named with its count.
//
// Checks, each a clear message:
//   - every shard comes from the same configuration (the hash in results.jsonl): else an error
//     naming both folders;
//   - a game (schedule index) recorded by two shards: kept once with a warning if the games are the
//     same (result, termination, moves), else an error naming both folders;
//   - games that no shard recorded: a warning listing them; the merge is then refused unless
//     merge.allow_missing is on (then the summary says the tournament is incomplete).
//
// Thread-safety: merge_shards and run_merge are whole operations on files; run them from one
// thread, with no shard still writing to its folder.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <stdexcept>
#include <string>
#include <vector>

#include "engine/config/options.h"
#include "engine/config/tournament_settings.h"

namespace hearth {

// Inputs the merge refuses; what() is one line naming the cause and the folders.
struct MergeError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// How far the tournament (shard) whose out_dir is `dir` got, from its results.jsonl: the header's
// shard and schedule size, and the distinct games recorded. A folder without results.jsonl (a
// shard that never started) has found false and recorded 0.
struct ShardProgress {
  std::string dir;
  bool found = false;     // dir/results.jsonl exists
  std::string shard;      // the header's "i/n"; "" = the whole schedule
  std::string hash;       // the configuration hash
  int64_t expected = 0;   // games of the schedule in this shard
  int64_t recorded = 0;   // distinct games recorded
  bool complete() const { return found && recorded >= expected; }
};
// Throws std::runtime_error naming the file if results.jsonl exists but cannot be read or parsed.
ShardProgress read_shard_progress(const std::string& dir);

struct MergeReport {
  int64_t games_total = 0;           // games in the schedule
  int64_t games_merged = 0;          // distinct games found
  std::vector<int64_t> missing;      // indices that no shard recorded
  std::vector<int64_t> duplicates;   // indices recorded by more than one shard (identically)
  std::vector<ShardProgress> incomplete;  // inputs short of games (or without results.jsonl)
  int64_t training_lines = 0;        // lines written to training.txt (0: no input had one)
  bool written = false;              // the output folder was written
  std::string summary_text;          // the standings table (when written)
};

// Merges `m.inputs` into `m.out_dir`. Games missing without allow_missing: logs the warning and
// returns with written false (nothing written). Throws MergeError for inputs it refuses and
// std::runtime_error when it cannot write.
MergeReport merge_shards(const MergeSettings& m);

// "3 5-7 12": indices as sorted ranges, at most `limit` items, then "... (N in all)".
std::string index_ranges(const std::vector<int64_t>& sorted, size_t limit = 40);

// The subcommand. Exit status: 0 merged, 1 games missing (without allow_missing) or a write
// failure, 2 bad options or refused inputs (one message on stderr).
int run_merge(const Settings& settings, std::istream& in, std::ostream& out);

}  // namespace hearth
