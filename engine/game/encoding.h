// The network input every evaluator receives: float planes [4, H, W], row-major.
//   plane 0: stones of the side to move      plane 1: stones of the opponent
//   plane 2: the last move, one-hot          plane 3: all ones when Black (first player) is to move
// Policy outputs are H*W logits indexed y*W+x (the Move value); value is in [-1, 1] from the
// side to move's view.
#pragma once

#include "engine/game/board.h"

namespace hearth {

constexpr int kInputPlanes = 4;
inline int input_floats(int board_size) { return kInputPlanes * board_size * board_size; }

// Writes input_floats(board.size()) floats to `out`.
void encode(const Board& board, float* out);

}  // namespace hearth
