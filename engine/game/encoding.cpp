#include "engine/game/encoding.h"

#include <algorithm>

namespace hearth {

void encode(const Board& board, float* out) {
  const int cells = board.cells();
  std::fill(out, out + kInputPlanes * cells, 0.0f);
  const Stone me = board.to_move();
  float* mine = out;
  float* theirs = out + cells;
  for (Move m = 0; m < cells; ++m) {
    const Stone s = board.at(m);
    if (s == me)
      mine[m] = 1.0f;
    else if (s != Stone::Empty)
      theirs[m] = 1.0f;
  }
  if (board.last_move() != kNoMove) out[2 * cells + board.last_move()] = 1.0f;
  if (me == Stone::Black) std::fill(out + 3 * cells, out + 4 * cells, 1.0f);
}

}  // namespace hearth
