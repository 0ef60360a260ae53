// In-process tournament players: Hearth searches that share evaluators.
//
// EvaluatorPool makes ONE evaluator (cache over batching over plugin, evaluator_stack.h) per
// distinct evaluator configuration among the players, before any game starts, so every game of
// every player with that configuration sends its positions to the same batching layer and
// batches fill across concurrent games. InProcessPlayer is one player's side in one game at a
// time: a Search of its own (its tree) on the shared evaluator, budgeted like the piskvork engine
// (time_manager.h) from the referee's clock and capped by the player's visits/playouts/seconds.
//
// Thread-safety: EvaluatorPool is immutable after construction (thread-safe); its evaluators are
// thread-safe. An InProcessPlayer is used by one thread, except abort() (any thread).
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "engine/search/search.h"
#include "engine/tournament/game.h"
#include "engine/tournament/players.h"

namespace hearth {

class EvaluatorPool {
 public:
  // Makes the evaluators of the in-process players among `players`. Throws std::invalid_argument
  // naming the player(s) when one cannot be made (plugin missing or refusing its options, board
  // size or rule it does not support).
  EvaluatorPool(const std::vector<PlayerSpec>& players, int size, Rule rule);
  // The shared evaluator of in-process player `player` (nullptr for an external one).
  EvaluatorPtr for_player(int player) const { return by_player_.at(player); }
  size_t distinct() const { return evaluators_.size(); }
  // [{"players":[names],"description":..,"stats":{..}}, ...]
  std::string stats_json(const std::vector<PlayerSpec>& players) const;

 private:
  std::vector<EvaluatorPtr> evaluators_;
  std::vector<std::vector<int>> users_;  // players of each evaluator
  std::vector<EvaluatorPtr> by_player_;
};

// The evaluator settings that decide whether two players can share an evaluator.
std::string evaluator_identity(const EvaluatorConfig& config);

class InProcessPlayer : public GamePlayer {
 public:
  // `params` and `limits`: the player's search settings (self-play overrides already applied).
  InProcessPlayer(const PlayerSpec& spec, EvaluatorPtr evaluator, SearchParams params);
  ~InProcessPlayer() override;

  std::optional<Fault> new_game(int size, Rule rule, uint64_t seed) override;
  MoveAnswer think(const MoveRequest& request) override;
  void game_over(bool faulted) override;
  void abort() override;

 private:
  const PlayerSpec& spec_;
  EvaluatorPtr evaluator_;
  SearchParams params_;
  bool in_game_ = false;
  std::mutex mutex_;               // guards search_ against abort() from other threads
  std::unique_ptr<Search> search_;
  std::atomic<bool> aborted_{false};
};

}  // namespace hearth
