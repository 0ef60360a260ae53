#include "engine/play/session.h"

#include <spdlog/spdlog.h>

#include <stdexcept>
#include <utility>

#include "evaluator/caching_evaluator.h"

namespace hearth {

EngineSession::EngineSession(SearchParams params, EvaluatorConfig evaluator_config)
    : params_(std::move(params)), evaluator_config_(std::move(evaluator_config)) {}

EngineSession::~EngineSession() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    search_.reset();  // its threads are gone before the evaluator they use
  }
  end_game_hint();
}

void EngineSession::end_game_hint() {
  if (game_active_ && evaluator_) evaluator_->game_end();
  game_active_ = false;
}

void EngineSession::new_game(int size, Rule rule) {
  Board fresh(size, rule);  // throws for a bad size before anything changes
  EvaluatorPtr evaluator = evaluator_;
  if (!evaluator || evaluator_size_ != size || evaluator_rule_ != rule) {
    evaluator = make_evaluator(evaluator_config_, size, rule);
    spdlog::info("evaluator ready: {} ({}x{}, {})", evaluator->spec().description, size, size, rule_name(rule));
  }
  end_game_hint();
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (evaluator != evaluator_) search_.reset();  // the search holds the old evaluator
    if (search_) search_->clear_tree();
  }
  evaluator_ = std::move(evaluator);
  evaluator_size_ = size;
  evaluator_rule_ = rule;
  board_ = std::move(fresh);
  evaluator_->game_start();
  game_active_ = true;
}

bool EngineSession::play(Move m) {
  if (!has_game() || !board_.is_legal(m)) return false;
  board_.play(m);
  if (board_.is_over()) end_game_hint();
  return true;
}

bool EngineSession::undo() {
  if (board_.move_count() == 0) return false;
  const bool was_over = board_.is_over();
  board_.undo();
  if (was_over && has_game() && !game_active_) {
    evaluator_->game_start();
    game_active_ = true;
  }
  return true;
}

void EngineSession::set_board(const Board& board) {
  if (board.size() != board_.size() || board.rule() != board_.rule())
    throw std::invalid_argument("set_board: the board's size or rule differs from the game's");
  board_ = board;
  if (board_.is_over()) {
    end_game_hint();
  } else if (has_game() && !game_active_) {
    evaluator_->game_start();
    game_active_ = true;
  }
}

void EngineSession::set_rule(Rule rule) {
  if (rule == board_.rule()) return;
  Board replayed(board_.size(), rule);
  for (Move m : board_.history()) {
    if (!replayed.is_legal(m)) break;  // the game ended earlier under the new rule
    replayed.play(m);
  }
  if (has_game()) {
    EvaluatorPtr evaluator = make_evaluator(evaluator_config_, board_.size(), rule);
    end_game_hint();
    {
      std::lock_guard<std::mutex> lock(mutex_);
      search_.reset();
    }
    evaluator_ = std::move(evaluator);
    evaluator_rule_ = rule;
    evaluator_->game_start();
    game_active_ = true;
  }
  board_ = std::move(replayed);
}

void EngineSession::set_search_params(const SearchParams& params) {
  std::lock_guard<std::mutex> lock(mutex_);
  params_ = params;
  search_.reset();
}

void EngineSession::clear_tree() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (search_) search_->clear_tree();
}

ThinkResult EngineSession::think(const SearchLimits& limits) {
  if (!has_game()) throw std::logic_error("think() before new_game()");
  if (board_.is_over()) throw std::logic_error("think() on a finished game");
  Search* search = nullptr;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!search_) search_ = std::make_unique<Search>(evaluator_, params_);
    search = search_.get();
    thinking_ = true;
  }
  // The search is only replaced by this (owner) thread, so it stays valid without the lock;
  // stop() takes the lock and sees thinking_.
  ThinkResult out;
  try {
    search->set_position(board_);
    out.search = search->run(limits);
    out.move = search->choose_move(out.search);
    spdlog::debug("search ended by {} after {} playouts in {:.3f}s{}", stop_reason_name(out.search.stop_reason),
                  out.search.playouts, out.search.seconds, out.search.memory_capped ? " (the tree is full)" : "");
  } catch (...) {
    std::lock_guard<std::mutex> lock(mutex_);
    thinking_ = false;
    throw;
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    thinking_ = false;
  }
  if (!board_.is_legal(out.move)) {
    // Never answer with an illegal move, whatever the search returned: a protocol manager would
    // forfeit the game.
    spdlog::error("search returned illegal move {}; playing the first legal move instead", out.move);
    out.move = board_.legal_moves().front();
  }
  return out;
}

void EngineSession::stop() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (thinking_ && search_) search_->stop();
}

size_t estimated_overhead_bytes(const EvaluatorConfig& config, int board_size) {
  // Program, thread stacks, plugin code and buffers: a fixed allowance measured on the CPU
  // plugins with room to spare. A GPU plugin's host memory comes on top and is not modelled.
  constexpr size_t kBaseBytes = size_t{48} << 20;
  return kBaseBytes + config.cache_entries * CachingEvaluator::bytes_per_entry(board_size * board_size);
}

}  // namespace hearth
