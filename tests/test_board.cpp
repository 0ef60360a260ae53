// Rules and encoding: edges, overlines, diagonals, draws, hashing, undo, planes.
#include <doctest/doctest.h>

#include <set>
#include <stdexcept>

#include "engine/game/board.h"
#include "engine/game/encoding.h"

using namespace hearth;

namespace {
// Plays alternating moves given as (x,y) pairs; Black's moves at even indices.
void play_all(Board& b, std::initializer_list<std::pair<int, int>> moves) {
  for (auto [x, y] : moves) {
    REQUIRE(b.is_legal(b.move_at(x, y)));
    b.play(b.move_at(x, y));
  }
}
// Black plays the given squares; White answers on every other square of the bottom rows, so
// White never makes a line of five.
void black_line(Board& b, std::initializer_list<std::pair<int, int>> black) {
  int k = 0;
  for (auto [x, y] : black) {
    b.play(b.move_at(x, y));
    if (b.is_over()) return;
    Move w;
    do {
      const int slot = 2 * k++;
      w = b.move_at(slot % b.size(), b.size() - 1 - 2 * (slot / b.size()));
    } while (b.at(w) != Stone::Empty);
    b.play(w);
  }
}
}  // namespace

TEST_CASE("board sizes: 5..22 accepted, others rejected") {
  CHECK_NOTHROW(Board(5));
  CHECK_NOTHROW(Board(15));
  CHECK_NOTHROW(Board(20));
  CHECK_NOTHROW(Board(22));
  CHECK_THROWS_AS(Board(4), std::invalid_argument);
  CHECK_THROWS_AS(Board(23), std::invalid_argument);
}

TEST_CASE("rule parsing: renju is a clear error, not freestyle") {
  std::string err;
  CHECK(parse_rule("freestyle", &err) == Rule::Freestyle);
  CHECK(parse_rule("1", &err) == Rule::Standard);
  CHECK_FALSE(parse_rule("renju", &err).has_value());
  CHECK(err.find("renju") != std::string::npos);
  CHECK_FALSE(parse_rule("chess", &err).has_value());
  CHECK(err.find("chess") != std::string::npos);
}

TEST_CASE("five in a row wins in every direction, also along edges") {
  struct Case { const char* name; std::initializer_list<std::pair<int, int>> line; };
  const Case cases[] = {
      {"horizontal top edge", {{0, 0}, {1, 0}, {2, 0}, {3, 0}, {4, 0}}},
      {"vertical right edge", {{14, 3}, {14, 4}, {14, 5}, {14, 6}, {14, 7}}},
      {"diagonal", {{2, 2}, {3, 3}, {4, 4}, {5, 5}, {6, 6}}},
      {"anti-diagonal to corner", {{14, 0}, {13, 1}, {12, 2}, {11, 3}, {10, 4}}},
  };
  for (const auto& c : cases) {
    CAPTURE(c.name);
    Board b(15);
    black_line(b, c.line);
    CHECK(b.outcome() == Outcome::BlackWin);
    CHECK(b.is_over());
    CHECK(b.legal_moves().empty());
  }
}

TEST_CASE("four is not a win; a gap is not a five") {
  Board b(15);
  black_line(b, {{0, 5}, {1, 5}, {2, 5}, {3, 5}, {5, 5}});
  CHECK(b.outcome() == Outcome::Ongoing);
}

TEST_CASE("overline: wins in freestyle, not in standard") {
  for (Rule rule : {Rule::Freestyle, Rule::Standard}) {
    Board b(15, rule);
    // X X . X X X  then filling the gap makes six.
    black_line(b, {{0, 3}, {1, 3}, {3, 3}, {4, 3}, {5, 3}});
    REQUIRE(b.outcome() == Outcome::Ongoing);
    b.play(b.move_at(2, 3));
    CHECK(b.outcome() == (rule == Rule::Freestyle ? Outcome::BlackWin : Outcome::Ongoing));
  }
}

TEST_CASE("standard: exactly five wins even when another line through the move is an overline") {
  Board b(15, Rule::Standard);
  // Horizontal: X X . X X X (filling (2,3) makes six); vertical through (2,3): four above.
  black_line(b, {{0, 3}, {1, 3}, {3, 3}, {4, 3}, {5, 3}, {2, 4}, {2, 5}, {2, 6}, {2, 7}});
  REQUIRE(b.outcome() == Outcome::Ongoing);
  b.play(b.move_at(2, 3));
  CHECK(b.outcome() == Outcome::BlackWin);
}

TEST_CASE("white wins are credited to white") {
  Board b(15);
  play_all(b, {{0, 0}, {5, 5}, {0, 2}, {6, 5}, {0, 4}, {7, 5}, {0, 6}, {8, 5}, {0, 8}, {9, 5}});
  CHECK(b.outcome() == Outcome::WhiteWin);
}

TEST_CASE("full board without five is a draw") {
  Board b(5);
  // Columns filled in the pattern that never gives five: rows alternate blocks so no line has 5.
  const int pattern[5][5] = {{1, 1, 2, 2, 1}, {2, 2, 1, 1, 2}, {1, 1, 2, 2, 1}, {2, 2, 1, 1, 2}, {1, 1, 2, 2, 1}};
  std::vector<Move> black, white;
  for (int y = 0; y < 5; ++y)
    for (int x = 0; x < 5; ++x) (pattern[y][x] == 1 ? black : white).push_back(b.move_at(x, y));
  REQUIRE(black.size() == 13);
  REQUIRE(white.size() == 12);
  for (size_t i = 0; i < 25; ++i) {
    REQUIRE(b.outcome() == Outcome::Ongoing);
    b.play(i % 2 == 0 ? black[i / 2] : white[i / 2]);
  }
  CHECK(b.outcome() == Outcome::Draw);
}

TEST_CASE("legal moves and occupied squares") {
  Board b(15);
  CHECK(b.legal_moves().size() == 225);
  b.play(b.move_at(7, 7));
  CHECK_FALSE(b.is_legal(b.move_at(7, 7)));
  CHECK_FALSE(b.is_legal(-1));
  CHECK_FALSE(b.is_legal(225));
  CHECK(b.legal_moves().size() == 224);
  CHECK(b.to_move() == Stone::White);
}

TEST_CASE("zobrist: transpositions hash equal, undo restores, side to move matters") {
  Board a(15), b(15);
  play_all(a, {{1, 1}, {2, 2}, {3, 3}});
  play_all(b, {{3, 3}, {2, 2}, {1, 1}});
  CHECK(a.hash() == b.hash());
  CHECK(a.eval_key() != b.eval_key());  // different last move: different network input
  const uint64_t before = a.hash();
  a.play(a.move_at(9, 9));
  CHECK(a.hash() != before);
  a.undo();
  CHECK(a.hash() == before);
  Board empty(15);
  Board one(15);
  one.play(one.move_at(0, 0));
  one.undo();
  CHECK(one.hash() == empty.hash());
  std::set<uint64_t> seen;
  for (Move m = 0; m < 225; ++m) {
    Board c(15);
    c.play(m);
    seen.insert(c.hash());
  }
  CHECK(seen.size() == 225);
}

TEST_CASE("undo after a win reopens the game") {
  Board b(15);
  black_line(b, {{0, 0}, {1, 0}, {2, 0}, {3, 0}, {4, 0}});
  REQUIRE(b.is_over());
  b.undo();
  CHECK_FALSE(b.is_over());
  CHECK(b.is_legal(b.move_at(4, 0)));
}

TEST_CASE("encoding: planes from the side to move's view") {
  Board b(15);
  std::vector<float> planes(input_floats(15));
  encode(b, planes.data());
  for (int i = 0; i < 3 * 225; ++i) REQUIRE(planes[i] == 0.0f);
  for (int i = 3 * 225; i < 4 * 225; ++i) REQUIRE(planes[i] == 1.0f);  // Black to move

  b.play(b.move_at(3, 4));  // Black at x=3,y=4 -> index 4*15+3 = 63
  encode(b, planes.data());
  CHECK(planes[0 * 225 + 63] == 0.0f);  // not the side to move's stone
  CHECK(planes[1 * 225 + 63] == 1.0f);  // opponent's stone
  CHECK(planes[2 * 225 + 63] == 1.0f);  // last move
  CHECK(planes[3 * 225 + 0] == 0.0f);   // White to move
  float sum2 = 0;
  for (int i = 0; i < 225; ++i) sum2 += planes[2 * 225 + i];
  CHECK(sum2 == 1.0f);

  b.play(b.move_at(10, 0));  // White at index 10
  encode(b, planes.data());
  CHECK(planes[0 * 225 + 63] == 1.0f);
  CHECK(planes[1 * 225 + 10] == 1.0f);
  CHECK(planes[2 * 225 + 10] == 1.0f);
  CHECK(planes[2 * 225 + 63] == 0.0f);
  CHECK(planes[3 * 225 + 100] == 1.0f);
}
