// The search tree's node layout (lc0's Edge/Node split), internal to the search.
//
// An expanded node owns an array of compact edges (move + prior, 4 bytes each) sorted by prior,
// highest first. A child Node exists only for edges that search has selected, and the children
// always cover a PREFIX of the edges: children [0, num_children) belong to edges [0, num_children).
// That holds because an unvisited edge is only ever picked as the first edge without a child
// (equal first-play value, highest prior). So selection scores the existing children plus one
// edge, not every legal move. (Dirichlet noise breaks the sort at the root; there every child is
// created up front.)
//
// Children live in chunks of 2, 4, 8, ... nodes (chunk j holds indices [2^(j+1)-2, 2^(j+2)-2)),
// so selection walks contiguous memory, child pointers stay stable while the list grows, and at
// most half of a node's child slots are ever unused.
//
// Thread-safety: n, w, in_flight, num_children and the chunk links are atomics updated by any
// search thread. edges/num_edges are written once by the thread that owns the node's evaluation,
// before it publishes state = Expanded with release order; readers load state with acquire before
// touching them. A chunk's nodes are constructed before the chunk is linked, and a child index is
// claimed (num_children, release) only once its chunk is linked.
#pragma once

#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstring>

namespace hearth::search_detail {

// A prior in 16 bits (lc0's encoding): 5 exponent bits covering 2^-31..1 and 11 mantissa bits,
// rounded to nearest. Monotone, so edges sorted by float prior stay sorted by code.
inline uint16_t encode_prior(float p) {
  if (!(p > 0.0f)) return 0;
  if (p > 1.0f) p = 1.0f;
  constexpr int32_t kRounding = (1 << 11) - (3 << 28);
  int32_t bits;
  std::memcpy(&bits, &p, sizeof bits);
  bits += kRounding;
  return bits < 0 ? 0 : static_cast<uint16_t>(bits >> 12);
}

inline float decode_prior(uint16_t code) {
  const uint32_t bits = (static_cast<uint32_t>(code) << 12) | (3u << 28);
  float p;
  std::memcpy(&p, &bits, sizeof p);
  return code == 0 ? 0.0f : p;
}

struct Edge {
  int16_t move;
  uint16_t prior;  // encode_prior()
  float p() const { return decode_prior(prior); }
};
static_assert(sizeof(Edge) == 4, "edges are the bulk of the tree's memory");

enum class NodeState : uint8_t {
  Unexpanded,  // no edges yet
  InFlight,    // one thread owns its evaluation; others reaching it count a collision
  Expanded,    // edges set
  Terminal,    // game over here, or proven (five check, VCF, proofs backed up from children):
               // terminal_value is its value; a node proven after expansion keeps its children
};

// Values are summed in fixed point so that concurrent backups are plain integer additions, and
// sums do not depend on the order in which threads add them. 2^30 per unit leaves room for 2^32
// visits of value +-1 in an int64.
constexpr double kValueScale = 1073741824.0;
inline int64_t to_fixed(float v) { return static_cast<int64_t>(std::llround(v * kValueScale)); }
inline double from_fixed(int64_t w) { return static_cast<double>(w) / kValueScale; }

struct ChildChunk;

struct Node {
  // Sum of backed-up values from the view of the player who moved INTO this node, i.e. the
  // player choosing among the parent's children: the parent maximizes Q = w / n.
  std::atomic<int64_t> w{0};
  std::atomic<uint32_t> n{0};          // completed visits
  std::atomic<uint32_t> in_flight{0};  // visits on their way (virtual loss)
  std::atomic<ChildChunk*> children{nullptr};  // the chunk of indices [0, 2)
  Edge* edges = nullptr;
  std::atomic<uint16_t> num_children{0};
  uint16_t num_edges = 0;
  std::atomic<NodeState> state{NodeState::Unexpanded};
  int8_t terminal_value = 0;           // for Terminal: +1 / 0 / -1, mover's view like w
  // The edges are every move that can matter (all legal moves, or a forced set such as the
  // blocks of a five), so that all of them proven lost proves the node won (MCTS-Solver).
  uint8_t complete = 0;
};
static_assert(sizeof(Node) <= 40, "a node stays within 40 bytes");

struct alignas(8) ChildChunk {
  ChildChunk(int first_index, int slots) : first(static_cast<uint16_t>(first_index)), capacity(static_cast<uint16_t>(slots)) {}
  std::atomic<ChildChunk*> next{nullptr};
  uint16_t first;     // index of nodes()[0] among the parent's children
  uint16_t capacity;  // nodes in this chunk
  Node* nodes() { return reinterpret_cast<Node*>(this + 1); }
  const Node* nodes() const { return reinterpret_cast<const Node*>(this + 1); }

  // Chunk j starts at index 2^(j+1) - 2 and holds 2^(j+1) slots (the last one of a node fewer).
  static int start_of(int j) { return (2 << j) - 2; }
  static int slots_of(int j) { return 2 << j; }
};
static_assert(sizeof(ChildChunk) % alignof(Node) == 0, "nodes follow the chunk header");

// Calls f(index, child) for children [0, num_children), in index order.
template <class NodeT, class F>
void for_each_child(NodeT* node, F&& f) {
  const int count = node->num_children.load(std::memory_order_acquire);
  int index = 0;
  for (auto* chunk = node->children.load(std::memory_order_acquire); index < count;
       chunk = chunk->next.load(std::memory_order_acquire)) {
    const int end = chunk->first + chunk->capacity < count ? chunk->first + chunk->capacity : count;
    auto* nodes = chunk->nodes();
    for (; index < end; ++index) f(index, nodes[index - chunk->first]);
  }
}

}  // namespace hearth::search_detail
