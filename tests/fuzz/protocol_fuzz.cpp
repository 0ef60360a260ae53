// protocol_fuzz: the piskvork protocol fuzzer (issue 17). A seeded generator writes command
// streams to a real pbrain-hearth through pipes: valid sessions (games, BOARD blocks, TAKEBACK,
// PLAY, INFO of every key) interleaved with mutated lines (truncated, doubled, junk bytes, NUL,
// huge numbers, CR LF, empty, lines of 64 KiB +- 1 and 100 KiB, split lines, extra arguments,
// commands out of order, floods of INFO). Every line is run through a reply model written from
// the protocol (README "Protocol conformance"), which says how many replies of which kind each
// line must get, and the engine's stdout is checked against it:
//
//   - no crash, no sanitizer report, exit status 0 after END or end of input;
//   - no hang: every owed reply within --reply-ms; END exits within --end-ms (1 s) of the last
//     reply owed before it, and within --end-ms of END itself when END stops a long think;
//   - stdout carries only protocol lines: printable ASCII, OK, ERROR ..., UNKNOWN ..., a move
//     "x,y", ABOUT's name="...", or MESSAGE/DEBUG (allowed anywhere, never counted as replies);
//   - each command gets the replies the protocol allows: none for INFO, END and empty lines, one
//     for any other line; the right kind (a legal move on the right board for BEGIN, TURN and a
//     BOARD block, PLAY's own square echoed, OK for START/RESTART/TAKEBACK, ...); nothing after END.
//
// The model keeps the game with hearth::Board (the rules, not the protocol front-end) and plays
// the engine's replies on it, so a move on an occupied square, or a board that went out of step,
// is caught too.
//
// Sessions are written in lockstep (one command, then its replies, as a manager does) or in
// batches (many lines at once, as a piped script: an END already waiting makes moves instant), and
// a few start a long think and send END into it. Each session has its own seed; a failing one is
// saved (its exact input bytes and the engine's stderr) to --save-dir and can be rerun alone with
// --session N.
//
// Usage: protocol_fuzz --engine build/engine/pbrain-hearth [--lines 20000] [--seed 1]
//          [--end-ms 1000] [--reply-ms 20000] [--save-dir DIR] [--session N] [--keep-going]
//          [--verbose]
// HEARTH_FUZZ_LINES and HEARTH_FUZZ_SEED override --lines and --seed. Exit 0 when every session
// conformed, 1 otherwise, 2 for bad usage.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "engine/game/board.h"

namespace {

using hearth::Board;
using hearth::Move;
using hearth::Rule;
using Clock = std::chrono::steady_clock;

// The protocol constants the model needs (engine/play/piskvork.h holds the engine's copies).
constexpr size_t kMaxLineBytes = 64 * 1024;
constexpr size_t kTooLongPrefixBytes = 64;
constexpr size_t kMaxReplyBytes = 1024;

struct Failure : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// An exit later than --end-ms after END. On a loaded machine the wall clock can pass the limit
// while the engine itself is quick, so such a session is run again (same seed) up to twice, and
// fails only if END is slow every time (a real delay in the engine is slow every time).
constexpr const char* kSlowEnd = "SLOW END";
constexpr int kSlowEndRuns = 3;

double ms_since(Clock::time_point t) { return std::chrono::duration<double, std::milli>(Clock::now() - t).count(); }

// Input echoed in a report: printable, short.
std::string show(const std::string& text, size_t max = 120) {
  std::string out;
  for (unsigned char c : text.substr(0, max)) {
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      out += static_cast<char>(c);
    } else {
      char hex[8];
      std::snprintf(hex, sizeof(hex), "\\x%02x", c);
      out += hex;
    }
  }
  if (text.size() > max) out += "...(" + std::to_string(text.size()) + " bytes)";
  return "'" + out + "'";
}

// ---------------------------------------------------------------------------------------------
// The protocol's grammar, as the README's conformance section states it.

bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

std::string trim(const std::string& s) {
  size_t b = 0, e = s.size();
  while (b < e && is_blank(s[b])) ++b;
  while (e > b && is_blank(s[e - 1])) --e;
  return s.substr(b, e - b);
}

std::string upper(std::string s) {
  for (char& c : s)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  return s;
}

std::string lower(std::string s) {
  for (char& c : s)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return s;
}

// A number: one optional sign, decimal digits, within int64.
std::optional<int64_t> number(const std::string& text) {
  size_t i = 0;
  bool negative = false;
  if (i < text.size() && (text[i] == '+' || text[i] == '-')) negative = text[i++] == '-';
  if (i == text.size()) return std::nullopt;
  __int128 v = 0;
  for (; i < text.size(); ++i) {
    if (text[i] < '0' || text[i] > '9') return std::nullopt;
    v = v * 10 + (text[i] - '0');
    if (v > (static_cast<__int128>(1) << 63)) return std::nullopt;
  }
  if (negative) v = -v;
  if (v > INT64_MAX || v < INT64_MIN) return std::nullopt;
  return static_cast<int64_t>(v);
}

// Exactly `n` comma-separated numbers, blanks allowed around each.
std::optional<std::vector<int64_t>> numbers(const std::string& text, size_t n) {
  std::vector<int64_t> out;
  size_t pos = 0;
  for (;;) {
    const size_t comma = text.find(',', pos);
    const auto v = number(trim(text.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos)));
    if (!v) return std::nullopt;
    out.push_back(*v);
    if (comma == std::string::npos) break;
    pos = comma + 1;
  }
  if (out.size() != n) return std::nullopt;
  return out;
}

// The command word (upper case) and the arguments of a trimmed line.
void split_command(const std::string& line, std::string* word, std::string* args) {
  const size_t blank = line.find_first_of(" \t");
  *word = upper(line.substr(0, blank));
  *args = blank == std::string::npos ? "" : trim(line.substr(blank));
}

bool stone_like(const std::string& trimmed) {
  return !trimmed.empty() && ((trimmed[0] >= '0' && trimmed[0] <= '9') || trimmed[0] == '-' || trimmed[0] == '+');
}

// What is left of an overlong line: its first bytes after leading blanks.
std::string too_long_prefix(const std::string& raw) {
  size_t b = 0;
  while (b < raw.size() && (raw[b] == ' ' || raw[b] == '\t' || raw[b] == '\r')) ++b;
  return raw.substr(b, kTooLongPrefixBytes);
}

// ---------------------------------------------------------------------------------------------
// The engine: a child process with pipes on stdin and stdout (stderr to a file).

class EngineProcess {
 public:
  EngineProcess(const std::string& path, const std::vector<std::string>& args, const std::string& stderr_path) {
    int in_pipe[2], out_pipe[2];
    if (pipe2(in_pipe, O_CLOEXEC) != 0 || pipe2(out_pipe, O_CLOEXEC) != 0)
      throw std::runtime_error(std::string("pipe: ") + std::strerror(errno));
    const int err_fd = open(stderr_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (err_fd < 0) throw std::runtime_error("cannot write " + stderr_path);
    std::vector<std::string> argv_s = {path};
    argv_s.insert(argv_s.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : argv_s) argv.push_back(a.data());
    argv.push_back(nullptr);
    pid_ = fork();
    if (pid_ < 0) throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
    if (pid_ == 0) {
      dup2(in_pipe[0], 0);
      dup2(out_pipe[1], 1);
      dup2(err_fd, 2);
      execv(path.c_str(), argv.data());
      std::fprintf(stderr, "exec %s: %s\n", path.c_str(), std::strerror(errno));
      _exit(127);
    }
    close(in_pipe[0]);
    close(out_pipe[1]);
    close(err_fd);
    in_fd_ = in_pipe[1];
    out_fd_ = out_pipe[0];
    fcntl(in_fd_, F_SETFL, O_NONBLOCK);
    fcntl(out_fd_, F_SETFL, O_NONBLOCK);
  }
  ~EngineProcess() {
    close_input();
    if (out_fd_ >= 0) close(out_fd_);
    if (pid_ > 0 && !exited_) {
      kill(pid_, SIGKILL);
      int status = 0;
      waitpid(pid_, &status, 0);
    }
  }

  // Writes all of `bytes`, reading stdout meanwhile (the engine may block on a full pipe).
  // False if the engine stopped reading its input (after END, or it died). Throws on a stall.
  bool write_all(const std::string& bytes, int64_t stall_ms) {
    size_t done = 0;
    auto last_progress = Clock::now();
    while (done < bytes.size()) {
      if (in_fd_ < 0) return false;
      const ssize_t n = write(in_fd_, bytes.data() + done, std::min<size_t>(bytes.size() - done, 1 << 16));
      if (n > 0) {
        done += static_cast<size_t>(n);
        last_progress = Clock::now();
        continue;
      }
      if (n < 0 && errno == EPIPE) {
        close_input();
        return false;
      }
      if (n < 0 && errno != EAGAIN && errno != EINTR) throw Failure(std::string("write to the engine: ") + std::strerror(errno));
      if (ms_since(last_progress) > static_cast<double>(stall_ms))
        throw Failure("HANG: the engine read none of its input for " + std::to_string(stall_ms) + " ms");
      pollfd fds[2] = {{in_fd_, POLLOUT, 0}, {out_fd_, POLLIN, 0}};
      poll(fds, out_eof_ ? 1 : 2, 50);
      if (!out_eof_ && (fds[1].revents & (POLLIN | POLLHUP))) pump();
    }
    return true;
  }

  void close_input() {
    if (in_fd_ >= 0) close(in_fd_);
    in_fd_ = -1;
  }

  // The next stdout line (without "\n"); nullopt at end of output. Throws when none comes in time.
  std::optional<std::string> read_line(int64_t timeout_ms, const std::string& waiting_for) {
    const auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
    for (;;) {
      const size_t nl = out_.find('\n', out_pos_);
      if (nl != std::string::npos) {
        std::string line = out_.substr(out_pos_, nl - out_pos_);
        out_pos_ = nl + 1;
        if (out_pos_ > (1 << 20)) {
          out_.erase(0, out_pos_);
          out_pos_ = 0;
        }
        return line;
      }
      if (out_.size() - out_pos_ > (1 << 20)) throw Failure("stdout: over 1 MiB without a line end");
      if (out_eof_) {
        if (out_pos_ < out_.size()) throw Failure("stdout ends with a partial line " + show(out_.substr(out_pos_)));
        return std::nullopt;
      }
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
      if (left <= 0) throw Failure("HANG: no " + waiting_for + " within " + std::to_string(timeout_ms) + " ms");
      pollfd fd = {out_fd_, POLLIN, 0};
      poll(&fd, 1, static_cast<int>(std::min<int64_t>(left, 100)));
      if (fd.revents & (POLLIN | POLLHUP | POLLERR)) pump();
    }
  }

  // Waits for the exit; nullopt if it did not come in time. Else the wait status.
  std::optional<int> wait_exit(int64_t timeout_ms) {
    const auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
    for (;;) {
      int status = 0;
      const pid_t r = waitpid(pid_, &status, WNOHANG);
      if (r == pid_) {
        exited_ = true;
        return status;
      }
      if (Clock::now() >= deadline) return std::nullopt;
      if (!out_eof_) {
        pollfd fd = {out_fd_, POLLIN, 0};
        if (poll(&fd, 1, 1) > 0) pump();
      } else {
        std::this_thread::sleep_for(std::chrono::microseconds(500));
      }
    }
  }

  pid_t pid() const { return pid_; }

 private:
  void pump() {
    char buf[1 << 16];
    for (;;) {
      const ssize_t n = read(out_fd_, buf, sizeof(buf));
      if (n > 0) {
        out_.append(buf, static_cast<size_t>(n));
        continue;
      }
      if (n == 0) out_eof_ = true;
      return;  // EAGAIN: nothing more now
    }
  }

  pid_t pid_ = -1;
  int in_fd_ = -1, out_fd_ = -1;
  std::string out_;
  size_t out_pos_ = 0;
  bool out_eof_ = false;
  bool exited_ = false;
};

// ---------------------------------------------------------------------------------------------
// The reply model.

struct Stats {
  uint64_t sessions = 0, lines = 0, bytes = 0, commands = 0, too_long = 0, mutated = 0;
  std::map<std::string, uint64_t> replies;  // by kind
  std::map<std::string, uint64_t> served;   // commands by protocol word (BOARD counts its block once)
  uint64_t games_over = 0;                  // moves (the engine's, or a TAKEBACK'd game's) that ended a game
  uint64_t messages = 0, ends = 0, eofs = 0, think_ends = 0, engine_moves = 0;
  double end_ms_max = 0, end_ms_sum = 0, think_end_ms_max = 0;
  uint64_t slow_end_retries = 0;  // sessions whose END was slow once but not when run again

  void add(const Stats& o) {
    sessions += o.sessions, lines += o.lines, bytes += o.bytes, commands += o.commands, too_long += o.too_long;
    mutated += o.mutated, messages += o.messages, ends += o.ends, eofs += o.eofs, think_ends += o.think_ends;
    engine_moves += o.engine_moves, games_over += o.games_over, slow_end_retries += o.slow_end_retries;
    for (const auto& [k, n] : o.replies) replies[k] += n;
    for (const auto& [k, n] : o.served) served[k] += n;
    end_ms_max = std::max(end_ms_max, o.end_ms_max);
    think_end_ms_max = std::max(think_end_ms_max, o.think_end_ms_max);
    end_ms_sum += o.end_ms_sum;
  }
};

enum class Want { Ok, Error, Unknown, Move, Echo, About };

const char* want_name(Want w) {
  switch (w) {
    case Want::Ok: return "OK";
    case Want::Error: return "ERROR";
    case Want::Unknown: return "UNKNOWN";
    case Want::Move: return "a move";
    case Want::Echo: return "the PLAY square";
    case Want::About: return "the ABOUT line";
  }
  return "?";
}

// Reads the next reply (skipping MESSAGE/DEBUG lines, which may come at any time); checks that
// every line is a well-formed protocol line.
using ReplySource = std::function<std::string(Want)>;

bool printable(const std::string& line) {
  for (unsigned char c : line)
    if (c < 0x20 || c >= 0x7f) return false;
  return true;
}

// "x,y" with plain decimal numbers (no sign, no leading zeros).
bool parse_move_reply(const std::string& line, int* x, int* y) {
  const size_t comma = line.find(',');
  if (comma == std::string::npos || comma == 0 || comma + 1 == line.size()) return false;
  const auto plain = [](const std::string& s) {
    if (s.empty() || s.size() > 3 || (s.size() > 1 && s[0] == '0')) return false;
    return std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
  };
  const std::string a = line.substr(0, comma), b = line.substr(comma + 1);
  if (!plain(a) || !plain(b)) return false;
  *x = std::stoi(a);
  *y = std::stoi(b);
  return true;
}

class Model {
 public:
  // Serves one input line (without its "\n"). Returns false once the engine must have ended (END).
  bool line(const std::string& raw, const ReplySource& next, Stats& stats) {
    const bool too_long = raw.size() > kMaxLineBytes;
    if (too_long) ++stats.too_long;
    if (in_block_) {
      if (too_long) {
        const std::string t = trim(too_long_prefix(raw));
        if (stone_like(t)) {
          block_error_ = true;
          return true;
        }
        end_block_cut(next);
        return command(raw, true, next, stats);
      }
      const std::string t = trim(raw);
      if (t.empty()) return true;
      if (upper(t) == "DONE") {
        finish_block(next, stats);
        return true;
      }
      if (!stone_like(t)) {
        end_block_cut(next);
        return command(raw, false, next, stats);
      }
      const auto v = numbers(t, 3);
      if (!v)
        block_error_ = true;
      else
        block_.push_back({(*v)[0], (*v)[1], (*v)[2]});
      return true;
    }
    return command(raw, too_long, next, stats);
  }

  // End of input (no END): an open block is answered, then the engine ends.
  void eof(const ReplySource& next) {
    if (in_block_) end_block_cut(next);
  }

  bool has_game() const { return has_game_; }
  const Board& board() const { return board_; }
  bool in_block() const { return in_block_; }

 private:
  struct Entry {
    int64_t x, y, field;
  };

  bool command(const std::string& raw, bool too_long, const ReplySource& next, Stats& stats) {
    if (too_long) {
      std::string word, args;
      split_command(trim(too_long_prefix(raw)), &word, &args);
      ++stats.commands;
      if (word != "INFO") next(Want::Error);
      return true;
    }
    const std::string t = trim(raw);
    if (t.empty()) return true;
    ++stats.commands;
    std::string word, args;
    split_command(t, &word, &args);
    static const std::set<std::string> known = {"START", "RECTSTART", "RESTART", "BEGIN", "TURN", "BOARD",
                                                "SWAP2BOARD", "DONE", "INFO", "END", "ABOUT", "TAKEBACK", "PLAY"};
    ++stats.served[known.count(word) ? word : "(other)"];
    static const std::set<std::string> bare = {"END", "RESTART", "BEGIN", "ABOUT", "BOARD", "SWAP2BOARD"};
    if (bare.count(word) && !args.empty()) {
      next(Want::Error);
      return true;
    }
    if (word == "END") return false;
    if (word == "START") {
      const auto n = number(args);
      start(n ? *n : -1, next);
    } else if (word == "RECTSTART") {
      const auto wh = numbers(args, 2);
      if (!wh || (*wh)[0] != (*wh)[1])
        next(Want::Error);
      else
        start((*wh)[0], next);
    } else if (word == "RESTART") {
      if (!has_game_) return next(Want::Error), true;
      board_ = Board(board_.size(), board_.rule());
      next(Want::Ok);
    } else if (word == "BEGIN") {
      if (!has_game_ || board_.move_count() != 0) return next(Want::Error), true;
      engine_moves(next, stats);
    } else if (word == "TURN") {
      const auto xy = numbers(args, 2);
      if (!has_game_ || !xy || !on_board(*xy) || board_.is_over()) return next(Want::Error), true;
      const Move m = board_.move_at(static_cast<int>((*xy)[0]), static_cast<int>((*xy)[1]));
      if (!board_.is_legal(m)) return next(Want::Error), true;
      Board after = board_;
      after.play(m);
      if (after.is_over()) return next(Want::Error), true;  // nothing left to answer with
      board_.play(m);
      engine_moves(next, stats);
    } else if (word == "BOARD" || word == "SWAP2BOARD") {
      in_block_ = true;
      swap2_ = word == "SWAP2BOARD";
      block_error_ = false;
      block_.clear();
    } else if (word == "DONE") {
      next(Want::Error);
    } else if (word == "INFO") {
      info(args);
    } else if (word == "ABOUT") {
      next(Want::About);
    } else if (word == "TAKEBACK") {
      const auto xy = numbers(args, 2);
      if (!has_game_ || !xy || board_.move_count() == 0) return next(Want::Error), true;
      const Move last = board_.last_move();
      if ((*xy)[0] != board_.x_of(last) || (*xy)[1] != board_.y_of(last)) return next(Want::Error), true;
      board_.undo();
      next(Want::Ok);
    } else if (word == "PLAY") {
      const auto xy = numbers(args, 2);
      if (!has_game_ || !xy || !on_board(*xy)) return next(Want::Error), true;
      const Move m = board_.move_at(static_cast<int>((*xy)[0]), static_cast<int>((*xy)[1]));
      if (!board_.is_legal(m)) return next(Want::Error), true;
      const std::string reply = next(Want::Echo);
      if (reply != std::to_string((*xy)[0]) + "," + std::to_string((*xy)[1]))
        throw Failure("PLAY answered " + show(reply) + ", not its own square");
      board_.play(m);
    } else {
      next(Want::Unknown);
    }
    return true;
  }

  bool on_board(const std::vector<int64_t>& xy) const {
    return xy[0] >= 0 && xy[1] >= 0 && xy[0] < board_.size() && xy[1] < board_.size();
  }

  void start(int64_t size, const ReplySource& next) {
    if (size < Board::kMinSize || size > Board::kMaxSize) return next(Want::Error), void();
    board_ = Board(static_cast<int>(size), rule_);
    has_game_ = true;
    next(Want::Ok);
  }

  // The engine's move: a legal square of the model's board, played on it.
  void engine_moves(const ReplySource& next, Stats& stats) {
    const std::string reply = next(Want::Move);
    int x = -1, y = -1;
    parse_move_reply(reply, &x, &y);  // next() checked the form
    if (!board_.on_board(x, y)) throw Failure("the engine's move " + show(reply) + " is off the board");
    const Move m = board_.move_at(x, y);
    if (!board_.is_legal(m))
      throw Failure("the engine's move " + show(reply) + " is illegal on the model's board (occupied or game over)");
    board_.play(m);
    if (board_.is_over()) ++stats.games_over;
  }

  void info(const std::string& args) {
    const size_t blank = args.find_first_of(" \t");
    const std::string key = lower(args.substr(0, blank));
    const std::string value = blank == std::string::npos ? "" : trim(args.substr(blank));
    if (key != "rule") return;  // the others change only time and memory
    const auto n = number(value);
    if (!n || *n < 0 || *n > 15 || (*n & 4) || (*n & 8)) return;  // refused: the rule stays
    const Rule rule = (*n & 1) ? Rule::Standard : Rule::Freestyle;
    rule_ = rule;
    if (!has_game_ || board_.rule() == rule) return;
    // The game goes on under the new rule: its moves replayed, up to where it ends.
    Board replayed(board_.size(), rule);
    for (Move m : board_.history()) {
      if (!replayed.is_legal(m)) break;
      replayed.play(m);
    }
    board_ = replayed;
  }

  // A line that is not a stone line ends the block: the block gets its ERROR now.
  void end_block_cut(const ReplySource& next) {
    in_block_ = false;
    next(Want::Error);
  }

  void finish_block(const ReplySource& next, Stats& stats) {
    in_block_ = false;
    if (swap2_ || block_error_ || !has_game_) return next(Want::Error), void();
    const int size = board_.size();
    std::vector<Move> own, opp;
    std::set<Move> seen;
    for (const Entry& e : block_) {
      if (e.x < 0 || e.y < 0 || e.x >= size || e.y >= size) return next(Want::Error), void();
      const Move m = static_cast<Move>(e.y * size + e.x);
      if (!seen.insert(m).second) return next(Want::Error), void();
      if (e.field == 1)
        own.push_back(m);
      else if (e.field == 2)
        opp.push_back(m);
      else
        return next(Want::Error), void();
    }
    // The engine moves next: it has as many stones as the opponent (it is Black) or one fewer;
    // each colour's stones are replayed in the order given, alternating.
    const bool own_black = own.size() == opp.size();
    if (!own_black && opp.size() != own.size() + 1) return next(Want::Error), void();
    const std::vector<Move>& black = own_black ? own : opp;
    const std::vector<Move>& white = own_black ? opp : own;
    Board b(size, board_.rule());
    for (size_t i = 0; i < black.size() + white.size(); ++i) {
      const Move m = (i % 2 == 0) ? black[i / 2] : white[i / 2];
      if (!b.is_legal(m)) return next(Want::Error), void();
      b.play(m);
    }
    if (b.is_over()) return next(Want::Error), void();
    board_ = b;
    engine_moves(next, stats);
  }

  bool has_game_ = false;
  Rule rule_ = Rule::Freestyle;  // for the next START
  Board board_{15};
  bool in_block_ = false, swap2_ = false, block_error_ = false;
  std::vector<Entry> block_;
};

// ---------------------------------------------------------------------------------------------
// The generator.

using Rng = std::mt19937_64;

uint64_t mix(uint64_t x) {  // splitmix64
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

class Generator {
 public:
  Generator(Rng& rng, double mutation_rate) : rng_(rng), mutation_rate_(mutation_rate) {}
  void set_mutation_rate(double p) { mutation_rate_ = p; }

  // What the generator believes of the game: exact in lockstep (copied from the model), a guess
  // in batches (its own stones only).
  void sync(const Model& model) {
    has_game_ = model.has_game();
    board_ = model.board();
  }

  // The lines of the next command (a BOARD block is many; an INFO flood is many), each possibly
  // mutated, each without "\n".
  std::vector<std::string> next(Stats& stats) {
    std::vector<std::string> lines = command();
    std::vector<std::string> out;
    for (std::string& l : lines) {
      if (chance(mutation_rate_)) {
        ++stats.mutated;
        for (std::string& m : mutate(l)) out.push_back(m);
      } else {
        out.push_back(l);
      }
    }
    return out;
  }

  std::vector<std::string> think_lines() {
    // A position the engine will think about for long: BEGIN, a TURN, or a BOARD block.
    const int size = pick({7, 9, 15, 20});
    std::vector<std::string> l = {"START " + std::to_string(size)};
    has_game_ = true;
    board_ = Board(size);
    if (chance(0.3)) l.push_back("INFO rule " + std::to_string(pick({0, 1})));
    const int kind = uniform(0, 2);
    if (kind == 0) {
      l.push_back("BEGIN");
    } else if (kind == 1) {
      l.push_back("TURN " + std::to_string(size / 2) + "," + std::to_string(size / 2));
    } else {
      for (const std::string& b : board_block(false)) l.push_back(b);
    }
    return l;
  }

  std::string junk_line() {
    std::string s;
    const int n = uniform(0, 40);
    for (int i = 0; i < n; ++i) s += random_byte();
    return s;
  }

  bool chance(double p) { return std::uniform_real_distribution<double>(0, 1)(rng_) < p; }
  int uniform(int a, int b) { return std::uniform_int_distribution<int>(a, b)(rng_); }
  template <class T>
  T pick(std::initializer_list<T> items) {
    return *(items.begin() + uniform(0, static_cast<int>(items.size()) - 1));
  }

 private:
  char random_byte() {
    char c;
    do c = static_cast<char>(uniform(0, 255));
    while (c == '\n');
    return c;
  }

  std::string xy(int x, int y) { return std::to_string(x) + "," + std::to_string(y); }

  // A free square by the generator's belief, usually near a stone (so games end now and then).
  std::pair<int, int> free_square() {
    const int n = board_.size();
    const auto& h = board_.history();
    for (int tries = 0; tries < 40; ++tries) {
      int x, y;
      if (!h.empty() && chance(0.7)) {
        const Move near = h[static_cast<size_t>(uniform(0, static_cast<int>(h.size()) - 1))];
        x = board_.x_of(near) + uniform(-2, 2);
        y = board_.y_of(near) + uniform(-2, 2);
      } else {
        x = uniform(0, n - 1);
        y = uniform(0, n - 1);
      }
      if (board_.on_board(x, y) && board_.at(x, y) == hearth::Stone::Empty) return {x, y};
    }
    return {uniform(0, n - 1), uniform(0, n - 1)};
  }

  // Our stone on the believed board (when it is legal there).
  void believe(int x, int y) {
    if (board_.on_board(x, y) && board_.is_legal(board_.move_at(x, y))) board_.play(board_.move_at(x, y));
  }

  std::vector<std::string> command() {
    const double r = std::uniform_real_distribution<double>(0, 1)(rng_);
    if (!has_game_ || chance(0.02)) {
      if (r < 0.55) return {start_line()};
      if (r < 0.75) return {info_line()};
      return {any_command()};  // out of order
    }
    const bool over = board_.is_over() || board_.move_count() >= board_.cells() - 1;
    if (over && r < 0.5) return {pick<std::string>({"RESTART", "START " + std::to_string(uniform(5, 22))})};
    if (board_.move_count() == 0 && r < 0.3) return {"BEGIN"};
    if (r < 0.50) {
      const auto [x, y] = free_square();
      believe(x, y);
      return {"TURN " + xy(x, y)};
    }
    if (r < 0.62) return {info_line()};
    if (r < 0.68) return board_block(true);
    if (r < 0.72 && board_.move_count() > 0) {
      const Move last = board_.last_move();
      board_.undo();
      return {"TAKEBACK " + xy(board_.x_of(last), board_.y_of(last))};
    }
    if (r < 0.76) {
      const auto [x, y] = free_square();
      believe(x, y);
      return {"PLAY " + xy(x, y)};
    }
    if (r < 0.78) {
      board_ = Board(board_.size(), board_.rule());
      return {"RESTART"};
    }
    if (r < 0.80) return {start_line()};
    if (r < 0.82) return {"ABOUT"};
    if (r < 0.825) return info_flood();
    if (r < 0.84) return {"BEGIN"};  // mostly out of order
    if (r < 0.85) {
      std::vector<std::string> b = board_block(false);
      b[0] = "SWAP2BOARD";
      return b;
    }
    if (r < 0.86) return {pick<std::string>({"DONE", "SUGGEST 1,1", "MESSAGE hi", "ERROR", "OK", "1,1,1"})};
    return {any_command()};
  }

  std::string start_line() {
    const int n = chance(0.9) ? pick({5, 6, 7, 8, 9, 10, 12, 15, 15, 19, 20, 22}) : pick({-1, 0, 4, 23, 100});
    has_game_ = n >= Board::kMinSize && n <= Board::kMaxSize;
    if (has_game_) board_ = Board(n);
    if (chance(0.15)) return "RECTSTART " + xy(n, chance(0.8) ? n : n + 1);
    return "START " + std::to_string(n);
  }

  std::string any_command() {
    const int n = std::max(board_.size(), 5);
    switch (uniform(0, 11)) {
      case 0: return "BEGIN";
      case 1: return "TURN " + xy(uniform(-1, n), uniform(-1, n));
      case 2: return "TAKEBACK " + xy(uniform(0, n - 1), uniform(0, n - 1));
      case 3: return "PLAY " + xy(uniform(0, n - 1), uniform(0, n - 1));
      case 4: return "RESTART";
      case 5: return "ABOUT";
      case 6: return "DONE";
      case 7: return pick<std::string>({"FROB", "TURNX 1,1", "STARTS 9", "INFORM x", "HELLO", "ENDX", "SWAP2"});
      case 8: return info_line();
      case 9: return "START " + std::to_string(uniform(3, 24));
      case 10: return "RECTSTART " + xy(uniform(4, 23), uniform(4, 23));
      default: return junk_line();
    }
  }

  std::string info_line() {
    static const char* const keys[] = {"timeout_turn", "timeout_match", "time_left", "max_memory", "rule",
                                       "game_type", "folder", "evaluate", "usedatabase", "future_key"};
    const std::string key = keys[uniform(0, 9)];
    std::string value;
    if (chance(0.25)) {
      value = pick<std::string>({"abc", "", "-5", "1.5", "99999999999999999999", "+-3", "0x10", "1 2", "-0", "+7"});
    } else if (key == "timeout_turn") {
      value = std::to_string(pick({0, 1, 10, 100, 1000, 5000, 30000}));
    } else if (key == "timeout_match") {
      value = std::to_string(pick({0, 1000, 100000, 180000, 1000000000}));
    } else if (key == "time_left") {
      value = std::to_string(pick({-1000, 0, 1, 50, 1000, 100000, 2000000000}));
    } else if (key == "max_memory") {
      value = pick<std::string>({"0", "1000", "83886080", "367001600", "9223372036854775807"});
    } else if (key == "rule") {
      value = std::to_string(pick({0, 1, 1, 0, 2, 3, 4, 5, 8, 9, 12, 16, -1}));
    } else if (key == "game_type") {
      value = std::to_string(uniform(0, 3));
    } else if (key == "folder") {
      value = "/tmp/hearth folder";
    } else if (key == "evaluate") {
      value = xy(uniform(0, 20), uniform(0, 20));
    } else {
      value = std::to_string(uniform(0, 100));
    }
    std::string line = "INFO " + key;
    if (!value.empty() || chance(0.5)) line += " " + value;
    return line;
  }

  std::vector<std::string> info_flood() {
    std::vector<std::string> l;
    const int n = uniform(10, 200);
    for (int i = 0; i < n; ++i) l.push_back(info_line());
    return l;
  }

  // BOARD ... DONE with a position of a random game; `believe` makes it the generator's board.
  std::vector<std::string> board_block(bool make_believe) {
    const int n = board_.size();
    Board b(n, board_.rule());
    const int stones = uniform(0, std::min(b.cells() - 2, chance(0.8) ? 12 : 60));
    std::vector<Move> order;
    for (int i = 0; i < stones && !b.is_over(); ++i) {
      std::vector<Move> legal = b.legal_moves();
      const Move m = legal[static_cast<size_t>(uniform(0, static_cast<int>(legal.size()) - 1))];
      b.play(m);
      order.push_back(m);
    }
    // The engine is to move: the side that moved last is the opponent (field 2).
    std::vector<std::string> l = {"BOARD"};
    const size_t k = order.size();
    for (size_t i = 0; i < k; ++i) {
      const bool by_last_mover = (k - 1 - i) % 2 == 0;
      l.push_back(xy(b.x_of(order[i]), b.y_of(order[i])) + "," + (by_last_mover ? "2" : "1"));
    }
    if (chance(0.05)) l.push_back("");
    if (chance(0.1) && k > 1) std::swap(l[1], l[static_cast<size_t>(uniform(1, static_cast<int>(k)))]);
    l.push_back(chance(0.2) ? "done" : "DONE");
    if (make_believe && !b.is_over()) board_ = b;
    return l;
  }

  std::vector<std::string> mutate(const std::string& line) {
    std::string s = line;
    switch (uniform(0, 17)) {
      case 0: return {s.substr(0, static_cast<size_t>(uniform(0, static_cast<int>(s.size()))))};  // truncated
      case 1: return {s + (chance(0.5) ? " " : "") + s};                                           // doubled
      case 2: {  // junk bytes
        const int n = uniform(1, 8);
        for (int i = 0; i < n; ++i) s.insert(static_cast<size_t>(uniform(0, static_cast<int>(s.size()))), 1, random_byte());
        return {s};
      }
      case 3: {  // a huge or odd number in place of the first digits
        const std::string big = pick<std::string>({"99999999999999999999", "9223372036854775807", "9223372036854775808",
                                                   "-9223372036854775808", "4294967296", "-1", "00000000000000000007",
                                                   "+5", "-0", "+-5", "1e3"});
        const size_t d = s.find_first_of("0123456789");
        if (d == std::string::npos) return {s + " " + big};
        const size_t e = std::min(s.size(), s.find_first_not_of("0123456789", d));
        return {s.substr(0, d) + big + s.substr(e)};
      }
      case 4: return {s + pick<std::string>({"\r", "\r", "\r\r", " \r"})};  // CR LF
      case 5: s.insert(static_cast<size_t>(uniform(0, static_cast<int>(s.size()))), 1, '\0'); return {s};  // NUL
      case 6: return {pick<std::string>({"", " ", "\t", "\r", " \t \r"})};                                // empty
      case 7: {  // blanks and case: still the same command
        std::string t = pick<std::string>({"", " ", "\t", "  "}) + s + pick<std::string>({"", " ", "\t"});
        if (chance(0.5)) t = lower(t);
        return {t};
      }
      case 8: return {s + pick<std::string>({" 5", " x", ",", " ,", " 1,1", "\t0"})};  // an extra argument
      case 9: {  // an overlong line, or one right at the limit
        const size_t target = pick<size_t>({kMaxLineBytes - 1, kMaxLineBytes, kMaxLineBytes + 1, 100 * 1024});
        const char fill = pick<char>({'x', ' ', '7', ','});
        if (chance(0.3)) return {std::string(target, fill)};
        if (s.size() < target) s += std::string(target - s.size(), fill);
        return {s};
      }
      case 10: {  // split in two lines
        const size_t at = static_cast<size_t>(uniform(0, static_cast<int>(s.size())));
        return {s.substr(0, at), s.substr(at)};
      }
      case 11: return {junk_line()};
      case 12: return {s, s};  // sent twice
      case 13: return {pick<std::string>({"END 1", "BOARD 5", "BEGIN 0", "ABOUT x", "RESTART 1", "SWAP2BOARD 1",
                                          "START", "TURN", "TAKEBACK", "PLAY", "INFO", "BOARD\t", "END\t1"})};
      case 14: {  // a character dropped
        if (!s.empty()) s.erase(static_cast<size_t>(uniform(0, static_cast<int>(s.size()) - 1)), 1);
        return {s};
      }
      case 15: {  // blanks around the numbers, or a tab for the space
        std::string t;
        for (char c : s) t += (c == ',') ? pick<std::string>({",", " ,", ", ", "\t,\t"}) : std::string(1, c);
        if (chance(0.3)) std::replace(t.begin(), t.end(), ' ', '\t');
        return {t};
      }
      case 16: return {s.size() > 2 ? std::string(s.rbegin(), s.rend()) : s + s};
      default: return {"INFO " + pick<std::string>({"rule", "timeout_turn", "max_memory"}) + " " + junk_line()};
    }
  }

  Rng& rng_;
  double mutation_rate_;
  bool has_game_ = false;
  Board board_{15};
};

// ---------------------------------------------------------------------------------------------
// One session: an engine process from start to exit.

struct Options {
  std::string engine;
  uint64_t lines = 20000;
  uint64_t seed = 1;
  int64_t end_ms = 1000;
  int64_t reply_ms = 20000;
  std::string save_dir = ".";
  std::optional<uint64_t> only_session;
  bool keep_going = false;
  bool verbose = false;
};

class Session {
 public:
  Session(const Options& opt, uint64_t index, Stats& stats)
      : opt_(opt), index_(index), stats_(stats), rng_(mix(opt.seed * 0x1000003ULL + index)), gen_(rng_, 0.0) {}

  // Plays the session; returns the lines it wrote. Throws Failure.
  uint64_t run(uint64_t max_lines) {
    const bool think_end = index_ % 10 == 3 || gen_.chance(0.02);
    const double mutation = gen_.pick({0.0, 0.05, 0.15, 0.3, 0.6});
    gen_.set_mutation_rate(mutation);
    lockstep_share_ = gen_.pick({0.0, 0.3, 0.7, 1.0});
    args_ = {"--plugin", gen_.chance(0.8) ? "uniform" : "heuristic", "--threads", gen_.chance(0.8) ? "1" : "2",
             "--seed", std::to_string(index_ + 1), "--evaluator.cache_entries", "4096", "--log-level", "warn"};
    if (think_end) {
      args_.insert(args_.end(), {"--visits", "0", "--time.turn_ms", "30000"});
    } else {
      args_.insert(args_.end(), {"--visits", std::to_string(gen_.pick({1, 5, 20, 60}))});
    }
    stderr_path_ = opt_.save_dir + "/engine-stderr.txt";
    EngineProcess engine(path_of_engine(), args_, stderr_path_);
    engine_ = &engine;
    ++stats_.sessions;
    if (think_end)
      run_think_end();
    else
      run_game(max_lines);
    engine_ = nullptr;
    check_stderr();
    return written_lines_;
  }

  std::string describe() const {
    std::string s = "session " + std::to_string(index_) + " (--seed " + std::to_string(opt_.seed) + " --session " +
                    std::to_string(index_) + "; engine args:";
    for (const auto& a : args_) s += " " + a;
    return s + ")";
  }
  const std::string& input() const { return input_; }
  const std::string& stderr_path() const { return stderr_path_; }
  size_t failing_line() const { return served_; }
  std::string failing_text() const { return served_ < sent_.size() ? sent_[served_] : "(end of input)"; }

 private:
  const std::string& path_of_engine() const { return opt_.engine; }

  // Writes lines (each gets "\n"); false if the engine no longer reads (it ended, or died).
  bool send(const std::vector<std::string>& lines) {
    std::string bytes;
    for (const std::string& l : lines) {
      bytes += l;
      bytes += '\n';
      sent_.push_back(l);
    }
    written_lines_ += lines.size();
    stats_.lines += lines.size();
    stats_.bytes += bytes.size();
    sent_at_.resize(sent_.size(), Clock::now());
    input_ += bytes;
    if (!input_open_) return false;
    if (!engine_->write_all(bytes, opt_.reply_ms)) input_open_ = false;
    return input_open_;
  }

  // The next reply the model wants: MESSAGE/DEBUG lines are checked and skipped.
  std::string next_reply(Want want) {
    for (;;) {
      const auto line = engine_->read_line(opt_.reply_ms, std::string(want_name(want)) + " for " + show(failing_text()));
      if (!line) throw Failure("CRASH or early exit: the engine's output ended while " + std::string(want_name(want)) + " was owed");
      check_form(*line);
      if (line->rfind("MESSAGE", 0) == 0 || line->rfind("DEBUG", 0) == 0) {
        ++stats_.messages;
        continue;
      }
      last_reply_at_ = Clock::now();
      const std::string kind = kind_of(*line);
      ++stats_.replies[kind];
      const bool ok = (want == Want::Ok && kind == "OK") || (want == Want::Error && kind == "ERROR") ||
                      (want == Want::Unknown && kind == "UNKNOWN") || (want == Want::About && kind == "ABOUT") ||
                      ((want == Want::Move || want == Want::Echo) && kind == "MOVE");
      if (!ok) throw Failure("WRONG REPLY: wanted " + std::string(want_name(want)) + ", got " + show(*line));
      if (want == Want::Move) ++stats_.engine_moves;
      return *line;
    }
  }

  static std::string kind_of(const std::string& line) {
    int x, y;
    if (line == "OK") return "OK";
    if (line == "ERROR" || line.rfind("ERROR ", 0) == 0) return "ERROR";
    if (line == "UNKNOWN" || line.rfind("UNKNOWN ", 0) == 0) return "UNKNOWN";
    if (line.rfind("name=\"", 0) == 0) return "ABOUT";
    if (parse_move_reply(line, &x, &y)) return "MOVE";
    return "?";
  }

  void check_form(const std::string& line) {
    if (line.size() > kMaxReplyBytes) throw Failure("MALFORMED: a reply of " + std::to_string(line.size()) + " bytes");
    if (!printable(line)) throw Failure("MALFORMED: a reply with unprintable bytes " + show(line));
    if (line.rfind("MESSAGE ", 0) == 0 || line.rfind("DEBUG ", 0) == 0) return;
    if (kind_of(line) == "?") throw Failure("MALFORMED: not a protocol line: " + show(line));
  }

  // Runs the model over every line sent so far; false once END was served.
  bool serve() {
    const ReplySource next = [this](Want w) { return next_reply(w); };
    while (served_ < sent_.size()) {
      const size_t i = served_;
      if (!model_.line(sent_[i], next, stats_)) {
        ended_at_line_ = i;
        return false;
      }
      ++served_;
    }
    return true;
  }

  void run_game(uint64_t max_lines) {
    const int ending = gen_.uniform(0, 99);  // < 75: END, < 90: end of input, else END then more lines
    std::vector<std::string> batch;
    bool alive = true;
    while (alive && written_lines_ < max_lines) {
      const bool lockstep = gen_.chance(lockstep_share_);
      if (lockstep) gen_.sync(model_);
      const int commands = lockstep ? 1 : gen_.uniform(1, 60);
      std::vector<std::string> lines;
      for (int c = 0; c < commands; ++c)
        for (std::string& l : gen_.next(stats_)) lines.push_back(std::move(l));
      send(lines);
      alive = serve();
    }
    if (!alive) return finish_end(false);  // a mutated line was END itself
    if (ending < 75) {
      send({"END"});
      if (serve()) throw Failure("model: END not served");
      finish_end(false);
    } else if (ending < 90) {
      finish_eof();
    } else {
      std::vector<std::string> after = {"END", "ABOUT", "START 9", "BEGIN", gen_.junk_line()};
      send(after);
      if (serve()) throw Failure("model: END not served");
      finish_end(false);
    }
  }

  // START, then a think with no visit limit and 30 s on the clock; END stops it.
  void run_think_end() {
    ++stats_.think_ends;
    send(gen_.think_lines());
    const int delay = gen_.uniform(0, 400);
    std::this_thread::sleep_for(std::chrono::milliseconds(delay));
    send({"END"});
    if (serve()) throw Failure("model: END not served");
    finish_end(true);
  }

  // After END was served by the model: only MESSAGE lines may follow, then the exit, in time.
  void finish_end(bool think) {
    ++stats_.ends;
    // From the last reply owed before END, or from END itself if that came later.
    const Clock::time_point end_at = sent_at_.at(ended_at_line_);
    const auto t0 = std::max(last_reply_at_, end_at);
    const auto status = engine_->wait_exit(opt_.end_ms * 10 + 5000);
    const double ms = ms_since(t0);
    const double since_end = ms_since(end_at);
    if (!status) throw Failure("HANG: the engine did not exit after END (" + std::to_string(ms) + " ms)");
    drain_after_end();
    check_status(*status);
    // The exit was seen at most ~1 ms late by the polling wait.
    if (ms > static_cast<double>(opt_.end_ms))
      throw Failure(std::string(kSlowEnd) + ": exit " + std::to_string(ms) + " ms after the last reply owed before END (limit " +
                    std::to_string(opt_.end_ms) + " ms)");
    if (think && since_end > static_cast<double>(opt_.end_ms))
      throw Failure(std::string(kSlowEnd) + ": exit " + std::to_string(since_end) + " ms after END stopped a think");
    stats_.end_ms_max = std::max(stats_.end_ms_max, ms);
    stats_.end_ms_sum += ms;
    if (think) stats_.think_end_ms_max = std::max(stats_.think_end_ms_max, since_end);
  }

  void drain_after_end() {
    for (;;) {
      const auto line = engine_->read_line(opt_.reply_ms, "end of output after END");
      if (!line) return;
      check_form(*line);
      if (line->rfind("MESSAGE", 0) == 0 || line->rfind("DEBUG", 0) == 0) continue;
      throw Failure("EXTRA REPLY after END (or a reply nothing asked for): " + show(*line));
    }
  }

  void finish_eof() {
    ++stats_.eofs;
    input_open_ = false;
    engine_close_input();
    model_.eof([this](Want w) { return next_reply(w); });
    served_ = sent_.size();
    const auto status = engine_->wait_exit(opt_.reply_ms);
    if (!status) throw Failure("HANG: the engine did not exit at the end of its input");
    drain_after_end();
    check_status(*status);
  }

  void engine_close_input() { engine_->close_input(); }

  void check_status(int status) {
    if (WIFSIGNALED(status))
      throw Failure("CRASH: the engine died of signal " + std::to_string(WTERMSIG(status)) + " (" +
                    strsignal(WTERMSIG(status)) + ")");
    if (WEXITSTATUS(status) != 0) throw Failure("CRASH: the engine exited with status " + std::to_string(WEXITSTATUS(status)));
  }

  void check_stderr() {
    std::ifstream in(stderr_path_);
    for (std::string line; std::getline(in, line);)
      for (const char* bad : {"AddressSanitizer", "LeakSanitizer", "ThreadSanitizer", "runtime error:"})
        if (line.find(bad) != std::string::npos) throw Failure("SANITIZER: " + show(line, 300));
  }

  const Options& opt_;
  uint64_t index_;
  Stats& stats_;
  Rng rng_;
  Generator gen_;
  Model model_;
  EngineProcess* engine_ = nullptr;
  std::vector<std::string> args_;
  std::string stderr_path_;
  double lockstep_share_ = 1.0;
  std::vector<std::string> sent_;
  std::string input_;
  size_t served_ = 0;
  size_t ended_at_line_ = 0;
  uint64_t written_lines_ = 0;
  bool input_open_ = true;
  std::vector<Clock::time_point> sent_at_;  // when each line was written
  Clock::time_point last_reply_at_{};
};

// Runs session `index`, again if only its END was slow (kSlowEnd); adds its numbers to `stats`.
// On a failure, reports it and saves the session's input and the engine's stderr.
bool run_session(const Options& opt, uint64_t index, uint64_t max_lines, Stats& stats) {
  for (int attempt = 1;; ++attempt) {
    Stats attempt_stats;
    Session session(opt, index, attempt_stats);
    try {
      session.run(max_lines);
      if (attempt > 1) ++attempt_stats.slow_end_retries;
      stats.add(attempt_stats);
      if (opt.verbose) std::cerr << "ok " << session.describe() << "\n";
      return true;
    } catch (const std::exception& f) {  // Failure, or a broken setup (no pipe, no fork)
      if (std::string(f.what()).rfind(kSlowEnd, 0) == 0 && attempt < kSlowEndRuns) {
        std::cerr << "note: " << session.describe() << ": " << f.what() << "; running it again\n";
        continue;
      }
      stats.add(attempt_stats);
      const std::string base = opt.save_dir + "/failure-seed" + std::to_string(opt.seed) + "-session" + std::to_string(index);
      std::ofstream(base + ".in", std::ios::binary) << session.input();
      {
        std::ifstream err(session.stderr_path(), std::ios::binary);
        std::ofstream(base + ".stderr", std::ios::binary) << err.rdbuf();
      }
      std::cerr << "FAIL " << session.describe() << "\n  " << f.what() << "\n  at input line "
                << session.failing_line() + 1 << ": " << show(session.failing_text()) << "\n  input and engine stderr: "
                << base << ".in, " << base << ".stderr\n";
      return false;
    }
  }
}

void usage() {
  std::cerr << "usage: protocol_fuzz --engine PBRAIN [--lines N] [--seed S] [--end-ms MS] [--reply-ms MS]\n"
               "                     [--save-dir DIR] [--session N] [--keep-going] [--verbose]\n";
}

}  // namespace

int main(int argc, char** argv) {
  signal(SIGPIPE, SIG_IGN);
  Options opt;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        usage();
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--engine") opt.engine = value();
    else if (a == "--lines") opt.lines = std::stoull(value());
    else if (a == "--seed") opt.seed = std::stoull(value());
    else if (a == "--end-ms") opt.end_ms = std::stoll(value());
    else if (a == "--reply-ms") opt.reply_ms = std::stoll(value());
    else if (a == "--save-dir") opt.save_dir = value();
    else if (a == "--session") opt.only_session = std::stoull(value());
    else if (a == "--keep-going") opt.keep_going = true;
    else if (a == "--verbose") opt.verbose = true;
    else {
      usage();
      return 2;
    }
  }
  if (const char* v = std::getenv("HEARTH_FUZZ_LINES")) opt.lines = std::stoull(v);
  if (const char* v = std::getenv("HEARTH_FUZZ_SEED")) opt.seed = std::stoull(v);
  if (opt.engine.empty() || access(opt.engine.c_str(), X_OK) != 0) {
    std::cerr << "protocol_fuzz: no engine to run (--engine " << opt.engine << ")\n";
    usage();
    return 2;
  }
  std::error_code ec;
  std::filesystem::create_directories(opt.save_dir, ec);

  Stats stats;
  int failures = 0;
  const auto t0 = Clock::now();
  uint64_t index = opt.only_session.value_or(0);
  while (stats.lines < opt.lines || (opt.only_session && stats.sessions == 0)) {
    // A session is 50-1000 lines (never past the total).
    Rng size_rng(mix(opt.seed ^ (index * 0x9e37ULL)));
    const uint64_t want = std::uniform_int_distribution<uint64_t>(50, 1000)(size_rng);
    const uint64_t max_lines = opt.only_session ? want : std::min(want, opt.lines - stats.lines);
    const uint64_t before = stats.lines;
    if (!run_session(opt, index, max_lines, stats)) ++failures;
    if (opt.lines >= 200000 && stats.lines / 100000 != before / 100000)  // long runs: a sign of life
      std::cerr << "protocol_fuzz: " << stats.lines << " lines, " << stats.sessions << " sessions, " << failures
                << " failed, " << std::chrono::duration<double>(Clock::now() - t0).count() << " s\n";
    if (failures && !opt.keep_going) break;
    if (opt.only_session) break;
    ++index;
  }
  const double seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  std::cout << "protocol_fuzz: seed " << opt.seed << ", " << stats.lines << " lines (" << stats.commands << " commands, "
            << stats.mutated << " mutated, " << stats.too_long << " over 64 KiB, " << stats.bytes / 1024
            << " KiB) in " << stats.sessions << " sessions, " << seconds << " s\n  replies:";
  for (const auto& [kind, n] : stats.replies) std::cout << " " << kind << " " << n;
  std::cout << "; MESSAGE lines " << stats.messages << "; engine moves checked " << stats.engine_moves << "\n  "
            << stats.ends << " END (exit after the last owed reply: max " << stats.end_ms_max << " ms, mean "
            << (stats.ends ? stats.end_ms_sum / static_cast<double>(stats.ends) : 0) << " ms; " << stats.think_ends
            << " into a long think, max " << stats.think_end_ms_max << " ms after END), " << stats.eofs
            << " end of input; " << stats.slow_end_retries << " slow END passed when run again; " << stats.games_over << " games won or drawn by the engine's move\n  commands:";
  for (const auto& [word, n] : stats.served) std::cout << " " << word << " " << n;
  std::cout << "\n  " << (failures ? std::to_string(failures) + " FAILED session(s)" : "every session conformed")
            << "\n";
  return failures ? 1 : 0;
}
