#include "engine/tournament/progress.h"

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <ostream>

namespace hearth {
namespace {

std::string duration_text(double seconds) {
  const long long s = static_cast<long long>(seconds + 0.5);
  char buf[32];
  if (s >= 3600)
    std::snprintf(buf, sizeof(buf), "%lldh%02lldm", s / 3600, (s / 60) % 60);
  else
    std::snprintf(buf, sizeof(buf), "%lldm%02llds", s / 60, s % 60);
  return buf;
}

}  // namespace

std::string format_progress(const ProgressState& st, int width) {
  const double rate = st.seconds_this_run > 0 ? 60.0 * static_cast<double>(st.done_this_run) / st.seconds_this_run : 0.0;
  char counts[64], speed[64];
  std::snprintf(counts, sizeof(counts), "%lld/%lld", static_cast<long long>(st.done), static_cast<long long>(st.total));
  std::snprintf(speed, sizeof(speed), "%.1f games/min", rate);
  std::string tail = std::string("  ") + counts;
  if (!st.score.empty()) tail += "  " + st.score;
  tail += std::string("  ") + speed;
  if (rate > 0 && st.done < st.total)
    tail += "  ETA " + duration_text(60.0 * static_cast<double>(st.total - st.done) / rate);
  constexpr int cells = 20;
  const int filled = st.total > 0 ? static_cast<int>(static_cast<double>(cells) * st.done / st.total) : 0;
  std::string line = "[" + std::string(std::min(filled, cells), '#') + std::string(cells - std::min(filled, cells), '.') +
                     "]" + tail;
  if (static_cast<int>(line.size()) > width && width > 0) line.resize(width);
  return line;
}

ProgressBar::ProgressBar(std::ostream& out, bool enabled) : out_(out), enabled_(enabled) {}

void ProgressBar::update(const ProgressState& state) {
  if (!enabled_) return;
  out_ << "\r\033[K" << format_progress(state, terminal_width() - 1) << std::flush;
  drawn_ = true;
}

void ProgressBar::clear() {
  if (enabled_ && drawn_) out_ << "\r\033[K" << std::flush;
  drawn_ = false;
}

void ProgressBar::finish() {
  if (enabled_ && drawn_) out_ << "\n" << std::flush;
  drawn_ = false;
}

bool ProgressBar::stderr_is_terminal() { return ::isatty(STDERR_FILENO) == 1; }

int ProgressBar::terminal_width() {
  winsize w{};
  if (::ioctl(STDERR_FILENO, TIOCGWINSZ, &w) == 0 && w.ws_col > 0) return w.ws_col;
  return 100;
}

}  // namespace hearth
