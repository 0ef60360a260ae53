#include "engine/search/worker.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <thread>

#include "engine/game/encoding.h"
#include "engine/search/fives.h"

namespace hearth::search_detail {
namespace {

// Sorts edges by prior, highest first, keeping the given order among equal priors (the moves
// come ascending, so ties go to the lower move). A two-pass radix sort on the 16-bit prior code:
// an expansion sorts a few hundred edges, where a comparison sort dominated the profile.
void sort_by_prior(Edge* edges, Edge* scratch, int count) {
  bool sorted = true;
  for (int i = 1; i < count && sorted; ++i) sorted = edges[i].prior <= edges[i - 1].prior;
  if (sorted) return;
  Edge* from = edges;
  Edge* to = scratch;
  for (int shift = 0; shift < 16; shift += 8) {
    int start[257] = {};
    for (int i = 0; i < count; ++i) ++start[((0xFFFF - from[i].prior) >> shift & 0xFF) + 1];
    for (int b = 0; b < 256; ++b) start[b + 1] += start[b];
    for (int i = 0; i < count; ++i) to[start[(0xFFFF - from[i].prior) >> shift & 0xFF]++] = from[i];
    std::swap(from, to);
  }
  // Two passes: the result is back in `edges`.
}

// for_each_child that also returns the child count it walked.
template <class F>
int for_each_child_counted(Node* node, F&& f) {
  int count = 0;
  for_each_child(node, [&](int i, Node& c) {
    f(i, c);
    count = i + 1;
  });
  return count;
}

}  // namespace

bool SharedSearch::should_stop() const {
  if (failed.load(std::memory_order_relaxed)) return true;
  if (playouts.load(std::memory_order_relaxed) == 0) return false;
  if (stop_requested.load(std::memory_order_relaxed) || finished_early.load(std::memory_order_relaxed)) return true;
  return has_deadline && std::chrono::steady_clock::now() >= deadline;
}

bool SharedSearch::check_early_stop() {
  if (finished_early.load(std::memory_order_relaxed)) return true;
  if (!params.early_stop) return false;
  const Node* root = tree.root();
  if (root->state.load(std::memory_order_acquire) != NodeState::Expanded) return false;
  const auto finish = [this](StopReason why) {
    early_reason = why;
    finished_early.store(true, std::memory_order_release);
    return true;
  };
  uint32_t best = 0, second = 0;
  bool proven_win = false;
  for_each_child(root, [&](int, const Node& c) {
    // A child's terminal value is from its mover's view: the root's side to move.
    if (c.state.load(std::memory_order_acquire) == NodeState::Terminal && c.terminal_value > 0) proven_win = true;
    const uint32_t n = c.n.load(std::memory_order_relaxed);
    if (n > best) {
      second = best;
      best = n;
    } else if (n > second) {
      second = n;
    }
  });
  if (proven_win) return finish(StopReason::ProvenWin);
  // One candidate: done once it has a visit of its own (which gives the move a value and a PV).
  if (root->num_edges == 1 && best > 0) return finish(StopReason::SingleMove);
  // Root noise (self-play) wants its visit counts as training targets: no pruning there.
  if (!params.lead_stop || params.dirichlet_alpha > 0.0) return false;
  // The lead test needs a playout rate worth trusting: a few hundred playouts and 10 ms.
  constexpr int64_t kMinPlayouts = 256;
  const int64_t done = playouts.load(std::memory_order_relaxed);
  if (done < kMinPlayouts) return false;
  double left = static_cast<double>(budget.load(std::memory_order_relaxed));
  if (has_deadline) {
    const auto now = std::chrono::steady_clock::now();
    const double elapsed = std::chrono::duration<double>(now - start).count();
    if (elapsed < 0.010) return false;
    const double remaining = std::chrono::duration<double>(deadline - now).count();
    left = std::min(left, static_cast<double>(done) / elapsed * std::max(0.0, remaining));
  }
  if (static_cast<double>(best) - static_cast<double>(second) > left) return finish(StopReason::UnreachableLead);
  return false;
}

void SharedSearch::record_error(std::exception_ptr e) {
  std::lock_guard<std::mutex> lock(error_mutex);
  if (!error) error = e;
  failed.store(true);
}

template <class F>
auto SearchWorker::with_threat_board(F&& f) {
  // The board stays where the last call left it: the next leaf usually shares the first moves
  // of its path, so only the moves past the common prefix are taken back and played (each move
  // updates some 40 squares' patterns).
  const std::vector<Move>& history = board_.history();
  const std::vector<Move>& line = threat_board_.line();
  const size_t path = history.size() - static_cast<size_t>(root_moves_);
  size_t common = 0;
  while (common < line.size() && common < path && line[common] == history[root_moves_ + common]) ++common;
  for (size_t i = line.size(); i > common; --i) threat_board_.undo();
  for (size_t i = common; i < path; ++i) threat_board_.play(history[root_moves_ + i]);
  return f();
}

// A small table: a new node's VCF is a few hundred nodes at most.
constexpr size_t kNodeSolverEntries = size_t{1} << 12;

SearchWorker::SearchWorker(SharedSearch& shared)
    : shared_(shared),
      board_(shared.tree.root_board()),
      cells_(board_.cells()),
      input_floats_(input_floats(board_.size())),
      policy_size_(shared.evaluator.spec().policy_size),
      root_moves_(board_.move_count()),
      threat_board_(board_),
      solver_(kNodeSolverEntries) {
  const int batch = shared.batch_limit;
  const int max_depth = cells_ + 1;  // the board fills up before a path gets longer
  max_depth_ = max_depth;
  collision_paths_.resize(static_cast<size_t>(batch) * max_depth);
  collision_depths_.resize(static_cast<size_t>(batch));
  sorted_edges_.resize(static_cast<size_t>(cells_));
  leaves_.resize(static_cast<size_t>(batch));
  paths_.resize(static_cast<size_t>(batch) * max_depth);
  moves_.resize(static_cast<size_t>(batch) * cells_);
  planes_.resize(static_cast<size_t>(batch) * input_floats_);
  policy_.resize(static_cast<size_t>(batch) * policy_size_);
  values_.resize(static_cast<size_t>(batch));
  requests_.resize(static_cast<size_t>(batch));
  scratch_moves_.resize(static_cast<size_t>(cells_));
  policy_scratch_.resize(static_cast<size_t>(cells_));
  scratch_edges_.resize(static_cast<size_t>(cells_));
  for (int i = 0; i < batch; ++i) {
    leaves_[i].path = &paths_[static_cast<size_t>(i) * max_depth];
    leaves_[i].moves = &moves_[static_cast<size_t>(i) * cells_];
    requests_[i].planes = &planes_[static_cast<size_t>(i) * input_floats_];
    requests_[i].policy = &policy_[static_cast<size_t>(i) * policy_size_];
    requests_[i].value = &values_[static_cast<size_t>(i)];
  }
}

void SearchWorker::run_loop(bool checks_early_stop) {
  try {
    while (step(shared_.batch_limit)) {
      if (checks_early_stop && shared_.check_early_stop()) break;
    }
  } catch (...) {
    shared_.record_error(std::current_exception());
  }
}

bool SearchWorker::step(int max_leaves) {
  const int limit = std::min(max_leaves, shared_.batch_limit);
  int gathered = 0;
  int collided = 0;
  int visited = 0;  // backed up without evaluation; bounded so that a step always returns
  bool go_on = true;
  while (gathered < limit && collided < limit && visited < limit) {
    if (shared_.should_stop()) {
      go_on = false;
      break;
    }
    if (shared_.budget.fetch_sub(1, std::memory_order_relaxed) <= 0) {
      shared_.budget.fetch_add(1, std::memory_order_relaxed);
      go_on = false;
      break;
    }
    GatheredLeaf& slot = leaves_[gathered];
    const Descent result = descend(slot, gathered);
    if (result == Descent::Leaf) {
      ++gathered;
      continue;
    }
    if (result == Descent::Visited) {
      shared_.playouts.fetch_add(1, std::memory_order_relaxed);
      ++visited;
      continue;
    }
    // A collision: no visit, but its path keeps the virtual loss until this batch is evaluated.
    shared_.budget.fetch_add(1, std::memory_order_relaxed);
    shared_.collisions.fetch_add(1, std::memory_order_relaxed);
    std::copy(slot.path, slot.path + slot.depth, &collision_paths_[static_cast<size_t>(collided) * max_depth_]);
    collision_depths_[collided++] = slot.depth;
  }
  const auto release_collisions = [&] {
    for (int i = 0; i < collided; ++i)
      remove_virtual_loss(&collision_paths_[static_cast<size_t>(i) * max_depth_], collision_depths_[i]);
  };
  if (gathered > 0) {
    try {
      shared_.evaluator.evaluate(requests_.data(), gathered);
    } catch (...) {
      for (int i = 0; i < gathered; ++i) abandon(leaves_[i]);
      release_collisions();
      throw;
    }
    shared_.evaluations.fetch_add(gathered, std::memory_order_relaxed);
    for (int i = 0; i < gathered; ++i)
      expand_and_backup(leaves_[i], requests_[i].policy, *requests_[i].value);
    shared_.playouts.fetch_add(gathered, std::memory_order_relaxed);
    release_collisions();
  } else if (collided > 0) {
    release_collisions();
    std::this_thread::yield();  // every path met another thread's leaf: let it finish first
  }
  return go_on && !shared_.should_stop();
}

SearchWorker::Descent SearchWorker::descend(GatheredLeaf& slot, int slot_index) {
  Node** path = slot.path;
  int depth = 0;
  Node* node = shared_.tree.root();
  node->in_flight.fetch_add(1, std::memory_order_relaxed);
  path[depth++] = node;
  Descent result;
  for (;;) {
    const NodeState state = node->state.load(std::memory_order_acquire);
    if (state == NodeState::Expanded) {
      int index = 0;
      Node* child = select(node, &index);
      if (!child) {  // a full tree and no child yet: the node's own value stands for it
        revisit(path, depth);
        result = Descent::Visited;
        break;
      }
      child->in_flight.fetch_add(1, std::memory_order_relaxed);
      path[depth++] = child;
      board_.play(node->edges[index].move);
      node = child;
      continue;
    }
    if (state == NodeState::Terminal) {
      backup(path, depth, node->terminal_value);
      result = Descent::Visited;
      break;
    }
    if (state == NodeState::InFlight) {
      slot.depth = depth;  // the caller keeps the path's virtual loss until its batch is done
      result = Descent::Collision;
      break;
    }
    NodeState expected = NodeState::Unexpanded;
    if (!node->state.compare_exchange_strong(expected, NodeState::InFlight, std::memory_order_acq_rel,
                                             std::memory_order_acquire))
      continue;  // another thread took it first: look at what it made of it
    slot.depth = depth;
    result = classify_leaf(slot, slot_index, node);
    break;
  }
  for (int i = 1; i < depth; ++i) board_.undo();
  return result;
}

Node* SearchWorker::select(Node* node, int* index) {
  const SearchParams& params = shared_.params;
  const Edge* edges = node->edges;
  const uint32_t parent_n = node->n.load(std::memory_order_relaxed);
  const uint32_t parent_in_flight = node->in_flight.load(std::memory_order_relaxed);
  const double vl = params.virtual_loss;
  const double explore = params.c_puct * std::sqrt(std::max(1.0, double(parent_n) + double(parent_in_flight)));
  // The node's w is from its mover's view; the player choosing here is the other one.
  const double parent_q = parent_n > 0 ? -from_fixed(node->w.load(std::memory_order_relaxed)) / parent_n : 0.0;

  // Highest score wins; ties go to the lower edge index (higher prior): children are scanned in
  // index order and only a strictly better score replaces the best.
  Node* best = nullptr;
  int best_index = -1;
  double best_score = -std::numeric_limits<double>::infinity();
  double visited_mass = 0.0;
  Node* unvisited = nullptr;  // the existing unvisited child with the highest prior
  int unvisited_index = -1;
  float unvisited_p = -1.0f;
  const int count = for_each_child_counted(node, [&](int i, Node& c) {
    const float p = edges[i].p();
    const uint32_t n = c.n.load(std::memory_order_relaxed);
    const uint32_t f = c.in_flight.load(std::memory_order_relaxed);
    const double n_eff = n + vl * f;
    if (n_eff <= 0.0) {
      if (p > unvisited_p) {
        unvisited_p = p;
        unvisited = &c;
        unvisited_index = i;
      }
      return;
    }
    visited_mass += p;
    const double score =
        (from_fixed(c.w.load(std::memory_order_relaxed)) - vl * f) / n_eff + explore * p / (1.0 + n_eff);
    if (score > best_score) {
      best_score = score;
      best = &c;
      best_index = i;
    }
  });

  const double fpu = parent_q - params.fpu_reduction * std::sqrt(visited_mass);
  if (unvisited) {
    const double score = fpu + explore * unvisited_p;
    if (score > best_score || (score == best_score && unvisited_index < best_index)) {
      best_score = score;
      best = unvisited;
      best_index = unvisited_index;
    }
  }
  // Edges past the children are sorted by prior, so the first of them is the best unvisited one.
  if (count < node->num_edges && fpu + explore * edges[count].p() > best_score) {
    if (Node* fresh = shared_.tree.get_or_create_child(node, count)) {
      *index = count;
      return fresh;
    }
    // The tree is full: choose among the children it has.
    shared_.memory_capped.store(true, std::memory_order_relaxed);
  }
  *index = best_index;
  return best;
}

SearchWorker::Descent SearchWorker::classify_leaf(GatheredLeaf& slot, int slot_index, Node* leaf) {
  if (board_.is_over()) {
    // The move into the leaf ended the game: a win for its mover, or a draw.
    const int8_t value = board_.outcome() == Outcome::Draw ? 0 : 1;
    leaf->terminal_value = value;
    leaf->state.store(NodeState::Terminal, std::memory_order_release);
    backup(slot.path, slot.depth, value);
    propagate_proof(slot.path, slot.depth);
    return Descent::Visited;
  }
  const bool is_root = slot.depth == 1;
  const SearchParams& params = shared_.params;
  Move* candidates = scratch_moves_.data();
  int count = 0;
  slot.threats = threat::MoveSet{};
  if (params.threat_search && !is_root && (params.node_vcf_nodes > 0 || params.threat_prior_share > 0.0)) {
    // A VCF for the side to move proves the leaf lost for its mover; otherwise note the threat
    // squares for the prior.
    const bool proven = with_threat_board([&] {
      threat::ThreatBoard& tb = threat_board_;
      if (params.node_vcf_nodes > 0 && !tb.fours(tb.to_move()).empty()) {
        threat::Limits limits;
        limits.max_nodes = params.node_vcf_nodes;
        if (solver_.vcf(tb, limits).verdict == threat::Verdict::Win) return true;
      }
      if (params.threat_prior_share > 0.0) {
        for (Stone who : {tb.to_move(), opponent(tb.to_move())}) {
          slot.threats |= tb.fours(who);
          slot.threats |= tb.threes(who);
        }
      }
      return false;
    });
    if (proven) {
      leaf->terminal_value = -1;
      leaf->state.store(NodeState::Terminal, std::memory_order_release);
      backup(slot.path, slot.depth, -1.0f);
      propagate_proof(slot.path, slot.depth);
      return Descent::Visited;
    }
  }
  bool complete = true;  // all empty squares, or a forced set
  if (params.check_fives) {
    const Stone me = board_.to_move();
    count = winning_squares(board_, me, candidates);
    if (count > 0 && !is_root) {
      // The side to move wins next move: a proven loss for the leaf's mover.
      leaf->terminal_value = -1;
      leaf->state.store(NodeState::Terminal, std::memory_order_release);
      backup(slot.path, slot.depth, -1.0f);
      propagate_proof(slot.path, slot.depth);
      return Descent::Visited;
    }
    // Otherwise, every move that leaves the opponent's five open loses at once.
    if (count == 0) count = winning_squares(board_, opponent(me), candidates);
  }
  if (count == 0 && is_root && shared_.root_candidates) {
    // The defences the root's threat search verified: every other move loses to the threat.
    for (Move m : *shared_.root_candidates)
      if (board_.is_legal(m)) candidates[count++] = m;
    complete = false;
  }
  if (count == 0)
    for (Move m = 0; m < cells_; ++m)
      if (board_.at(m) == Stone::Empty) candidates[count++] = m;
  slot.complete = complete;

  const size_t bytes = Tree::edge_bytes(count);
  if (is_root) {
    shared_.tree.force_reserve(bytes);
  } else if (!shared_.tree.try_reserve(bytes)) {
    // A full tree: the leaf stays unexpanded. Evaluated once for its value; after that its
    // own mean stands in for it.
    shared_.memory_capped.store(true, std::memory_order_relaxed);
    if (leaf->n.load(std::memory_order_relaxed) > 0) {
      revisit(slot.path, slot.depth);
      leaf->state.store(NodeState::Unexpanded, std::memory_order_release);
      return Descent::Visited;
    }
    count = 0;
  }
  slot.reserved = count > 0 ? bytes : 0;
  slot.num_moves = count;
  for (int i = 0; i < count; ++i) slot.moves[i] = static_cast<int16_t>(candidates[i]);
  EvalRequest& request = requests_[slot_index];
  encode(board_, &planes_[static_cast<size_t>(slot_index) * input_floats_]);
  request.key = board_.eval_key();
  return Descent::Leaf;
}

void SearchWorker::expand_and_backup(GatheredLeaf& slot, const float* logits, float value) {
  Node* leaf = slot.path[slot.depth - 1];
  if (!std::isfinite(value)) value = 0.0f;
  value = std::clamp(value, -1.0f, 1.0f);
  if (slot.num_moves == 0) {  // value only: no memory for its edges
    leaf->w.fetch_add(to_fixed(-value), std::memory_order_relaxed);
    leaf->n.fetch_add(1, std::memory_order_relaxed);
    leaf->in_flight.fetch_sub(1, std::memory_order_relaxed);
    leaf->state.store(NodeState::Unexpanded, std::memory_order_release);
    backup(slot.path, slot.depth - 1, value);
    return;
  }
  const int count = slot.num_moves;
  // Softmax over the candidate moves only: logits of occupied squares never reach the priors.
  float max_logit = -std::numeric_limits<float>::infinity();
  for (int i = 0; i < count; ++i) max_logit = std::max(max_logit, logits[slot.moves[i]]);
  float* exps = &policy_scratch_[0];
  double sum = 0.0;
  for (int i = 0; i < count; ++i) sum += (exps[i] = std::exp(logits[slot.moves[i]] - max_logit));
  if (!(sum > 0.0) || !std::isfinite(sum)) {  // a broken network output: fall back to uniform
    std::fill(exps, exps + count, 1.0f);
    sum = count;
  }
  float scale = static_cast<float>(1.0 / sum);
  // Threat squares (fours and open threes of either side) share threat_prior_share of the prior.
  const double share = shared_.params.threat_prior_share;
  int threat_moves = 0;
  if (share > 0.0)
    for (int i = 0; i < count; ++i) threat_moves += slot.threats.test(slot.moves[i]);
  if (threat_moves > 0) {
    const float bonus = static_cast<float>(share / threat_moves);
    for (int i = 0; i < count; ++i)
      exps[i] = exps[i] * scale * static_cast<float>(1.0 - share) + (slot.threats.test(slot.moves[i]) ? bonus : 0.0f);
    scale = 1.0f;
  }
  Edge* sorted = sorted_edges_.data();
  for (int i = 0; i < count; ++i) sorted[i] = Edge{slot.moves[i], encode_prior(exps[i] * scale)};
  sort_by_prior(sorted, scratch_edges_.data(), count);
  // Keep the fewest best moves that carry kept_prior_mass of the prior (the root keeps all: its
  // edges are few bytes and every move there is worth a look).
  int kept = count;
  const double mass = shared_.params.kept_prior_mass;
  if (slot.depth > 1 && mass < 1.0) {
    double acc = 0.0;
    for (int i = 0; i < count; ++i) {
      acc += sorted[i].p();
      if (acc >= mass && i + 1 >= kMinKeptEdges) {
        kept = i + 1;
        break;
      }
    }
  }
  Edge* edges = Tree::new_edges(kept);
  std::copy(sorted, sorted + kept, edges);
  shared_.tree.release(slot.reserved - Tree::edge_bytes(kept));
  leaf->edges = edges;
  leaf->num_edges = static_cast<uint16_t>(kept);
  leaf->complete = slot.complete && kept == count;
  slot.reserved = 0;

  // The leaf's w is from its mover's view, the opposite of the evaluator's side to move. Its
  // visit is counted before it is published as Expanded, so nobody sees an expanded node with
  // no visits.
  leaf->w.fetch_add(to_fixed(-value), std::memory_order_relaxed);
  leaf->n.fetch_add(1, std::memory_order_relaxed);
  leaf->in_flight.fetch_sub(1, std::memory_order_relaxed);
  leaf->state.store(NodeState::Expanded, std::memory_order_release);
  backup(slot.path, slot.depth - 1, value);
}

void SearchWorker::abandon(GatheredLeaf& slot) {
  Node* leaf = slot.path[slot.depth - 1];
  shared_.tree.release(slot.reserved);
  slot.reserved = 0;
  leaf->state.store(NodeState::Unexpanded, std::memory_order_release);
  remove_virtual_loss(slot.path, slot.depth);
}

void SearchWorker::backup(Node* const* path, int depth, float value) {
  int64_t v = to_fixed(value);
  for (int i = depth - 1; i >= 0; --i) {
    Node* node = path[i];
    node->w.fetch_add(v, std::memory_order_relaxed);
    node->n.fetch_add(1, std::memory_order_relaxed);
    node->in_flight.fetch_sub(1, std::memory_order_relaxed);
    v = -v;
  }
}

void SearchWorker::propagate_proof(Node* const* path, int depth) {
  // path[0] is the root: never proven here.
  for (int i = depth - 1; i >= 2; --i) {
    const Node* child = path[i];
    Node* parent = path[i - 1];
    if (child->state.load(std::memory_order_acquire) != NodeState::Terminal) return;
    int8_t parent_value = 0;
    if (child->terminal_value > 0) {
      parent_value = -1;  // the parent's side to move wins there: its mover lost
    } else if (child->terminal_value < 0 && parent->complete) {
      // Won for the parent's mover if every move of the side to move there is proven lost.
      bool all_lost = parent->num_children.load(std::memory_order_acquire) == parent->num_edges;
      if (all_lost)
        for_each_child(parent, [&](int, const Node& c) {
          all_lost = all_lost && c.state.load(std::memory_order_acquire) == NodeState::Terminal && c.terminal_value < 0;
        });
      if (!all_lost) return;
      parent_value = 1;
    } else {
      return;
    }
    NodeState expected = NodeState::Expanded;
    parent->terminal_value = parent_value;  // the same value whoever proves it
    if (!parent->state.compare_exchange_strong(expected, NodeState::Terminal, std::memory_order_acq_rel))
      return;  // already proven (or not expanded): nothing more to do from here
  }
}

void SearchWorker::revisit(Node* const* path, int depth) {
  const Node* node = path[depth - 1];
  const uint32_t n = node->n.load(std::memory_order_relaxed);
  const float mean = n > 0 ? static_cast<float>(from_fixed(node->w.load(std::memory_order_relaxed)) / n) : 0.0f;
  backup(path, depth, mean);
}

void SearchWorker::remove_virtual_loss(Node* const* path, int depth) {
  for (int i = 0; i < depth; ++i) path[i]->in_flight.fetch_sub(1, std::memory_order_relaxed);
}

}  // namespace hearth::search_detail
