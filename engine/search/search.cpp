// Search: one run() = synchronous root expansion (so root noise lands before any thread
// descends), then params.threads workers (search_worker.h) on the shared tree (search_tree.h).
#include "engine/search/search.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <optional>
#include <stdexcept>
#include <string>

#include <spdlog/spdlog.h>

#include "engine/game/encoding.h"
#include "engine/search/threads.h"
#include "engine/search/tree.h"
#include "engine/search/worker.h"
#include "engine/threat/solver.h"

namespace hearth {

using search_detail::Node;
using search_detail::NodeState;
using search_detail::SearchWorker;
using search_detail::SharedSearch;
using search_detail::Tree;

namespace {

void validate(const SearchParams& p) {
  auto fail = [](const std::string& what) { throw std::invalid_argument("search parameter " + what); };
  if (p.threads < 1 || p.threads > 1024) fail("threads must be 1..1024, not " + std::to_string(p.threads));
  if (p.leaves_per_batch < 1 || p.leaves_per_batch > 4096)
    fail("leaves_per_batch must be 1..4096, not " + std::to_string(p.leaves_per_batch));
  if (!(p.c_puct > 0.0)) fail("c_puct must be positive, not " + std::to_string(p.c_puct));
  if (!std::isfinite(p.fpu_reduction)) fail("fpu_reduction must be a number");
  if (!(p.virtual_loss >= 0.0)) fail("virtual_loss must be >= 0, not " + std::to_string(p.virtual_loss));
  if (!(p.dirichlet_alpha >= 0.0)) fail("dirichlet_alpha must be >= 0, not " + std::to_string(p.dirichlet_alpha));
  if (!(p.dirichlet_epsilon >= 0.0 && p.dirichlet_epsilon <= 1.0))
    fail("dirichlet_epsilon must be in [0, 1], not " + std::to_string(p.dirichlet_epsilon));
  if (p.temperature_moves < 0) fail("temperature_moves must be >= 0, not " + std::to_string(p.temperature_moves));
  if (!(p.temperature >= 0.0)) fail("temperature must be >= 0, not " + std::to_string(p.temperature));
  if (p.max_memory_mb < 1) fail("max_memory_mb must be at least 1");
  if (!(p.kept_prior_mass > 0.0 && p.kept_prior_mass <= 1.0))
    fail("kept_prior_mass must be in (0, 1], not " + std::to_string(p.kept_prior_mass));
  if (!(p.root_threat_share >= 0.0 && p.root_threat_share <= 1.0))
    fail("root_threat_share must be in [0, 1], not " + std::to_string(p.root_threat_share));
  if (p.root_threat_nodes < 0 || p.node_vcf_nodes < 0) fail("threat node budgets must be >= 0");
  if (!(p.threat_prior_share >= 0.0 && p.threat_prior_share < 1.0))
    fail("threat_prior_share must be in [0, 1), not " + std::to_string(p.threat_prior_share));
}

uint64_t seed_from(uint64_t seed) {
  if (seed != 0) return seed;
  return std::random_device{}() ^
         static_cast<uint64_t>(std::chrono::high_resolution_clock::now().time_since_epoch().count());
}

Board initial_board(const Evaluator& evaluator) {
  const int size = evaluator.spec().board_size;
  return Board(size >= Board::kMinSize && size <= Board::kMaxSize ? size : 15);
}

// Joins the evaluator's clients for the scope, so batching layers know who may still submit.
struct ClientScope {
  explicit ClientScope(Evaluator& e) : evaluator(e) { evaluator.client_joined(); }
  ~ClientScope() { evaluator.client_left(); }
  Evaluator& evaluator;
};

// The child with most visits (ties: lower edge index, i.e. higher prior) and its index;
// nullptr if no child has visits.
const Node* most_visited(const Node* node, int* index) {
  const Node* best = nullptr;
  uint32_t best_n = 0;
  search_detail::for_each_child(node, [&](int i, const Node& c) {
    const uint32_t n = c.n.load();
    if (n > best_n) {
      best_n = n;
      best = &c;
      *index = i;
    }
  });
  return best;
}

}  // namespace

struct Search::Impl {
  Impl(EvaluatorPtr e, const SearchParams& p)
      : evaluator(std::move(e)),
        tree(initial_board(*evaluator), p.max_memory_mb * 1024 * 1024),
        rng(seed_from(p.seed)) {}

  void apply_root_noise(const SearchParams& params);
  SearchResult result_of(const SharedSearch& shared) const;
  // The root's threat search: a forced win to play at once (returned), or the defences the root
  // must choose among (root_defences), or nothing.
  std::optional<threat::Result> solve_root(const SearchParams& params, const SearchLimits& limits,
                                           std::chrono::steady_clock::time_point start, SearchResult* report);

  EvaluatorPtr evaluator;
  Tree tree;
  std::mt19937_64 rng;  // root noise and temperature: one stream from the seed, in call order
  std::atomic<bool> stop{false};
  bool root_noise_applied = false;
  // Kept between moves: its transposition table serves the next position too.
  threat::Solver root_solver{size_t{1} << 18};
  std::vector<Move> root_defences;  // non-empty: the root searches only these
  search_detail::HelperThreads helpers;  // declared last: stopped before the tree goes
};

Search::Search(EvaluatorPtr evaluator, SearchParams params) : params_(params) {
  if (!evaluator) throw std::invalid_argument("search needs an evaluator");
  validate(params_);
  impl_ = std::make_unique<Impl>(std::move(evaluator), params_);
}

Search::~Search() = default;

void Search::set_position(const Board& board) {
  // A new root (reset, or a reused subtree after moves were played) has not had its noise yet.
  const int before = impl_->tree.root_board().move_count();
  if (!impl_->tree.set_position(board) || board.move_count() != before) impl_->root_noise_applied = false;
}

void Search::clear_tree() {
  impl_->tree.reset();
  impl_->root_noise_applied = false;
}

void Search::stop() { impl_->stop.store(true); }

int64_t Search::root_visits() const { return impl_->tree.root()->n.load(); }

int64_t Search::debug_visits_after(const std::vector<Move>& moves) const {
  const Node* node = impl_->tree.root();
  for (Move m : moves) {
    if (node->state.load() != NodeState::Expanded) return 0;
    const Node* next = nullptr;
    search_detail::for_each_child(node, [&](int i, const Node& c) {
      if (node->edges[i].move == m) next = &c;
    });
    if (!next) return 0;
    node = next;
  }
  return node->n.load();
}

SearchTreeStats Search::debug_check_tree() const { return impl_->tree.check(); }

void Search::Impl::apply_root_noise(const SearchParams& params) {
  Node* root = tree.root();
  // Noise breaks the prior order that lets selection skip unvisited edges, so every root edge
  // gets its child now (a few kilobytes).
  for (int i = root->num_children.load(); i < root->num_edges; ++i) {
    if (!tree.get_or_create_child(root, i)) {
      spdlog::debug("search: no memory left for root noise");
      return;
    }
  }
  std::gamma_distribution<double> gamma(params.dirichlet_alpha, 1.0);
  std::vector<double> eta(root->num_edges);
  double sum = 0.0;
  for (double& x : eta) sum += (x = gamma(rng));
  if (!(sum > 0.0)) return;
  const double eps = params.dirichlet_epsilon;
  for (int i = 0; i < root->num_edges; ++i) {
    search_detail::Edge& e = root->edges[i];
    e.prior = search_detail::encode_prior(static_cast<float>((1.0 - eps) * e.p() + eps * eta[i] / sum));
  }
  root_noise_applied = true;
}

SearchResult Search::run(const SearchLimits& limits) {
  using Clock = std::chrono::steady_clock;
  const auto start = Clock::now();
  Impl& impl = *impl_;
  impl.stop.store(false);
  Tree& tree = impl.tree;
  const Board& board = tree.root_board();
  Evaluator& evaluator = *impl.evaluator;
  const EvalSpec& spec = evaluator.spec();
  if (spec.board_size != board.size() || spec.policy_size != board.cells() ||
      spec.input_floats() != input_floats(board.size()))
    throw EvalError("the evaluator serves " + std::to_string(spec.board_size) + "x" + std::to_string(spec.board_size) +
                    " boards (policy " + std::to_string(spec.policy_size) + ", " + std::to_string(spec.input_planes) +
                    " planes) but the position is " + std::to_string(board.size()) + "x" +
                    std::to_string(board.size()));

  SharedSearch shared(params_, evaluator, tree, impl.stop);
  shared.start = start;
  if (board.is_over()) {  // nothing to search: the side to move lost, or it is a draw
    SearchResult result = impl.result_of(shared);
    result.stop_reason = StopReason::GameOver;
    result.value = board.outcome() == Outcome::Draw ? 0.0f : -1.0f;
    result.seconds = std::chrono::duration<double>(Clock::now() - start).count();
    return result;
  }
  if (tree.root()->state.load() == NodeState::Terminal) {
    // A node proven by the five check becomes a root to search: start it afresh.
    tree.reset();
    impl.root_noise_applied = false;
  }
  // The threat search first: a forced win needs no tree, and a forced defence narrows the root.
  SearchResult threat_report;
  if (params_.threat_search) {
    if (const std::optional<threat::Result> win = impl.solve_root(params_, limits, start, &threat_report)) {
      SearchResult result = impl.result_of(shared);
      result.best = win->move;
      result.value = 1.0f;
      result.pv = win->line;
      result.child_visits = {{win->move, 1}};
      result.threat = threat_report.threat;
      result.threat_nodes = threat_report.threat_nodes;
      result.stop_reason = StopReason::ProvenWin;
      result.seconds = std::chrono::duration<double>(Clock::now() - start).count();
      return result;
    }
  }
  if (!impl.root_defences.empty()) {
    shared.root_candidates = &impl.root_defences;
    // A root expanded before (tree reuse) with other moves than the defences starts afresh.
    const Node* r = tree.root();
    bool only_defences = r->state.load() != NodeState::Expanded;
    if (!only_defences) {
      only_defences = true;
      for (int i = 0; i < r->num_edges; ++i)
        only_defences = only_defences && std::find(impl.root_defences.begin(), impl.root_defences.end(),
                                                   r->edges[i].move) != impl.root_defences.end();
    }
    if (!only_defences) {
      tree.reset();
      impl.root_noise_applied = false;
    }
  }
  Node* root = tree.root();
  const int64_t visits_before = root->n.load();

  shared.batch_limit = std::max(1, std::min(params_.leaves_per_batch, spec.max_batch > 0 ? spec.max_batch : 1));
  // Visit counts are 32-bit: an endless search (a proven position is cheap to revisit) stops
  // at 2^30 root visits.
  int64_t budget = (int64_t{1} << 30) - visits_before;
  if (limits.visits > 0) budget = std::min(budget, limits.visits - visits_before);
  if (limits.playouts > 0) budget = std::min(budget, limits.playouts);
  shared.budget.store(std::max<int64_t>(budget, 1));  // at least one playout
  if (limits.seconds > 0.0) {
    shared.has_deadline = true;
    shared.deadline = start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(limits.seconds));
  }

  {
    ClientScope client(evaluator);
    SearchWorker main_worker(shared);
    if (root->state.load() != NodeState::Expanded) main_worker.step(1);  // throws on evaluator failure
    if (params_.dirichlet_alpha > 0.0 && !impl.root_noise_applied && root->state.load() == NodeState::Expanded)
      impl.apply_root_noise(params_);
    // A forced or won position needs no helpers (and no more than the one playout it has).
    const bool decided = shared.playouts.load() > 0 && shared.check_early_stop();
    if (!decided) {
      impl.helpers.start(params_.threads - 1, [&shared, &evaluator] {
        try {
          ClientScope helper_client(evaluator);
          SearchWorker worker(shared);
          worker.run_loop();
        } catch (...) {
          shared.record_error(std::current_exception());
        }
      });
      main_worker.run_loop(/*checks_early_stop=*/true);
      impl.helpers.wait();
    }
  }
  if (shared.error) std::rethrow_exception(shared.error);

  SearchResult result = impl.result_of(shared);
  result.threat = threat_report.threat;
  result.threat_nodes = threat_report.threat_nodes;
  const auto end = Clock::now();
  result.seconds = std::chrono::duration<double>(end - start).count();
  if (shared.finished_early.load(std::memory_order_acquire))
    result.stop_reason = shared.early_reason;
  else if (impl.stop.load())
    result.stop_reason = StopReason::Stopped;
  else if (shared.has_deadline && end >= shared.deadline)
    result.stop_reason = StopReason::Time;
  else
    result.stop_reason = StopReason::Limit;
  if (result.memory_capped)
    spdlog::debug("search: the tree reached max_memory_mb ({} bytes) and stopped growing; visits went on",
                  result.tree_bytes);
  return result;
}

constexpr int64_t kRootThreatNodesPerVisit = 100;

std::optional<threat::Result> Search::Impl::solve_root(const SearchParams& params, const SearchLimits& limits,
                                                       std::chrono::steady_clock::time_point start,
                                                       SearchResult* report) {
  root_defences.clear();
  threat::Limits budget;
  budget.max_nodes = params.root_threat_nodes;
  // A search bounded by visits (fixed-visit matches, self-play; a clock may bound it too) gets a
  // threat search of its own size: kRootThreatNodesPerVisit solver nodes a visit (a solver node
  // costs about as much as a playout's bookkeeping, far less than an evaluation).
  const int64_t visit_budget = std::max(limits.visits, limits.playouts);
  if (visit_budget > 0)
    budget.max_nodes = std::min(budget.max_nodes, visit_budget * kRootThreatNodesPerVisit);
  if (limits.seconds > 0.0)
    budget.deadline = start + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                  std::chrono::duration<double>(limits.seconds * params.root_threat_share));
  if (budget.max_nodes == 0) return std::nullopt;
  const Board& board = tree.root_board();
  threat::Result win = root_solver.find_win(board, budget);
  report->threat_nodes = win.nodes;
  if (win.verdict == threat::Verdict::Win && board.is_legal(win.move)) {
    report->threat = win.depth < 0 ? "vcf win" : "vct win";
    spdlog::debug("search: {} in {} plies ({} solver nodes)", report->threat, win.line.size(), win.nodes);
    return win;
  }
  threat::Limits rest = budget;
  rest.max_nodes = std::max<int64_t>(0, budget.max_nodes - win.nodes);
  if (rest.max_nodes == 0) return std::nullopt;
  const threat::DefenceResult d = root_solver.defences(board, rest);
  report->threat_nodes += d.nodes;
  if (d.status == threat::DefenceStatus::Defend && !d.moves.empty()) {
    root_defences = d.moves;
    report->threat = "defending (" + std::to_string(d.moves.size()) + " moves)";
    spdlog::debug("search: the opponent threatens a {}; searching only its {} verified defences",
                  d.threat.depth < 0 ? "VCF" : "VCT", d.moves.size());
  } else if (d.status == threat::DefenceStatus::Lost) {
    report->threat = "lost";
    spdlog::debug("search: the opponent has a forced win whatever we play");
  }
  return std::nullopt;
}

SearchResult Search::Impl::result_of(const SharedSearch& shared) const {
  SearchResult result;
  result.playouts = shared.playouts.load();
  result.evaluations = shared.evaluations.load();
  result.collisions = shared.collisions.load();
  result.memory_capped = shared.memory_capped.load();
  result.tree_bytes = tree.bytes();
  const Node* root = tree.root();
  const uint32_t n = root->n.load();
  result.root_visits = n;
  result.value = n > 0 ? static_cast<float>(-search_detail::from_fixed(root->w.load()) / n) : 0.0f;
  if (root->state.load() != NodeState::Expanded) return result;

  std::vector<std::pair<int, const Node*>> visited;  // (edge index, child)
  search_detail::for_each_child(root, [&](int i, const Node& c) {
    if (c.n.load() > 0) visited.emplace_back(i, &c);
  });
  std::stable_sort(visited.begin(), visited.end(),
                   [](const auto& a, const auto& b) { return a.second->n.load() > b.second->n.load(); });
  for (const auto& [index, child] : visited)
    result.child_visits.emplace_back(root->edges[index].move, static_cast<int64_t>(child->n.load()));
  // A proven win is played whatever the visits say (the most visited move may be one the search
  // has not proven yet).
  for (size_t i = 0; i < visited.size(); ++i) {
    const Node* c = visited[i].second;
    if (c->state.load() == NodeState::Terminal && c->terminal_value > 0) {
      std::rotate(visited.begin(), visited.begin() + static_cast<std::ptrdiff_t>(i),
                  visited.begin() + static_cast<std::ptrdiff_t>(i) + 1);
      std::rotate(result.child_visits.begin(), result.child_visits.begin() + static_cast<std::ptrdiff_t>(i),
                  result.child_visits.begin() + static_cast<std::ptrdiff_t>(i) + 1);
      break;
    }
  }
  // With no child visited yet (a one-playout search), the highest prior is the best guess.
  result.best = result.child_visits.empty() ? root->edges[0].move : result.child_visits.front().first;
  // The value of the move to play (lc0's choice): the best child's mean, from the root's side to
  // move, which a proven win makes exactly 1; the root's own mean mixes in its first evaluation.
  if (!visited.empty()) {
    const Node* c = visited.front().second;
    result.value = c->state.load() == NodeState::Terminal
                       ? static_cast<float>(c->terminal_value)
                       : static_cast<float>(search_detail::from_fixed(c->w.load()) / c->n.load());
  }

  for (const Node* node = root; node->state.load() == NodeState::Expanded;) {
    int index = 0;
    const Node* next = nullptr;
    if (node != root) {
      next = most_visited(node, &index);
    } else if (!visited.empty()) {  // the root's first move is the one played
      next = visited.front().second;
      index = visited.front().first;
    }
    if (!next) break;
    result.pv.push_back(node->edges[index].move);
    node = next;
  }
  return result;
}

const char* stop_reason_name(StopReason reason) {
  switch (reason) {
    case StopReason::Limit:
      return "limit";
    case StopReason::Time:
      return "time";
    case StopReason::Stopped:
      return "stopped";
    case StopReason::GameOver:
      return "game over";
    case StopReason::SingleMove:
      return "single move";
    case StopReason::ProvenWin:
      return "proven win";
    case StopReason::UnreachableLead:
      return "unreachable lead";
  }
  return "?";
}

Move Search::choose_move(const SearchResult& result) {
  const int moves_played = impl_->tree.root_board().move_count();
  if (params_.temperature_moves <= 0 || moves_played >= params_.temperature_moves || result.child_visits.empty() ||
      params_.temperature <= 0.0)
    return result.best;
  // visits^(1/T), scaled by the largest count first so that a small T cannot overflow.
  const double top = static_cast<double>(result.child_visits.front().second);
  std::vector<double> weights;
  double total = 0.0;
  for (const auto& [move, visits] : result.child_visits) {
    weights.push_back(std::pow(static_cast<double>(visits) / top, 1.0 / params_.temperature));
    total += weights.back();
  }
  double pick = std::uniform_real_distribution<double>(0.0, total)(impl_->rng);
  for (size_t i = 0; i < weights.size(); ++i) {
    if (pick < weights[i]) return result.child_visits[i].first;
    pick -= weights[i];
  }
  return result.child_visits.back().first;
}

}  // namespace hearth
