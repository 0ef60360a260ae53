// Per-game records in the formats Gomoku tools read: Gomocup/Piskvork .psq and SGF.
//
// PSQ (what Piskvork writes for a tournament game):
//   Piskvorky 15x15, 11:11, 0        size, the two players' levels (11: computer), 0
//   8,8,0                            one line per stone: x,y (1-based), thinking time in ms
//   ...
//   heuristic                        Black's name
//   uniform                          White's name
//   0                                result code: 0 decided on the board (five or full board),
//                                    1 Black lost by a fault, 2 White lost by a fault
// Stones alternate Black, White, ... (opening stones included, with time 0).
//
// SGF: (;FF[4]GM[4]CA[UTF-8]AP[Hearth]SZ[15]PB[..]PW[..]RE[..]GN[..]C[..];B[hh]C[812 ms];W[ii]...)
// with RE B+ / W+ (five), B+T / W+T (time), B+F / W+F (other fault), 0 (draw); coordinates as
// letters a.. for x then y, a = 0.
//
// Thread-safety: pure functions.
#pragma once

#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include "engine/tournament/game.h"

namespace hearth {

// "game-NNNNNN": the file name, without extension, of the records of the game with this schedule
// index (tournament.out_dir/games/game-NNNNNN.psq and .sgf).
std::string record_file_stem(int64_t index);

std::string psq_text(const GameRecord& record, const std::string& black_name, const std::string& white_name);
std::string sgf_text(const GameRecord& record, const std::string& black_name, const std::string& white_name);

// A .psq file read back.
struct PsqGame {
  int size = 0;
  std::vector<Move> moves;       // y * size + x, 0-based
  std::vector<int64_t> move_ms;
  std::string black_name, white_name;  // empty when the file has none
  std::optional<int> result_code;
};

// Parses PSQ text. The stones must be on the board and distinct (the rule is not in the file).
// Sets *error and returns nullopt on anything else.
std::optional<PsqGame> parse_psq(std::istream& in, std::string* error);

}  // namespace hearth
