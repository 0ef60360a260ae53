// Batched multi-threaded PUCT search over a Gomoku board.
//
// Thread-safety: one owner thread calls set_position/run/choose_move/stats; run() itself starts
// params.threads search threads that share the tree (virtual loss keeps them apart) and hand
// their leaves to the evaluator, which must be thread-safe (a BatchingEvaluator or a cache over
// one). stop() may be called from any thread while run() is in progress.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <random>
#include <vector>

#include "board.h"
#include "evaluator/evaluator.h"

namespace hearth {

struct SearchParams {
  int threads = 1;
  double c_puct = 1.5;
  double fpu_reduction = 0.2;         // unvisited child value = parent value - this
  double virtual_loss = 1.0;          // losses added per in-flight visit
  double dirichlet_alpha = 0.0;       // root noise; 0 = off (match play)
  double dirichlet_epsilon = 0.25;
  int temperature_moves = 0;          // sample by visits for the first k moves of a game; 0 = off
  double temperature = 1.0;
  uint64_t seed = 0;                  // 0 = seed from the clock
  size_t max_memory_mb = 300;         // the tree never grows past this (Gomocup limit is 350 MiB)
};

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
  bool memory_capped = false;       // stopped growing the tree at max_memory_mb
  std::vector<std::pair<Move, int64_t>> child_visits;  // root children with visits, most first
  std::vector<Move> pv;             // principal variation from the root
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
  // Searches until a limit is hit or stop() is called; at least one playout unless the position
  // is over. Throws EvalError if the evaluator fails.
  SearchResult run(const SearchLimits& limits);
  void stop();
  // The move to play: most visits, or sampled by visits^(1/T) during the first
  // params.temperature_moves moves of the game.
  Move choose_move(const SearchResult& result);
  const SearchParams& params() const { return params_; }
  void clear_tree();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  SearchParams params_;
};

}  // namespace hearth
