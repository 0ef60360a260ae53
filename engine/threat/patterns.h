// Line patterns and cell classes of the threat searcher: what a stone on an empty square would
// make, in one line (LinePattern) and over its four lines (CellClass), for both rules.
//
// A line pattern is read from the 10 squares around the square in one direction (5 each side,
// the 5th only to tell an overline under the standard rule): each 2 bits, 0 empty, 1 the
// colour asked about ("own"), 2 the other colour, 3 off the board. Field i holds offset i - 5
// for i < 5 and offset i - 4 for i >= 5 (offsets -5..-1, then +1..+5). The table is built once
// per rule, on first use, by a memoised recursion over the windows (thread-safe static init; no
// mutable globals afterwards).
//
// Definitions (a "five through the square" is a run of own stones containing the square: five
// or more long under freestyle, exactly five under standard):
//   Five      the stone makes a five through the square
//   Overline  (standard only) the stone makes six or more through the square and no five
//   F4        open four: afterwards two or more empty squares would each make a five through it
//   B4        four: exactly one such square
//   F3        open three (split threes X.XX included): some empty square would then make an F4
//   B3        closed three: no F4 reachable, but some square would make a B4
//   F2/B2     one more own stone could make an F3 / only a B3
//   F1/B1     likewise, one level down
//   None      no five through the square is possible in this line any more
#pragma once

#include <cstdint>

#include "engine/game/board.h"

namespace hearth::threat {

enum class LinePattern : uint8_t { None, B1, F1, B2, F2, B3, F3, B4, F4, Five, Overline };
const char* pattern_name(LinePattern p);

// What a stone makes over its four lines, strongest first in the order of the search's needs.
// Classes are exclusive: a square has exactly one class per colour.
enum class CellClass : uint8_t {
  None,   // occupied, or nothing better than twos
  B3,     // closed three(s) only
  F3,     // one open three, no four
  F3x2,   // two or more open threes, no four (a double three)
  B4,     // one four (B4), no open three in another line
  B4F3,   // one four and an open three in another line (a four-three)
  Flex4,  // an open four or two fours: wins next move unless the opponent has a five
  Five,   // wins now
};
constexpr int kNumCellClasses = 8;
const char* class_name(CellClass c);

// Class of a square from its four line patterns (4 bits each, direction d at bits 4d..4d+3).
CellClass classify_cell(uint16_t four_patterns);
// The table behind classify_cell (65536 entries, a CellClass each), for hot loops.
const uint8_t* cell_class_table();

// The pattern table of `rule`, indexed by a 20-bit window key as described above, with own = 1.
// For the other colour, swap the key's colours first (swap_colours).
const uint8_t* pattern_table(Rule rule);

// Exchanges 1 and 2 in every 2-bit field (3 stays a wall, 0 stays empty).
inline uint32_t swap_colours(uint32_t key) {
  return ((key & 0x55555u) << 1) | ((key >> 1) & 0x55555u);
}

// Field shift of a neighbour at `offset` (-5..-1, 1..5) in a window key.
constexpr int field_shift(int offset) { return 2 * (offset < 0 ? offset + 5 : offset + 4); }

// The pattern of a window given as text, for tests and tools: 11 characters, the middle one
// '?' (the square asked about), others 'X' (own), 'O' (other), '.' (empty), '#' (off board).
LinePattern pattern_of(Rule rule, const char* window11);

}  // namespace hearth::threat
