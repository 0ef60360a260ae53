#include "engine/tournament/openings.h"
#include "engine/util/text.h"

#include <algorithm>
#include <charconv>
#include <fstream>
#include <set>
#include <sstream>
#include <stdexcept>

namespace hearth {
namespace {

std::string square_text(int x, int y) { return std::to_string(x) + "," + std::to_string(y); }

// The reason `moves` cannot open a game on this board, or "" if it can.
std::string check_moves(const std::vector<std::pair<int, int>>& squares, int size, Rule rule, std::vector<Move>* out) {
  Board board(size, rule);
  for (size_t i = 0; i < squares.size(); ++i) {
    const auto [x, y] = squares[i];
    const std::string at = "move " + std::to_string(i + 1) + " (" + square_text(x, y) + ")";
    if (!board.on_board(x, y))
      return at + " is off the " + std::to_string(size) + "x" + std::to_string(size) + " board";
    const Move m = board.move_at(x, y);
    if (board.at(m) != Stone::Empty) return at + " is on a square already played";
    if (board.is_over()) return at + " comes after the game is already decided";
    board.play(m);
    out->push_back(m);
  }
  if (board.is_over())
    return board.outcome() == Outcome::Draw ? "the opening fills the board" : "the opening already has five in a row";
  return "";
}

// Splits one line into x,y pairs; "" or the reason it cannot.
std::string parse_line(std::string line, std::vector<std::pair<int, int>>* squares) {
  line = line.substr(0, line.find('#'));
  std::replace(line.begin(), line.end(), ';', ' ');
  std::replace(line.begin(), line.end(), '\t', ' ');
  // "7, 7" and "7 ,7" are one pair: drop the spaces around commas.
  std::string packed;
  for (size_t i = 0; i < line.size(); ++i) {
    if (line[i] == ' ') {
      const size_t next = line.find_first_not_of(' ', i);
      const bool before_comma = next != std::string::npos && line[next] == ',';
      const bool after_comma = !packed.empty() && packed.back() == ',';
      if (before_comma || after_comma) continue;
    }
    packed += line[i];
  }
  std::istringstream tokens(packed);
  for (std::string token; tokens >> token;) {
    const size_t comma = token.find(',');
    int x = 0, y = 0;
    if (comma == std::string::npos || !parse_int(token.substr(0, comma), &x) || !parse_int(token.substr(comma + 1), &y))
      return "'" + token + "' is not an x,y pair";
    squares->emplace_back(x, y);
  }
  return "";
}

// Neither side can make five with one more stone.
bool is_quiet(const Board& board) {
  for (Move m : board.legal_moves())
    if (board.wins_at(m, Stone::Black) || board.wins_at(m, Stone::White)) return false;
  return true;
}

}  // namespace

uint64_t splitmix64_next(uint64_t* state) {
  uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

uint64_t mix_seed(uint64_t a, uint64_t b, uint64_t c) {
  uint64_t state = a;
  uint64_t h = splitmix64_next(&state);
  state = h ^ b;
  h = splitmix64_next(&state);
  state = h ^ c;
  return splitmix64_next(&state);
}

std::vector<Opening> parse_openings(std::istream& in, const std::string& name, int size, Rule rule) {
  std::vector<Opening> openings;
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    const std::string where = name + " line " + std::to_string(number);
    std::vector<std::pair<int, int>> squares;
    std::string error = parse_line(line, &squares);
    if (!error.empty()) throw std::invalid_argument("openings file " + where + ": " + error);
    if (squares.empty()) continue;
    Opening opening;
    opening.source = where;
    error = check_moves(squares, size, rule, &opening.moves);
    if (!error.empty()) throw std::invalid_argument("openings file " + where + ": " + error);
    openings.push_back(std::move(opening));
  }
  if (openings.empty()) throw std::invalid_argument("openings file " + name + " has no openings");
  return openings;
}

std::vector<Opening> read_openings_file(const std::string& path, int size, Rule rule) {
  std::ifstream in(path);
  if (!in) throw std::invalid_argument("cannot read openings file '" + path + "'");
  return parse_openings(in, path, size, rule);
}

std::vector<Opening> random_openings(int count, int stones, int size, Rule rule, uint64_t seed) {
  if (stones < 0 || stones % 2 != 0)
    throw std::invalid_argument("random openings need an even number of stones, not " + std::to_string(stones));
  // Near the centre: a square that grows with the stone count.
  const int radius = std::min(size / 2, 2 + stones / 4);
  const int c = size / 2;
  const int lo = std::max(0, c - radius), hi = std::min(size - 1, c + radius);
  const int area = (hi - lo + 1) * (hi - lo + 1);
  if (stones > area / 2)
    throw std::invalid_argument(std::to_string(stones) + " opening stones do not fit the " + std::to_string(hi - lo + 1) +
                                "x" + std::to_string(hi - lo + 1) + " centre of a " + std::to_string(size) + "x" +
                                std::to_string(size) + " board");
  uint64_t state = mix_seed(seed, static_cast<uint64_t>(size), static_cast<uint64_t>(stones));
  std::vector<Opening> openings;
  std::set<std::pair<std::vector<Move>, std::vector<Move>>> seen;  // (black stones, white stones), sorted
  const int attempts_for_distinct = 200 * std::max(1, count);
  const int max_attempts = attempts_for_distinct + 2000;
  for (int attempt = 0; static_cast<int>(openings.size()) < count; ++attempt) {
    if (attempt >= max_attempts)
      throw std::invalid_argument("cannot find quiet random openings of " + std::to_string(stones) + " stones on a " +
                                  std::to_string(size) + "x" + std::to_string(size) + " board; use fewer stones");
    Board board(size, rule);
    int tries = 0;
    while (board.move_count() < stones && tries++ < 100 * (stones + 1)) {
      const int span = hi - lo + 1;
      const int x = lo + static_cast<int>(splitmix64_next(&state) % static_cast<uint64_t>(span));
      const int y = lo + static_cast<int>(splitmix64_next(&state) % static_cast<uint64_t>(span));
      const Move m = board.move_at(x, y);
      if (!board.is_legal(m) || board.wins_at(m, board.to_move())) continue;
      board.play(m);
    }
    if (board.move_count() < stones || board.is_over() || !is_quiet(board)) continue;
    std::vector<Move> black, white;
    for (int i = 0; i < board.move_count(); ++i) (i % 2 == 0 ? black : white).push_back(board.history()[i]);
    std::sort(black.begin(), black.end());
    std::sort(white.begin(), white.end());
    // Repeats are allowed only once the area has shown it cannot give more distinct openings.
    if (!seen.insert({black, white}).second && attempt < attempts_for_distinct) continue;
    Opening opening;
    opening.moves = board.history();
    opening.source = "random opening " + std::to_string(openings.size() + 1);
    openings.push_back(std::move(opening));
  }
  return openings;
}

Board opening_board(const Opening& opening, int size, Rule rule) {
  Board board(size, rule);
  for (Move m : opening.moves) board.play(m);
  return board;
}

std::string moves_text(const std::vector<Move>& moves, int size) {
  std::string out;
  for (Move m : moves) {
    if (!out.empty()) out += ' ';
    out += square_text(m % size, m / size);
  }
  return out;
}

}  // namespace hearth
