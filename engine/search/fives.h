// Immediate fives for the search's tactical check (SearchParams::check_fives).
// Thread-safety: a pure function of a const Board.
#pragma once

#include "engine/game/board.h"

namespace hearth {

// The empty squares where `who` would complete a winning line at once (five; five or more under
// freestyle), ascending. `out` needs room for Board::kMaxCells moves. Returns how many.
// Only squares next to one of `who`'s stones can win, so the cost follows the stone count, not
// the board size.
int winning_squares(const Board& board, Stone who, Move* out);

}  // namespace hearth
