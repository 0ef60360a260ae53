// Gomoku rules on a square board: moves, incremental win detection, draws, zobrist hashing.
// A Board is a plain value: copy it freely. Not thread-safe for concurrent mutation; concurrent
// const access is fine.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace hearth {

enum class Rule { Freestyle, Standard };  // freestyle: five or more wins; standard: exactly five

// Parses "freestyle"/"standard" (or the Gomocup numbers 0/1). Anything else, renju (4) included,
// returns nullopt and sets *error to a message naming the value.
std::optional<Rule> parse_rule(const std::string& text, std::string* error);
const char* rule_name(Rule rule);

enum class Stone : uint8_t { Empty = 0, Black = 1, White = 2 };  // Black moves first
inline Stone opponent(Stone s) { return s == Stone::Black ? Stone::White : Stone::Black; }

enum class Outcome : uint8_t { Ongoing, BlackWin, WhiteWin, Draw };

using Move = int;  // y * size + x
constexpr Move kNoMove = -1;

// Zobrist keys from a fixed seed (splitmix64) so hashes are the same in every process, which
// keeps cached evaluations and logs comparable between runs. Board::hash() uses them, and so does
// anything that must hash equal to it (engine/threat's ThreatBoard). Built once: thread-safe.
struct ZobristTable {
  static constexpr int kCells = 22 * 22;  // Board::kMaxCells
  std::array<std::array<uint64_t, kCells>, 2> stone{};  // [Black, White][move]
  uint64_t white_to_move = 0;
  std::array<uint64_t, kCells + 1> last_move{};  // eval_key(): [kCells] is "no last move"
  ZobristTable();
};
const ZobristTable& zobrist();

class Board {
 public:
  static constexpr int kMinSize = 5;
  static constexpr int kMaxSize = 22;
  static constexpr int kMaxCells = kMaxSize * kMaxSize;
  static_assert(kMaxCells == ZobristTable::kCells, "one key per cell");

  // Throws std::invalid_argument for a size outside [kMinSize, kMaxSize].
  explicit Board(int size = 15, Rule rule = Rule::Freestyle);

  int size() const { return size_; }
  int cells() const { return size_ * size_; }
  Rule rule() const { return rule_; }
  Move move_at(int x, int y) const { return y * size_ + x; }
  int x_of(Move m) const { return m % size_; }
  int y_of(Move m) const { return m / size_; }
  bool on_board(int x, int y) const { return x >= 0 && y >= 0 && x < size_ && y < size_; }

  Stone at(Move m) const { return cells_[m]; }
  Stone at(int x, int y) const { return cells_[move_at(x, y)]; }
  Stone to_move() const { return (history_.size() % 2 == 0) ? Stone::Black : Stone::White; }
  int move_count() const { return static_cast<int>(history_.size()); }
  Move last_move() const { return history_.empty() ? kNoMove : history_.back(); }
  const std::vector<Move>& history() const { return history_; }

  Outcome outcome() const { return outcome_; }
  bool is_over() const { return outcome_ != Outcome::Ongoing; }
  // True when `m` is on the board, empty, and the game is not over.
  bool is_legal(Move m) const;
  std::vector<Move> legal_moves() const;

  // Plays a legal move (precondition: is_legal(m)) for the side to move.
  void play(Move m);
  // Takes back the last move; no-op on an empty history.
  void undo();
  // True if the side to move would win at once by playing m (m must be legal).
  bool wins_at(Move m, Stone who) const;

  // Zobrist hash of the stones and the side to move. Equal positions hash equal whatever the
  // move order.
  uint64_t hash() const { return hash_; }
  // Key for evaluation caches: the hash plus the last move, which the network input shows.
  uint64_t eval_key() const;

  // Human-readable board: '.', 'X' (black), 'O' (white), with column/row labels.
  std::string to_string() const;

 private:
  // Length of the line through m in direction (dx,dy) of stones of colour `who`, m counted as
  // `who` whatever it holds.
  int line_length(Move m, int dx, int dy, Stone who) const;
  bool makes_win(Move m, Stone who) const;

  int size_;
  Rule rule_;
  std::vector<Stone> cells_;
  std::vector<Move> history_;
  Outcome outcome_ = Outcome::Ongoing;
  uint64_t hash_;
};

}  // namespace hearth
