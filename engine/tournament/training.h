// Self-play training data (<out_dir>/training.txt): plain text, one searched position per line,
// easy to read from a C++ (LibTorch) trainer with nothing but this header.
//
//   v1 <game> <size> <rule> <ply> <z> <q> <moves> <visits>
//
//   game    the game's schedule index (several lines share it)
//   size    board size; rule: freestyle or standard
//   ply     stones on the board; Black is to move when ply is even
//   z       the game's final result for the side to move: 1 win, -1 loss, 0 draw
//   q       the search's root value for the side to move, in [-1, 1]
//   moves   the ply stones in order as x,y pairs (0-based, x the column) joined by ';', Black
//           first; "-" for an empty board. Replaying them on a Board and calling encode()
//           (encoding.h) rebuilds the network input planes exactly.
//   visits  the root's visit counts: x,y:n pairs joined by ';' (the policy target is n / sum n)
//
// Example: v1 12 15 freestyle 3 -1 -0.214 7,7;8,8;6,8 8,6:120;9,9:31;5,9:9
//
// Positions are written when their game has finished (z is known) and before the game's line is
// appended to results.jsonl; on resume, lines of games absent from results.jsonl are dropped,
// so a game is never in the file twice.
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "engine/game/board.h"
#include "engine/tournament/game.h"

namespace hearth {

struct TrainingSample {
  int64_t game = 0;
  int size = 15;
  Rule rule = Rule::Freestyle;
  std::vector<Move> moves;                       // the position: these stones, in order
  int z = 0;                                     // final result for the side to move
  float q = 0.0f;                                // root value for the side to move
  std::vector<std::pair<Move, int64_t>> visits;  // root visit counts

  Board board() const;  // the position (precondition: the moves are legal)
  // The policy target: visits / their sum, indexed y * size + x (size * size floats).
  std::vector<float> policy_target() const;
};

// The samples of a finished game (one per searched position in record.searched).
std::vector<TrainingSample> training_samples(const GameRecord& record);
std::string training_line(const TrainingSample& sample);
// Parses one line; sets *error and returns nullopt if it is not a v1 sample.
std::optional<TrainingSample> parse_training_line(const std::string& line, std::string* error);

// Rewrites `path` keeping only the lines of the games in `keep` (resume). A missing file is fine.
// Throws std::runtime_error if the file cannot be rewritten.
void filter_training_file(const std::string& path, const std::set<int64_t>& keep);

// The lines of a training file grouped by game index, each kept as written (merge). A missing
// file gives an empty map; a last line without its newline (a crash in mid-write) is dropped.
// Throws std::runtime_error naming the file and line for any other line that is not a sample.
std::map<int64_t, std::vector<std::string>> read_training_lines(const std::string& path);

}  // namespace hearth
