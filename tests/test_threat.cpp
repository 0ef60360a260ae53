// The threat searcher (engine/threat): line patterns on both rules, the incremental ThreatBoard,
// VCF (counter-fours included), VCT, defences, rule differences and limits.
#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "engine/game/board.h"
#include "engine/threat/patterns.h"
#include "engine/threat/solver.h"
#include "engine/threat/tactics.h"
#include "engine/threat/threat_board.h"

using namespace hearth;
using namespace hearth::threat;

namespace {

using XY = std::pair<int, int>;

// A position from two stone lists: Black's and White's moves are interleaved (Black first), so
// Black has as many stones as White (Black to move) or one more (White to move).
Board position(int size, Rule rule, const std::vector<XY>& black, const std::vector<XY>& white) {
  REQUIRE((black.size() == white.size() || black.size() == white.size() + 1));
  Board b(size, rule);
  for (size_t i = 0; i < black.size(); ++i) {
    REQUIRE(b.is_legal(b.move_at(black[i].first, black[i].second)));
    b.play(b.move_at(black[i].first, black[i].second));
    if (i < white.size()) {
      REQUIRE(b.is_legal(b.move_at(white[i].first, white[i].second)));
      b.play(b.move_at(white[i].first, white[i].second));
    }
  }
  REQUIRE_FALSE(b.is_over());
  return b;
}

Move at(const Board& b, int x, int y) { return b.move_at(x, y); }

// Five squares of `who` on a plain Board (rule-level, no pattern tables).
std::vector<Move> board_fives(const Board& b, Stone who) {
  std::vector<Move> out;
  for (Move m = 0; m < b.cells(); ++m)
    if (b.at(m) == Stone::Empty && b.wins_at(m, who)) out.push_back(m);
  return out;
}

// Checks a VCF main line on a plain Board, independently of the threat code: every attacker move
// but the last leaves exactly one five square, which the defender (having none of its own) must
// take; the last attacker move makes a five or two five squares the defender cannot both cover.
bool vcf_line_is_proof(Board b, const std::vector<Move>& line) {
  const Stone attacker = b.to_move(), defender = opponent(attacker);
  if (line.empty() || line.size() % 2 == 0) return false;
  for (size_t i = 0; i < line.size(); i += 2) {
    if (!board_fives(b, defender).empty() && i + 1 < line.size()) {
      // The attacker must be blocking the defender's only five square.
      const auto f = board_fives(b, defender);
      if (f.size() != 1 || f[0] != line[i]) return false;
    }
    if (!b.is_legal(line[i])) return false;
    b.play(line[i]);
    if (b.outcome() != Outcome::Ongoing) return i + 1 == line.size();
    const auto fives = board_fives(b, attacker);
    if (i + 1 == line.size()) return fives.size() >= 2 && board_fives(b, defender).empty();
    if (fives.size() != 1 || fives[0] != line[i + 1]) return false;
    if (!board_fives(b, defender).empty()) return false;  // the defender would win instead
    b.play(line[i + 1]);
  }
  return false;
}

// Naive VCF of at most k attacker moves on a plain Board: every empty square is tried as a four.
bool naive_vcf(Board& b, int k) {
  const Stone a = b.to_move(), d = opponent(a);
  if (!board_fives(b, a).empty()) return true;
  const auto theirs = board_fives(b, d);
  if (theirs.size() >= 2 || k == 0) return false;
  std::vector<Move> cands = theirs.empty() ? b.legal_moves() : theirs;
  for (Move c : cands) {
    b.play(c);
    bool win = false;
    if (!b.is_over()) {
      const auto mine = board_fives(b, a);
      if (mine.size() >= 2) win = true;
      else if (mine.size() == 1) {
        b.play(mine[0]);
        if (!b.is_over()) win = naive_vcf(b, k - 1);
        b.undo();
      }
    }
    b.undo();
    if (win) return true;
  }
  return false;
}

Board from_moves(int size, Rule rule, const std::string& text) {
  Tactic t;
  std::string error;
  REQUIRE_MESSAGE(parse_tactic("size=" + std::to_string(size) + " rule=" + rule_name(rule) + " to_move=" +
                                   (std::count(text.begin(), text.end(), ';') % 2 ? "black" : "white") +
                                   " kind=vcf answers=0,0 moves=" + text,
                               &t, &error),
                  error);
  return t.board();
}

Limits big() {
  Limits l;
  l.max_nodes = 20'000'000;
  l.max_depth = 8;
  return l;
}

}  // namespace

TEST_CASE("line patterns: fives, overlines and fours on both rules") {
  // 11-square windows: '?' the square asked about, X own, O other, . empty, # off the board.
  CHECK(pattern_of(Rule::Freestyle, ".XXXX?.....") == LinePattern::Five);
  CHECK(pattern_of(Rule::Standard, ".XXXX?.....") == LinePattern::Five);
  CHECK(pattern_of(Rule::Freestyle, "XXXXX?.....") == LinePattern::Five);
  CHECK(pattern_of(Rule::Standard, "XXXXX?.....") == LinePattern::Overline);
  CHECK(pattern_of(Rule::Standard, ".XXXX?X....") == LinePattern::Overline);
  // XXXX with an own stone beyond the gap: under standard filling the gap makes six.
  CHECK(pattern_of(Rule::Freestyle, ".OXXX?.X...") == LinePattern::B4);
  CHECK(pattern_of(Rule::Standard, ".OXXX?.X...") == LinePattern::None);
  // Open four, and one that an own stone two squares away turns into a four under standard.
  CHECK(pattern_of(Rule::Freestyle, "..XXX?.....") == LinePattern::F4);
  CHECK(pattern_of(Rule::Standard, "..XXX?.....") == LinePattern::F4);
  CHECK(pattern_of(Rule::Freestyle, "X.XXX?.....") == LinePattern::F4);
  CHECK(pattern_of(Rule::Standard, "X.XXX?.....") == LinePattern::B4);
  // Broken fours.
  CHECK(pattern_of(Rule::Freestyle, "..XX.?X....") == LinePattern::B4);   // XX.XX
  CHECK(pattern_of(Rule::Standard, "..XX.?X....") == LinePattern::B4);
  CHECK(pattern_of(Rule::Freestyle, "...X.?XX...") == LinePattern::B4);   // X.XXX
  CHECK(pattern_of(Rule::Freestyle, "....X?.XX..") == LinePattern::B4);   // XX.XX, the other side
  CHECK(pattern_of(Rule::Freestyle, ".OXXX?O....") == LinePattern::None); // dead four
  CHECK(pattern_of(Rule::Freestyle, "..OXX?X....") == LinePattern::B4);   // OXXXX.: one way
  // A double four in one line counts as open (two ways to five).
  CHECK(pattern_of(Rule::Freestyle, ".XXX.?.XXX.") == LinePattern::F4);
  CHECK(pattern_of(Rule::Standard, ".XXX.?.XXX.") == LinePattern::F4);
}

TEST_CASE("line patterns: threes, split threes, twos and board edges") {
  CHECK(pattern_of(Rule::Freestyle, "...XX?.....") == LinePattern::F3);
  CHECK(pattern_of(Rule::Freestyle, "...X.?X....") == LinePattern::F3);   // X.XX
  CHECK(pattern_of(Rule::Freestyle, "....X?.X...") == LinePattern::F3);   // XX.X
  CHECK(pattern_of(Rule::Freestyle, "..X..?X....") == LinePattern::B3);   // X..XX: fours only
  CHECK(pattern_of(Rule::Freestyle, "..OXX?.....") == LinePattern::B3);   // closed three
  CHECK(pattern_of(Rule::Freestyle, ".O.XX?.O...") == LinePattern::B3);   // .XXX. boxed in: no open four
  CHECK(pattern_of(Rule::Freestyle, "O..XX?..O..") == LinePattern::F3);
  // Standard: an own stone that would make the open four an overline on one side.
  CHECK(pattern_of(Rule::Freestyle, "X..XX?.O...") == LinePattern::F3);
  CHECK(pattern_of(Rule::Standard, "X..XX?.O...") == LinePattern::B3);
  CHECK(pattern_of(Rule::Freestyle, "....X?.....") == LinePattern::F2);
  CHECK(pattern_of(Rule::Freestyle, "...OX?.....") == LinePattern::B2);
  CHECK(pattern_of(Rule::Freestyle, ".....?.....") == LinePattern::F1);
  // Edges: off-board squares block like stones of the other colour.
  CHECK(pattern_of(Rule::Freestyle, "#####?XXX..") == LinePattern::B4);
  CHECK(pattern_of(Rule::Freestyle, "#####?XX...") == LinePattern::B3);
  CHECK(pattern_of(Rule::Freestyle, "####.?XX...") == LinePattern::F3);
  CHECK(pattern_of(Rule::Freestyle, "#####?.X.##") == LinePattern::None);  // 4 squares to the edge
  CHECK(pattern_of(Rule::Freestyle, "#XXXX?#####") == LinePattern::Five);
  CHECK(pattern_of(Rule::Standard, "#XXXX?#####") == LinePattern::Five);
  CHECK(pattern_of(Rule::Freestyle, "####X?X.X##") == LinePattern::B4);    // XX.X at the edge
}

TEST_CASE("cell classes combine the four lines") {
  auto pats = [](LinePattern a, LinePattern b, LinePattern c = LinePattern::None, LinePattern d = LinePattern::None) {
    return static_cast<uint16_t>(static_cast<int>(a) | static_cast<int>(b) << 4 | static_cast<int>(c) << 8 |
                                 static_cast<int>(d) << 12);
  };
  CHECK(classify_cell(pats(LinePattern::B4, LinePattern::B4)) == CellClass::Flex4);
  CHECK(classify_cell(pats(LinePattern::F4, LinePattern::None)) == CellClass::Flex4);
  CHECK(classify_cell(pats(LinePattern::B4, LinePattern::F3)) == CellClass::B4F3);
  CHECK(classify_cell(pats(LinePattern::B4, LinePattern::B3)) == CellClass::B4);
  CHECK(classify_cell(pats(LinePattern::F3, LinePattern::F3)) == CellClass::F3x2);
  CHECK(classify_cell(pats(LinePattern::F3, LinePattern::B3)) == CellClass::F3);
  CHECK(classify_cell(pats(LinePattern::B3, LinePattern::F2)) == CellClass::B3);
  CHECK(classify_cell(pats(LinePattern::Overline, LinePattern::F2)) == CellClass::None);
  CHECK(classify_cell(pats(LinePattern::Five, LinePattern::Overline)) == CellClass::Five);
}

TEST_CASE("ThreatBoard: incremental patterns equal a fresh build after every play and undo, both rules") {
  std::mt19937 rng(14);
  for (Rule rule : {Rule::Freestyle, Rule::Standard}) {
    for (int size : {5, 9, 15, 20, 22}) {
      Board b(size, rule);
      ThreatBoard tb(b);
      std::vector<Move> played;
      for (int step = 0; step < 3 * size && !b.is_over(); ++step) {
        // Mostly clustered moves, so that lines fill up; now and then an undo.
        if (!played.empty() && rng() % 5 == 0) {
          b.undo();
          tb.undo();
          played.pop_back();
        } else {
          const auto legal = b.legal_moves();
          Move m = legal[rng() % legal.size()];
          if (!played.empty() && rng() % 3) {
            const Move near = played[rng() % played.size()];
            const int x = b.x_of(near) + static_cast<int>(rng() % 5) - 2;
            const int y = b.y_of(near) + static_cast<int>(rng() % 5) - 2;
            if (b.on_board(x, y) && b.is_legal(b.move_at(x, y))) m = b.move_at(x, y);
          }
          b.play(m);
          tb.play(m);
          played.push_back(m);
        }
        const ThreatBoard fresh(b);
        REQUIRE(tb.hash() == b.hash());
        REQUIRE(tb.to_move() == b.to_move());
        for (Move m = 0; m < b.cells(); ++m) {
          REQUIRE(tb.at(m) == b.at(m));
          for (Stone who : {Stone::Black, Stone::White}) {
            REQUIRE(tb.cell_class(m, who) == fresh.cell_class(m, who));
            for (int d = 0; d < 4; ++d) REQUIRE(tb.pattern(m, who, d) == fresh.pattern(m, who, d));
            // A five square on the ThreatBoard is exactly a winning square of the Board.
            if (b.at(m) == Stone::Empty)
              REQUIRE((tb.cell_class(m, who) == CellClass::Five) == b.wins_at(m, who));
          }
        }
        for (Stone who : {Stone::Black, Stone::White})
          for (int c = 1; c < kNumCellClasses; ++c) {
            const auto cls = static_cast<CellClass>(c);
            REQUIRE(tb.squares(who, cls).count() == tb.count(who, cls));
            REQUIRE(tb.count(who, cls) == fresh.count(who, cls));
          }
      }
    }
  }
}

TEST_CASE("ThreatBoard: pass toggles the side to move and the hash, undo restores them") {
  Board b(15);
  b.play(b.move_at(7, 7));
  ThreatBoard tb(b);
  const uint64_t h = tb.hash();
  tb.pass();
  CHECK(tb.to_move() == Stone::Black);
  CHECK(tb.hash() != h);
  tb.play(b.move_at(8, 8));
  b.play(b.move_at(8, 8));  // on the Board White plays it
  CHECK(tb.at(b.move_at(8, 8)) == Stone::Black);
  tb.undo();
  tb.undo();
  CHECK(tb.hash() == h);
  CHECK(tb.to_move() == Stone::White);
}

TEST_CASE("cheap queries: five, four, must block") {
  // Black: four in a row with one end open; White to move must block it.
  Board b = position(15, Rule::Freestyle, {{3, 7}, {4, 7}, {5, 7}, {6, 7}}, {{2, 7}, {0, 0}, {14, 14}});
  ThreatBoard tb(b);
  CHECK(tb.to_move() == Stone::White);
  CHECK_FALSE(has_five(tb));
  CHECK_FALSE(has_four(tb));
  CHECK(must_block(tb) == std::vector<Move>{at(b, 7, 7)});
  tb.pass();
  CHECK(has_five(tb));
  CHECK(must_block(tb).empty());
}

TEST_CASE("VCF: four-three, the line is a proof, and a counter-four breaks it") {
  // Black: a closed three on row 7 (White at 3,7) and two stones on column 7; (7,7) is a four
  // (five square 8,7) and an open three at once.
  const std::vector<XY> black = {{4, 7}, {5, 7}, {6, 7}, {7, 8}, {7, 9}, {8, 11}};
  Solver solver;
  {
    const Board b = position(15, Rule::Freestyle, black, {{3, 7}, {8, 8}, {8, 9}, {0, 0}, {14, 0}, {14, 14}});
    const Result r = solver.vcf(b, big());
    REQUIRE(r.verdict == Verdict::Win);
    CHECK(r.move == at(b, 7, 7));
    CHECK(r.line.size() == 3);
    CHECK(vcf_line_is_proof(b, r.line));
  }
  {
    // White now has (8,8),(8,9),(8,10): its forced block at (8,7) makes a four (five square 8,6)
    // that Black must answer with a move that is no four, so the four-three no longer wins.
    const Board b = position(15, Rule::Freestyle, black, {{3, 7}, {8, 8}, {8, 9}, {8, 10}, {0, 0}, {14, 14}});
    Board after = b;
    after.play(at(b, 7, 7));
    after.play(at(b, 8, 7));
    CHECK(board_fives(after, Stone::White) == std::vector<Move>{at(b, 8, 6)});
    CHECK(board_fives(after, Stone::Black).empty());
    // A search blind to the counter-four would now play the open four (7,6) and "win".
    after.play(at(b, 7, 6));
    CHECK(board_fives(after, Stone::Black).size() == 2);
    const Result r = solver.vcf(b, big());
    CHECK(r.verdict == Verdict::NoWin);
  }
}

TEST_CASE("VCF: freestyle and standard differ on an overline four") {
  // Black (3..5,7) and (8,7): on row 7, (6,7) makes X X X X . X: under freestyle the gap is a
  // five (six counts); under standard it makes six, so (6,7) is only the open three on column 6.
  const std::vector<XY> black = {{3, 7}, {4, 7}, {5, 7}, {8, 7}, {6, 8}, {6, 9}};
  const std::vector<XY> white = {{2, 7}, {0, 0}, {14, 0}, {0, 14}, {14, 14}, {12, 2}};
  Solver solver;
  const Board free = position(15, Rule::Freestyle, black, white);
  const Board standard = position(15, Rule::Standard, black, white);
  const Result rf = solver.vcf(free, big());
  REQUIRE(rf.verdict == Verdict::Win);
  CHECK(vcf_line_is_proof(free, rf.line));
  CHECK(solver.vcf(standard, big()).verdict == Verdict::NoWin);
  ThreatBoard tf(free), ts(standard);
  CHECK(tf.cell_class(at(free, 6, 7), Stone::Black) == CellClass::B4F3);
  CHECK(ts.cell_class(at(free, 6, 7), Stone::Black) == CellClass::F3);
}

TEST_CASE("VCT: a double three wins; every White reply leaves Black a forced win") {
  // Black (5,7),(6,7) and (7,5),(7,6): (7,7) makes two open threes. No fours: no VCF.
  const Board b = position(15, Rule::Freestyle, {{5, 7}, {6, 7}, {7, 5}, {7, 6}},
                           {{0, 0}, {14, 0}, {0, 14}, {14, 14}});
  Solver solver;
  CHECK(solver.vcf(b, big()).verdict == Verdict::NoWin);
  const Result r = solver.vct(b, big());
  REQUIRE(r.verdict == Verdict::Win);
  CHECK(r.depth >= 1);
  REQUIRE(r.line.size() >= 3);
  // Brute force: after the winning move, whatever White plays, Black still wins by force.
  Board after = b;
  after.play(r.move);
  for (Move reply : after.legal_moves()) {
    after.play(reply);
    const Result again = solver.find_win(after, big());
    CHECK_MESSAGE(again.verdict == Verdict::Win, "White reply " << reply << " refutes " << r.move);
    after.undo();
  }
}

TEST_CASE("VCT: an open three is refuted by the defender's own VCF") {
  // As above, but White has a four-three of its own: (10,10) makes a four on row 10 and an open
  // three on column 10. After Black's double three, White wins first.
  const Board b = position(15, Rule::Freestyle, {{5, 7}, {6, 7}, {7, 5}, {7, 6}, {6, 10}, {1, 1}},
                           {{7, 10}, {8, 10}, {9, 10}, {10, 11}, {10, 12}, {0, 14}});
  ThreatBoard tb(b);
  tb.pass();
  REQUIRE(tb.cell_class(b.move_at(10, 10), Stone::White) == CellClass::B4F3);
  Solver solver;
  const Result r = solver.vct(b, big());
  // Whatever Black finds must not be the double three that ignores White's VCF.
  if (r.verdict == Verdict::Win) CHECK(r.move != b.move_at(7, 7));
  Board after = b;
  after.play(b.move_at(7, 7));
  CHECK(solver.vcf(after, big()).verdict == Verdict::Win);  // White's VCF
}

TEST_CASE("defences against a four-three threat") {
  // White to move; Black threatens (7,7): a four on row 7 and an open three on column 7. White's
  // stones at (8,9) and (6,8) close Black's diagonals.
  const Board b = position(15, Rule::Freestyle, {{4, 7}, {5, 7}, {6, 7}, {7, 8}, {7, 9}},
                           {{3, 7}, {8, 9}, {6, 8}, {0, 0}});
  Solver solver;
  SUBCASE("against VCFs only (max_depth 0): exactly the squares that spoil the four-three") {
    Limits vcf_only = big();
    vcf_only.max_depth = 0;
    const DefenceResult d = solver.defences(b, vcf_only);
    REQUIRE(d.status == DefenceStatus::Defend);
    CHECK(d.complete);
    CHECK(d.threat.move == at(b, 7, 7));
    // Taking the square, its four's five square, or closing column 7 next to Black's stones.
    std::vector<Move> want = {at(b, 7, 6), at(b, 7, 7), at(b, 8, 7), at(b, 7, 10)};
    std::sort(want.begin(), want.end());
    CHECK(d.moves == want);
    // Every other White move leaves Black a VCF whose line checks out on a plain Board.
    for (Move m : b.legal_moves()) {
      Board after = b;
      after.play(m);
      const Result r = solver.vcf(after, big());
      if (std::count(want.begin(), want.end(), m)) {
        CHECK_MESSAGE(r.verdict == Verdict::NoWin, "move " << m);
      } else {
        REQUIRE_MESSAGE(r.verdict == Verdict::Win, "move " << m);
        CHECK_MESSAGE(vcf_line_is_proof(after, r.line), "move " << m);
      }
    }
  }
  SUBCASE("against VCTs too: fewer moves hold, and they agree with a search after every move") {
    const DefenceResult d = solver.defences(b, big());
    REQUIRE(d.status == DefenceStatus::Defend);
    CHECK(d.complete);  // the threat is a VCF, so the candidate set is exact
    CHECK(std::count(d.moves.begin(), d.moves.end(), at(b, 7, 7)) == 1);
    CHECK(std::count(d.moves.begin(), d.moves.end(), at(b, 7, 5)) == 0);
    for (Move m : b.legal_moves()) {
      Board after = b;
      after.play(m);
      const bool holds = solver.find_win(after, big()).verdict == Verdict::NoWin;
      CHECK_MESSAGE(holds == (std::count(d.moves.begin(), d.moves.end(), m) > 0), "move " << m);
    }
  }
}

TEST_CASE("defences: a four must be blocked; two fours are a proven loss; no threat") {
  Solver solver;
  const Board one = position(15, Rule::Freestyle, {{3, 7}, {4, 7}, {5, 7}, {6, 7}}, {{2, 7}, {0, 0}, {14, 14}});
  DefenceResult d = solver.defences(one, big());
  CHECK(d.status == DefenceStatus::Defend);
  CHECK(d.moves == std::vector<Move>{at(one, 7, 7)});
  const Board two = position(15, Rule::Freestyle, {{3, 7}, {4, 7}, {5, 7}, {6, 7}}, {{0, 0}, {14, 0}, {14, 14}});
  d = solver.defences(two, big());
  CHECK(d.status == DefenceStatus::Lost);
  CHECK(d.complete);
  const Board quiet = position(15, Rule::Freestyle, {{7, 7}, {9, 9}}, {{8, 8}});
  d = solver.defences(quiet, big());
  CHECK(d.status == DefenceStatus::NoThreat);
}

TEST_CASE("find_win: a five first, then a VCF") {
  Solver solver;
  const Board b = position(15, Rule::Standard, {{3, 7}, {4, 7}, {5, 7}, {6, 7}}, {{2, 7}, {0, 0}, {14, 14}, {9, 9}});
  const Result r = solver.find_win(b, big());
  REQUIRE(r.verdict == Verdict::Win);
  CHECK(r.move == at(b, 7, 7));
  CHECK(r.line == std::vector<Move>{at(b, 7, 7)});
  // After the five the game is over: nothing to find, nothing to defend.
  Board over = b;
  over.play(r.move);
  REQUIRE(over.is_over());
  CHECK(solver.find_win(over, big()).verdict == Verdict::NoWin);
  CHECK(solver.defences(over, big()).status == DefenceStatus::NoThreat);
}

TEST_CASE("VCF: a long one (ten fours found; none of eight or fewer exists) checks out on a plain Board") {
  // From the tactical set's generator (20x20 freestyle, White to move); a naive plain-Board
  // search finds no VCF of 8 attacker moves or fewer, and one of 9.
  const Board b = from_moves(20, Rule::Freestyle,
      "12,9;10,12;9,10;11,12;13,12;12,12;8,12;10,9;11,10;8,10;10,11;13,8;11,13;12,10;9,13;8,13;10,14;7,11;"
      "12,16;11,15;5,13;9,9;10,8;10,10;11,11;12,11;12,13;10,13;9,14;8,9;7,9;14,9;13,10;14,11;13,11;13,13;"
      "11,14;12,14;14,12;9,16;8,14;7,14;9,12;9,11;11,6;9,17;10,16;7,13;7,12;6,12;6,13;7,15;8,8;8,11;7,17;"
      "15,10;16,11;6,11;5,11;6,10;9,15;8,16;10,18;6,9;6,8;11,17;10,17;10,15;7,8;9,8;7,10;7,6;4,8;5,8;8,5;"
      "5,12;4,13;2,13;8,7;11,16;8,4;8,6;11,19;4,6;5,6;10,6;9,6;10,7;11,4;10,5;11,5;11,7;9,4;10,4;10,3;11,2;"
      "9,3;9,5;11,3;12,3;7,3;8,3;12,5;9,2;13,9;10,2;12,2;7,4;10,1;8,2;7,2;12,7;13,7;14,7;6,7");
  REQUIRE(b.to_move() == Stone::White);
  Solver solver;
  const Result r = solver.vcf(b, big());
  REQUIRE(r.verdict == Verdict::Win);
  CHECK(r.move == b.move_at(14, 8));  // the only four that starts a VCF
  CHECK((r.line.size() + 1) / 2 >= 9);
  CHECK(vcf_line_is_proof(b, r.line));
  Board naive = b;
  CHECK_FALSE(naive_vcf(naive, 8));
  CHECK(naive_vcf(naive, 9));
}

TEST_CASE("limits: the node limit and the deadline are respected") {
  // A crowded 15x15 middle game where a depth-6 VCT search needs millions of nodes.
  const Board b = from_moves(15, Rule::Freestyle,
      "8,9;7,9;6,7;6,5;5,6;7,8;7,6;9,4;4,9;5,8;8,6;6,6;8,8;8,7;7,7;5,9;5,10;10,5;9,6;12,7;11,6;10,6;9,5;10,4;"
      "10,3;8,4;7,4;10,7;10,8;12,4;11,4;11,7;9,7;7,5;9,3;4,8;5,7;13,7;14,7;9,9");
  Solver solver;
  for (int64_t cap : {1, 100, 5000}) {
    Limits l;
    l.max_nodes = cap;
    const Result r = solver.vct(b, l);
    CHECK(r.verdict == Verdict::Unknown);
    CHECK(r.nodes <= cap);
    CHECK(r.nodes >= std::min<int64_t>(cap, 1));
  }
  // A deadline in the past stops at once; 20 ms stops within a few ms of it.
  Limits past;
  past.max_nodes = INT64_MAX;
  past.deadline = std::chrono::steady_clock::now() - std::chrono::milliseconds(1);
  CHECK(solver.vct(b, past).verdict == Verdict::Unknown);
  CHECK(solver.defences(b, past).status == DefenceStatus::Unknown);
  solver.clear();
  const auto t0 = std::chrono::steady_clock::now();
  const Result r = solver.vct(b, Limits::within(std::chrono::milliseconds(20)));
  const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  CHECK(r.verdict == Verdict::Unknown);
  CHECK(r.nodes > 1000);
  CHECK(ms < 120);  // generous for a loaded machine; the clock is read every 128 nodes
}

TEST_CASE("tactical set: every position solved, both sizes and rules (tests/data/tactics)") {
  const std::vector<Tactic> set = read_tactics(std::string(HEARTH_TEST_DATA_DIR) + "/tactics/tactics.txt");
  REQUIRE(set.size() >= 100);
  std::set<std::string> groups;
  Solver solver(size_t{1} << 18);
  Limits lim;
  lim.max_nodes = 3'000'000;
  for (const Tactic& t : set) {
    CAPTURE(t.id);
    groups.insert(std::to_string(t.size) + rule_name(t.rule));
    const Board b = t.board();
    REQUIRE(b.to_move() == t.to_move);
    solver.clear();
    switch (t.kind) {
      case TacticKind::WinInOne:
      case TacticKind::Vcf:
      case TacticKind::Vct: {
        const Result r = solver.find_win(b, lim);
        REQUIRE(r.verdict == Verdict::Win);
        CHECK(std::count(t.answers.begin(), t.answers.end(), r.move) == 1);
        if (t.kind != TacticKind::Vct) CHECK(vcf_line_is_proof(b, r.line));
        if (t.kind == TacticKind::Vct) CHECK(solver.vcf(b, lim).verdict == Verdict::NoWin);
        break;
      }
      case TacticKind::BlockFour: {
        CHECK(must_block(ThreatBoard(b)) == t.answers);
        const DefenceResult d = solver.defences(b, lim);
        CHECK(d.status == DefenceStatus::Defend);
        CHECK(d.moves == t.answers);
        break;
      }
      case TacticKind::OnlyDefence: {
        DefenceOptions opt;
        opt.exhaustive = true;
        const DefenceResult d = solver.defences(b, lim, opt);
        CHECK(d.status == DefenceStatus::Defend);
        CHECK(d.complete);
        CHECK(d.moves == t.answers);
        break;
      }
    }
  }
  CHECK(groups.size() == 4);
}
