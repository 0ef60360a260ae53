#include "engine/util/text.h"
#include "engine/tournament/external.h"

#include <spdlog/spdlog.h>

#include <cctype>
#include <csignal>
#include <climits>
#include <cstdio>

namespace hearth {
namespace {

std::string first_word_upper(const std::string& line) {
  std::string word = line.substr(0, line.find_first_of(" \t"));
  for (char& c : word) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return word;
}

// A reply line for messages: printable, short.
std::string shown(const std::string& text) {
  std::string out;
  for (unsigned char c : text.substr(0, 80)) out += (c >= 0x20 && c < 0x7f) ? static_cast<char>(c) : '?';
  return "'" + out + (text.size() > 80 ? "...'" : "'");
}

bool parse_move_reply(const std::string& line, int* x, int* y) {
  char tail = 0;
  return std::sscanf(line.c_str(), "%d , %d %c", x, y, &tail) == 2;
}

std::string square(int x, int y) { return std::to_string(x) + "," + std::to_string(y); }

}  // namespace

ExternalPlayer::ExternalPlayer(const PlayerSpec& spec, int64_t start_timeout_ms, std::string stderr_log)
    : spec_(spec), start_timeout_ms_(start_timeout_ms), stderr_log_(std::move(stderr_log)) {}

ExternalPlayer::~ExternalPlayer() {
  if (!process_) return;
  send("END", Clock::now() + std::chrono::milliseconds(200));
  const std::string how = process_->finish(std::chrono::milliseconds(1000));
  spdlog::debug("tournament: engine {} {}", spec_.name, how);
}

void ExternalPlayer::kill(const std::string& why) {
  if (!process_) return;
  spdlog::debug("tournament: killing engine {} (pid {}): {}", spec_.name, process_->pid(), why);
  process_.reset();  // the destructor kills the process group and reaps
}

bool ExternalPlayer::send(const std::string& line, Clock::time_point deadline) {
  spdlog::trace("tournament: {} < {}", spec_.name, line);
  return process_ && process_->write_line(line, deadline);
}

Fault ExternalPlayer::gone(const std::string& what) {
  Fault fault{Termination::Crash, what + gone_detail()};  // gone_detail() reaps the process first
  const int sig = process_ ? process_->end_signal() : 0;
  fault.outside_signal = sig == SIGTERM || sig == SIGINT || sig == SIGHUP;
  return fault;
}

std::string ExternalPlayer::gone_detail() {
  std::string detail = process_ ? process_->exit_description(std::chrono::milliseconds(300)) : "not running";
  if (!last_error_.empty()) detail += "; its last ERROR: " + shown(last_error_);
  return detail;
}

ExternalPlayer::Wait ExternalPlayer::next_reply(std::string* line, Clock::time_point deadline, bool error_is_reply) {
  for (;;) {
    switch (process_->read_line(line, deadline, &aborted_)) {
      case ChildProcess::Read::Timeout: return Wait::Timeout;
      case ChildProcess::Read::Eof: return Wait::Eof;
      case ChildProcess::Read::Stopped: return Wait::Stopped;
      case ChildProcess::Read::TooLong: return Wait::TooLong;
      case ChildProcess::Read::Line: break;
    }
    spdlog::trace("tournament: {} > {}", spec_.name, *line);
    *line = trim(*line);
    if (line->empty()) continue;
    const std::string word = first_word_upper(*line);
    if (word == "MESSAGE" || word == "DEBUG" || word == "UNKNOWN" || word == "SUGGEST") continue;
    if (word == "ERROR") {
      last_error_ = *line;
      if (error_is_reply) return Wait::Reply;
      spdlog::debug("tournament: engine {} said {}", spec_.name, *line);
      continue;
    }
    return Wait::Reply;
  }
}

std::optional<Fault> ExternalPlayer::start_process() {
  try {
    process_ = std::make_unique<ChildProcess>(spec_.argv, spec_.dir, stderr_log_);
  } catch (const std::exception& e) {
    return Fault{Termination::Crash, e.what()};
  }
  ++starts_;
  if (starts_ > 1) spdlog::info("tournament: restarted engine {} (start {})", spec_.name, starts_);
  return std::nullopt;
}

std::optional<Fault> ExternalPlayer::new_game(int size, Rule rule, uint64_t) {
  for (int attempt = 0;; ++attempt) {
    if (aborted_) return Fault{Termination::Aborted, "aborted"};
    const bool fresh = !process_;
    if (fresh) {
      if (auto fault = start_process()) return fault;
    }
    std::optional<Fault> fault = start_game(size, rule);
    if (!fault) return std::nullopt;
    // A process kept from an earlier game that has died since gets one fresh start before
    // the engine is blamed.
    if (fresh || attempt > 0 || fault->kind != Termination::Crash) return fault;
    spdlog::info("tournament: engine {} is gone since its last game ({}); starting it again", spec_.name,
                 fault->detail);
  }
}

std::optional<Fault> ExternalPlayer::start_game(int size, Rule rule) {
  last_error_.clear();
  const auto deadline = Clock::now() + std::chrono::milliseconds(start_timeout_ms_);
  const std::string start = "START " + std::to_string(size);
  if (!send(start, deadline)) {
    const Fault fault = gone("the engine is gone before START: ");
    kill("gone");
    return fault;
  }
  std::string line;
  const Wait wait = next_reply(&line, deadline, /*error_is_reply=*/true);
  std::optional<Fault> fault;
  if (wait == Wait::Reply && first_word_upper(line) == "ERROR")
    fault = Fault{Termination::Error, "refused " + start + ": " + shown(line)};
  else if (wait == Wait::Reply && first_word_upper(line) != "OK")
    fault = Fault{Termination::Garbage, "answered " + start + " with " + shown(line) + " instead of OK"};
  else if (wait == Wait::Eof)
    fault = gone("exited before answering " + start + ": ");
  else if (wait == Wait::Timeout)
    fault = Fault{Termination::Timeout, "no OK to " + start + " within " + std::to_string(start_timeout_ms_) + " ms" +
                                            (last_error_.empty() ? "" : "; it said " + shown(last_error_))};
  else if (wait == Wait::Stopped)
    fault = Fault{Termination::Aborted, "aborted"};
  else if (wait == Wait::TooLong)
    fault = Fault{Termination::Garbage, "answered " + start + " with a line over 64 KiB"};
  if (fault) {
    kill(fault->detail);
    return fault;
  }
  const TimeSettings& t = spec_.settings.time;
  const std::string infos[] = {
      "INFO timeout_turn " + std::to_string(t.turn_ms),
      "INFO timeout_match " + std::to_string(t.match_ms),
      "INFO max_memory " + std::to_string(static_cast<int64_t>(spec_.settings.search.max_memory_mb) << 20),
      "INFO game_type 1",
      std::string("INFO rule ") + (rule == Rule::Standard ? "1" : "0"),
  };
  for (const std::string& info : infos) {
    if (!send(info, deadline)) {
      const Fault gone_fault = gone("the engine is gone after START: ");
      kill("gone");
      return gone_fault;
    }
  }
  known_moves_ = 0;
  return std::nullopt;
}

MoveAnswer ExternalPlayer::think(const MoveRequest& request) {
  MoveAnswer answer;
  if (aborted_) {
    answer.fault = Fault{Termination::Aborted, "aborted"};
    return answer;
  }
  if (!process_) {
    answer.fault = Fault{Termination::Crash, "the engine is not running"};
    return answer;
  }
  const Board& board = *request.board;
  const auto deadline = Clock::now() + std::chrono::milliseconds(request.wait_ms);
  const int n = board.move_count();
  // time_left: the protocol's "no limit" is INT_MAX (what piskvork sends without a match clock).
  std::vector<std::string> lines = {"INFO time_left " +
                                    std::to_string(request.match_ms > 0 ? request.time_left_ms : int64_t{INT_MAX})};
  if (n == 0) {
    lines.push_back("BEGIN");
  } else if (known_moves_ > 0 && known_moves_ == n - 1) {
    const Move last = board.last_move();
    lines.push_back("TURN " + square(board.x_of(last), board.y_of(last)));
  } else {
    // Stones in move order; 1 = the engine's own (the side to move), 2 = the opponent's.
    lines.push_back("BOARD");
    const Stone own = board.to_move();
    for (int i = 0; i < n; ++i) {
      const Move m = board.history()[i];
      lines.push_back(square(board.x_of(m), board.y_of(m)) + "," + (board.at(m) == own ? "1" : "2"));
    }
    lines.push_back("DONE");
  }
  for (const std::string& line : lines) {
    if (!send(line, deadline)) {
      answer.fault = gone("the engine is gone: ");
      kill("gone");
      return answer;
    }
  }
  std::string line;
  switch (next_reply(&line, deadline)) {
    case Wait::Reply:
      if (parse_move_reply(line, &answer.x, &answer.y)) {
        known_moves_ = n + 1;
        return answer;
      }
      answer.fault = Fault{Termination::Garbage, "replied " + shown(line) + " instead of a move x,y"};
      break;
    case Wait::TooLong:
      answer.fault = Fault{Termination::Garbage, "replied with a line over 64 KiB instead of a move"};
      break;
    case Wait::Eof:
      answer.fault = gone("exited while thinking: ");
      break;
    case Wait::Timeout:
      answer.fault = Fault{Termination::Timeout, "no move within " + std::to_string(request.wait_ms) +
                                                     " ms (its limit plus the margin)" +
                                                     (last_error_.empty() ? "" : "; it said " + shown(last_error_))};
      break;
    case Wait::Stopped:
      answer.fault = Fault{Termination::Aborted, "aborted"};
      break;
  }
  kill(answer.fault->detail);
  return answer;
}

void ExternalPlayer::game_over(bool faulted) {
  // After a fault the engine's state is unknown (or it is dead): a fresh process next game.
  if (faulted) kill("lost by a fault");
}

void ExternalPlayer::abort() { aborted_ = true; }

}  // namespace hearth
