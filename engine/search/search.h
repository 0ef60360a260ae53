// Batched multi-threaded PUCT search over a Gomoku board.
//
// Thread-safety: one owner thread calls set_position/run/choose_move/stats; run() itself starts
// params.threads search threads that share the tree (virtual loss keeps them apart) and hand
// their leaves to the evaluator, which must be thread-safe (a BatchingEvaluator or a cache over
// one). stop() may be called from any thread while run() is in progress.
// A Search keeps its params.threads - 1 helper threads between runs, and a thread that frees
// the parts of the tree that set_position/clear_tree discard, so those calls return at once.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "engine/game/board.h"
#include "evaluator/evaluator.h"

namespace hearth {

struct SearchParams {
  int threads = 1;
  double c_puct = 1.5;
  // Unvisited child value = parent value - fpu_reduction * sqrt(prior mass of the visited
  // children), lc0's first-play urgency: the more of the policy is explored, the less an
  // unexplored move is trusted.
  double fpu_reduction = 0.2;
  double virtual_loss = 1.0;          // losses added per in-flight visit
  double dirichlet_alpha = 0.0;       // root noise; 0 = off (match play)
  double dirichlet_epsilon = 0.25;
  int temperature_moves = 0;          // sample by visits for the first k moves of a game; 0 = off
  double temperature = 1.0;
  uint64_t seed = 0;                  // 0 = seed from the clock
  // The tree never grows past this (Gomocup limit is 350 MiB); a run that reaches it goes on
  // visiting the nodes it has (their values refine, the tree stops growing) until its limits end
  // it, and says so in SearchResult::memory_capped. Counts what malloc takes for the tree.
  size_t max_memory_mb = 240;         // + cache + allocator slack stays under Gomocup's 350 MiB
  // An expanded node (the root aside) keeps only its highest-prior moves, the fewest whose priors
  // add up to this much (at least kMinKeptEdges of them): on 20x20 a node otherwise stores ~400
  // edges, most of which search never visits. 1 keeps every legal move.
  double kept_prior_mass = 0.999;
  int leaves_per_batch = 8;           // leaves one thread gathers under virtual loss per evaluate()
  // Sees fives without the evaluator: a position whose side to move can make five at once is
  // scored as a win for it (at the root: only the winning moves are searched), and when the
  // opponent threatens five, only the blocking squares are searched (every other move loses at
  // once). Exact game logic; off leaves plain PUCT with terminal positions only.
  bool check_fives = true;
  // Ends a run before its limits when more search cannot change the move: the root has a single
  // candidate, or a root move is a proven win.
  bool early_stop = true;
  // Also ends it when the most visited move's lead cannot be overtaken in the playouts left
  // (lc0's smart pruning; never while root noise is on, as in self-play, whose visit counts are
  // training targets). Off by default: under a per-move time limit the time it saves is lost,
  // while searching on grows the subtree the next move reuses (measured: 72 % against the
  // previous engine with it, 78.5 % without, 15x15 at 0.5 s a move; bench/cpu-2core/threat-match).
  bool lead_stop = false;
  // Threat-space search (engine/threat) inside the MCTS. At the root: a forced win (five, VCF,
  // VCT) is played at once, and when the opponent threatens one, only the verified defences are
  // searched. At each new node: a VCF of the side to move makes the node a proven loss for the
  // player who moved into it, and proofs back up the tree (MCTS-Solver).
  bool threat_search = true;
  double root_threat_share = 0.3;     // of a time-limited move, spent on the root's threat search
  int64_t root_threat_nodes = 1'000'000;  // and at most this many solver nodes (both searches);
                                          // a search limited by visits: 100 a visit at most
  int64_t node_vcf_nodes = 200;       // solver nodes per new node's VCF; 0 = no VCF at new nodes
  // The moves that make a four or an open three for either side share this much of a new node's
  // prior (spread evenly over them): threats and their answers get looked at.
  double threat_prior_share = 0.1;
};

// The fewest edges an expanded non-root node keeps (SearchParams::kept_prior_mass).
constexpr int kMinKeptEdges = 4;

// Why a run() ended.
enum class StopReason : uint8_t {
  Limit,            // the visit or playout limit
  Time,             // the time limit
  Stopped,          // stop()
  GameOver,         // the position is over: nothing to search
  SingleMove,       // the root has one candidate (a forced block, say)
  ProvenWin,        // a root move wins by force (a five, a VCF or VCT, a proven subtree)
  UnreachableLead,  // the best move's lead cannot be overtaken in the playouts left
};
const char* stop_reason_name(StopReason reason);

struct SearchLimits {
  int64_t visits = 0;     // root visits, reused ones included; 0 = no limit
  int64_t playouts = 0;   // new visits in this search; 0 = no limit
  double seconds = 0.0;   // wall time; 0 = no limit
};

struct SearchResult {
  Move best = kNoMove;
  float value = 0.0f;               // root value, side to move's view
  int64_t root_visits = 0;
  int64_t playouts = 0;             // visits added by this run
  int64_t evaluations = 0;          // leaves sent to the evaluator by this run
  double seconds = 0.0;
  size_t tree_bytes = 0;
  bool memory_capped = false;       // the tree stopped growing at max_memory_mb during the run
  StopReason stop_reason = StopReason::Limit;
  std::vector<std::pair<Move, int64_t>> child_visits;  // root children with visits, most first
  std::vector<Move> pv;             // principal variation from the root (a threat win's line)
  // The root's threat search: "vcf win", "vct win", "defending (N moves)", "lost" or "" (none
  // found, or off). threat_nodes: its solver nodes.
  std::string threat;
  int64_t threat_nodes = 0;
  int64_t collisions = 0;           // descents that met a leaf already in flight (diagnostics)
};

// A walk over the whole tree, for tests and debugging (Search::debug_check_tree).
struct SearchTreeStats {
  int64_t nodes = 0;
  int64_t expanded = 0;
  int64_t terminal = 0;
  int64_t nonzero_virtual_loss = 0;  // nodes whose in-flight count is not 0
  int64_t left_in_flight = 0;        // nodes still marked as being evaluated
  int64_t visit_mismatches = 0;      // expanded nodes where N < 1 + sum of children's N
  int64_t revisits = 0;              // visits that found a node unable to grow (a full tree): the sum
                                     // over expanded nodes of N - 1 - sum of children's N
  size_t bytes_walked = 0;           // memory of the nodes found by the walk
  size_t bytes_tracked = 0;          // the tree's own running count (SearchResult::tree_bytes)
};

class Search {
 public:
  Search(EvaluatorPtr evaluator, SearchParams params);
  ~Search();
  Search(const Search&) = delete;
  Search& operator=(const Search&) = delete;

  // Sets the position to search. If `board` extends the current root's position by moves that
  // were played, the subtree under those moves is kept (tree reuse); otherwise the tree is reset.
  void set_position(const Board& board);
  // Searches until a limit is hit, stop() is called or (params.early_stop) more search cannot
  // change the move; at least one playout unless the position is over or the root's threat
  // search found a forced win (then that move, with its line as the PV, and no playouts). Throws EvalError if the evaluator fails
  // or serves another board size; the tree stays consistent and can be searched again.
  SearchResult run(const SearchLimits& limits);
  // Ends the run() in progress soon (after at least one playout). A stop() while no run() is in
  // progress is forgotten: every run() starts unstopped.
  void stop();
  // The move to play: most visits, or sampled by visits^(1/T) during the first
  // params.temperature_moves moves of the game.
  Move choose_move(const SearchResult& result);
  const SearchParams& params() const { return params_; }
  void clear_tree();

  // Visits of the current root (those kept by tree reuse included). Owner thread, not during run().
  int64_t root_visits() const;
  // For tests: visits of the node reached from the root by `moves` (0 if the tree lacks it), and
  // a full walk checking the tree's invariants. Owner thread, not during run().
  int64_t debug_visits_after(const std::vector<Move>& moves) const;
  SearchTreeStats debug_check_tree() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  SearchParams params_;
};

}  // namespace hearth
