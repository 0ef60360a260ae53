// `hearth play`: a person against the engine in a terminal.
//
// Moves are typed as "h8" (column letter a = 0, b = 1, ...; row number counted from 1: the
// letters and numbers on the board's edges, so h8 is x 7, y 7) or as "x,y" / "x y" (0-based,
// x = column: the protocol's coordinates).
// Commands: undo (takes back your last move and the engine's answer), new, swap (the engine
// takes the side to move), help, quit. The person plays Black (X, first) unless they swap.
//
// Thread-safety: one thread drives run().
#pragma once

#include <iosfwd>
#include <optional>
#include <string>

#include "engine/play/session.h"
#include "engine/config/options.h"

namespace hearth {

// A move typed by a person on a size x size board; nullopt with *error set ("'z9' is off the
// 15x15 board", "cannot read 'foo' as a move") otherwise. Does not check that the square is empty.
std::optional<Move> parse_human_move(const std::string& text, int size, std::string* error);
// "7,7 (h8)".
std::string human_move_name(Move m, int size);
// The board as the person sees it: column letters across the top and bottom, row numbers from 1
// down both sides (the way moves are typed: h8 is column h, row 8), X and O, the last move in [ ].
std::string board_picture(const Board& board);

class TerminalPlay {
 public:
  TerminalPlay(Settings settings, std::istream& in, std::ostream& out);
  // Plays until quit or end of input; 0, or 1 if no game could be started (evaluator error).
  int run();

 private:
  void engine_move();
  void show_board();
  void show_help();
  SearchLimits limits_for_move() const;

  Settings settings_;
  std::istream& in_;
  std::ostream& out_;
  EngineSession session_;
  Stone engine_side_ = Stone::White;
  int64_t engine_used_ms_ = 0;
};

}  // namespace hearth
