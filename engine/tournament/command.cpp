#include "engine/tournament/command.h"

#include <spdlog/spdlog.h>

#include <filesystem>
#include <iostream>
#include <memory>

#include "engine/tournament/tournament.h"
#include "engine/util/interrupt.h"

namespace hearth {

int run_tournament(const Settings& settings, std::istream&, std::ostream& out) {
  std::unique_ptr<Tournament> tournament;
  try {
    tournament = std::make_unique<Tournament>(settings);
  } catch (const std::exception& e) {
    spdlog::error("tournament: {}", e.what());
    return 2;
  }
  InterruptScope interrupts;
  ProgressBar progress(std::cerr, ProgressBar::stderr_is_terminal());
  RunReport report;
  try {
    report = tournament->run(&progress, &interrupt_flag());
  } catch (const std::exception& e) {
    spdlog::error("tournament: {}", e.what());
    return 1;
  }
  out << tournament->summary_text(report);
  const std::filesystem::path dir(tournament->out_dir());
  out << "Results: " << (dir / "results.jsonl").string() << ", summary: " << (dir / "summary.json").string();
  if (settings.tournament.records != "none") out << ", records: " << (dir / "games").string();
  if (settings.tournament.selfplay) out << ", training data: " << (dir / "training.txt").string();
  out << "\n";
  if (!report.complete && !report.stopped.empty()) {
    out << "Stopped: " << report.stopped;
    if (report.stopped.rfind("SPRT", 0) != 0) out << "; run the same command to play the rest";
    out << ".\n";
  }
  out.flush();
  return interrupt_flag().load() ? 130 : 0;
}

}  // namespace hearth
