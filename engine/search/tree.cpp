#include "engine/search/tree.h"

#include <algorithm>
#include <new>
#include <vector>

#ifdef __GLIBC__
#include <malloc.h>
#endif

namespace hearth::search_detail {
namespace {

// glibc malloc: each block carries an 8-byte header and is rounded up to 16, minimum 32.
size_t malloc_block(size_t payload) { return std::max<size_t>(32, (payload + 8 + 15) & ~size_t{15}); }

}  // namespace

size_t Tree::node_bytes() { return malloc_block(sizeof(Node)); }
size_t Tree::chunk_bytes(int slots) {
  return malloc_block(sizeof(ChildChunk) + sizeof(Node) * static_cast<size_t>(slots));
}
size_t Tree::edge_bytes(int num_edges) { return malloc_block(sizeof(Edge) * static_cast<size_t>(num_edges)); }

Tree::Tree(const Board& board, size_t max_bytes) : root_board_(board), max_bytes_(max_bytes) {
  root_ = new_root();
}

Tree::~Tree() {
  {
    std::lock_guard<std::mutex> lock(garbage_mutex_);
    stopping_ = true;
  }
  garbage_cv_.notify_all();
  if (collector_.joinable()) collector_.join();
  delete_root();
}

Node* Tree::new_root() {
  // The root is always allowed, so that a search can start whatever the budget.
  force_reserve(node_bytes());
  return new Node;
}

void Tree::delete_root() {
  free_contents(root_);
  delete root_;
  release(node_bytes());
  root_ = nullptr;
}

bool Tree::reserve_within_budget(size_t bytes) {
  size_t used = bytes_.load(std::memory_order_relaxed);
  do {
    if (used + bytes > max_bytes_) return false;
  } while (!bytes_.compare_exchange_weak(used, used + bytes, std::memory_order_relaxed));
  return true;
}

bool Tree::try_reserve(size_t bytes) { return reserve_within_budget(bytes); }

void Tree::discard_root() {
  Node* old = root_;
  root_ = nullptr;
  try {
    std::lock_guard<std::mutex> lock(garbage_mutex_);
    if (!collector_.joinable()) collector_ = std::thread([this] { collect_garbage(); });
    garbage_.push_back(old);
  } catch (...) {  // no thread (or no memory for the list): free it here
    free_contents(old);
    delete old;
    release(node_bytes());
    return;
  }
  garbage_cv_.notify_all();
}

void Tree::collect_garbage() {
  std::unique_lock<std::mutex> lock(garbage_mutex_);
  for (;;) {
    garbage_cv_.wait(lock, [this] { return stopping_ || !garbage_.empty(); });
    if (garbage_.empty()) return;  // stopping, and all freed
    Node* node = garbage_.back();
    garbage_.pop_back();
    ++garbage_busy_;
    lock.unlock();
    free_contents(node);
    delete node;
    release(node_bytes());
    lock.lock();
    --garbage_busy_;
    if (garbage_.empty()) {
#ifdef __GLIBC__
      // Hand the freed pages back: glibc keeps them otherwise, and a new tree growing in other
      // holes would push the resident size past the budget.
      lock.unlock();
      malloc_trim(0);
      lock.lock();
#endif
    }
    garbage_cv_.notify_all();
  }
}

void Tree::wait_for_garbage() const {
  std::unique_lock<std::mutex> lock(garbage_mutex_);
  garbage_cv_.wait(lock, [this] { return garbage_.empty() && garbage_busy_ == 0; });
}

ChildChunk* Tree::chunk_for(Node* parent, int index) {
  std::atomic<ChildChunk*>* link = &parent->children;
  for (int j = 0;; ++j) {
    ChildChunk* chunk = link->load(std::memory_order_acquire);
    if (!chunk) {
      const int first = ChildChunk::start_of(j);
      const int slots = std::min(ChildChunk::slots_of(j), parent->num_edges - first);
      const size_t bytes = chunk_bytes(slots);
      if (!try_reserve(bytes)) return nullptr;
      void* memory = ::operator new(sizeof(ChildChunk) + sizeof(Node) * static_cast<size_t>(slots));
      ChildChunk* fresh = new (memory) ChildChunk(first, slots);
      for (int i = 0; i < slots; ++i) new (&fresh->nodes()[i]) Node;
      // Release order publishes the constructed nodes with the link.
      if (link->compare_exchange_strong(chunk, fresh, std::memory_order_acq_rel, std::memory_order_acquire)) {
        chunk = fresh;
      } else {  // another thread linked one first: use it
        ::operator delete(memory);
        release(bytes);
      }
    }
    if (index < chunk->first + chunk->capacity) return chunk;
    link = &chunk->next;
  }
}

Node* Tree::get_or_create_child(Node* parent, int index) {
  uint16_t count = parent->num_children.load(std::memory_order_acquire);
  for (;;) {
    if (index < count) {
      // Already claimed (by us or another thread): find its slot.
      ChildChunk* chunk = parent->children.load(std::memory_order_acquire);
      while (index >= chunk->first + chunk->capacity) chunk = chunk->next.load(std::memory_order_acquire);
      return &chunk->nodes()[index - chunk->first];
    }
    ChildChunk* chunk = chunk_for(parent, index);
    if (!chunk) return nullptr;
    // Claim the index; the slot's node was constructed with its chunk.
    if (parent->num_children.compare_exchange_weak(count, static_cast<uint16_t>(count + 1),
                                                   std::memory_order_acq_rel, std::memory_order_acquire))
      return &chunk->nodes()[index - chunk->first];
  }
}

void Tree::free_contents(Node* node) {
  size_t freed = 0;
  std::vector<Node*> stack{node};  // explicit stack: trees can be hundreds of plies deep
  std::vector<ChildChunk*> chunks;  // freed last: the nodes on the stack live in them
  while (!stack.empty()) {
    Node* n = stack.back();
    stack.pop_back();
    for_each_child(n, [&stack](int, Node& c) { stack.push_back(&c); });
    for (ChildChunk* c = n->children.load(std::memory_order_relaxed); c; c = c->next.load(std::memory_order_relaxed))
      chunks.push_back(c);
    if (n->edges) freed += edge_bytes(n->num_edges);
    delete[] n->edges;
    n->edges = nullptr;
    n->num_edges = 0;
    n->children.store(nullptr, std::memory_order_relaxed);
    n->num_children.store(0, std::memory_order_relaxed);
  }
  for (ChildChunk* c : chunks) {
    freed += chunk_bytes(c->capacity);
    c->~ChildChunk();  // Node and ChildChunk destructors are trivial
    ::operator delete(c);
  }
  release(freed);
}

void Tree::reset() {
  discard_root();
  root_ = new_root();
}

bool Tree::set_position(const Board& board) {
  const std::vector<Move> old_moves = root_board_.history();  // a copy: root_board_ changes below
  const std::vector<Move>& new_moves = board.history();
  const bool extends = board.size() == root_board_.size() && board.rule() == root_board_.rule() &&
                       new_moves.size() >= old_moves.size() &&
                       std::equal(old_moves.begin(), old_moves.end(), new_moves.begin());
  root_board_ = board;
  if (!extends) {
    reset();
    return false;
  }
  for (size_t i = old_moves.size(); i < new_moves.size(); ++i) {
    Node* kept = nullptr;
    if (root_->state.load(std::memory_order_acquire) == NodeState::Expanded) {
      for_each_child(root_, [&](int index, Node& c) {
        if (root_->edges[index].move == new_moves[i]) kept = &c;
      });
    }
    if (!kept) {
      reset();
      return false;
    }
    // The kept child lives in its parent's chunk: move it into a node of its own, taking its
    // subtree along, then free the rest.
    Node* fresh = new_root();
    fresh->w.store(kept->w.load());
    fresh->n.store(kept->n.load());
    fresh->children.store(kept->children.load());
    fresh->edges = kept->edges;
    fresh->num_children.store(kept->num_children.load());
    fresh->num_edges = kept->num_edges;
    fresh->state.store(kept->state.load());
    fresh->terminal_value = kept->terminal_value;
    kept->children.store(nullptr);
    kept->edges = nullptr;
    kept->num_children.store(0);
    kept->num_edges = 0;
    discard_root();
    root_ = fresh;
  }
  return new_moves.size() == old_moves.size();
}

SearchTreeStats Tree::check() const {
  wait_for_garbage();
  SearchTreeStats s;
  s.bytes_tracked = bytes();
  s.bytes_walked = node_bytes();  // the root's own block; other nodes live in chunks
  std::vector<const Node*> stack{root_};
  while (!stack.empty()) {
    const Node* n = stack.back();
    stack.pop_back();
    ++s.nodes;
    const NodeState state = n->state.load();
    if (n->in_flight.load() != 0) ++s.nonzero_virtual_loss;
    if (state == NodeState::InFlight) ++s.left_in_flight;
    if (state == NodeState::Terminal) ++s.terminal;
    if (n->edges) s.bytes_walked += edge_bytes(n->num_edges);
    for (const ChildChunk* c = n->children.load(); c; c = c->next.load()) s.bytes_walked += chunk_bytes(c->capacity);
    if (state == NodeState::Terminal) {  // a node proven after expansion keeps its children
      for_each_child(n, [&](int, const Node& c) { stack.push_back(&c); });
      continue;
    }
    if (state != NodeState::Expanded) continue;
    ++s.expanded;
    int64_t child_visits = 0;
    for_each_child(n, [&](int, const Node& c) {
      child_visits += c.n.load();
      stack.push_back(&c);
    });
    const int64_t own = static_cast<int64_t>(n->n.load());
    if (own < 1 + child_visits) ++s.visit_mismatches;
    else s.revisits += own - 1 - child_visits;
  }
  return s;
}

}  // namespace hearth::search_detail
