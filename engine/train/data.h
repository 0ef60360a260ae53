// Training data for `hearth train`: the training.txt of one or more folders (a self-play run, its
// shards, merges; format in engine/tournament/training.h), the most recent positions kept as a
// replay window, and batches drawn from it (planes by encode() after replaying the moves, the
// visit distribution, the value target) under random board symmetries.
//
// Thread-safety: a TrainingData is immutable after read_training_data; make_batch is pure.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "engine/game/board.h"
#include "engine/train/trainer.h"

namespace hearth::train {

// One position, compactly: what training.txt says, minus the game index.
struct Position {
  uint8_t size = 15;
  Rule rule = Rule::Freestyle;
  int8_t z = 0;                                  // final result for the side to move
  float q = 0;                                   // the search's root value for the side to move
  std::vector<uint16_t> moves;                   // the stones, in order
  std::vector<std::pair<uint16_t, float>> policy;  // the visit distribution (sums to 1)
};

struct TrainingData {
  std::deque<Position> positions;   // oldest first: the last `window` of all lines read
  std::map<int, std::vector<size_t>> by_size;  // board size -> indices of its positions
  int64_t lines = 0;                // positions read in all files
  int64_t no_visits = 0;            // positions skipped: no root visits (no policy target)
  std::vector<std::string> files;   // the files read, in order
  // Notes for the log: a last line without its newline (a run still writing, or cut off by a
  // crash) is skipped, naming file and line.
  std::vector<std::string> warnings;
};

// The training.txt of each folder (a path to a file is read as it is), in the order given, then
// only the last `window` positions kept (0: all). Throws std::runtime_error with one line: a
// folder or file that does not exist or cannot be read, a folder without training.txt, a line
// that is not a training sample (file and line), or no positions at all.
TrainingData read_training_data(const std::vector<std::string>& folders, int64_t window);

struct BatchOptions {
  int batch = 256;
  bool augment = true;    // a random symmetry per position (symmetry.h); false: identity
  double q_weight = 0.0;  // value target = (1 - q_weight) * z + q_weight * q
  uint64_t seed = 1;
};

// The batch of step `step` (1-based): a board size drawn in proportion to its positions in the
// window, then `batch` positions of that size drawn uniformly with replacement. The same data,
// options and step give the same batch, so a resumed run draws what an unbroken one would.
// Precondition: data has positions.
Batch make_batch(const TrainingData& data, const BatchOptions& options, int64_t step);

// The positions `indices` of `data` (all of one board size) as a batch under symmetry `s` each.
// Throws std::invalid_argument for mixed board sizes.
Batch batch_of(const TrainingData& data, const std::vector<size_t>& indices, const std::vector<int>& symmetries,
               double q_weight);

}  // namespace hearth::train
