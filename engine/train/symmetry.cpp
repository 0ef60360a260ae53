#include "engine/train/symmetry.h"

namespace hearth::train {

Move map_move(int s, int size, Move m) {
  if (m == kNoMove) return kNoMove;
  int x = 0, y = 0;
  map_square(s, size, m % size, m / size, &x, &y);
  return y * size + x;
}

int inverse_symmetry(int s) {
  // A transpose followed by mirrors is undone by the swapped mirrors, then the transpose.
  if (!(s & 4)) return s;
  return 4 | ((s & 1) << 1) | ((s & 2) >> 1);
}

void map_planes(int s, int size, int count, const float* in, float* out) {
  const int cells = size * size;
  for (int y = 0; y < size; ++y)
    for (int x = 0; x < size; ++x) {
      int tx = 0, ty = 0;
      map_square(s, size, x, y, &tx, &ty);
      const int from = y * size + x, to = ty * size + tx;
      for (int p = 0; p < count; ++p) out[p * cells + to] = in[p * cells + from];
    }
}

}  // namespace hearth::train
