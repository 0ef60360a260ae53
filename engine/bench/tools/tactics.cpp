// hearth_tactics: the whole engine (search with its threat search, the heuristic evaluator) on the
// tactical test set (tests/data/tactics/, engine/threat/tactics.h): one move per position at a fixed
// time, scored against the position's set of correct answers, per kind and overall.
//
// Usage: hearth_tactics FILE SECONDS [THREADS [PLUGIN [OUT_JSON]]] [key=value search options...]
//   e.g. hearth_tactics tests/data/tactics/tactics.txt 0.2 1 heuristic bench/threat/engine-0.2s.json
// Search options: threat_search=off, early_stop=off, node_vcf_nodes=N, root_threat_share=X,
// root_threat_nodes=N (to compare).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include <spdlog/spdlog.h>

#include "engine/play/session.h"
#include "engine/threat/tactics.h"
#include "engine/util/text.h"

using namespace hearth;

namespace {

int usage() {
  std::cerr << "usage: hearth_tactics FILE SECONDS [THREADS [PLUGIN [OUT_JSON]]] [threat_search=on|off "
               "early_stop=on|off node_vcf_nodes=N root_threat_share=X root_threat_nodes=N]\n";
  return 2;
}

bool flag(const std::string& v) { return v == "on" || v == "1" || v == "true" || v == "yes"; }

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) return usage();
  spdlog::set_level(spdlog::level::warn);
  const std::string file = argv[1];
  double seconds = 0;
  if (!parse_real(argv[2], &seconds) || seconds <= 0) return usage();
  int threads = 1;
  if (argc > 3 && (!parse_int(std::string_view(argv[3]), &threads) || threads < 1)) return usage();
  EvaluatorConfig evaluator;
  evaluator.plugin = argc > 4 ? argv[4] : "heuristic";
  const std::string json_out = argc > 5 ? argv[5] : "";
  SearchParams params;
  params.threads = threads;
  params.seed = 1;
  for (int i = 6; i < argc; ++i) {
    const std::string kv = argv[i];
    const size_t eq = kv.find('=');
    if (eq == std::string::npos) return usage();
    const std::string k = kv.substr(0, eq), v = kv.substr(eq + 1);
    if (k == "threat_search") params.threat_search = flag(v);
    else if (k == "early_stop") params.early_stop = flag(v);
    else if (k == "node_vcf_nodes" && parse_int(std::string_view(v), &params.node_vcf_nodes)) {}
    else if (k == "root_threat_share" && parse_real(v, &params.root_threat_share)) {}
    else if (k == "root_threat_nodes" && parse_int(std::string_view(v), &params.root_threat_nodes)) {}
    else return usage();
  }
  std::vector<threat::Tactic> tactics;
  try {
    tactics = threat::read_tactics(file);
  } catch (const std::exception& e) {
    std::cerr << "hearth_tactics: " << e.what() << "\n";
    return 2;
  }
  struct Score {
    int solved = 0, total = 0;
    double seconds = 0;
  };
  std::map<std::string, Score> by_kind;
  Score all;
  std::string failures;
  EngineSession session(params, evaluator);
  for (const threat::Tactic& t : tactics) {
    session.new_game(t.size, t.rule);
    session.set_board(t.board());
    SearchLimits limits;
    limits.seconds = seconds;
    const auto start = std::chrono::steady_clock::now();
    const ThinkResult r = session.think(limits);
    const double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const bool ok = std::find(t.answers.begin(), t.answers.end(), r.move) != t.answers.end();
    for (Score* s : {&by_kind[threat::tactic_kind_name(t.kind)], &all}) {
      s->total += 1;
      s->solved += ok;
      s->seconds += took;
    }
    if (!ok) failures += (failures.empty() ? "" : ",") + ("\"" + t.id + "\"");
  }
  std::printf("hearth_tactics: %s, %.3f s a move, %d thread(s), plugin %s, threat search %s\n", file.c_str(), seconds,
              threads, evaluator.plugin.c_str(), params.threat_search ? "on" : "off");
  std::printf("%-14s %7s %7s %8s %10s\n", "kind", "solved", "total", "score", "mean s");
  std::string json = "{\"file\":\"" + file + "\",\"seconds_per_move\":" + std::to_string(seconds) +
                     ",\"threads\":" + std::to_string(threads) + ",\"plugin\":\"" + evaluator.plugin +
                     "\",\"threat_search\":" + (params.threat_search ? "true" : "false") + ",\"kinds\":{";
  bool first = true;
  for (const auto& [kind, s] : by_kind) {
    std::printf("%-14s %7d %7d %7.1f%% %10.3f\n", kind.c_str(), s.solved, s.total, 100.0 * s.solved / s.total,
                s.seconds / s.total);
    json += std::string(first ? "" : ",") + "\"" + kind + "\":{\"solved\":" + std::to_string(s.solved) +
            ",\"total\":" + std::to_string(s.total) + "}";
    first = false;
  }
  std::printf("%-14s %7d %7d %7.1f%% %10.3f\n", "all", all.solved, all.total, 100.0 * all.solved / all.total,
              all.seconds / all.total);
  json += "},\"solved\":" + std::to_string(all.solved) + ",\"total\":" + std::to_string(all.total) +
          ",\"mean_seconds\":" + std::to_string(all.seconds / all.total) + ",\"failed\":[" + failures + "]}\n";
  if (!json_out.empty()) {
    std::ofstream(json_out) << json;
    std::printf("wrote %s\n", json_out.c_str());
  }
  return 0;
}
