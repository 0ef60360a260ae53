#include "engine/tournament/inprocess.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <map>
#include <stdexcept>

#include "evaluator/json_text.h"
#include "engine/search/time_manager.h"

namespace hearth {

std::string evaluator_identity(const EvaluatorConfig& config) {
  std::string text = "plugin=" + config.plugin + " plugin_dir=" + config.plugin_dir +
                     " max_batch=" + std::to_string(config.max_batch) +
                     " batch_deadline_us=" + std::to_string(config.batch_deadline_us) +
                     " cache_entries=" + std::to_string(config.cache_entries);
  for (const auto& [key, value] : config.plugin_options) text += " plugin." + key + "=" + value;
  return text;
}

EvaluatorPool::EvaluatorPool(const std::vector<PlayerSpec>& players, int size, Rule rule) {
  by_player_.resize(players.size());
  std::map<std::string, size_t> index_of;
  for (size_t i = 0; i < players.size(); ++i) {
    const PlayerSpec& p = players[i];
    if (p.kind != PlayerKind::InProcess) continue;
    const std::string key = evaluator_identity(p.settings.evaluator);
    auto it = index_of.find(key);
    if (it == index_of.end()) {
      EvaluatorPtr evaluator;
      try {
        evaluator = make_evaluator(p.settings.evaluator, size, rule);
      } catch (const std::exception& e) {
        throw std::invalid_argument(p.origin + ": its evaluator cannot play " + std::to_string(size) + "x" +
                                    std::to_string(size) + " " + rule_name(rule) + ": " + e.what());
      }
      spdlog::info("tournament: evaluator {} ready: {}", evaluators_.size() + 1, evaluator->spec().description);
      it = index_of.emplace(key, evaluators_.size()).first;
      evaluators_.push_back(std::move(evaluator));
      users_.emplace_back();
    }
    users_[it->second].push_back(static_cast<int>(i));
    by_player_[i] = evaluators_[it->second];
  }
}

std::string EvaluatorPool::stats_json(const std::vector<PlayerSpec>& players) const {
  std::string out = "[";
  for (size_t e = 0; e < evaluators_.size(); ++e) {
    out += e ? "," : "";
    out += "{\"players\":[";
    for (size_t u = 0; u < users_[e].size(); ++u) out += (u ? "," : "") + json::quote(players[users_[e][u]].name);
    out += "],\"description\":" + json::quote(evaluators_[e]->spec().description) +
           ",\"stats\":" + json::object_or_string(evaluators_[e]->stats_json()) + "}";
  }
  return out + "]";
}

InProcessPlayer::InProcessPlayer(const PlayerSpec& spec, EvaluatorPtr evaluator, SearchParams params)
    : spec_(spec), evaluator_(std::move(evaluator)), params_(params) {}

InProcessPlayer::~InProcessPlayer() { game_over(false); }

std::optional<Fault> InProcessPlayer::new_game(int size, Rule rule, uint64_t seed) {
  if (aborted_) return Fault{Termination::Aborted, "aborted"};
  const EvalSpec& eval = evaluator_->spec();
  if (eval.board_size != size)
    return Fault{Termination::Error, "its evaluator serves " + std::to_string(eval.board_size) + "x" + std::to_string(eval.board_size) +
           " boards, not " + std::to_string(size) + "x" + std::to_string(size) + " (" + rule_name(rule) + ")"};
  SearchParams params = params_;
  params.seed = seed;
  try {
    auto search = std::make_unique<Search>(evaluator_, params);
    std::lock_guard<std::mutex> lock(mutex_);
    search_ = std::move(search);
  } catch (const std::exception& e) {
    return Fault{Termination::Error, e.what()};
  }
  evaluator_->game_start();
  in_game_ = true;
  return std::nullopt;
}

MoveAnswer InProcessPlayer::think(const MoveRequest& request) {
  MoveAnswer answer;
  if (aborted_) {
    answer.fault = Fault{Termination::Aborted, "aborted"};
    return answer;
  }
  const Board& board = *request.board;
  // The same budget as the piskvork engine would use under these limits, capped by the
  // player's own fixed limits.
  TimeControl control;
  control.turn_ms = request.turn_ms;
  control.match_ms = request.match_ms;
  if (request.match_ms > 0) control.time_left_ms = request.time_left_ms;
  const MoveBudget budget = plan_move(spec_.settings.time, control, board.cells() - board.move_count());
  SearchLimits limits = spec_.settings.limits;
  const double budget_s = static_cast<double>(budget.budget_ms) / 1000.0;
  limits.seconds = limits.seconds > 0 ? std::min(limits.seconds, budget_s) : budget_s;

  Search* search = search_.get();  // replaced only by this thread (new_game)
  try {
    // Root noise is applied once per fresh tree (search.cpp), so with noise on every move
    // searches a fresh tree: each position of a self-play game gets its own noise.
    if (params_.dirichlet_alpha > 0.0) search->clear_tree();
    search->set_position(board);
    const SearchResult result = search->run(limits);
    if (aborted_) {
      answer.fault = Fault{Termination::Aborted, "aborted"};
      return answer;
    }
    Move move = search->choose_move(result);
    if (!board.is_legal(move)) move = result.best;
    answer.x = board.x_of(move);
    answer.y = board.y_of(move);
    answer.visits = result.child_visits;
    answer.value = result.value;
  } catch (const std::exception& e) {
    answer.fault = Fault{Termination::Error, std::string("search failed: ") + e.what()};
  }
  return answer;
}

void InProcessPlayer::game_over(bool) {
  if (in_game_) evaluator_->game_end();
  in_game_ = false;
}

void InProcessPlayer::abort() {
  aborted_ = true;
  std::lock_guard<std::mutex> lock(mutex_);
  if (search_) search_->stop();
}

}  // namespace hearth
