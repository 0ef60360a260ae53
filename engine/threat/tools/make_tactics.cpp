// hearth_threat_tactics: makes the tactical test set (tests/data/tactics/README.md).
//
// Positions come from games between two randomised heuristic players (pattern-class scores,
// softmax over the best squares), on 15x15 and 20x20 under both rules. Along each game, every
// position is classified for the side to move; a kind's quota per (size, rule) group takes at
// most one position of each kind per game. Answer sets are computed with a large budget and
// verified with a ten times larger one:
//   win-in-one    the five squares (checked with Board::wins_at)
//   block-four    the opponent's single five square (we have none), and after it the opponent
//                 has no VCF/VCT
//   vcf           every four that starts a VCF: each listed move's VCF line is replayed on a
//                 plain Board (each four leaves one five square, the defender has none of its
//                 own, the end is a five or two five squares); every other four proven to have
//                 no VCF after the forced reply (the VCF search is complete). Positions where a
//                 naive plain-Board VCF (independent code) finds a win of <= 4 attacker moves are
//                 mostly skipped (the set keeps them for at most a fifth of its vcf entries).
//   vct           no VCF; every four or open three after which EVERY reply of the defender (all
//                 empty squares, not only the solver's restricted ones) still loses to a VCF/VCT;
//                 every other four/three has a reply after which no VCF/VCT is found
//   only-defence  the opponent has a VCF/VCT threat of 3 attacker moves or more (no five, no open
//                 four square) and we have no win; every empty square is
//                 tried: listed moves leave the opponent no VCF/VCT, every other
//                 move loses to one (VCF lines replayed on a plain Board); a four of ours counts
//                 as holding only if, after the forced block, some move of ours holds again (every
//                 square tried, recursively). 1-4 answers.
// VCT means the solver's VCT at its default depth (Limits::max_depth, 6 open threes).
//
// Usage: hearth_threat_tactics --out FILE [--seed N] [--quota N] [--minutes M]
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "engine/game/board.h"
#include "engine/threat/solver.h"
#include "engine/threat/tactics.h"
#include "engine/threat/threat_board.h"

using namespace hearth;
using namespace hearth::threat;

namespace {

constexpr int kDx[4] = {1, 0, 1, -1}, kDy[4] = {0, 1, 1, 1};

// VCT depth: the solver's default, so that the set means what a default search means.
Limits budget(int64_t nodes, int depth = Limits{}.max_depth) {
  Limits l;
  l.max_nodes = nodes;
  l.max_depth = depth;
  return l;
}

// ---- plain-Board tactics, independent of the threat code -------------------------------------

// Five squares of `who` among the squares on the 4 lines through `around` (within 4), or on the
// whole board when around == kNoMove.
std::vector<Move> fives_of(const Board& b, Stone who, Move around = kNoMove) {
  std::vector<Move> out;
  auto test = [&](Move m) {
    if (b.at(m) == Stone::Empty && b.wins_at(m, who) &&
        std::find(out.begin(), out.end(), m) == out.end())
      out.push_back(m);
  };
  if (around == kNoMove) {
    for (Move m = 0; m < b.cells(); ++m) test(m);
  } else {
    for (int d = 0; d < 4; ++d)
      for (int k = -4; k <= 4; ++k) {
        const int x = b.x_of(around) + k * kDx[d], y = b.y_of(around) + k * kDy[d];
        if (b.on_board(x, y)) test(b.move_at(x, y));
      }
  }
  return out;
}

// Naive VCF of at most `k` attacker moves for the side to move (plain Board, no tables).
bool naive_vcf(Board& b, int k) {
  const Stone a = b.to_move(), d = opponent(a);
  if (!fives_of(b, a).empty()) return true;
  const auto theirs = fives_of(b, d);
  if (theirs.size() >= 2 || k == 0) return false;
  std::vector<Move> cands;
  if (theirs.size() == 1) cands = theirs;
  else
    for (Move m = 0; m < b.cells(); ++m)
      if (b.at(m) == Stone::Empty) cands.push_back(m);
  for (Move c : cands) {
    b.play(c);
    bool win = false;
    if (!b.is_over()) {
      const auto mine = fives_of(b, a, c);
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

// A VCF line (attacker first) is a proof on the plain Board.
bool vcf_line_ok(Board b, const std::vector<Move>& line) {
  const Stone a = b.to_move(), d = opponent(a);
  if (line.empty() || line.size() % 2 == 0) return false;
  for (size_t i = 0; i < line.size(); i += 2) {
    const auto theirs = fives_of(b, d);
    if (!theirs.empty() && (theirs.size() != 1 || theirs[0] != line[i])) return false;
    if (!b.is_legal(line[i])) return false;
    b.play(line[i]);
    if (b.outcome() != Outcome::Ongoing) return i + 1 == line.size();
    const auto mine = fives_of(b, a);
    if (i + 1 == line.size()) return mine.size() >= 2 && fives_of(b, d).empty();
    if (mine.size() != 1 || mine[0] != line[i + 1] || !fives_of(b, d).empty()) return false;
    b.play(line[i + 1]);
  }
  return false;
}

// ---- the heuristic players ---------------------------------------------------------------------

int class_score(CellClass c) {
  static const int s[] = {0, 40, 120, 400, 300, 900, 3000, 100000};
  return s[static_cast<int>(c)];
}

Move heuristic_move(const ThreatBoard& tb, std::mt19937_64& rng, double temperature) {
  const Stone me = tb.to_move(), you = opponent(me);
  const int n = tb.size();
  std::vector<std::pair<double, Move>> scored;
  for (Move m = 0; m < n * n; ++m) {
    if (tb.at(m) != Stone::Empty) continue;
    // Near a stone (Chebyshev distance 2).
    bool near = false;
    for (int dy = -2; dy <= 2 && !near; ++dy)
      for (int dx = -2; dx <= 2 && !near; ++dx) {
        const int x = tb.x_of(m) + dx, y = tb.y_of(m) + dy;
        if (tb.on_board(x, y) && tb.at(tb.move_at(x, y)) != Stone::Empty) near = true;
      }
    if (!near) continue;
    double s = class_score(tb.cell_class(m, me)) + 0.8 * class_score(tb.cell_class(m, you));
    for (int d = 0; d < 4; ++d) s += 3.0 * static_cast<int>(tb.pattern(m, me, d)) + 2.0 * static_cast<int>(tb.pattern(m, you, d));
    scored.emplace_back(s, m);
  }
  if (scored.empty()) return tb.move_at(n / 2, n / 2);
  std::sort(scored.rbegin(), scored.rend());
  const size_t top = std::min<size_t>(scored.size(), 8);
  std::vector<double> w(top);
  for (size_t i = 0; i < top; ++i) w[i] = std::exp((scored[i].first - scored[0].first) / temperature);
  std::discrete_distribution<size_t> pick(w.begin(), w.end());
  return scored[pick(rng)].second;
}

// ---- classification ----------------------------------------------------------------------------

struct Found {
  TacticKind kind;
  std::vector<Move> answers;
  int line = 0;
  bool deep = true;  // vcf: no naive VCF of <= 4 attacker moves
};

// Does move m (a four or three of the side to move) start a VCF/VCT: after it, every reply of the
// opponent leaves us a win. 1 yes, 0 no, -1 undetermined.
int starts_vct(Solver& solver, Board b, Move m, int64_t nodes) {
  b.play(m);
  if (b.is_over()) return 1;
  // Replies the solver considers first, then every other square.
  const DefenceResult hint = solver.defences(b, budget(nodes));
  if (hint.status == DefenceStatus::NoThreat) return 0;
  std::vector<Move> order = hint.moves;
  for (Move r : b.legal_moves())
    if (std::find(order.begin(), order.end(), r) == order.end()) order.push_back(r);
  for (Move r : order) {
    b.play(r);
    if (b.is_over()) return 0;  // the reply wins
    const Result w = solver.find_win(b, budget(nodes));
    b.undo();
    if (w.verdict == Verdict::NoWin) return 0;
    if (w.verdict == Verdict::Unknown) return -1;
  }
  return 1;
}

// The defender has just moved (the attacker is to move): does its move hold? +1 holds, 0 loses,
// -1 undetermined. A four of the defender is followed: the attacker blocks, and the defender must
// find a holding move again (every square tried). Losing VCF lines are checked on the plain Board.
int holds(Solver& solver, Board& b, int64_t nodes, int level) {
  const Stone a = b.to_move(), d = opponent(a);
  if (!fives_of(b, a).empty()) return 0;
  const auto theirs = fives_of(b, d);
  if (theirs.size() >= 2) return 1;
  if (theirs.size() == 1) {
    if (level >= 3) return -1;
    b.play(theirs[0]);
    std::vector<Move> order = solver.defences(b, budget(nodes)).moves;
    for (Move m : b.legal_moves())
      if (std::find(order.begin(), order.end(), m) == order.end()) order.push_back(m);
    int verdict = 0;
    for (Move c : order) {
      b.play(c);
      const int r = b.is_over() ? 1 : holds(solver, b, nodes, level + 1);
      b.undo();
      if (r == 1) { verdict = 1; break; }
      if (r < 0) verdict = -1;
    }
    b.undo();
    return verdict;
  }
  Result w = solver.vcf(b, budget(nodes));
  if (w.verdict == Verdict::NoWin) w = solver.vct(b, budget(nodes));
  if (w.verdict == Verdict::Unknown) return -1;
  if (w.verdict == Verdict::NoWin) return 1;
  if (w.depth < 0 && !vcf_line_ok(b, w.line)) {
    std::fprintf(stderr, "VCF line failed the plain-board check\n");
    return -1;
  }
  return 0;
}

// Every legal move of the side to move against the opponent's threat; false if one is undetermined.
bool classify_defences(Solver& solver, Board b, int64_t nodes, std::vector<Move>* holding) {
  holding->clear();
  for (Move c : b.legal_moves()) {
    b.play(c);
    const int r = b.is_over() ? 1 : holds(solver, b, nodes, 0);
    b.undo();
    if (r < 0) return false;
    if (r > 0) holding->push_back(c);
  }
  return true;
}

bool classify(Solver& solver, const Board& b, TacticKind want, int64_t nodes, Found* out) {
  ThreatBoard tb(b);
  const Stone me = tb.to_move(), you = opponent(me);
  out->kind = want;
  out->answers.clear();
  out->line = 0;
  out->deep = true;
  switch (want) {
    case TacticKind::WinInOne: {
      if (tb.fives(me) == 0) return false;
      tb.squares(me, CellClass::Five).for_each([&](Move m) { out->answers.push_back(m); });
      for (Move m : out->answers) if (!b.wins_at(m, me)) return false;
      out->line = 1;
      return true;
    }
    case TacticKind::BlockFour: {
      if (tb.fives(me) > 0 || tb.fives(you) != 1) return false;
      out->answers = fives_of(b, you);
      out->line = 1;
      if (out->answers.size() != 1) return false;
      // Only blocks that hold: after it the opponent has no VCF/VCT.
      Board a = b;
      a.play(out->answers[0]);
      return holds(solver, a, 10 * nodes, 0) == 1;
    }
    case TacticKind::Vcf: {
      if (tb.fives(me) > 0 || tb.fives(you) > 0 || tb.count(me, CellClass::Flex4) > 0) return false;
      const Result r = solver.vcf(b, budget(nodes));
      if (r.verdict != Verdict::Win) return false;
      // Every four: does it start a VCF?
      bool undetermined = false;
      tb.fours(me).for_each([&](Move m) {
        Board a = b;
        a.play(m);
        const auto mine = fives_of(a, me, m);
        if (mine.size() != 1) { out->answers.push_back(m); return; }
        a.play(mine[0]);
        const Result rr = solver.vcf(a, budget(10 * nodes));
        if (rr.verdict == Verdict::Unknown) undetermined = true;
        if (rr.verdict != Verdict::Win) return;
        std::vector<Move> line = {m, mine[0]};
        line.insert(line.end(), rr.line.begin(), rr.line.end());
        if (!vcf_line_ok(b, line)) { undetermined = true; return; }
        out->answers.push_back(m);
      });
      if (undetermined || out->answers.empty()) return false;
      out->line = static_cast<int>((r.line.size() + 1) / 2);
      Board nb = b;
      out->deep = !naive_vcf(nb, 4);
      return true;
    }
    case TacticKind::Vct: {
      if (tb.fives(me) > 0 || tb.fives(you) > 0) return false;
      const Result f = solver.vcf(b, budget(10 * nodes));
      if (f.verdict != Verdict::NoWin) return false;
      const Result r = solver.vct(b, budget(nodes));
      if (r.verdict != Verdict::Win) return false;
      MoveSet threats = tb.fours(me);
      threats |= tb.threes(me);
      bool undetermined = false;
      threats.for_each([&](Move m) {
        if (undetermined) return;
        const int s = starts_vct(solver, b, m, 10 * nodes);
        if (s < 0) undetermined = true;
        if (s > 0) out->answers.push_back(m);
      });
      if (undetermined || out->answers.empty()) return false;
      out->line = static_cast<int>((r.line.size() + 1) / 2);
      return true;
    }
    case TacticKind::OnlyDefence: {
      // Not a plain four or open three to block: a threat of three attacker moves or more.
      if (tb.fives(me) > 0 || tb.fives(you) > 0 || tb.count(you, CellClass::Flex4) > 0) return false;
      if (solver.find_win(b, budget(nodes)).verdict != Verdict::NoWin) return false;
      const DefenceResult d = solver.defences(b, budget(nodes));
      if (d.status != DefenceStatus::Defend || d.moves.size() > 4) return false;
      if (d.threat.line.size() < 5) return false;
      std::vector<Move> holds;
      if (!classify_defences(solver, b, 10 * nodes, &holds)) return false;
      if (holds.empty() || holds.size() > 4) return false;
      out->answers = holds;
      out->line = static_cast<int>((d.threat.line.size() + 1) / 2);
      return true;
    }
  }
  return false;
}

}  // namespace

int main(int argc, char** argv) {
  std::string out_path;
  uint64_t seed = 14;
  int quota = 30;  // positions per (size, rule) group
  double minutes = 30;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i], v = argv[i + 1];
    if (k == "--out") out_path = v;
    else if (k == "--seed") seed = std::stoull(v);
    else if (k == "--quota") quota = std::stoi(v);
    else if (k == "--minutes") minutes = std::stod(v);
    else { std::fprintf(stderr, "unknown option %s\n", k.c_str()); return 2; }
  }
  if (out_path.empty()) {
    std::fprintf(stderr, "usage: hearth_threat_tactics --out FILE [--seed N] [--quota N] [--minutes M]\n");
    return 2;
  }
  const auto stop_at = std::chrono::steady_clock::now() +
                       std::chrono::milliseconds(static_cast<int64_t>(minutes * 60000));
  std::mt19937_64 rng(seed);
  Solver solver(size_t{1} << 20);
  const int64_t nodes = 300000;
  // Quota per kind within a group (scaled to `quota`).
  const std::vector<std::pair<TacticKind, double>> shares = {
      {TacticKind::WinInOne, 0.07}, {TacticKind::BlockFour, 0.07}, {TacticKind::Vcf, 0.40},
      {TacticKind::Vct, 0.26}, {TacticKind::OnlyDefence, 0.20}};
  std::vector<Tactic> all;
  int deep_vcf = 0;
  for (int size : {15, 20}) {
    for (Rule rule : {Rule::Freestyle, Rule::Standard}) {
      std::map<TacticKind, int> want, have, shallow;
      int assigned = 0;
      for (auto [k, share] : shares) assigned += want[k] = std::max(1, static_cast<int>(std::lround(share * quota)));
      want[TacticKind::Vcf] += quota - assigned;
      std::set<uint64_t> seen;
      int games = 0;
      auto done = [&] {
        for (auto [k, n] : want) if (have[k] < n) return false;
        return true;
      };
      while (!done() && std::chrono::steady_clock::now() < stop_at) {
        ++games;
        Board b(size, rule);
        std::uniform_int_distribution<int> jitter(-2, 2);
        const int c = size / 2;
        const int opening = 2 + static_cast<int>(rng() % 3);
        for (int i = 0; i < opening; ++i) {
          const Move m = b.move_at(c + jitter(rng), c + jitter(rng));
          if (b.is_legal(m)) b.play(m);
        }
        std::set<TacticKind> taken;
        const double temperature = 60 + static_cast<double>(rng() % 200);
        while (!b.is_over() && b.move_count() < size * size - 1) {
          if (b.move_count() >= 8) {
            for (auto [kind, share] : shares) {
              (void)share;
              if (taken.count(kind) || have[kind] >= want[kind]) continue;
              // Cheap kinds only now and then, so they come from varied games and plies.
              if ((kind == TacticKind::WinInOne || kind == TacticKind::BlockFour) && rng() % 6) continue;
              if (seen.count(b.hash())) continue;
              Found f;
              if (!classify(solver, b, kind, nodes, &f)) continue;
              if (kind == TacticKind::Vcf && f.deep) ++deep_vcf;
              if (kind == TacticKind::Vcf && !f.deep) {
                if (shallow[kind] * 5 >= want[kind]) continue;
                ++shallow[kind];
              }
              if (kind == TacticKind::Vct && f.line < 5) continue;
              Tactic t;
              t.size = size;
              t.rule = rule;
              t.to_move = b.to_move();
              t.kind = kind;
              t.moves = b.history();
              t.answers = f.answers;
              std::sort(t.answers.begin(), t.answers.end());
              t.line = f.line;
              t.id = std::string(rule == Rule::Freestyle ? "f" : "s") + std::to_string(size) + "-" +
                     tactic_kind_name(kind) + "-" + std::to_string(have[kind] + 1);
              all.push_back(t);
              ++have[kind];
              taken.insert(kind);
              seen.insert(b.hash());
              std::fprintf(stderr, "%s  line=%d answers=%zu (game %d, ply %d)\n", t.id.c_str(), t.line,
                           t.answers.size(), games, b.move_count());
            }
          }
          ThreatBoard tb(b);
          b.play(heuristic_move(tb, rng, temperature));
        }
      }
      std::fprintf(stderr, "group %d %s: %d games\n", size, rule_name(rule), games);
    }
  }
  std::ofstream out(out_path);
  out << "# Hearth tactical test set (format: tests/data/tactics/README.md). Made by\n"
      << "# hearth_threat_tactics --out " << out_path << " --seed " << seed << " --quota " << quota << "\n";
  std::map<std::string, int> tally;
  for (const Tactic& t : all) {
    ++tally[std::string(tactic_kind_name(t.kind))];
    ++tally[std::to_string(t.size) + "x" + std::to_string(t.size) + " " + rule_name(t.rule)];
    if (t.kind == TacticKind::Vcf || t.kind == TacticKind::Vct)
      ++tally[std::string(tactic_kind_name(t.kind)) + (t.line >= 5 ? " line>=5" : " line<5")];
  }
  for (const auto& [k, n] : tally) out << "# " << k << ": " << n << "\n";
  out << "# vcf without a VCF of <= 4 attacker moves (naive plain-Board search): " << deep_vcf << "\n";
  for (const Tactic& t : all) out << format_tactic(t) << "\n";
  std::fprintf(stderr, "%zu positions written to %s\n", all.size(), out_path.c_str());
  return 0;
}
