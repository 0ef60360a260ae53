// The search tree: its root position, node allocation with a byte budget, and re-rooting for
// tree reuse. Internal to the search.
//
// Discarded subtrees are freed on a thread of the tree's own (freeing a full tree takes a few
// hundred milliseconds, which set_position should not cost the next search). An allocation that
// finds the budget full fails at once, never waiting for that freeing: a search thread must not
// block past its deadline; the search goes on without growing until memory comes back.
//
// Thread-safety: try_reserve/force_reserve/release/bytes, child and new_edges may be called by
// any search thread during a run; everything else (set_position, reset, check, destruction) only
// by the owner while no search runs.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <thread>
#include <vector>

#include "engine/game/board.h"
#include "engine/search/search.h"
#include "engine/search/node.h"

namespace hearth::search_detail {

class Tree {
 public:
  Tree(const Board& board, size_t max_bytes);
  ~Tree();
  Tree(const Tree&) = delete;
  Tree& operator=(const Tree&) = delete;

  Node* root() const { return root_; }
  const Board& root_board() const { return root_board_; }

  // Keeps the subtree under the moves `board` adds to the root's position, when it extends it
  // (same size and rule, the root's history a prefix of its history); otherwise starts afresh.
  // Either way the root then stands for `board` and everything else is freed. Returns true when
  // the root node stayed the same (same position).
  bool set_position(const Board& board);
  // A fresh, empty root for the current position.
  void reset();

  // Memory accounting: what malloc really takes for each block, so that the budget tracks the
  // process's resident size. try_reserve fails instead of passing max_bytes.
  static size_t node_bytes();
  static size_t chunk_bytes(int slots);
  static size_t edge_bytes(int num_edges);
  // Never blocks: fails at once when the budget is full (pending background freeing included).
  bool try_reserve(size_t bytes);
  // Reserves even past max_bytes: for the root's own edges, without which no search can start.
  void force_reserve(size_t bytes) { bytes_.fetch_add(bytes, std::memory_order_relaxed); }
  void release(size_t bytes) { bytes_.fetch_sub(bytes, std::memory_order_relaxed); }
  size_t bytes() const { return bytes_.load(std::memory_order_relaxed); }
  size_t max_bytes() const { return max_bytes_; }

  // The child of `parent`'s edge `index`, created if missing. Precondition: parent is Expanded
  // and index <= parent->num_children as the caller read it. Returns nullptr when the memory
  // budget is exhausted.
  Node* get_or_create_child(Node* parent, int index);
  // Allocates an edge array whose bytes the caller has already reserved.
  static Edge* new_edges(int num_edges) { return new Edge[static_cast<size_t>(num_edges)]; }

  SearchTreeStats check() const;

 private:
  // The chunk holding child `index` of `parent`, allocated and linked if missing; nullptr when
  // the memory budget is exhausted.
  ChildChunk* chunk_for(Node* parent, int index);
  // Frees what `node` owns (edges, child chunks, the whole subtree), leaving it empty.
  void free_contents(Node* node);

  Node* new_root();
  void delete_root();  // frees the root and its subtree here and now
  // Hands the (stand-alone) root and its subtree to the freeing thread.
  void discard_root();
  void collect_garbage();  // the freeing thread's loop
  void wait_for_garbage() const;
  bool reserve_within_budget(size_t bytes);

  Board root_board_;
  Node* root_ = nullptr;
  size_t max_bytes_;
  std::atomic<size_t> bytes_{0};

  mutable std::mutex garbage_mutex_;
  mutable std::condition_variable garbage_cv_;  // new garbage, or garbage all freed
  std::vector<Node*> garbage_;
  int garbage_busy_ = 0;  // subtrees being freed right now
  bool stopping_ = false;
  std::thread collector_;  // started on the first discard
};

}  // namespace hearth::search_detail
