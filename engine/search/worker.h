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

  std::atomic<int64_t> budget{0};  // playouts this run may still start (limits)
  bool has_deadline = false;
  std::chrono::steady_clock::time_point deadline;

  std::atomic<int64_t> playouts{0};
  std::atomic<int64_t> evaluations{0};
  std::atomic<int64_t> collisions{0};
  std::atomic<bool> memory_capped{false};
  std::atomic<bool> failed{false};
  std::mutex error_mutex;
  std::exception_ptr error;  // the first evaluator failure, rethrown by run()

  // stop(), the clock, an error or a full tree end the search; stop() and the clock only once a
  // playout is done, so that every run gives at least one.
  bool should_stop() const;
  void record_error(std::exception_ptr e);
};

class SearchWorker {
 public:
  explicit SearchWorker(SharedSearch& shared);
  // Gathers up to `max_leaves` leaves (fewer on a collision), evaluates and backs them up.
  // Returns false once the search should end. Throws what the evaluator throws, with the tree
  // restored (no virtual loss or in-flight state left behind).
  bool step(int max_leaves);
  // step() until the search ends, between client_joined() and client_left(); errors are
  // recorded in the shared state, not thrown.
  void run_loop();

 private:
  enum class Descent { Leaf, Terminal, Collision, OutOfMemory };
  // The leaf a descent reached, waiting for its evaluation.
  struct GatheredLeaf {
    Node** path;       // root .. leaf, each holding one virtual loss
    int depth = 0;     // nodes on the path
    int16_t* moves;    // the moves the leaf will get edges for
    int num_moves = 0;
    size_t reserved = 0;  // edge bytes reserved for it
  };

  // Walks from the root to a leaf for leaves_[slot_index], adding virtual loss on the way.
  Descent descend(GatheredLeaf& slot, int slot_index);
  // Picks the child to visit and sets *index to its edge; nullptr when the memory budget is out.
  Node* select(Node* node, int* index);
  // Decides what a leaf this thread now owns is: terminal (backed up here) or to evaluate.
  Descent classify_leaf(GatheredLeaf& slot, int slot_index, Node* leaf);
  void expand_and_backup(GatheredLeaf& slot, const float* logits, float value);
  void abandon(GatheredLeaf& slot);  // undoes a gathered leaf that will not be evaluated
  // Adds `value` (mover's view at path[depth-1]) to path[0..depth), alternating sign, removing
  // the virtual loss.
  static void backup(Node* const* path, int depth, float value);
  static void remove_virtual_loss(Node* const* path, int depth);

  SharedSearch& shared_;
  Board board_;  // walks down from the root position and back every descent
  const int cells_;
  const int input_floats_;
  const int policy_size_;
  std::vector<GatheredLeaf> leaves_;
  std::vector<Node*> paths_;
  std::vector<int16_t> moves_;
  std::vector<float> planes_;
  std::vector<float> policy_;
  std::vector<float> values_;
  std::vector<EvalRequest> requests_;
  std::vector<Move> scratch_moves_;
  std::vector<float> policy_scratch_;
  std::vector<Edge> scratch_edges_;
};

}  // namespace hearth::search_detail
