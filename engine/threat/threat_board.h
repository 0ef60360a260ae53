// ThreatBoard: a Gomoku board that keeps, for every empty square and both colours, the line
// pattern a stone there would make in each of the 4 directions (engine/threat/patterns.h) and the
// square's class over the four lines, and per colour and class the set of squares, so that
// "every square where Black makes a four" is a few word scans.
//
// Incremental: play/undo touch only the squares within distance 5 on the 4 lines through the
// stone (a 20-bit window key per square and direction is XOR-updated, then looked up).
// Zobrist hash: hearth::Board's own keys (zobrist(), engine/game/board.h), so
// hash() equals Board::hash() for the same stones and side to move (tests check it); pass()
// toggles the side-to-move key like a move would.
//
// Thread-safety: a plain value (about 25 KB); one per thread. Concurrent const access is fine.
#pragma once

#include <cstdint>
#include <vector>

#include "engine/game/board.h"
#include "engine/threat/patterns.h"

namespace hearth::threat {

// Squares of one board as bits, indexed by Move (y * size + x).
struct MoveSet {
  static constexpr int kWords = (Board::kMaxCells + 63) / 64;
  uint64_t w[kWords] = {};
  void set(Move m) { w[m >> 6] |= uint64_t{1} << (m & 63); }
  void reset(Move m) { w[m >> 6] &= ~(uint64_t{1} << (m & 63)); }
  bool test(Move m) const { return (w[m >> 6] >> (m & 63)) & 1; }
  bool empty() const {
    uint64_t any = 0;
    for (uint64_t x : w) any |= x;
    return any == 0;
  }
  int count() const {
    int n = 0;
    for (uint64_t x : w) n += __builtin_popcountll(x);
    return n;
  }
  MoveSet& operator|=(const MoveSet& o) {
    for (int i = 0; i < kWords; ++i) w[i] |= o.w[i];
    return *this;
  }
  MoveSet& operator&=(const MoveSet& o) {
    for (int i = 0; i < kWords; ++i) w[i] &= o.w[i];
    return *this;
  }
  // Calls f(Move) for each member, ascending.
  template <class F>
  void for_each(F f) const {
    for (int i = 0; i < kWords; ++i)
      for (uint64_t x = w[i]; x; x &= x - 1) f(static_cast<Move>(i * 64 + __builtin_ctzll(x)));
  }
  Move first() const {
    for (int i = 0; i < kWords; ++i)
      if (w[i]) return static_cast<Move>(i * 64 + __builtin_ctzll(w[i]));
    return kNoMove;
  }
};

class ThreatBoard {
 public:
  // Direction d: 0 horizontal (+x), 1 vertical (+y), 2 diagonal (+x+y), 3 anti-diagonal (-x+y).
  static constexpr int kDirs = 4;

  // The stones, side to move and rule of `board` (its outcome is not looked at: a board with a
  // five on it gives a ThreatBoard on which the searches have nothing to do).
  explicit ThreatBoard(const Board& board);

  int size() const { return size_; }
  Rule rule() const { return rule_; }
  Stone to_move() const { return to_move_; }
  int stones() const { return stones_; }
  uint64_t hash() const { return hash_; }
  Move move_at(int x, int y) const { return y * size_ + x; }
  int x_of(Move m) const { return m % size_; }
  int y_of(Move m) const { return m / size_; }
  bool on_board(int x, int y) const { return x >= 0 && y >= 0 && x < size_ && y < size_; }
  Stone at(Move m) const { return static_cast<Stone>(state_[pad_[m]]); }
  // The moves played or passed (kNoMove) since construction, oldest first.
  const std::vector<Move>& line() const { return played_; }

  // The side to move puts a stone on the empty square m. Precondition: at(m) == Empty.
  void play(Move m);
  // The side to move passes (for "what if the opponent moved now").
  void pass();
  // Takes back the last play or pass since construction.
  void undo();

  // What a stone of `who` on the empty square m would make in direction d.
  LinePattern pattern(Move m, Stone who, int d) const {
    return static_cast<LinePattern>((pats_[ci(who)][pad_[m]] >> (4 * d)) & 15);
  }
  // Its class over the four lines; None on an occupied square.
  CellClass cell_class(Move m, Stone who) const { return static_cast<CellClass>(cls_[ci(who)][pad_[m]]); }
  // The empty squares where `who` has class c.
  const MoveSet& squares(Stone who, CellClass c) const { return sets_[ci(who)][static_cast<int>(c)]; }
  int count(Stone who, CellClass c) const { return counts_[ci(who)][static_cast<int>(c)]; }
  // Squares where `who` would make a five now (and how many).
  int fives(Stone who) const { return count(who, CellClass::Five); }
  // Squares where `who` would make a four or better (B4, B4F3, Flex4, Five).
  MoveSet fours(Stone who) const;
  // Squares where `who` would make an open three but no four (F3, F3x2).
  MoveSet threes(Stone who) const;

 private:
  static int ci(Stone s) { return s == Stone::White ? 1 : 0; }
  void set_stone(int p, uint8_t value);  // value 1/2 places, 0 removes; updates the 40 squares
  void refresh(int p);                   // patterns and class of square p from its keys
  void refresh_dir(int p, int d);        // the same for an empty square whose key d alone changed
  void set_class(int c, int p, uint8_t cls);

  static constexpr int kPad = 5, kWidth = 32;
  static constexpr int kPadCells = kWidth * kWidth;
  static constexpr int kStep[kDirs] = {1, kWidth, kWidth + 1, kWidth - 1};

  int size_;
  Rule rule_;
  Stone to_move_;
  int stones_ = 0;
  uint64_t hash_;
  const uint8_t* table_;
  const uint8_t* class_table_;  // classify_cell's table
  std::vector<Move> played_;
  std::vector<Stone> played_by_;
  int16_t pad_[Board::kMaxCells];     // Move -> padded index
  int16_t move_[kPadCells];           // padded index -> Move (-1 off board)
  uint8_t state_[kPadCells];          // 0 empty, 1 black, 2 white, 3 off board
  uint32_t key_[kPadCells][kDirs];    // window keys, Black's view (own = 1)
  uint16_t pats_[2][kPadCells];       // 4 line patterns per colour
  uint8_t cls_[2][kPadCells];         // CellClass per colour
  MoveSet sets_[2][kNumCellClasses];  // squares per colour and class (None is not kept)
  int counts_[2][kNumCellClasses];
};

}  // namespace hearth::threat
