#include "engine/search/fives.h"

#include <algorithm>
#include <cstdint>

namespace hearth {

int winning_squares(const Board& board, Stone who, Move* out) {
  const std::vector<Move>& history = board.history();
  const size_t first = who == Stone::Black ? 0 : 1;  // Black's stones are the even plies
  const size_t stones = history.size() > first ? (history.size() - first + 1) / 2 : 0;
  if (stones < 4) return 0;  // a five needs four stones already there
  const int size = board.size();
  uint64_t seen[(Board::kMaxCells + 63) / 64] = {};
  int count = 0;
  for (size_t i = first; i < history.size(); i += 2) {
    const int x0 = history[i] % size, y0 = history[i] / size;
    for (int dy = -1; dy <= 1; ++dy) {
      for (int dx = -1; dx <= 1; ++dx) {
        const int x = x0 + dx, y = y0 + dy;
        if (!board.on_board(x, y)) continue;
        const Move m = y * size + x;
        uint64_t& word = seen[m >> 6];
        const uint64_t bit = uint64_t{1} << (m & 63);
        if (word & bit) continue;
        word |= bit;
        if (board.at(m) == Stone::Empty && board.wins_at(m, who)) out[count++] = m;
      }
    }
  }
  std::sort(out, out + count);
  return count;
}

}  // namespace hearth
