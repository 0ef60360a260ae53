#include "engine/threat/solver.h"

#include <algorithm>

namespace hearth::threat {
namespace {

constexpr int kMaxPly = 2048;     // nesting of search nodes; far above any line on 22x22
constexpr int kCheckEvery = 128;  // nodes between clock reads
constexpr int64_t kLineExtraNodes = 20000;  // for a root line's lost table entries

// Move-ordering weight of a line pattern (attacker's view).
constexpr int kWeight[] = {0, 1, 2, 3, 6, 8, 20, 30, 100, 1000, 0};

int order_score(const ThreatBoard& tb, Move m, Stone who) {
  int s = 0;
  for (int d = 0; d < ThreatBoard::kDirs; ++d) s += kWeight[static_cast<int>(tb.pattern(m, who, d))];
  // The opponent's view of the square counts too: taking its good squares is worth something.
  const Stone o = opponent(who);
  for (int d = 0; d < ThreatBoard::kDirs; ++d) s += kWeight[static_cast<int>(tb.pattern(m, o, d))] / 2;
  return s;
}

// Appends the squares of `set` to `out`, best order_score first (insertion sort: the lists are
// short, and this runs at every node without touching the heap once `out` has grown).
void append_ordered(const ThreatBoard& tb, const MoveSet& set, Stone who, std::vector<Move>& out) {
  const size_t first = out.size();
  int scores[Board::kMaxCells];
  set.for_each([&](Move m) {
    const int s = order_score(tb, m, who);
    size_t i = out.size();
    out.push_back(m);
    while (i > first && scores[i - 1 - first] < s) {
      out[i] = out[i - 1];
      scores[i - first] = scores[i - 1 - first];
      --i;
    }
    out[i] = m;
    scores[i - first] = s;
  });
}

bool is_four_pattern(LinePattern p) { return p == LinePattern::B4 || p == LinePattern::F4; }

uint64_t salt_of(int size, Rule rule) {
  uint64_t z = 0xD1B54A32D192ED03ull * static_cast<uint64_t>(size * 2 + (rule == Rule::Standard ? 1 : 0) + 1);
  z ^= z >> 29;
  z *= 0xBF58476D1CE4E5B9ull;
  return z ^ (z >> 32);
}

}  // namespace

Limits Limits::within(std::chrono::steady_clock::duration budget, int64_t max_nodes) {
  Limits l;
  l.max_nodes = max_nodes;
  l.deadline = std::chrono::steady_clock::now() + budget;
  return l;
}

const char* verdict_name(Verdict v) {
  switch (v) {
    case Verdict::Win: return "win";
    case Verdict::NoWin: return "no-win";
    case Verdict::Unknown: return "unknown";
  }
  return "?";
}

const char* defence_status_name(DefenceStatus s) {
  switch (s) {
    case DefenceStatus::NoThreat: return "no-threat";
    case DefenceStatus::Defend: return "defend";
    case DefenceStatus::Lost: return "lost";
    case DefenceStatus::Unknown: return "unknown";
  }
  return "?";
}

std::vector<Move> must_block(const ThreatBoard& tb) {
  std::vector<Move> out;
  const Stone me = tb.to_move();
  if (tb.fives(me) > 0) return out;
  tb.squares(opponent(me), CellClass::Five).for_each([&](Move m) { out.push_back(m); });
  return out;
}

Solver::Solver(size_t tt_entries) {
  size_t cap = 1;
  while (cap < tt_entries) cap <<= 1;
  tt_.resize(cap);
  tt_mask_ = cap - 1;
  scratch_.resize(kMaxPly + 2);
}

void Solver::clear() { std::fill(tt_.begin(), tt_.end(), Entry{}); }

void Solver::start(ThreatBoard& tb, const Limits& limits) {
  tb_ = &tb;
  limits_ = limits;
  nodes_ = 0;
  aborted_ = false;
  ply_ = 0;
  trail_.clear();
  salt_ = salt_of(tb.size(), tb.rule());
}

bool Solver::out_of_budget() {
  if (aborted_) return true;
  if (nodes_ >= limits_.max_nodes || ply_ >= kMaxPly) {
    aborted_ = true;
  } else if (nodes_ % kCheckEvery == 0 && std::chrono::steady_clock::now() >= limits_.deadline) {
    aborted_ = true;
  }
  return aborted_;
}

// The side to move (the attacker) tries to win with fours, and open threes while depth >= 1.
// depth < 0: VCF only; the defender's pending-three answers are not accepted either.
Solver::Node Solver::attack(int depth) {
  if (out_of_budget()) return Node::Abort;
  ++nodes_;
  ThreatBoard& tb = *tb_;
  const Stone a = tb.to_move(), d = opponent(a);
  if (tb.fives(a) > 0) return Node::Win;
  const int their_fives = tb.fives(d);
  if (their_fives >= 2) return Node::Fail;

  const uint64_t key = key_of(tb);
  Entry& slot = tt_[key & tt_mask_];
  if (slot.key == key) {
    if (slot.flag == 1 && slot.depth <= depth) return Node::Win;
    if (slot.flag == 2 && slot.depth >= depth) return Node::Fail;
  }
  auto store = [&](Node r, Move m) {
    if (r == Node::Abort) return;
    slot.key = key;
    slot.move = static_cast<int16_t>(m);
    slot.depth = static_cast<int8_t>(std::clamp(depth, -1, 100));
    slot.flag = r == Node::Win ? 1 : 2;
  };

  ++ply_;
  Node result = Node::Fail;
  Move best = kNoMove;
  if (their_fives == 1) {
    // Blocking is forced; it must leave a threat (checked by defend()).
    const Move s = tb.squares(d, CellClass::Five).first();
    tb.play(s);
    trail_.push_back(s);
    result = defend(depth);
    trail_.pop_back();
    tb.undo();
    best = s;
  } else if (tb.count(a, CellClass::Flex4) > 0) {
    best = tb.squares(a, CellClass::Flex4).first();
    result = Node::Win;
  } else {
    std::vector<Move>& moves = scratch_[ply_];
    moves.clear();
    // Whether the defender had a VCF before our move. Our stones never give it one, so without
    // it the defender cannot have one after an open three either.
    bool their_vcf = false;
    append_ordered(tb, tb.squares(a, CellClass::B4F3), a, moves);
    append_ordered(tb, tb.squares(a, CellClass::B4), a, moves);
    if (depth >= 1) {
      MoveSet threes = tb.threes(a);
      if (!trail_.empty()) threes &= related_squares();
      // An open three gives the defender a free move: if it has a VCF now, only threes on the
      // squares that spoil that VCF can work (the others are refuted by it).
      if (!threes.empty() && !tb.fours(d).empty()) {
        tb.pass();
        const Node r = attack(-1);
        their_vcf = r == Node::Win;
        if (r == Node::Win) {
          bool complete = false;
          const std::vector<Move> line = main_line(-1, 0, &complete);
          if (complete) threes &= vcf_refutation_squares(line);
        }
        tb.undo();
        if (r == Node::Abort) threes = MoveSet{};
      }
      append_ordered(tb, threes, a, moves);
    }
    for (size_t i = 0; i < moves.size(); ++i) {
      const Move m = moves[i];
      tb.play(m);
      trail_.push_back(m);
      const int child_depth = tb.fives(a) > 0 ? depth : depth - 1;
      const Node r = defend(child_depth, their_vcf);
      trail_.pop_back();
      tb.undo();
      if (r == Node::Abort) { result = Node::Abort; break; }
      if (r == Node::Win) { result = Node::Win; best = m; break; }
    }
  }
  --ply_;
  store(result, best);
  return result;
}

// The side to move defends against the attacker, who has just moved (or blocked).
Solver::Node Solver::defend(int depth, bool check_their_vcf) {
  if (out_of_budget()) return Node::Abort;
  ++nodes_;
  ThreatBoard& tb = *tb_;
  const Stone d = tb.to_move(), a = opponent(d);
  if (tb.fives(d) > 0) return Node::Fail;  // the defender wins first
  const int fives = tb.fives(a);
  if (fives >= 2) return Node::Win;
  Node result;
  ++ply_;
  if (fives == 1) {
    tb.play(tb.squares(a, CellClass::Five).first());
    result = attack(depth);
    tb.undo();
  } else if (depth < 0 || tb.count(a, CellClass::Flex4) == 0) {
    result = Node::Fail;  // no threat left to answer
  } else {
    result = Node::Win;
    // A defender with a VCF of its own refutes the three.
    if (check_their_vcf && !tb.fours(d).empty()) {
      const Node r = attack(-1);
      if (r == Node::Abort) result = Node::Abort;
      else if (r == Node::Win) result = Node::Fail;
    }
    if (result == Node::Win) {
      std::vector<Move>& options = scratch_[ply_];
      defender_options(options);
      for (size_t i = 0; i < options.size(); ++i) {
        tb.play(options[i]);
        const Node r = attack(depth);
        tb.undo();
        if (r != Node::Win) { result = r; break; }
      }
    }
  }
  --ply_;
  return result;
}

// For a VCF main line from the current position (its attacker to move): the squares where a
// stone of the defender could spoil it. A defender stone elsewhere leaves every four of the line a
// four with the same five square and gives the defender no five square at any point, so the line
// still wins: the line's squares, the defender's four squares at each attacker-to-move position
// along it, and the attacker's five squares at its end.
MoveSet Solver::vcf_refutation_squares(const std::vector<Move>& line) {
  ThreatBoard& tb = *tb_;
  const Stone a = tb.to_move(), d = opponent(a);
  MoveSet out;
  int plays = 0;
  for (const Move m : line) {
    if (tb.at(m) != Stone::Empty) break;
    if (tb.to_move() == a) out |= tb.fours(d);
    out.set(m);
    tb.play(m);
    ++plays;
  }
  out |= tb.squares(a, CellClass::Five);
  for (int i = 0; i < plays; ++i) tb.undo();
  return out;
}

// Squares on the 4 lines through the attacker's last two moves, within distance 4: where a new
// open three depends on them.
MoveSet Solver::related_squares() const {
  static constexpr int kDx[4] = {1, 0, 1, -1}, kDy[4] = {0, 1, 1, 1};
  const ThreatBoard& tb = *tb_;
  const int n = tb.size();
  MoveSet out;
  const size_t from = trail_.size() >= 2 ? trail_.size() - 2 : 0;
  for (size_t i = from; i < trail_.size(); ++i) {
    const int x0 = tb.x_of(trail_[i]), y0 = tb.y_of(trail_[i]);
    for (int dir = 0; dir < 4; ++dir)
      for (int k = -4; k <= 4; ++k) {
        const int x = x0 + k * kDx[dir], y = y0 + k * kDy[dir];
        if (x >= 0 && y >= 0 && x < n && y < n) out.set(y * n + x);
      }
  }
  return out;
}

// The defender's replies to a pending open-four threat: the squares after which the attacker has
// no open-four/double-four square left, then the defender's own fours. Every other reply loses to
// the open four at once.
void Solver::defender_options(std::vector<Move>& out) {
  ThreatBoard& tb = *tb_;
  const Stone d = tb.to_move(), a = opponent(d);
  const int n = tb.size();
  static constexpr int kDx[4] = {1, 0, 1, -1}, kDy[4] = {0, 1, 1, 1};
  MoveSet cand;
  bool first = true;
  tb.squares(a, CellClass::Flex4).for_each([&](Move w) {
    MoveSet near;
    near.set(w);
    const int x0 = tb.x_of(w), y0 = tb.y_of(w);
    for (int dir = 0; dir < 4; ++dir) {
      if (!is_four_pattern(tb.pattern(w, a, dir))) continue;
      for (int sgn = -1; sgn <= 1; sgn += 2)
        for (int k = 1; k <= 4; ++k) {
          const int x = x0 + sgn * k * kDx[dir], y = y0 + sgn * k * kDy[dir];
          if (x < 0 || y < 0 || x >= n || y >= n) break;
          const Move m = y * n + x;
          if (tb.at(m) == Stone::Empty) near.set(m);
        }
    }
    if (first) cand = near;
    else cand &= near;
    first = false;
  });
  out.clear();
  MoveSet blocks;
  cand.for_each([&](Move c) {
    tb.play(c);
    const bool holds = tb.count(a, CellClass::Flex4) == 0;
    tb.undo();
    if (holds) blocks.set(c);
  });
  append_ordered(tb, blocks, d, out);
  MoveSet fours = tb.fours(d);
  for (int i = 0; i < MoveSet::kWords; ++i) fours.w[i] &= ~blocks.w[i];
  append_ordered(tb, fours, d, out);
}

// The attacker's winning move at the current position for a win proven at `depth` (kNoMove if
// it cannot be recovered within the limits).
bool Solver::win_move(int depth, Move* move) {
  ThreatBoard& tb = *tb_;
  const Stone a = tb.to_move(), d = opponent(a);
  if (tb.fives(a) > 0) { *move = tb.squares(a, CellClass::Five).first(); return true; }
  if (tb.fives(d) == 1) { *move = tb.squares(d, CellClass::Five).first(); return true; }
  if (tb.fives(d) >= 2) return false;
  if (tb.count(a, CellClass::Flex4) > 0) { *move = tb.squares(a, CellClass::Flex4).first(); return true; }
  for (int attempt = 0; attempt < 2; ++attempt) {
    const uint64_t key = key_of(tb);
    const Entry& e = tt_[key & tt_mask_];
    if (e.key == key && e.flag == 1 && e.move != kNoMove && tb.at(e.move) == Stone::Empty) {
      *move = e.move;
      return true;
    }
    if (attempt == 0 && attack(depth) != Node::Win) return false;
  }
  return false;
}

// The main line of a proven win at `depth` from the current position (attacker to move):
// attacker and defender moves until a five, or an open four the defender cannot stop. Lost table
// entries are searched again, with up to `extra_nodes` past the node limit (never past the
// clock); *complete tells whether the line reached its end.
std::vector<Move> Solver::main_line(int depth, int64_t extra_nodes, bool* complete) {
  ThreatBoard& tb = *tb_;
  std::vector<Move> line;
  const Stone a = tb.to_move(), d = opponent(a);
  const int64_t saved_max = limits_.max_nodes;
  if (extra_nodes > 0) {
    limits_.max_nodes = std::max(saved_max, nodes_) + extra_nodes;
    aborted_ = false;
  }
  bool done = false;
  std::vector<Move> options;
  int plays = 0;
  for (int guard = 0; guard < Board::kMaxCells; ++guard) {
    Move m;
    if (tb.fives(a) > 0) { line.push_back(tb.squares(a, CellClass::Five).first()); done = true; break; }
    const bool forced = tb.fives(d) == 1;
    if (!win_move(depth, &m)) break;
    tb.play(m);
    ++plays;
    line.push_back(m);
    if (tb.fives(a) >= 2) { done = true; break; }  // an open four or double four: unstoppable
    if (!forced && tb.fives(a) == 0) --depth;
    if (tb.fives(d) > 0) break;   // cannot happen in a proof; stop rather than loop
    Move reply;
    if (tb.fives(a) == 1) {
      reply = tb.squares(a, CellClass::Five).first();
    } else {
      defender_options(options);
      // No reply stops the open four: show the defender taking one of its squares.
      reply = options.empty() ? tb.squares(a, CellClass::Flex4).first() : options.front();
      if (reply == kNoMove) break;
    }
    tb.play(reply);
    ++plays;
    line.push_back(reply);
  }
  for (int i = 0; i < plays; ++i) tb.undo();
  limits_.max_nodes = saved_max;
  if (complete) *complete = done;
  return line;
}

Result Solver::run_vcf() {
  Result res;
  const Node n = attack(-1);
  res.nodes = nodes_;
  if (n == Node::Win) {
    res.verdict = Verdict::Win;
    res.line = main_line(-1, kLineExtraNodes, &line_complete_);
    res.move = res.line.empty() ? kNoMove : res.line.front();
    res.depth = -1;
  } else {
    res.verdict = n == Node::Fail ? Verdict::NoWin : Verdict::Unknown;
  }
  return res;
}

Result Solver::run_vct() {
  Result res = run_vcf();
  if (res.verdict != Verdict::NoWin) return res;
  for (int depth = 1; depth <= limits_.max_depth; ++depth) {
    const Node n = attack(depth);
    res.nodes = nodes_;
    if (n == Node::Abort) { res.verdict = Verdict::Unknown; return res; }
    if (n == Node::Win) {
      res.verdict = Verdict::Win;
      res.line = main_line(depth, kLineExtraNodes, &line_complete_);
      res.move = res.line.empty() ? kNoMove : res.line.front();
      res.depth = depth;
      return res;
    }
  }
  res.verdict = Verdict::NoWin;
  return res;
}

Result Solver::run_find_win() {
  ThreatBoard& tb = *tb_;
  if (tb.fives(tb.to_move()) > 0) {
    Result res;
    res.verdict = Verdict::Win;
    res.move = tb.squares(tb.to_move(), CellClass::Five).first();
    res.line = {res.move};
    return res;
  }
  return run_vct();
}

Result Solver::vcf(ThreatBoard& tb, const Limits& limits) {
  start(tb, limits);
  return run_vcf();
}

Result Solver::vct(ThreatBoard& tb, const Limits& limits) {
  start(tb, limits);
  return run_vct();
}

Result Solver::find_win(ThreatBoard& tb, const Limits& limits) {
  start(tb, limits);
  return run_find_win();
}

namespace {
// A finished game has nothing left to win.
Result game_over() {
  Result r;
  r.verdict = Verdict::NoWin;
  return r;
}
}  // namespace

Result Solver::vcf(const Board& board, const Limits& limits) {
  if (board.is_over()) return game_over();
  ThreatBoard tb(board);
  return vcf(tb, limits);
}

Result Solver::vct(const Board& board, const Limits& limits) {
  if (board.is_over()) return game_over();
  ThreatBoard tb(board);
  return vct(tb, limits);
}

Result Solver::find_win(const Board& board, const Limits& limits) {
  if (board.is_over()) return game_over();
  ThreatBoard tb(board);
  return find_win(tb, limits);
}

// After the side to move (the defender) plays c: Win = c holds (the opponent has no VCF nor VCT
// within the depth), Fail = c loses (proven), Abort = limits.
DefenceStatus Solver::verify_defence(Move c, DefenceOptions options, int recursion) {
  ThreatBoard& tb = *tb_;
  const Stone d = tb.to_move(), a = opponent(d);
  tb.play(c);
  DefenceStatus verdict;
  if (tb.fives(d) >= 2 && tb.fives(a) == 0) {
    verdict = DefenceStatus::Defend;  // an open four of our own
  } else if (tb.fives(a) > 0) {
    verdict = DefenceStatus::Lost;
  } else if (tb.fives(d) == 1) {
    // Our four: the opponent must block, then we face its threat again.
    tb.play(tb.squares(d, CellClass::Five).first());
    const DefenceResult sub = run_defences(options, recursion + 1);
    tb.undo();
    verdict = sub.status == DefenceStatus::NoThreat ? DefenceStatus::Defend : sub.status;
  } else {
    verdict = DefenceStatus::Defend;
    Node n = attack(-1);
    for (int depth = 1; n == Node::Fail && depth <= limits_.max_depth; ++depth) n = attack(depth);
    if (n == Node::Win) verdict = DefenceStatus::Lost;
    else if (n == Node::Abort) verdict = DefenceStatus::Unknown;
  }
  tb.undo();
  return verdict;
}

DefenceResult Solver::run_defences(DefenceOptions options, int recursion) {
  ThreatBoard& tb = *tb_;
  DefenceResult res;
  const Stone d = tb.to_move(), a = opponent(d);
  auto finish = [&](DefenceStatus s) {
    res.status = s;
    res.nodes = nodes_;
    std::sort(res.moves.begin(), res.moves.end());
    return res;
  };
  if (tb.fives(d) > 0) { res.complete = true; return finish(DefenceStatus::NoThreat); }
  if (recursion > 64) return finish(DefenceStatus::Unknown);

  std::vector<Move> candidates;
  if (tb.fives(a) > 0) {
    res.threat.verdict = Verdict::Win;
    res.threat.move = tb.squares(a, CellClass::Five).first();
    res.threat.line = {res.threat.move};
    res.complete = true;
    if (tb.fives(a) >= 2) return finish(DefenceStatus::Lost);
    candidates.push_back(res.threat.move);
  } else {
    tb.pass();
    res.threat = run_vct();
    const Result& t = res.threat;
    if (t.verdict == Verdict::Win) {
      // The squares that can matter. For a VCF the set is exact: a move off the line that makes
      // no four for us at any point of it leaves the same line winning.
      MoveSet seen;
      auto add = [&](Move m) {
        if (m != kNoMove && tb.at(m) == Stone::Empty && !seen.test(m)) { seen.set(m); candidates.push_back(m); }
      };
      for (const Move m : t.line) add(m);
      tb.fours(d).for_each(add);
      vcf_refutation_squares(t.line).for_each(add);
      if (t.depth < 0 && line_complete_) {
        res.complete = true;
      } else {
        tb.threes(d).for_each(add);
        if (options.exhaustive) {
          for (Move m = 0; m < tb.size() * tb.size(); ++m) add(m);
          res.complete = true;
        } else {
          static constexpr int kDx[4] = {1, 0, 1, -1}, kDy[4] = {0, 1, 1, 1};
          const int n = tb.size();
          for (size_t i = 0; i < t.line.size(); i += 2)
            for (int dir = 0; dir < 4; ++dir)
              for (int sgn = -1; sgn <= 1; sgn += 2)
                for (int k = 1; k <= 3; ++k) {
                  const int x = tb.x_of(t.line[i]) + sgn * k * kDx[dir];
                  const int y = tb.y_of(t.line[i]) + sgn * k * kDy[dir];
                  if (x < 0 || y < 0 || x >= n || y >= n) break;
                  add(y * n + x);
                }
        }
      }
    }
    tb.undo();
    if (t.verdict == Verdict::NoWin) { res.complete = true; return finish(DefenceStatus::NoThreat); }
    if (t.verdict == Verdict::Unknown) return finish(DefenceStatus::Unknown);
  }

  bool all_lost = true, any_unknown = false;
  for (const Move c : candidates) {
    const DefenceStatus v = verify_defence(c, options, recursion);
    if (v == DefenceStatus::Defend) { res.moves.push_back(c); all_lost = false; }
    else if (v != DefenceStatus::Lost) { any_unknown = true; all_lost = false; }
    if (aborted_) { any_unknown = true; break; }
  }
  if (any_unknown) { res.complete = false; return finish(DefenceStatus::Unknown); }
  if (!res.moves.empty()) return finish(DefenceStatus::Defend);
  if (all_lost && res.complete) return finish(DefenceStatus::Lost);
  res.complete = false;
  return finish(DefenceStatus::Unknown);
}

DefenceResult Solver::defences(ThreatBoard& tb, const Limits& limits, DefenceOptions options) {
  start(tb, limits);
  return run_defences(options, 0);
}

DefenceResult Solver::defences(const Board& board, const Limits& limits, DefenceOptions options) {
  if (board.is_over()) {
    DefenceResult r;
    r.status = DefenceStatus::NoThreat;
    r.complete = true;
    r.threat = game_over();
    return r;
  }
  ThreatBoard tb(board);
  return defences(tb, limits, options);
}

}  // namespace hearth::threat
