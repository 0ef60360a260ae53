// One game against the engine: the board, the evaluator stack and the search, for front-ends
// (piskvork, terminal play, bench, later tournaments).
//
// Thread-safety: one owner thread calls everything except stop(), which any thread may call at
// any time (it stops the think in progress, if any; it does not affect later thinks).
#pragma once

#include <memory>
#include <mutex>

#include "engine/game/board.h"
#include "evaluator/evaluator_stack.h"
#include "engine/search/search.h"

namespace hearth {

struct ThinkResult {
  Move move = kNoMove;
  SearchResult search;
};

class EngineSession {
 public:
  // Creates nothing yet: the evaluator is made by the first new_game().
  EngineSession(SearchParams params, EvaluatorConfig evaluator_config);
  ~EngineSession();  // tells the evaluator the game ended
  EngineSession(const EngineSession&) = delete;
  EngineSession& operator=(const EngineSession&) = delete;

  // Starts an empty game. Makes a new evaluator only when the size or rule changed (creating one
  // can take seconds for a GPU plugin). Throws std::invalid_argument for a bad size and
  // PluginError when the evaluator cannot be made; the session is then unchanged.
  void new_game(int size, Rule rule);
  bool has_game() const { return evaluator_ != nullptr; }
  const Board& board() const { return board_; }

  // Plays a move for the side to move; false (and nothing changes) if it is illegal.
  bool play(Move m);
  // Takes back the last move; false if there is none.
  bool undo();
  // Replaces the position by `board` (same size and rule as the game, else std::invalid_argument).
  // The tree is kept when `board` continues the current position.
  void set_board(const Board& board);
  // Changes the rule mid-game: the moves so far are replayed under `rule`, the evaluator remade
  // if needed. Throws PluginError (session unchanged) if the evaluator cannot be made.
  void set_rule(Rule rule);

  // Replaces the search parameters; the tree is dropped (the next think starts fresh).
  void set_search_params(const SearchParams& params);
  const SearchParams& search_params() const { return params_; }
  // Drops the search tree (bench searches every position from scratch).
  void clear_tree();

  // Searches the current position (precondition: a game exists and is not over) and returns the
  // move to play, which is legal. Does not play it. Throws EvalError if the evaluator fails.
  ThinkResult think(const SearchLimits& limits);
  void stop();

  const Evaluator& evaluator() const { return *evaluator_; }

 private:
  void end_game_hint();

  SearchParams params_;
  EvaluatorConfig evaluator_config_;
  EvaluatorPtr evaluator_;
  int evaluator_size_ = 0;
  Rule evaluator_rule_ = Rule::Freestyle;
  Board board_;
  bool game_active_ = false;  // game_start sent, game_end not yet

  std::mutex mutex_;  // guards search_ and thinking_ against stop() from other threads
  std::unique_ptr<Search> search_;
  bool thinking_ = false;
};

// The memory that is not the search tree: program, threads, plugin, and the evaluation cache.
// Used to turn the protocol's max_memory into a tree budget.
size_t estimated_overhead_bytes(const EvaluatorConfig& config, int board_size);

}  // namespace hearth
