#include "engine/threat/threat_board.h"

#include <array>
#include <cstring>

namespace hearth::threat {

constexpr int ThreatBoard::kStep[ThreatBoard::kDirs];

ThreatBoard::ThreatBoard(const Board& board)
    : size_(board.size()),
      rule_(board.rule()),
      to_move_(board.to_move()),
      hash_(board.hash()),
      table_(pattern_table(board.rule())),
      class_table_(cell_class_table()) {
  zobrist();  // build the keys now, not inside a timed search
  std::memset(state_, 3, sizeof state_);
  std::memset(move_, 0xFF, sizeof move_);
  std::memset(key_, 0, sizeof key_);
  std::memset(pats_, 0, sizeof pats_);
  std::memset(cls_, 0, sizeof cls_);
  std::memset(counts_, 0, sizeof counts_);
  for (int y = 0; y < size_; ++y)
    for (int x = 0; x < size_; ++x) {
      const int p = (y + kPad) * kWidth + (x + kPad);
      const Move m = y * size_ + x;
      pad_[m] = static_cast<int16_t>(p);
      move_[p] = static_cast<int16_t>(m);
      state_[p] = static_cast<uint8_t>(board.at(m));
      if (board.at(m) != Stone::Empty) ++stones_;
    }
  for (int y = 0; y < size_; ++y)
    for (int x = 0; x < size_; ++x) {
      const int p = pad_[y * size_ + x];
      for (int d = 0; d < kDirs; ++d) {
        uint32_t key = 0;
        for (int k = 1; k <= 5; ++k) {
          key |= static_cast<uint32_t>(state_[p + k * kStep[d]]) << field_shift(k);
          key |= static_cast<uint32_t>(state_[p - k * kStep[d]]) << field_shift(-k);
        }
        key_[p][d] = key;
      }
      if (state_[p] == 0) refresh(p);
    }
  played_.reserve(64);
  played_by_.reserve(64);
}

void ThreatBoard::refresh(int p) {
  for (int c = 0; c < 2; ++c) {
    uint16_t pats = 0;
    if (state_[p] == 0) {
      for (int d = 0; d < kDirs; ++d) {
        const uint32_t key = c == 0 ? key_[p][d] : swap_colours(key_[p][d]);
        pats |= static_cast<uint16_t>(table_[key] << (4 * d));
      }
    }
    pats_[c][p] = pats;
    set_class(c, p, state_[p] == 0 ? class_table_[pats] : static_cast<uint8_t>(CellClass::None));
  }
}

inline void ThreatBoard::set_class(int c, int p, uint8_t cls) {
  const uint8_t old = cls_[c][p];
  if (cls == old) return;
  const Move m = move_[p];
  if (old) { sets_[c][old].reset(m); --counts_[c][old]; }
  if (cls) { sets_[c][cls].set(m); ++counts_[c][cls]; }
  cls_[c][p] = cls;
}

// A stone one to five squares away along direction d changed: only that line's pattern moves.
inline void ThreatBoard::refresh_dir(int p, int d) {
  const uint32_t key = key_[p][d];
  const uint16_t mask = static_cast<uint16_t>(~(15u << (4 * d)));
  const auto black = static_cast<uint16_t>((pats_[0][p] & mask) | (table_[key] << (4 * d)));
  const auto white = static_cast<uint16_t>((pats_[1][p] & mask) | (table_[swap_colours(key)] << (4 * d)));
  pats_[0][p] = black;
  pats_[1][p] = white;
  set_class(0, p, class_table_[black]);
  set_class(1, p, class_table_[white]);
}

void ThreatBoard::set_stone(int p, uint8_t value) {
  const uint8_t delta = value ? value : state_[p];
  state_[p] = value;
  for (int d = 0; d < kDirs; ++d) {
    const int step = kStep[d];
    for (int k = 1; k <= 5; ++k) {
      const int q = p + k * step;
      if (state_[q] == 3) break;
      key_[q][d] ^= static_cast<uint32_t>(delta) << field_shift(-k);
      if (state_[q] == 0) refresh_dir(q, d);
    }
    for (int k = 1; k <= 5; ++k) {
      const int q = p - k * step;
      if (state_[q] == 3) break;
      key_[q][d] ^= static_cast<uint32_t>(delta) << field_shift(k);
      if (state_[q] == 0) refresh_dir(q, d);
    }
  }
  refresh(p);
}

void ThreatBoard::play(Move m) {
  const Stone who = to_move_;
  const auto& z = zobrist();
  set_stone(pad_[m], static_cast<uint8_t>(who));
  hash_ ^= z.stone[who == Stone::Black ? 0 : 1][m] ^ z.white_to_move;
  ++stones_;
  played_.push_back(m);
  played_by_.push_back(who);
  to_move_ = opponent(who);
}

void ThreatBoard::pass() {
  hash_ ^= zobrist().white_to_move;
  played_.push_back(kNoMove);
  played_by_.push_back(to_move_);
  to_move_ = opponent(to_move_);
}

void ThreatBoard::undo() {
  if (played_.empty()) return;
  const Move m = played_.back();
  const Stone who = played_by_.back();
  played_.pop_back();
  played_by_.pop_back();
  to_move_ = who;
  const auto& z = zobrist();
  hash_ ^= z.white_to_move;
  if (m == kNoMove) return;
  hash_ ^= z.stone[who == Stone::Black ? 0 : 1][m];
  --stones_;
  set_stone(pad_[m], 0);
}

MoveSet ThreatBoard::fours(Stone who) const {
  const int c = ci(who);
  MoveSet s = sets_[c][static_cast<int>(CellClass::B4)];
  s |= sets_[c][static_cast<int>(CellClass::B4F3)];
  s |= sets_[c][static_cast<int>(CellClass::Flex4)];
  s |= sets_[c][static_cast<int>(CellClass::Five)];
  return s;
}

MoveSet ThreatBoard::threes(Stone who) const {
  const int c = ci(who);
  MoveSet s = sets_[c][static_cast<int>(CellClass::F3)];
  s |= sets_[c][static_cast<int>(CellClass::F3x2)];
  return s;
}

}  // namespace hearth::threat
