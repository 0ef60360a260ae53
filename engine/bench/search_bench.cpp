#include "engine/bench/search_bench.h"

#include <spdlog/spdlog.h>
#include <sys/resource.h>

#include <cstdio>
#include <cstdlib>
#include <ostream>
#include <sstream>
#include <stdexcept>
#include <string>

#include "engine/bench/report.h"
#include "engine/play/session.h"
#include "evaluator/json_text.h"

namespace hearth {
namespace {

using bench::ratio;

uint64_t splitmix64(uint64_t* state) {
  uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

struct Row {
  int stones = 0;
  int64_t visits = 0, playouts = 0, evaluations = 0;
  double seconds = 0, batches = 0, batched_positions = 0;
  std::string stop_reason, threat;
  bool tree_full = false;
  size_t tree_bytes = 0;
};

}  // namespace

std::vector<Board> bench_positions(const BenchSettings& settings, int size, Rule rule) {
  const int cells = size * size;
  if (settings.min_stones > settings.max_stones)
    throw std::invalid_argument("bench.min_stones " + std::to_string(settings.min_stones) + " exceeds bench.max_stones " +
                                std::to_string(settings.max_stones));
  if (settings.max_stones > cells / 2)
    throw std::invalid_argument("bench.max_stones " + std::to_string(settings.max_stones) + " is more than half the " +
                                std::to_string(size) + "x" + std::to_string(size) + " board");
  uint64_t state = settings.seed;
  std::vector<Board> positions;
  for (int k = 0; k < settings.positions; ++k) {
    Board board(size, rule);
    const int span = settings.max_stones - settings.min_stones + 1;
    const int stones = settings.min_stones + static_cast<int>(splitmix64(&state) % static_cast<uint64_t>(span));
    // Stones near the centre, as in real openings; the area widens when it fills up.
    int radius = std::max(2, size / 4);
    for (int tries = 0; board.move_count() < stones; ++tries) {
      if (tries > 50 * stones) radius = size;  // crowded centre: use the whole board
      const int c = size / 2;
      const int x = c - radius + static_cast<int>(splitmix64(&state) % static_cast<uint64_t>(2 * radius + 1));
      const int y = c - radius + static_cast<int>(splitmix64(&state) % static_cast<uint64_t>(2 * radius + 1));
      if (!board.on_board(x, y)) continue;
      const Move m = board.move_at(x, y);
      if (!board.is_legal(m) || board.wins_at(m, board.to_move())) continue;
      board.play(m);
    }
    positions.push_back(board);
  }
  return positions;
}

int run_bench(const Settings& settings, std::ostream& out) {
  std::vector<Board> positions;
  try {
    positions = bench_positions(settings.bench, settings.game.board_size, settings.game.rule);
  } catch (const std::exception& e) {
    spdlog::error("bench: {}", e.what());
    return 2;
  }
  SearchLimits limits = settings.limits;
  if (limits.visits == 0 && limits.playouts == 0 && limits.seconds == 0) {
    limits.visits = 1000;
    spdlog::info("bench: no --visits, --playouts or --seconds given; using --visits 1000");
  }

  EngineSession session(settings.search, settings.evaluator);
  try {
    session.new_game(settings.game.board_size, settings.game.rule);
  } catch (const std::exception& e) {
    spdlog::error("bench: {}", e.what());
    return 1;
  }
  char line[256];
  std::snprintf(line, sizeof(line), "%4s %6s %9s %9s %9s %8s %10s %10s %7s\n", "pos", "stones", "visits", "playouts",
                "evals", "seconds", "visits/s", "evals/s", "batch");
  out << "hearth bench: " << positions.size() << " positions, " << settings.game.board_size << "x"
      << settings.game.board_size << ", threads " << settings.search.threads << ", evaluator "
      << session.evaluator().spec().description << " (max batch " << session.evaluator().spec().max_batch << ")\n"
      << line;

  std::vector<Row> rows;
  Row total;
  for (size_t i = 0; i < positions.size(); ++i) {
    session.set_board(positions[i]);
    session.clear_tree();
    const BatchCounters before = session.evaluator().batch_counters();
    ThinkResult r;
    try {
      r = session.think(limits);
    } catch (const std::exception& e) {
      spdlog::error("bench: position {}: {}", i + 1, e.what());
      return 1;
    }
    const BatchCounters after = session.evaluator().batch_counters();
    Row row;
    row.stones = positions[i].move_count();
    row.visits = r.search.root_visits;
    row.playouts = r.search.playouts;
    row.evaluations = r.search.evaluations;
    row.seconds = r.search.seconds;
    row.batches = static_cast<double>(after.batches - before.batches);
    row.batched_positions = static_cast<double>(after.positions - before.positions);
    row.stop_reason = stop_reason_name(r.search.stop_reason);
    row.threat = r.search.threat;
    row.tree_full = r.search.memory_capped;
    row.tree_bytes = r.search.tree_bytes;
    rows.push_back(row);
    total.visits += row.visits;
    total.playouts += row.playouts;
    total.evaluations += row.evaluations;
    total.seconds += row.seconds;
    total.batches += row.batches;
    total.batched_positions += row.batched_positions;
    std::snprintf(line, sizeof(line), "%4zu %6d %9lld %9lld %9lld %8.3f %10.0f %10.0f %7.2f\n", i + 1, row.stones,
                  static_cast<long long>(row.visits), static_cast<long long>(row.playouts),
                  static_cast<long long>(row.evaluations), row.seconds,
                  ratio(static_cast<double>(row.playouts), row.seconds),
                  ratio(static_cast<double>(row.evaluations), row.seconds),
                  ratio(row.batched_positions, row.batches));
    out << line;
  }
  const double avg_batch = ratio(total.batched_positions, total.batches);
  std::snprintf(line, sizeof(line), "%4s %6s %9lld %9lld %9lld %8.3f %10.0f %10.0f %7.2f\n", "all", "",
                static_cast<long long>(total.visits), static_cast<long long>(total.playouts),
                static_cast<long long>(total.evaluations), total.seconds,
                ratio(static_cast<double>(total.playouts), total.seconds),
                ratio(static_cast<double>(total.evaluations), total.seconds), avg_batch);
  out << line << "(visits/s counts new visits: playouts per second; batch: positions per evaluator batch)\n";
  // The process's peak resident size: what a memory limit (Gomocup's 350 MB) is checked against.
  struct rusage usage {};
  getrusage(RUSAGE_SELF, &usage);
  const double peak_rss_mb = static_cast<double>(usage.ru_maxrss) / 1024.0;
  std::snprintf(line, sizeof(line), "peak resident size %.1f MiB\n", peak_rss_mb);
  out << line;

  if (settings.bench.json.empty()) return 0;
  std::ostringstream json;
  json << "{\"board_size\":" << settings.game.board_size << ",\"rule\":" << json::quote(rule_name(settings.game.rule))
       << ",\"threads\":" << settings.search.threads << ",\"leaves_per_batch\":" << settings.search.leaves_per_batch
       << ",\"plugin\":" << json::quote(settings.evaluator.plugin) << ",\"max_batch\":" << settings.evaluator.max_batch
       << ",\"limits\":{\"visits\":" << limits.visits << ",\"playouts\":" << limits.playouts
       << ",\"seconds\":" << json::number(limits.seconds) << "},\"positions\":[";
  for (size_t i = 0; i < rows.size(); ++i) {
    const Row& r = rows[i];
    json << (i ? "," : "") << "{\"stones\":" << r.stones << ",\"visits\":" << r.visits << ",\"playouts\":" << r.playouts
         << ",\"evaluations\":" << r.evaluations << ",\"seconds\":" << json::number(r.seconds)
         << ",\"visits_per_second\":" << json::number(ratio(static_cast<double>(r.playouts), r.seconds))
         << ",\"evaluations_per_second\":" << json::number(ratio(static_cast<double>(r.evaluations), r.seconds))
         << ",\"average_batch\":" << json::number(ratio(r.batched_positions, r.batches))
         << ",\"stop_reason\":" << json::quote(r.stop_reason) << ",\"threat\":" << json::quote(r.threat)
         << ",\"tree_full\":" << (r.tree_full ? "true" : "false")
         << ",\"tree_mb\":" << json::number(static_cast<double>(r.tree_bytes) / 1048576.0) << "}";
  }
  json << "],\"total\":{\"visits\":" << total.visits << ",\"playouts\":" << total.playouts
       << ",\"evaluations\":" << total.evaluations << ",\"seconds\":" << json::number(total.seconds)
       << ",\"visits_per_second\":" << json::number(ratio(static_cast<double>(total.playouts), total.seconds))
       << ",\"evaluations_per_second\":"
       << json::number(ratio(static_cast<double>(total.evaluations), total.seconds))
       << ",\"average_batch\":" << json::number(avg_batch) << "},\"peak_rss_mb\":" << json::number(peak_rss_mb)
       << ",\"evaluator\":"
       << json::object_or_string(session.evaluator().stats_json()) << "}\n";
  return bench::write_report_file(settings.bench.json, json.str(), out, "bench") ? 0 : 1;
}

}  // namespace hearth
