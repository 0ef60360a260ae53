// hearth_threat_bench: speed and solve rate of the threat searcher over a tactical set
// (tests/data/tactics), on one thread.
//
//   hearth_threat_bench --set tests/data/tactics/tactics.txt --out bench/threat/result [--machine TEXT]
//
// For every position and every budget (10 ms and 100 ms by default, --budgets-ms 10,100), a
// fresh table (cleared outside the timing) and one call:
//   win-in-one, vcf, vct   find_win; solved when the verdict is Win and the move is an answer
//   block-four             defences; solved when the moves are exactly the answers
//   only-defence           defences; solved when the moves are exactly the answers ("sound":
//                          every returned move is an answer and there is at least one)
// Speed: vcf() at every position along the set's games (both sides), and vcf() on the vcf
// positions / vct() on the vct positions with a 1 s budget; nodes per second. Writes OUT.json
// and OUT.md.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <sys/utsname.h>

#include "engine/threat/solver.h"
#include "engine/threat/tactics.h"

using namespace hearth;
using namespace hearth::threat;
using Clock = std::chrono::steady_clock;

namespace {

struct Speed {
  int64_t nodes = 0;
  double seconds = 0;
  int solved = 0, total = 0;
  double rate() const { return seconds > 0 ? nodes / seconds : 0; }
};

struct Rate {
  int solved = 0, sound = 0, total = 0;
  double seconds = 0;
};

std::string cpu_model() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("model name", 0) == 0) return line.substr(line.find(':') + 2);
  return "unknown";
}

std::string load_average() {
  std::ifstream in("/proc/loadavg");
  std::string one;
  in >> one;
  return one.empty() ? "?" : one;
}

std::string fixed(double v, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

}  // namespace

int main(int argc, char** argv) {
  std::string set_path, out_path, machine;
  std::vector<int> budgets = {10, 100};
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i], v = argv[i + 1];
    if (k == "--set") set_path = v;
    else if (k == "--out") out_path = v;
    else if (k == "--machine") machine = v;
    else if (k == "--budgets-ms") {
      budgets.clear();
      std::stringstream ss(v);
      std::string item;
      while (std::getline(ss, item, ',')) budgets.push_back(std::stoi(item));
    } else { std::fprintf(stderr, "unknown option %s\n", k.c_str()); return 2; }
  }
  if (set_path.empty() || out_path.empty()) {
    std::fprintf(stderr, "usage: hearth_threat_bench --set FILE --out PREFIX [--machine TEXT] [--budgets-ms 10,100]\n");
    return 2;
  }
  const std::vector<Tactic> set = read_tactics(set_path);
  const std::string load_before = load_average();
  Solver solver(size_t{1} << 18);
  // Warm the pattern tables outside any timing.
  { Board b(15); ThreatBoard tb(b); (void)tb; }

  // VCF speed where an MCTS would call it: every position along every game of the set, for the
  // side to move and (after a pass) for the other side; the ThreatBoard is built outside the timing.
  Speed vcf_all;
  for (const Tactic& t : set) {
    Board b(t.size, t.rule);
    for (size_t i = 0; i <= t.moves.size(); ++i) {
      if (i > 0) b.play(t.moves[i - 1]);
      ThreatBoard tb(b);
      for (int side = 0; side < 2; ++side) {
        if (side) tb.pass();
        const auto t0 = Clock::now();
        const Result r = solver.vcf(tb, Limits::within(std::chrono::seconds(1)));
        vcf_all.seconds += std::chrono::duration<double>(Clock::now() - t0).count();
        vcf_all.nodes += r.nodes;
        vcf_all.solved += r.verdict == Verdict::Win;
        ++vcf_all.total;
      }
    }
  }

  // Speed: a full VCF / VCT search per position, 1 s cap.
  Speed vcf_speed, vct_speed;
  for (const Tactic& t : set) {
    if (t.kind != TacticKind::Vcf && t.kind != TacticKind::Vct) continue;
    const Board b = t.board();
    solver.clear();
    const auto t0 = Clock::now();
    const Result r = t.kind == TacticKind::Vcf ? solver.vcf(b, Limits::within(std::chrono::seconds(1)))
                                               : solver.vct(b, Limits::within(std::chrono::seconds(1)));
    const double s = std::chrono::duration<double>(Clock::now() - t0).count();
    Speed& sp = t.kind == TacticKind::Vcf ? vcf_speed : vct_speed;
    sp.nodes += r.nodes;
    sp.seconds += s;
    ++sp.total;
    if (r.verdict == Verdict::Win && std::count(t.answers.begin(), t.answers.end(), r.move)) ++sp.solved;
  }

  // Solve rates per budget and kind.
  std::map<int, std::map<std::string, Rate>> rates;
  for (int ms : budgets) {
    for (const Tactic& t : set) {
      const Board b = t.board();
      solver.clear();
      const auto t0 = Clock::now();
      const Limits lim = Limits::within(std::chrono::milliseconds(ms));
      bool solved = false, sound = false;
      if (t.kind == TacticKind::WinInOne || t.kind == TacticKind::Vcf || t.kind == TacticKind::Vct) {
        const Result r = solver.find_win(b, lim);
        solved = sound = r.verdict == Verdict::Win && std::count(t.answers.begin(), t.answers.end(), r.move);
      } else {
        const DefenceResult d = solver.defences(b, lim);
        solved = d.status == DefenceStatus::Defend && d.moves == t.answers;
        sound = d.status == DefenceStatus::Defend && !d.moves.empty() &&
                std::all_of(d.moves.begin(), d.moves.end(),
                            [&](Move m) { return std::count(t.answers.begin(), t.answers.end(), m) > 0; });
      }
      const double s = std::chrono::duration<double>(Clock::now() - t0).count();
      for (const std::string& key : {std::string(tactic_kind_name(t.kind)), std::string("all")}) {
        Rate& r = rates[ms][key];
        ++r.total;
        r.solved += solved;
        r.sound += sound;
        r.seconds += s;
      }
    }
  }

  utsname u{};
  uname(&u);
  if (machine.empty()) machine = std::to_string(std::thread::hardware_concurrency()) + "-core machine";
  std::string command;
  for (int i = 0; i < argc; ++i) command += (i ? " " : "") + std::string(argv[i]);

  std::ofstream js(out_path + ".json");
  js << "{\n  \"command\": \"" << command << "\",\n  \"machine\": \"" << machine << "\",\n  \"cpu\": \"" << cpu_model()
     << "\",\n  \"kernel\": \"" << u.release << "\",\n  \"threads\": 1,\n  \"load_average\": [\"" << load_before
     << "\", \"" << load_average() << "\"],\n  \"positions\": " << set.size() << ",\n";
  auto speed_json = [&](const char* name, const Speed& s) {
    js << "  \"" << name << "\": {\"positions\": " << s.total << ", \"solved_1s\": " << s.solved
       << ", \"nodes\": " << s.nodes << ", \"seconds\": " << fixed(s.seconds, 4)
       << ", \"nodes_per_second\": " << fixed(s.rate(), 0) << "},\n";
  };
  speed_json("vcf_speed", vcf_speed);
  js << "  \"vcf_game_positions\": {\"calls\": " << vcf_all.total << ", \"wins\": " << vcf_all.solved
     << ", \"nodes\": " << vcf_all.nodes << ", \"seconds\": " << fixed(vcf_all.seconds, 4)
     << ", \"nodes_per_second\": " << fixed(vcf_all.rate(), 0)
     << ", \"mean_us_per_call\": " << fixed(1e6 * vcf_all.seconds / std::max<int64_t>(1, vcf_all.total), 2) << "},\n";
  speed_json("vct_speed", vct_speed);
  js << "  \"solve_rate\": {";
  bool first_budget = true;
  for (auto& [ms, kinds] : rates) {
    js << (first_budget ? "\n" : ",\n") << "    \"" << ms << "ms\": {";
    first_budget = false;
    bool first = true;
    for (auto& [kind, r] : kinds) {
      js << (first ? "" : ", ") << "\"" << kind << "\": {\"total\": " << r.total << ", \"solved\": " << r.solved
         << ", \"sound\": " << r.sound << ", \"mean_ms\": " << fixed(1000 * r.seconds / r.total, 2) << "}";
      first = false;
    }
    js << "}";
  }
  js << "\n  }\n}\n";

  std::ofstream md(out_path + ".md");
  md << "# Threat search benchmark\n\n"
     << "Command: `" << command << "`  \nMachine: " << machine << " (" << cpu_model() << "), one thread; "
     << "1-minute load average " << load_before << " before, " << load_average() << " after.\n\n"
     << "## Speed\n\n"
     << "VCF at every position along the set's games, both sides (" << vcf_all.total << " calls, "
     << vcf_all.solved << " wins, table kept between calls): " << vcf_all.nodes << " nodes in "
     << fixed(vcf_all.seconds, 3) << " s = **" << fixed(vcf_all.rate(), 0) << " nodes/s**, "
     << fixed(1e6 * vcf_all.seconds / std::max<int64_t>(1, vcf_all.total), 2) << " us a call.\n\n"
     << "Full search per tactical position (1 s cap, table cleared before each):\n\n"
     << "| search | positions | solved | nodes | seconds | nodes/s |\n|---|---|---|---|---|---|\n"
     << "| VCF | " << vcf_speed.total << " | " << vcf_speed.solved << " | " << vcf_speed.nodes << " | "
     << fixed(vcf_speed.seconds, 3) << " | " << fixed(vcf_speed.rate(), 0) << " |\n"
     << "| VCT | " << vct_speed.total << " | " << vct_speed.solved << " | " << vct_speed.nodes << " | "
     << fixed(vct_speed.seconds, 3) << " | " << fixed(vct_speed.rate(), 0) << " |\n\n"
     << "## Solve rate per time budget (find_win for wins, defences for defences)\n\n"
     << "| budget | kind | positions | solved | sound | mean ms |\n|---|---|---|---|---|---|\n";
  for (auto& [ms, kinds] : rates)
    for (auto& [kind, r] : kinds)
      md << "| " << ms << " ms | " << kind << " | " << r.total << " | " << r.solved << " ("
         << fixed(100.0 * r.solved / r.total, 1) << " %) | " << r.sound << " | " << fixed(1000 * r.seconds / r.total, 2)
         << " |\n";
  md << "\nsolved: the move is a listed answer (wins), or the defences are exactly the listed set; sound: every "
        "returned defence is a listed one.\n";
  std::fprintf(stderr, "VCF %.0f nodes/s, VCT %.0f nodes/s; wrote %s.json and %s.md\n", vcf_speed.rate(),
               vct_speed.rate(), out_path.c_str(), out_path.c_str());
  return 0;
}
