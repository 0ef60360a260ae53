#include "engine/game/board.h"

#include <array>
#include <stdexcept>

namespace hearth {

ZobristTable::ZobristTable() {
  uint64_t s = 0x9E3779B97F4A7C15ull;
  auto next = [&s] {
    uint64_t z = (s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  };
  for (auto& colour : stone)
    for (auto& k : colour) k = next();
  white_to_move = next();
  for (auto& k : last_move) k = next();
}

const ZobristTable& zobrist() {
  static const ZobristTable table;
  return table;
}

std::optional<Rule> parse_rule(const std::string& text, std::string* error) {
  if (text == "freestyle" || text == "0") return Rule::Freestyle;
  if (text == "standard" || text == "exact5" || text == "1") return Rule::Standard;
  if (error) {
    if (text == "renju" || text == "4")
      *error = "rule 'renju' is not supported yet (supported: freestyle, standard)";
    else
      *error = "unknown rule '" + text + "' (supported: freestyle, standard)";
  }
  return std::nullopt;
}

const char* rule_name(Rule rule) { return rule == Rule::Freestyle ? "freestyle" : "standard"; }

Board::Board(int size, Rule rule) : size_(size), rule_(rule), hash_(0) {
  if (size < kMinSize || size > kMaxSize)
    throw std::invalid_argument("board size " + std::to_string(size) + " is outside " +
                                std::to_string(kMinSize) + ".." + std::to_string(kMaxSize));
  cells_.assign(static_cast<size_t>(size * size), Stone::Empty);
  history_.reserve(static_cast<size_t>(size * size));
}

bool Board::is_legal(Move m) const {
  return m >= 0 && m < cells() && cells_[m] == Stone::Empty && outcome_ == Outcome::Ongoing;
}

std::vector<Move> Board::legal_moves() const {
  std::vector<Move> moves;
  if (is_over()) return moves;
  moves.reserve(cells() - history_.size());
  for (Move m = 0; m < cells(); ++m)
    if (cells_[m] == Stone::Empty) moves.push_back(m);
  return moves;
}

int Board::line_length(Move m, int dx, int dy, Stone who) const {
  const int x0 = x_of(m), y0 = y_of(m);
  int n = 1;
  for (int x = x0 + dx, y = y0 + dy; on_board(x, y) && at(x, y) == who; x += dx, y += dy) ++n;
  for (int x = x0 - dx, y = y0 - dy; on_board(x, y) && at(x, y) == who; x -= dx, y -= dy) ++n;
  return n;
}

bool Board::makes_win(Move m, Stone who) const {
  static constexpr int kDirs[4][2] = {{1, 0}, {0, 1}, {1, 1}, {1, -1}};
  for (const auto& d : kDirs) {
    const int n = line_length(m, d[0], d[1], who);
    if (rule_ == Rule::Freestyle ? n >= 5 : n == 5) return true;
  }
  return false;
}

bool Board::wins_at(Move m, Stone who) const { return makes_win(m, who); }

void Board::play(Move m) {
  const Stone who = to_move();
  const auto& z = zobrist();
  cells_[m] = who;
  hash_ ^= z.stone[who == Stone::Black ? 0 : 1][m] ^ z.white_to_move;
  history_.push_back(m);
  if (makes_win(m, who))
    outcome_ = who == Stone::Black ? Outcome::BlackWin : Outcome::WhiteWin;
  else if (static_cast<int>(history_.size()) == cells())
    outcome_ = Outcome::Draw;
}

void Board::undo() {
  if (history_.empty()) return;
  const Move m = history_.back();
  history_.pop_back();
  const Stone who = to_move();  // the side that played m
  const auto& z = zobrist();
  cells_[m] = Stone::Empty;
  hash_ ^= z.stone[who == Stone::Black ? 0 : 1][m] ^ z.white_to_move;
  outcome_ = Outcome::Ongoing;  // the position before m was ongoing, or m would be illegal
}

uint64_t Board::eval_key() const {
  const Move last = last_move();
  return hash_ ^ zobrist().last_move[last == kNoMove ? kMaxCells : last];
}

std::string Board::to_string() const {
  std::string s = "   ";
  for (int x = 0; x < size_; ++x) s += (x < 10 ? " " : "") + std::to_string(x) + " ";
  s += "\n";
  const Move last = last_move();
  for (int y = 0; y < size_; ++y) {
    s += (y < 10 ? " " : "") + std::to_string(y) + " ";
    for (int x = 0; x < size_; ++x) {
      const Stone st = at(x, y);
      const char c = st == Stone::Black ? 'X' : st == Stone::White ? 'O' : '.';
      const bool is_last = move_at(x, y) == last;
      s += is_last ? '[' : ' ';
      s += c;
      s += is_last ? ']' : ' ';
    }
    s += "\n";
  }
  return s;
}

}  // namespace hearth
