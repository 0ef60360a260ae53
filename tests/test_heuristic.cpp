// The heuristic (threat) evaluator: line patterns, must-play tiers (win at once, block the
// opponent's win), tactical preferences, value signs, random positions checked against
// Board::wins_at, and the plugin ABI around it.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "engine/game/board.h"
#include "engine/game/encoding.h"
#include "evaluator/plugin_abi.h"
#include "plugins/heuristic/threat_eval.h"

extern "C" uint32_t hearth_heuristic_abi_version();
extern "C" const hearth_plugin_api* hearth_heuristic_get_api();

using namespace hearth;

namespace {

// A position drawn by hand: 'X' the side to move, 'O' the opponent.
struct Position {
  int n;
  std::vector<float> planes;
  explicit Position(int size, bool black_to_move = true) : n(size), planes(input_floats(size), 0.0f) {
    if (black_to_move) std::fill(planes.begin() + 3 * n * n, planes.end(), 1.0f);
  }
  int sq(int x, int y) const { return y * n + x; }
  void put(int x, int y, char who) {
    REQUIRE(x >= 0);
    REQUIRE(y >= 0);
    REQUIRE(x < n);
    REQUIRE(y < n);
    REQUIRE(planes[sq(x, y)] + planes[n * n + sq(x, y)] == 0.0f);
    planes[(who == 'X' ? 0 : n * n) + sq(x, y)] = 1.0f;
  }
  // Lays `pattern` along direction (dx,dy) from (x,y); '.' leaves a square as it is.
  void line(int x, int y, int dx, int dy, std::string_view pattern) {
    for (char c : pattern) {
      if (c != '.') put(x, y, c);
      x += dx;
      y += dy;
    }
  }
  bool empty(int i) const { return planes[i] == 0.0f && planes[n * n + i] == 0.0f; }
};

struct Result {
  std::vector<float> logits;
  float value = 0;
};

Result evaluate(const ThreatEvaluator& ev, const std::vector<float>& planes) {
  Result r;
  r.logits.assign(static_cast<size_t>(ev.size() * ev.size()), 0.0f);
  ev.evaluate(planes.data(), r.logits.data(), &r.value);
  return r;
}

// The empty square with the highest logit (what search would try first).
int top_move(const Result& r, const std::vector<float>& planes, int n) {
  int best = -1;
  for (int i = 0; i < n * n; ++i)
    if (planes[i] == 0.0f && planes[n * n + i] == 0.0f && (best < 0 || r.logits[i] > r.logits[best])) best = i;
  return best;
}

// Softmax mass on `squares` over the empty squares, as search's prior would be.
double prior_of(const Result& r, const std::vector<float>& planes, int n, const std::vector<int>& squares) {
  float max_logit = -1e30f;
  for (int i = 0; i < n * n; ++i)
    if (planes[i] == 0.0f && planes[n * n + i] == 0.0f) max_logit = std::max(max_logit, r.logits[i]);
  double total = 0, mass = 0;
  for (int i = 0; i < n * n; ++i) {
    if (planes[i] != 0.0f || planes[n * n + i] != 0.0f) continue;
    const double p = std::exp(static_cast<double>(r.logits[i] - max_logit));
    total += p;
    if (std::find(squares.begin(), squares.end(), i) != squares.end()) mass += p;
  }
  return mass / total;
}

const int kDirs[4][2] = {{1, 0}, {0, 1}, {1, 1}, {1, -1}};

// Calls f(x, y) for every start from which `len` squares along (dx,dy) stay on an n-board.
template <typename F>
void for_each_start(int n, int dx, int dy, int len, F f) {
  for (int y = 0; y < n; ++y)
    for (int x = 0; x < n; ++x) {
      const int ex = x + dx * (len - 1), ey = y + dy * (len - 1);
      if (ex >= 0 && ex < n && ey >= 0 && ey < n) f(x, y);
    }
}

}  // namespace

TEST_CASE("line patterns: fives, fours, threes, twos, and the standard rule's overline") {
  const ThreatEvaluator free(15, Rule::Freestyle), standard(15, Rule::Standard);
  using P = LinePattern;
  CHECK(free.pattern_in_line("XXXX.", 4) == P::Five);
  CHECK(free.pattern_in_line("XX.XX", 2) == P::Five);
  CHECK(free.pattern_in_line("..XXX...", 5) == P::OpenFour);
  CHECK(free.pattern_in_line("..XXX...", 1) == P::OpenFour);
  CHECK(free.pattern_in_line("..XXX...", 0) == P::Four);  // X.XXX: only the gap completes it
  CHECK(free.pattern_in_line("OXXX...", 4) == P::Four);
  CHECK(free.pattern_in_line("...XX...", 5) == P::OpenThree);
  CHECK(free.pattern_in_line("...X.X...", 4) == P::OpenThree);
  CHECK(free.pattern_in_line("OXX....", 3) == P::ClosedThree);
  CHECK(free.pattern_in_line("....X....", 5) == P::OpenTwo);
  CHECK(free.pattern_in_line("OX.....", 2) == P::ClosedTwo);
  CHECK(free.pattern_in_line("O.XX.O", 1) == P::None);  // boxed in: never five
  CHECK(free.pattern_in_line(".........", 4) == P::None);
  // The wall is a blocker: a three against the edge is closed.
  CHECK(free.pattern_in_line("XX.....", 2) == P::ClosedThree);
  // Overlines: six or more wins in freestyle only.
  CHECK(free.pattern_in_line("XX.XXX", 2) == P::Five);
  CHECK(standard.pattern_in_line("XX.XXX", 2) == P::None);
  CHECK(standard.pattern_in_line(".XXXX.X", 0) == P::Five);
  CHECK(standard.pattern_in_line(".XXXX.X", 5) == P::None);  // the gap makes six
  // X . X X X X . : the left gap would make six, so under standard only one square completes it.
  CHECK(standard.pattern_in_line("X.XXX..", 5) == P::Four);
  CHECK(free.pattern_in_line("X.XXX..", 5) == P::OpenFour);
  CHECK_THROWS_AS(free.pattern_in_line("XX", 0), std::invalid_argument);   // not empty
  CHECK_THROWS_AS(free.pattern_in_line("X.", 5), std::invalid_argument);   // off the line
  CHECK_THROWS_AS(free.pattern_in_line("X.?", 1), std::invalid_argument);  // bad character
}

TEST_CASE("win in one is the top move with prior >= 0.99: every direction, edges, corners, sizes") {
  const char* patterns[] = {"XXXX.", ".XXXX", "XX.XX", "X.XXX", "XXX.X"};
  int cases = 0;
  for (int n : {7, 15, 20}) {
    for (Rule rule : {Rule::Freestyle, Rule::Standard}) {
      const ThreatEvaluator ev(n, rule);
      for (const auto& d : kDirs) {
        for (const char* pattern : patterns) {
          for_each_start(n, d[0], d[1], 5, [&](int x, int y) {
            Position pos(n, (x + y) % 2 == 0);  // both colours to move
            pos.line(x, y, d[0], d[1], pattern);
            const int gap = static_cast<int>(std::strchr(pattern, '.') - pattern);
            std::vector<int> wins = {pos.sq(x + d[0] * gap, y + d[1] * gap)};
            // "XXXX." and ".XXXX" also win beyond the other end when that is on the board.
            const int other = gap == 0 ? 5 : gap == 4 ? -1 : 0;
            const int ox = x + d[0] * other, oy = y + d[1] * other;
            if (other != 0 && ox >= 0 && ox < n && oy >= 0 && oy < n) wins.push_back(pos.sq(ox, oy));
            const Result r = evaluate(ev, pos.planes);
            CAPTURE(n);
            CAPTURE(std::string(pattern));
            CAPTURE(x);
            CAPTURE(y);
            const int top = top_move(r, pos.planes, n);
            CHECK(std::find(wins.begin(), wins.end(), top) != wins.end());
            CHECK(prior_of(r, pos.planes, n, wins) >= 0.99);
            CHECK(r.value > 0.9f);
            ++cases;
          });
        }
      }
    }
  }
  CHECK(cases > 5000);
}

TEST_CASE("the opponent's four is blocked, broken fours too") {
  const char* patterns[] = {"OOOO.", ".OOOO", "OO.OO", "O.OOO", "OOO.O"};
  for (int n : {7, 15, 20}) {
    const ThreatEvaluator ev(n, Rule::Freestyle);
    for (const auto& d : kDirs) {
      for (const char* pattern : patterns) {
        for_each_start(n, d[0], d[1], 5, [&](int x, int y) {
          Position pos(n);
          pos.line(x, y, d[0], d[1], pattern);
          const int gap = static_cast<int>(std::strchr(pattern, '.') - pattern);
          const int block = pos.sq(x + d[0] * gap, y + d[1] * gap);
          // Close the far end of "OOOO." and ".OOOO" so that the gap is the only winning square.
          const int end = gap == 0 ? 5 : gap == 4 ? -1 : 0;
          const int bx = x + d[0] * end, by = y + d[1] * end;
          if (end != 0 && bx >= 0 && bx < n && by >= 0 && by < n) pos.put(bx, by, 'X');
          const Result r = evaluate(ev, pos.planes);
          CAPTURE(n);
          CAPTURE(std::string(pattern));
          CAPTURE(x);
          CAPTURE(y);
          CHECK(top_move(r, pos.planes, n) == block);
          CHECK(prior_of(r, pos.planes, n, {block}) >= 0.9);
          CHECK(r.value < 0.5f);
        });
      }
    }
  }
}

TEST_CASE("must-play tiers next to distractions") {
  SUBCASE("blocking beats a tempting open three of our own") {
    Position pos(15);
    pos.line(3, 3, 1, 1, "OO.OO");  // block at (5,5)
    pos.line(8, 10, 1, 0, "XXX");   // we could make an open four at (7,10) or (11,10)
    const ThreatEvaluator ev(15, Rule::Freestyle);
    const Result r = evaluate(ev, pos.planes);
    CHECK(top_move(r, pos.planes, 15) == pos.sq(5, 5));
    CHECK(prior_of(r, pos.planes, 15, {pos.sq(5, 5)}) >= 0.9);
  }
  SUBCASE("our win beats blocking theirs") {
    Position pos(15);
    pos.line(2, 12, 1, 0, "OOOO.");  // they win at (6,12)
    pos.line(10, 2, 0, 1, "X.XXX");  // we win at (10,3)
    const ThreatEvaluator ev(15, Rule::Freestyle);
    const Result r = evaluate(ev, pos.planes);
    CHECK(top_move(r, pos.planes, 15) == pos.sq(10, 3));
    CHECK(prior_of(r, pos.planes, 15, {pos.sq(10, 3)}) >= 0.99);
    CHECK(r.value > 0.9f);
  }
  SUBCASE("two blocks of an open four share the mass, and the value is lost") {
    Position pos(15);
    pos.line(5, 7, 1, 0, ".OOOO.");
    const ThreatEvaluator ev(15, Rule::Freestyle);
    const Result r = evaluate(ev, pos.planes);
    const int top = top_move(r, pos.planes, 15);
    CHECK((top == pos.sq(5, 7) || top == pos.sq(10, 7)));
    CHECK(prior_of(r, pos.planes, 15, {pos.sq(5, 7), pos.sq(10, 7)}) >= 0.9);
    CHECK(r.value < -0.9f);
  }
}

TEST_CASE("standard rule: the square that makes an overline is no win; in freestyle it is") {
  // Ours: X X . X X X on row 7, the gap (5,7) makes six. Theirs: a closed four on row 2 that we
  // must block at (7,2) unless we win.
  Position pos(15);
  pos.line(3, 7, 1, 0, "XX.XXX");
  pos.line(2, 2, 1, 0, "XOOOO");
  const int gap = pos.sq(5, 7), block = pos.sq(7, 2);
  {
    const ThreatEvaluator ev(15, Rule::Freestyle);
    const Result r = evaluate(ev, pos.planes);
    CHECK(top_move(r, pos.planes, 15) == gap);
    CHECK(prior_of(r, pos.planes, 15, {gap}) >= 0.99);
    CHECK(r.value > 0.9f);
  }
  {
    const ThreatEvaluator ev(15, Rule::Standard);
    const Result r = evaluate(ev, pos.planes);
    CHECK(top_move(r, pos.planes, 15) == block);
    CHECK(prior_of(r, pos.planes, 15, {gap}) < 0.05);
    CHECK(r.value < 0.9f);
  }
  SUBCASE("an opponent's overline square needs no block under standard") {
    Position p2(15);
    p2.line(3, 7, 1, 0, "OO.OOO");
    p2.line(3, 11, 1, 0, "XXX");  // our open three: make the open four
    const ThreatEvaluator ev(15, Rule::Standard);
    const Result r = evaluate(ev, p2.planes);
    const int top = top_move(r, p2.planes, 15);
    CHECK((top == p2.sq(2, 11) || top == p2.sq(6, 11)));
  }
  SUBCASE("exact five next to an overline gap") {
    Position p3(15);
    p3.line(4, 4, 0, 1, ".XXXX.X");  // (4,4) is exactly five; (4,9) would make six
    const ThreatEvaluator ev(15, Rule::Standard);
    const Result r = evaluate(ev, p3.planes);
    CHECK(top_move(r, p3.planes, 15) == p3.sq(4, 4));
    CHECK(prior_of(r, p3.planes, 15, {p3.sq(4, 4)}) >= 0.99);
  }
}

TEST_CASE("threes: make the open four, answer theirs, prefer a four-three") {
  const ThreatEvaluator ev(15, Rule::Freestyle);
  SUBCASE("our open three becomes an open four even when they have one too") {
    Position pos(15);
    pos.line(5, 3, 1, 0, "XXX");
    pos.line(5, 11, 1, 0, "OOO");
    const Result r = evaluate(ev, pos.planes);
    const int top = top_move(r, pos.planes, 15);
    CHECK((top == pos.sq(4, 3) || top == pos.sq(8, 3)));
    CHECK(r.value > 0.8f);
  }
  SUBCASE("their open three is answered at one of its ends") {
    Position pos(15);
    pos.line(5, 7, 1, 0, "OOO");
    pos.put(9, 11, 'X');
    pos.put(3, 2, 'O');
    const Result r = evaluate(ev, pos.planes);
    const int top = top_move(r, pos.planes, 15);
    CHECK((top == pos.sq(4, 7) || top == pos.sq(8, 7)));
    CHECK(r.value < 0.0f);
  }
  SUBCASE("their broken three too") {
    Position pos(15);
    pos.line(5, 5, 0, 1, "O.OO");
    pos.put(10, 10, 'X');
    const Result r = evaluate(ev, pos.planes);
    const int top = top_move(r, pos.planes, 15);
    CHECK((top == pos.sq(5, 4) || top == pos.sq(5, 6) || top == pos.sq(5, 9)));
  }
  SUBCASE("a four-three beats a plain four or three") {
    Position pos(15);
    pos.line(4, 7, 1, 0, "OXXX");  // (8,7) makes a closed four ...
    pos.line(8, 5, 0, 1, "XX");    // ... and an open three down column 8
    pos.put(1, 1, 'O');
    pos.put(13, 13, 'O');
    const Result r = evaluate(ev, pos.planes);
    CHECK(top_move(r, pos.planes, 15) == pos.sq(8, 7));
  }
}

TEST_CASE("value: sign follows the threats; empty board is even and opens in the centre") {
  for (int n : {7, 15, 20}) {
    const ThreatEvaluator ev(n, Rule::Freestyle);
    Position empty(n);
    const Result r = evaluate(ev, empty.planes);
    CHECK(std::abs(r.value) < 0.1f);
    const int top = top_move(r, empty.planes, n);
    const int lo = (n - 1) / 2, hi = n / 2;
    CHECK((top % n >= lo && top % n <= hi && top / n >= lo && top / n <= hi));
  }
  const ThreatEvaluator ev(15, Rule::Freestyle);
  Position win(15);
  win.line(3, 3, 1, 1, "XXXX");
  win.line(9, 2, 0, 1, "OOO");
  CHECK(evaluate(ev, win.planes).value > 0.9f);
  Position lost(15);
  lost.line(3, 9, 1, 0, ".OOOO.");
  lost.line(10, 2, 0, 1, "XXX");  // an open three is too slow
  CHECK(evaluate(ev, lost.planes).value < -0.9f);
  // Values stay in range in every position of the random test below; here a crowded one.
  Position crowded(7);
  for (int y = 0; y < 7; ++y)
    for (int x = 0; x < 7; ++x)
      if ((x * 3 + y * 5) % 4 != 0) crowded.put(x, y, ((x + 2 * y) % 3 == 0) ? 'X' : 'O');
  const Result rc = evaluate(ThreatEvaluator(7, Rule::Standard), crowded.planes);
  CHECK(rc.value >= -1.0f);
  CHECK(rc.value <= 1.0f);
}

TEST_CASE("random games: a win at once is always top; else a block of the opponent's win") {
  std::mt19937 rng(12345);
  for (int n : {7, 9, 15}) {
    for (Rule rule : {Rule::Freestyle, Rule::Standard}) {
      const ThreatEvaluator ev(n, rule);
      std::vector<float> planes(input_floats(n));
      int wins_seen = 0, blocks_seen = 0, quiet_seen = 0;
      for (int game = 0; game < 120; ++game) {
        Board board(n, rule);
        while (!board.is_over()) {
          const Stone me = board.to_move();
          const std::vector<Move> legal = board.legal_moves();
          std::vector<int> my_wins, their_wins;
          for (Move m : legal) {
            if (board.wins_at(m, me)) my_wins.push_back(m);
            if (board.wins_at(m, opponent(me))) their_wins.push_back(m);
          }
          encode(board, planes.data());
          const Result r = evaluate(ev, planes);
          const int top = top_move(r, planes, n);
          CAPTURE(board.to_string());
          REQUIRE(r.value >= -1.0f);
          REQUIRE(r.value <= 1.0f);
          if (!my_wins.empty()) {
            ++wins_seen;
            CHECK(std::find(my_wins.begin(), my_wins.end(), top) != my_wins.end());
            CHECK(prior_of(r, planes, n, my_wins) >= 0.99);
            CHECK(r.value > 0.9f);
          } else if (!their_wins.empty()) {
            ++blocks_seen;
            CHECK(std::find(their_wins.begin(), their_wins.end(), top) != their_wins.end());
            CHECK(prior_of(r, planes, n, their_wins) >= 0.9);
            if (their_wins.size() >= 2) CHECK(r.value < -0.9f);
          } else {
            ++quiet_seen;
            CHECK(r.value < 0.97f);  // no win at once: the "win" value would be a false five
          }
          // Random play near the stones, which makes fours (and overlines) common.
          auto has_neighbour = [&board](Move m) {
            const int x = board.x_of(m), y = board.y_of(m);
            for (int dy = -2; dy <= 2; ++dy)
              for (int dx = -2; dx <= 2; ++dx)
                if (board.on_board(x + dx, y + dy) && board.at(x + dx, y + dy) != Stone::Empty) return true;
            return false;
          };
          std::vector<Move> near;
          for (Move m : legal)
            if (has_neighbour(m)) near.push_back(m);
          const std::vector<Move>& pool = near.empty() ? legal : near;
          board.play(pool[std::uniform_int_distribution<size_t>(0, pool.size() - 1)(rng)]);
        }
      }
      CAPTURE(n);
      CHECK(wins_seen > 100);
      CHECK(blocks_seen > 100);
      CHECK(quiet_seen > 100);
    }
  }
}

TEST_CASE("temperature divides the graded logits but not the must-play margins") {
  Position pos(15);
  pos.line(6, 6, 1, 0, "XO");
  pos.line(6, 7, 1, 1, "OX");
  const ThreatEvaluator cold(15, Rule::Freestyle, 1.0f), warm(15, Rule::Freestyle, 2.0f);
  const Result a = evaluate(cold, pos.planes), b = evaluate(warm, pos.planes);
  int compared = 0;
  for (int i = 0; i < 225; ++i)
    for (int j = i + 1; j < 225; ++j)
      if (pos.empty(i) && pos.empty(j) && a.logits[i] != a.logits[j]) {
        CHECK(b.logits[i] - b.logits[j] == doctest::Approx((a.logits[i] - a.logits[j]) / 2.0f).epsilon(1e-3));
        ++compared;
      }
  CHECK(compared > 100);
  Position win(15);
  win.line(0, 0, 1, 0, "XXXX");
  const ThreatEvaluator hot(15, Rule::Freestyle, 50.0f);
  CHECK(prior_of(evaluate(hot, win.planes), win.planes, 15, {win.sq(4, 0)}) >= 0.99);
  CHECK_THROWS_AS(ThreatEvaluator(15, Rule::Freestyle, 0.0f), std::invalid_argument);
  CHECK_THROWS_AS(ThreatEvaluator(15, Rule::Freestyle, std::nanf("")), std::invalid_argument);
  CHECK_THROWS_AS(ThreatEvaluator(4, Rule::Freestyle), std::invalid_argument);
  CHECK_THROWS_AS(ThreatEvaluator(23, Rule::Freestyle), std::invalid_argument);
}

TEST_CASE("one evaluator serves several threads with the same answers") {
  const ThreatEvaluator ev(15, Rule::Standard);
  std::vector<std::vector<float>> positions;
  std::mt19937 rng(7);
  Board board(15, Rule::Standard);
  std::vector<float> planes(input_floats(15));
  while (positions.size() < 64 && !board.is_over()) {
    const auto legal = board.legal_moves();
    board.play(legal[std::uniform_int_distribution<size_t>(0, legal.size() - 1)(rng)]);
    encode(board, planes.data());
    positions.push_back(planes);
  }
  std::vector<Result> expected;
  for (const auto& p : positions) expected.push_back(evaluate(ev, p));
  std::vector<int> mismatches(2, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < 2; ++t)
    threads.emplace_back([&, t] {
      for (int round = 0; round < 20; ++round)
        for (size_t k = 0; k < positions.size(); ++k) {
          const Result r = evaluate(ev, positions[k]);
          if (r.logits != expected[k].logits || r.value != expected[k].value) ++mismatches[t];
        }
    });
  for (auto& th : threads) th.join();
  CHECK(mismatches[0] == 0);
  CHECK(mismatches[1] == 0);
}

TEST_CASE("plugin ABI: options, describe, batched evaluate equal to the evaluator, clear errors") {
  REQUIRE(hearth_heuristic_abi_version() == HEARTH_PLUGIN_ABI_VERSION);
  const hearth_plugin_api* api = hearth_heuristic_get_api();
  REQUIRE(api != nullptr);
  CHECK(api->struct_size == sizeof(hearth_plugin_api));
  CHECK(std::string(api->name) == "heuristic");
  char err[256] = {};

  auto create = [&](int size, int rule, std::vector<std::pair<std::string, std::string>> opts) {
    hearth_host host{};
    host.struct_size = sizeof(host);
    host.board_size = size;
    host.rule = rule;
    std::vector<const char*> keys, values;
    for (const auto& kv : opts) {
      keys.push_back(kv.first.c_str());
      values.push_back(kv.second.c_str());
    }
    err[0] = '\0';
    return api->create(&host, keys.data(), values.data(), static_cast<int32_t>(opts.size()), err, sizeof(err));
  };

  for (int n : {7, 15, 20}) {
    for (int rule : {HEARTH_RULE_FREESTYLE, HEARTH_RULE_STANDARD}) {
      hearth_plugin* p = create(n, rule, {{"temperature", "1.5"}, {"max_batch", "8"}});
      REQUIRE_MESSAGE(p != nullptr, err);
      hearth_plugin_info info{};
      REQUIRE(api->describe(p, &info) == 0);
      CHECK(info.board_size == n);
      CHECK(info.input_planes == 4);
      CHECK(info.policy_size == n * n);
      CHECK(info.max_batch == 8);
      CHECK(info.num_preferred_batches >= 1);
      CHECK(std::string(info.description).find("heuristic") != std::string::npos);

      // Three positions in one batch: an own win, an opponent's four, an empty board.
      const int cells = n * n;
      std::vector<float> input(3 * input_floats(n), 0.0f);
      Position a(n), b(n, false), c(n);
      a.line(0, n - 1, 1, 0, "XX.XX");
      b.line(n - 1, 0, 0, 1, "OOO.O");
      for (size_t k = 0; k < 3; ++k) {
        const Position& src = k == 0 ? a : k == 1 ? b : c;
        std::copy(src.planes.begin(), src.planes.end(), input.begin() + k * input_floats(n));
      }
      std::vector<float> policy(3 * cells), value(3);
      REQUIRE(api->evaluate(p, input.data(), 3, policy.data(), value.data(), err, sizeof(err)) == 0);
      const ThreatEvaluator ev(n, rule == HEARTH_RULE_FREESTYLE ? Rule::Freestyle : Rule::Standard, 1.5f);
      for (int k = 0; k < 3; ++k) {
        const Position& src = k == 0 ? a : k == 1 ? b : c;
        const Result r = evaluate(ev, src.planes);
        CHECK(std::equal(r.logits.begin(), r.logits.end(), policy.begin() + k * cells));
        CHECK(r.value == value[k]);
      }
      CHECK(top_move(evaluate(ev, a.planes), a.planes, n) == a.sq(2, n - 1));
      CHECK(top_move(evaluate(ev, b.planes), b.planes, n) == b.sq(n - 1, 3));

      CHECK(api->evaluate(p, input.data(), 9, policy.data(), value.data(), err, sizeof(err)) != 0);
      CHECK(std::string(err).find("batch") != std::string::npos);
      api->destroy(p);
    }
  }

  hearth_plugin* p = create(15, HEARTH_RULE_FREESTYLE, {});
  REQUIRE(p != nullptr);
  hearth_plugin_info info{};
  api->describe(p, &info);
  CHECK(info.max_batch == 1024);
  api->destroy(p);

  CHECK(create(15, HEARTH_RULE_FREESTYLE, {{"temprature", "2"}}) == nullptr);
  CHECK(std::string(err).find("temprature") != std::string::npos);
  CHECK(create(15, HEARTH_RULE_FREESTYLE, {{"temperature", "hot"}}) == nullptr);
  CHECK(std::string(err).find("temperature") != std::string::npos);
  CHECK(create(15, HEARTH_RULE_FREESTYLE, {{"temperature", "0"}}) == nullptr);
  CHECK(std::string(err).find("temperature") != std::string::npos);
  CHECK(create(15, HEARTH_RULE_FREESTYLE, {{"max_batch", "0"}}) == nullptr);
  CHECK(std::string(err).find("max_batch") != std::string::npos);
  CHECK(create(4, HEARTH_RULE_FREESTYLE, {}) == nullptr);
  CHECK(std::string(err).find("board size 4") != std::string::npos);
  CHECK(create(23, HEARTH_RULE_FREESTYLE, {}) == nullptr);
  CHECK(std::string(err).find("board size 23") != std::string::npos);
  CHECK(create(15, 4, {}) == nullptr);
  CHECK(std::string(err).find("rule") != std::string::npos);
}
