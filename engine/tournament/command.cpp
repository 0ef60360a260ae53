#include "engine/tournament/command.h"

#include <signal.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <filesystem>
#include <iostream>
#include <memory>

#include "engine/tournament/tournament.h"

namespace hearth {
namespace {

std::atomic<bool> g_interrupted{false};
static_assert(std::atomic<bool>::is_always_lock_free, "the signal handler needs a lock-free flag");

void on_signal(int) { g_interrupted.store(true); }

// SIGINT/SIGTERM set the flag for the scope; SA_RESETHAND makes a second one act as usual.
class InterruptScope {
 public:
  InterruptScope() {
    g_interrupted = false;
    struct sigaction action {};
    action.sa_handler = on_signal;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESETHAND;
    sigaction(SIGINT, &action, &old_int_);
    sigaction(SIGTERM, &action, &old_term_);
  }
  ~InterruptScope() {
    sigaction(SIGINT, &old_int_, nullptr);
    sigaction(SIGTERM, &old_term_, nullptr);
  }

 private:
  struct sigaction old_int_ {};
  struct sigaction old_term_ {};
};

}  // namespace

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
    report = tournament->run(&progress, &g_interrupted);
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
  return g_interrupted.load() ? 130 : 0;
}

}  // namespace hearth
