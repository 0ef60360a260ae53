// The threat-space search inside the MCTS (SearchParams::threat_search): the root plays a forced
// win at once and defends against the opponent's, new nodes are proven by a VCF, and proofs back
// up the tree (MCTS-Solver). The evaluator is uniform (zero logits, value 0), so every decision
// here comes from the threat search and the tree.
#include <doctest/doctest.h>

#include <algorithm>
#include <utility>
#include <vector>

#include "engine/game/board.h"
#include "engine/game/encoding.h"
#include "engine/search/search.h"
#include "engine/threat/solver.h"
#include "evaluator/evaluator.h"

using namespace hearth;

namespace {

class UniformEvaluator : public Evaluator {
 public:
  explicit UniformEvaluator(int size) {
    spec_.board_size = size;
    spec_.input_planes = kInputPlanes;
    spec_.policy_size = size * size;
    spec_.max_batch = 1024;
  }
  const EvalSpec& spec() const override { return spec_; }
  void evaluate(EvalRequest* requests, int n) override {
    for (int i = 0; i < n; ++i) {
      std::fill(requests[i].policy, requests[i].policy + spec_.policy_size, 0.0f);
      *requests[i].value = 0.0f;
    }
  }

 private:
  EvalSpec spec_;
};

using XY = std::pair<int, int>;

// Black's and White's stones interleaved, Black first.
Board position(const std::vector<XY>& black, const std::vector<XY>& white) {
  Board b(15);
  for (size_t i = 0; i < black.size(); ++i) {
    b.play(b.move_at(black[i].first, black[i].second));
    if (i < white.size()) b.play(b.move_at(white[i].first, white[i].second));
  }
  REQUIRE_FALSE(b.is_over());
  return b;
}

// Black to move: (7,7) is a four on row 7 (five square 8,7) and an open three on column 7 at once.
Board black_has_vcf() {
  return position({{4, 7}, {5, 7}, {6, 7}, {7, 8}, {7, 9}, {8, 11}}, {{3, 7}, {8, 8}, {8, 9}, {0, 0}, {14, 0}, {14, 14}});
}

// White to move against the same four-three threat at (7,7).
Board white_must_defend() {
  return position({{4, 7}, {5, 7}, {6, 7}, {7, 8}, {7, 9}}, {{3, 7}, {8, 9}, {6, 8}, {0, 0}});
}

SearchParams params() {
  SearchParams p;
  p.seed = 1;
  return p;
}

}  // namespace

TEST_CASE("the root plays a VCF win at once, with its line as the PV") {
  const Board board = black_has_vcf();
  Search search(std::make_shared<UniformEvaluator>(15), params());
  search.set_position(board);
  SearchLimits limits;
  limits.seconds = 2.0;
  const SearchResult r = search.run(limits);
  CHECK(r.best == board.move_at(7, 7));
  CHECK(r.stop_reason == StopReason::ProvenWin);
  CHECK(r.threat == "vcf win");
  CHECK(r.playouts == 0);
  CHECK(r.value == 1.0f);
  CHECK(r.seconds < 1.0);  // of its 2 s: no tree search at all (loose: CI may be loaded)
  REQUIRE(r.pv.size() >= 3);
  CHECK(r.pv.front() == board.move_at(7, 7));
  CHECK(r.pv[1] == board.move_at(8, 7));  // White's forced block
}

TEST_CASE("against a threat the root searches only verified defences, and never plays into the VCF") {
  const Board board = white_must_defend();
  threat::Solver solver;
  const threat::DefenceResult d = solver.defences(board, threat::Limits{});
  REQUIRE(d.status == threat::DefenceStatus::Defend);
  const std::vector<Move>& defences = d.moves;
  SearchParams p = params();
  p.early_stop = false;
  Search search(std::make_shared<UniformEvaluator>(15), p);
  search.set_position(board);
  SearchLimits limits;
  limits.visits = 3000;
  const SearchResult r = search.run(limits);
  CHECK(r.threat.rfind("defending", 0) == 0);
  for (const auto& [move, visits] : r.child_visits)
    CHECK_MESSAGE(std::find(defences.begin(), defences.end(), move) != defences.end(), "searched a non-defence");
  Board after = board;
  after.play(r.best);
  CHECK(threat::Solver().vcf(after, threat::Limits{}).verdict == threat::Verdict::NoWin);

  // Without the threat search the same budget spreads over moves that lose.
  p.threat_search = false;
  Search plain(std::make_shared<UniformEvaluator>(15), p);
  plain.set_position(board);
  const SearchResult q = plain.run(limits);
  int outside = 0;
  for (const auto& [move, visits] : q.child_visits)
    outside += std::find(defences.begin(), defences.end(), move) == defences.end();
  CHECK(outside > 0);
}

TEST_CASE("a VCF at a new node proves it, and the proof backs up to the root (MCTS-Solver)") {
  // No root threat search: the win must come from the tree. Black plays (7,7); White's only
  // move is the block at (8,7) (a forced, complete node); there Black has a VCF, so that node is
  // lost for White, which proves (7,7) won for Black, which ends the search.
  const Board board = black_has_vcf();
  SearchParams p = params();
  p.root_threat_nodes = 0;
  Search search(std::make_shared<UniformEvaluator>(15), p);
  search.set_position(board);
  SearchLimits limits;
  limits.playouts = 1'000'000;  // one thread and a seed: the same search every time
  const SearchResult r = search.run(limits);
  MESSAGE("proved after ", r.playouts, " playouts");
  CHECK(r.stop_reason == StopReason::ProvenWin);
  CHECK(r.value == 1.0f);
  CHECK(r.threat.empty());
  // The move played is a proven win: whatever White answers, Black wins by force.
  Board after = board;
  after.play(r.best);
  CHECK(threat::Solver().defences(after, threat::Limits{}).status == threat::DefenceStatus::Lost);
  CHECK(r.playouts < 1'000'000);  // ended by the proof, not by its limit
  const SearchTreeStats s = search.debug_check_tree();
  CHECK(s.left_in_flight == 0);
  CHECK(s.nonzero_virtual_loss == 0);
  CHECK(s.bytes_walked == s.bytes_tracked);

  // Without the node VCF the tree alone does not prove it in the same playouts.
  p.node_vcf_nodes = 0;
  p.threat_prior_share = 0.0;
  Search blind(std::make_shared<UniformEvaluator>(15), p);
  blind.set_position(board);
  SearchLimits same;
  same.playouts = std::max<int64_t>(r.playouts, 1);
  CHECK(blind.run(same).stop_reason != StopReason::ProvenWin);
}

TEST_CASE("threat search off: the root is searched as before") {
  const Board board = black_has_vcf();
  SearchParams p = params();
  p.threat_search = false;
  p.early_stop = false;
  Search search(std::make_shared<UniformEvaluator>(15), p);
  search.set_position(board);
  SearchLimits limits;
  limits.visits = 500;
  const SearchResult r = search.run(limits);
  CHECK(r.threat.empty());
  CHECK(r.threat_nodes == 0);
  CHECK(r.root_visits == 500);
}
