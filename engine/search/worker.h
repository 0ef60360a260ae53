// One search thread: descends the shared tree under virtual loss, gathers a minibatch of leaves,
// evaluates them with one evaluator call and backs the values up. Internal to the search.
//
// Thread-safety: a SearchWorker belongs to one thread. Workers share one SharedSearch, whose
// members are atomics or immutable during the run.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <exception>
#include <mutex>
#include <vector>

#include "engine/game/board.h"
#include "evaluator/evaluator.h"
#include "engine/search/search.h"
#include "engine/search/tree.h"
#include "engine/threat/solver.h"
#include "engine/threat/threat_board.h"

namespace hearth::search_detail {

// What the threads of one run() share.
struct SharedSearch {
  SharedSearch(const SearchParams& p, Evaluator& e, Tree& t, std::atomic<bool>& stop)
      : params(p), evaluator(e), tree(t), stop_requested(stop) {}

  const SearchParams& params;
  Evaluator& evaluator;
  Tree& tree;
  std::atomic<bool>& stop_requested;
  int batch_limit = 1;  // leaves per evaluate() call
  // When set, the root expands to these moves only (the defences against the opponent's threat).
  const std::vector<Move>* root_candidates = nullptr;

  std::atomic<int64_t> budget{0};  // playouts this run may still start (limits)
  bool has_deadline = false;
  std::chrono::steady_clock::time_point deadline;

  std::chrono::steady_clock::time_point start;

  std::atomic<int64_t> playouts{0};
  std::atomic<int64_t> evaluations{0};
  std::atomic<int64_t> collisions{0};
  std::atomic<bool> memory_capped{false};  // some node could not grow: the tree is full
  std::atomic<bool> failed{false};
  std::atomic<bool> finished_early{false};  // early_reason says why
  StopReason early_reason = StopReason::Limit;  // written once before finished_early (release)
  std::mutex error_mutex;
  std::exception_ptr error;  // the first evaluator failure, rethrown by run()

  // stop(), the clock, an early stop or an error end the search; all but the error only once a
  // playout is done, so that every run gives at least one. A full tree does not end it.
  bool should_stop() const;
  void record_error(std::exception_ptr e);
  // params.early_stop: ends the run (should_stop) when more search cannot change the move: one
  // root candidate, a root move proven won, or a lead the playouts left cannot overtake. Called
  // by one thread (the run's own) between steps; true once it has ended the run.
  bool check_early_stop();
};

class SearchWorker {
 public:
  explicit SearchWorker(SharedSearch& shared);
  // Gathers up to `max_leaves` leaves, evaluates and backs them up. A descent that meets a leaf in
  // flight (a collision) keeps its virtual loss until the batch is evaluated, so the next descents
  // go elsewhere, and the gathering goes on up to `max_leaves` collisions (lc0). Returns false
  // once the search should end. Throws what the evaluator throws, with the tree
  // restored (no virtual loss or in-flight state left behind).
  bool step(int max_leaves);
  // step() until the search ends; errors are recorded in the shared state, not thrown. The run's
  // own thread also checks for an early stop between steps.
  void run_loop(bool checks_early_stop = false);

 private:
  // Leaf: gathered for evaluation. Visited: backed up at once (a terminal node, or a node that
  // cannot grow in a full tree, revisited with its own value). Collision: met a leaf in flight;
  // the path keeps its virtual loss.
  enum class Descent { Leaf, Visited, Collision };
  // The leaf a descent reached, waiting for its evaluation.
  struct GatheredLeaf {
    Node** path;       // root .. leaf, each holding one virtual loss
    int depth = 0;     // nodes on the path
    int16_t* moves;    // the moves the leaf will get edges for
    int num_moves = 0;    // 0: a value-only evaluation (no memory left for its edges)
    size_t reserved = 0;  // edge bytes reserved for it
    bool complete = false;  // the moves are all that matter (SearchParams: MCTS-Solver)
    threat::MoveSet threats;  // moves that make a four or an open three for either side
  };

  // Walks from the root to a leaf for leaves_[slot_index], adding virtual loss on the way.
  Descent descend(GatheredLeaf& slot, int slot_index);
  // Picks the child to visit and sets *index to its edge; nullptr when the node has no child and
  // the memory budget cannot make one.
  Node* select(Node* node, int* index);
  // Decides what a leaf this thread now owns is: terminal (backed up here) or to evaluate.
  Descent classify_leaf(GatheredLeaf& slot, int slot_index, Node* leaf);
  void expand_and_backup(GatheredLeaf& slot, const float* logits, float value);
  void abandon(GatheredLeaf& slot);  // undoes a gathered leaf that will not be evaluated
  // Adds `value` (mover's view at path[depth-1]) to path[0..depth), alternating sign, removing
  // the virtual loss.
  static void backup(Node* const* path, int depth, float value);
  // Backs up path[depth-1]'s own mean value: a visit to a node that cannot grow.
  static void revisit(Node* const* path, int depth);
  // path[depth-1] has just been proven (Terminal): proves its ancestors where that decides them
  // (a child won for its mover loses the parent; a complete node whose children all lost is won).
  // Never the root, whose proof is the run's early stop.
  static void propagate_proof(Node* const* path, int depth);
  // Brings threat_board_ to board_'s position (from where the last call left it) and runs `f`.
  template <class F>
  auto with_threat_board(F&& f);
  static void remove_virtual_loss(Node* const* path, int depth);

  SharedSearch& shared_;
  Board board_;  // walks down from the root position and back every descent
  const int cells_;
  const int input_floats_;
  const int policy_size_;
  std::vector<GatheredLeaf> leaves_;
  std::vector<Node*> paths_;
  std::vector<Node*> collision_paths_;  // [collision][depth], holding virtual loss until evaluated
  std::vector<int> collision_depths_;
  int max_depth_ = 0;
  std::vector<int16_t> moves_;
  std::vector<float> planes_;
  std::vector<float> policy_;
  std::vector<float> values_;
  std::vector<EvalRequest> requests_;
  std::vector<Move> scratch_moves_;
  std::vector<float> policy_scratch_;
  std::vector<Edge> scratch_edges_;
  std::vector<Edge> sorted_edges_;
  // Threat search at new nodes: a ThreatBoard at the root position, and a solver of its own.
  const int root_moves_;
  threat::ThreatBoard threat_board_;
  threat::Solver solver_;
};

}  // namespace hearth::search_detail
