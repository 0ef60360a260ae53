// The tactical test set's format (tests/data/tactics/README.md): one position a line,
// space-separated key=value fields, '#' starts a comment line.
//
//   id=f15-vcf-007 size=15 rule=freestyle to_move=black kind=vcf answers=7,9;8,10 line=13 moves=7,7;8,7;...
//
// moves: the game so far as 0-based x,y pairs in play order (Black first); to_move must agree
// with their parity. kind: win-in-one, block-four, vcf, vct, only-defence. answers: the set of
// correct moves (x,y). line: plies of the verified main line (informational; 0 if none).
// Thread-safety: plain functions.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "engine/game/board.h"

namespace hearth::threat {

enum class TacticKind { WinInOne, BlockFour, Vcf, Vct, OnlyDefence };
const char* tactic_kind_name(TacticKind k);

struct Tactic {
  std::string id;
  int size = 15;
  Rule rule = Rule::Freestyle;
  Stone to_move = Stone::Black;
  TacticKind kind = TacticKind::Vcf;
  std::vector<Move> moves;    // as Board moves (y * size + x)
  std::vector<Move> answers;  // ascending
  int line = 0;

  // The position (throws std::invalid_argument if a move is illegal).
  Board board() const;
};

// One line of the format; false (and *error) if it is malformed.
bool parse_tactic(const std::string& text, Tactic* out, std::string* error);
std::string format_tactic(const Tactic& t);
// Every position of a file; throws std::runtime_error naming the file and line on a bad one.
std::vector<Tactic> read_tactics(const std::string& path);

}  // namespace hearth::threat
