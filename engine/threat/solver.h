// Threat-space search for Gomoku (freestyle and standard): forced wins by continuous fours
// (VCF) and by fours and open threes (VCT), the defences against an opponent's threat, and the
// cheap tactical queries an MCTS needs. Issue 14.
//
// Search: a depth-first AND/OR search over a ThreatBoard (engine/threat/threat_board.h).
//  * Attacker nodes try fours (and, in VCT, open threes); an attacker facing a four must block it,
//    and the block counts only if it leaves the attacker a threat (a counter-four is answered).
//  * After a four the defender's reply is forced (the five square); a defender with a five of its
//    own wins, and an open four / double four wins for whoever makes it when the other side has
//    no five.
//  * After an open three the defender may play (a) every square after which the attacker can no
//    longer make an open four or double four (computed exactly by trying the squares on the
//    threatening lines) and (b) every four of its own; and a defender that has a VCF of its own
//    refutes the three outright. Any other reply loses at once to the open four, so an AND node
//    that survives all of these is a real proof: a Win verdict is sound, whatever the limits.
//  * VCT depth = how many open threes the attacker may still play (fours are free); iterative
//    deepening from 1 to Limits::max_depth, after a complete VCF pass. A transposition table keyed
//    by the zobrist hash (Board's scheme, salted by board size and rule) stores proven wins and
//    failures with the depth they hold for.
//  * Pruning of the attacker's open threes (never of the defender's replies, so wins stay proofs):
//    after the attacker's first move, a three must lie on a line through one of its last two
//    moves (within 4 squares); and when the defender has a VCF of its own (tried with a pass), only
//    threes on the squares that can spoil that VCF are tried. The VCF pass is exhaustive, so a VCF
//    NoWin is a proof; a VCT NoWin means "none within max_depth under these move rules".
//
// Thread-safety: a Solver owns its table and scratch state: one per thread, never shared. The
// pattern tables behind it are built once (thread-safe static init) and are read-only after.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "engine/game/board.h"
#include "engine/threat/threat_board.h"

namespace hearth::threat {

struct Limits {
  int64_t max_nodes = 1'000'000;  // search nodes (attacker and defender positions visited)
  std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max();
  int max_depth = 6;              // VCT: most open threes in one line (fours are free)

  // Convenience: max_nodes and a deadline `budget` from now.
  static Limits within(std::chrono::steady_clock::duration budget, int64_t max_nodes = INT64_MAX);
};

enum class Verdict {
  Win,      // the side to move wins by force; move and line hold the proof's main line
  NoWin,    // the search finished without a win: VCF: none exists; VCT: none within max_depth
            // under the move rules above
  Unknown,  // the limits ran out first
};
const char* verdict_name(Verdict v);

struct Result {
  Verdict verdict = Verdict::Unknown;
  Move move = kNoMove;     // the winning move (Win only)
  std::vector<Move> line;  // main line from the root, attacker and defender moves alternating,
                           // ending with the five or with an open four / double four (the
                           // defender can take only one of its squares); may stop short if the
                           // table lost an entry and the limits were spent
  int depth = -1;          // open threes the proof needed at most (-1: a VCF or a five)
  int64_t nodes = 0;
};

enum class DefenceStatus {
  NoThreat,  // the opponent has no VCF, nor VCT within max_depth (or the side to move has a five)
  Defend,    // `moves` are verified defences (after each the opponent has no VCF/VCT)
  Lost,      // every move loses: proven
  Unknown,   // the limits ran out before a conclusion; `moves` holds what was verified so far
};
const char* defence_status_name(DefenceStatus s);

struct DefenceResult {
  DefenceStatus status = DefenceStatus::Unknown;
  std::vector<Move> moves;  // verified defences, ascending
  // True when every move not in `moves` is proven to lose (so `moves` is the whole answer). Always
  // so for a five or a VCF threat; for a VCT threat only with DefenceOptions::exhaustive.
  bool complete = false;
  Result threat;            // the opponent's threat as if it were to move now (Win if there is one)
  int64_t nodes = 0;
};

struct DefenceOptions {
  // Check every empty square instead of the squares near the threat (VCT threats only; a VCF
  // threat's candidate set is exact either way).
  bool exhaustive = false;
};

class Solver {
 public:
  // tt_entries: transposition-table slots (rounded up to a power of two; 16 bytes each).
  explicit Solver(size_t tt_entries = size_t{1} << 16);

  // On a finished game (board.is_over()) these return NoWin / NoThreat at once.
  // The side to move's VCF: Win with the line, NoWin if it has none, Unknown at the limits.
  Result vcf(const Board& board, const Limits& limits);
  // The side to move's VCT (its VCF first): Win, NoWin within limits.max_depth, or Unknown.
  Result vct(const Board& board, const Limits& limits);
  // A five, else a VCF, else a VCT: the side to move's winning move and line.
  Result find_win(const Board& board, const Limits& limits);
  // What the side to move can do against the opponent's threat (see DefenceResult).
  DefenceResult defences(const Board& board, const Limits& limits, DefenceOptions options = {});

  // The same on a ThreatBoard the caller keeps (left as it was on return).
  Result vcf(ThreatBoard& tb, const Limits& limits);
  Result vct(ThreatBoard& tb, const Limits& limits);
  Result find_win(ThreatBoard& tb, const Limits& limits);
  DefenceResult defences(ThreatBoard& tb, const Limits& limits, DefenceOptions options = {});

  // Forgets the transposition table (results stay correct without it; this only frees stale
  // entries, e.g. between games).
  void clear();

 private:
  struct Entry {
    uint64_t key = 0;
    int16_t move = kNoMove;
    int8_t depth = 0;
    uint8_t flag = 0;  // 0 empty, 1 win, 2 fail
  };
  enum class Node { Win, Fail, Abort };

  void start(ThreatBoard& tb, const Limits& limits);
  bool out_of_budget();
  uint64_t key_of(const ThreatBoard& tb) const { return tb.hash() ^ salt_; }
  Node attack(int depth);   // side to move attacks
  // Side to move defends against the attacker's threat; check_their_vcf: it may have a VCF.
  Node defend(int depth, bool check_their_vcf = true);
  Node search_root(int depth, Result& out);  // one attack() from the root with its line
  void defender_options(std::vector<Move>& out);
  MoveSet related_squares() const;
  MoveSet vcf_refutation_squares(const std::vector<Move>& line);
  bool win_move(int depth, Move* move);
  std::vector<Move> main_line(int depth, int64_t extra_nodes, bool* complete);
  Result run_vcf();
  Result run_vct();
  Result run_find_win();
  DefenceStatus verify_defence(Move c, DefenceOptions options, int recursion);
  DefenceResult run_defences(DefenceOptions options, int recursion);

  std::vector<Entry> tt_;
  uint64_t tt_mask_;
  uint64_t salt_ = 0;
  ThreatBoard* tb_ = nullptr;
  Limits limits_;
  int64_t nodes_ = 0;
  bool aborted_ = false;
  int ply_ = 0;
  std::vector<std::vector<Move>> scratch_;  // per-ply move lists
  std::vector<Move> trail_;
  bool line_complete_ = false;              // the last root main_line reached its end                 // the attacker's moves on the current path
};

// Cheap queries on a ThreatBoard (no search).
// The side to move has a five now.
inline bool has_five(const ThreatBoard& tb) { return tb.fives(tb.to_move()) > 0; }
// The side to move can make a four (or five) now.
inline bool has_four(const ThreatBoard& tb) { return !tb.fours(tb.to_move()).empty(); }
// The side to move must block: it has no five and the opponent has at least one. Returns the
// opponent's five squares (two or more: the game is lost), or none.
std::vector<Move> must_block(const ThreatBoard& tb);

}  // namespace hearth::threat
