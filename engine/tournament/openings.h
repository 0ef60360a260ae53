// Tournament openings: the stones a game starts from. Each opening is played twice, colours
// swapped (tournament_schedule.h), so neither player profits from a lopsided one.
//
// Openings file: one opening per line, moves as 0-based "x,y" pairs (x the column, as in the
// piskvork protocol) separated by spaces or ';', Black first, colours alternating. Blank lines and
// text after '#' are ignored. Example: "7,7 8,8; 6,8 8,6".
//
// Thread-safety: pure functions (thread-safe).
#pragma once

#include <cstdint>
#include <iosfwd>
#include <string>
#include <vector>

#include "engine/game/board.h"

namespace hearth {

struct Opening {
  std::vector<Move> moves;  // Black first
  std::string source;       // where it came from, for messages: "book.txt line 3" or "random opening 5"
};

// Reads and checks an openings file for a board of `size`. Throws std::invalid_argument naming
// the file, the line and the problem (unreadable file, malformed pair, a square off the board or
// played twice, a position already won or full, no opening at all).
std::vector<Opening> read_openings_file(const std::string& path, int size, Rule rule);
// The same from a stream; `name` stands for the file in messages.
std::vector<Opening> parse_openings(std::istream& in, const std::string& name, int size, Rule rule);

// `count` random openings of `stones` stones (even: Black moves next) near the centre, colours
// alternating, none repeated while the area allows, and quiet: no five on the board and neither
// side able to make five with its next stone. The same for the same arguments on every platform.
// Throws std::invalid_argument for an odd or negative `stones`, or more than the area can hold.
std::vector<Opening> random_openings(int count, int stones, int size, Rule rule, uint64_t seed);

// The position after the opening. Precondition: the opening was checked for this size and rule.
Board opening_board(const Opening& opening, int size, Rule rule);
// "x,y x,y ..." (0-based), the openings-file syntax; "" for no stones.
std::string moves_text(const std::vector<Move>& moves, int size);

// splitmix64: the one generator behind openings and per-game seeds (same on every platform).
uint64_t splitmix64_next(uint64_t* state);
// A seed mixed from several numbers (order matters).
uint64_t mix_seed(uint64_t a, uint64_t b, uint64_t c = 0);

}  // namespace hearth
