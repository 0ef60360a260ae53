// The 8 symmetries of the square board (the dihedral group: 4 rotations, each with or without a
// mirror), applied to squares, to moves and to the network's planes and policy alike, so that a
// position and its targets always turn together.
//
// Symmetry s in 0..7 maps (x, y): first transpose (swap x and y) when s & 4, then mirror x when
// s & 1, then mirror y when s & 2. 0 is the identity; e.g. 5 (transpose, mirror x) is the quarter
// turn (x, y) -> (size-1-y, x).
//
// Thread-safety: pure functions.
#pragma once

#include <vector>

#include "engine/game/board.h"

namespace hearth::train {

constexpr int kSymmetries = 8;

inline void map_square(int s, int size, int x, int y, int* out_x, int* out_y) {
  if (s & 4) {
    const int t = x;
    x = y;
    y = t;
  }
  if (s & 1) x = size - 1 - x;
  if (s & 2) y = size - 1 - y;
  *out_x = x;
  *out_y = y;
}

// The move `m` (y * size + x) under symmetry s; kNoMove stays kNoMove.
Move map_move(int s, int size, Move m);
// The symmetry that undoes s.
int inverse_symmetry(int s);
// planes: `count` planes of size*size floats, each moved so that out[map(c)] = in[c]. in and out
// must not overlap.
void map_planes(int s, int size, int count, const float* in, float* out);

}  // namespace hearth::train
