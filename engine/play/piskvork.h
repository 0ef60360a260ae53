// The Gomocup (piskvork) protocol: https://plastovicka.github.io/protocl2en.htm
//
// Commands: START n, RECTSTART w,h (square only), RESTART, BEGIN, TURN x,y, BOARD ... DONE,
// INFO key value, END, ABOUT, TAKEBACK x,y, PLAY x,y (SWAP2BOARD ... DONE is read and refused).
// Coordinates are "x,y", 0-based, x the column. Commands are case-insensitive, CR LF line ends
// are accepted, lines over kMaxLineBytes are rejected whole.
//
// Replies, to the letter (README "Protocol conformance"; tests/fuzz/protocol_fuzz.cpp checks them):
// - Every line is answered by itself with exactly one reply line, or none: INFO, END and empty
//   lines get none; every other line gets one: OK, a move "x,y", the ABOUT line, "ERROR <reason>"
//   for a known command that is malformed or illegal now (the game stays exactly as it was), or
//   "UNKNOWN <text>" for a command the protocol does not define.
// - INFO is never answered: a bad value is logged (stderr) and shown as a "MESSAGE ..." line
//   (managers display those and otherwise ignore them); the previous value stays.
// - A command must be exactly its protocol form: "BEGIN 5" or "BOARD 5" is an ERROR, and only a
//   bare BOARD (SWAP2BOARD) line starts a block. In a block, a line whose first character is a
//   digit, '+' or '-' is a stone line; DONE ends the block (one reply for the whole block); any
//   other non-empty line ends the block with ERROR and is then served as a command.
// - Numbers are an optional sign and decimal digits ("+-1" and "0x3" are not numbers).
//
// INFO rule is the protocol's bit field: 1 = exactly five, 2 = continuous game (ignored),
// 4 = renju and 8 = caro (both unsupported: MESSAGE, the rule stays). INFO max_memory (bytes)
// caps the search tree at that minus the estimated overhead (engine_session.h).
//
// stdout carries protocol lines only (printable ASCII, flushed after each); logs go to spdlog
// (stderr).
//
// Thread-safety: a PiskvorkEngine is driven by one thread calling run(); run() starts a reader
// thread of its own so that END is seen while the engine thinks (the think stops and run()
// returns promptly; moves still owed are answered at once with a minimal search). INFO lines
// that arrive during a think are applied after it (the budget of the move in progress is
// already fixed).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <iosfwd>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "engine/play/session.h"
#include "engine/config/options.h"

namespace hearth {

constexpr size_t kMaxLineBytes = 64 * 1024;
// What is kept of a line over kMaxLineBytes: enough to tell its command (INFO stays silent).
constexpr size_t kTooLongPrefixBytes = 64;

enum class LineStatus { Ok, TooLong, Eof };

// Reads one line without its "\n" or "\r\n". A line longer than `cap` bytes (before its "\n",
// a CR included) is consumed up to its newline and reported as TooLong; *line then holds only its
// first kTooLongPrefixBytes bytes after any leading blanks. A last line without a newline is Ok;
// Eof only when nothing was read.
LineStatus read_protocol_line(std::istream& in, std::string* line, size_t cap = kMaxLineBytes);

// True for the line that ends the engine: "END" alone (blanks and case aside).
bool is_end_line(const std::string& line);

class PiskvorkEngine {
 public:
  PiskvorkEngine(Settings settings, std::istream& in, std::ostream& out);
  ~PiskvorkEngine();
  PiskvorkEngine(const PiskvorkEngine&) = delete;
  PiskvorkEngine& operator=(const PiskvorkEngine&) = delete;

  // Serves commands until END or end of input; returns the exit status (0).
  int run();

  // The current position (for tests; call only when run() is not running or from its thread).
  const Board& board() const { return session_->board(); }
  bool has_game() const { return session_->has_game(); }

 private:
  struct Line {
    LineStatus status = LineStatus::Eof;
    std::string text;
  };
  enum class Next { Continue, Exit };

  void reader_loop();
  Line pop_line();
  Next handle(const std::string& line);
  void handle_too_long(const std::string& prefix);
  Next handle_board(bool swap2);
  void handle_info(const std::string& args);
  void info_problem(const std::string& text);
  void handle_start(const std::string& args);
  void handle_rectstart(const std::string& args);
  void handle_turn(const std::string& args);
  void handle_takeback(const std::string& args);
  void handle_play(const std::string& args);
  void think_and_reply();
  void apply_memory_limit();
  bool require_game();
  // The one reply a command gets (OK, ERROR, UNKNOWN, a move, ABOUT's line).
  void reply(const std::string& line);
  // A MESSAGE line (not a reply: managers show it and read on), also logged as a warning.
  void message(const std::string& text);
  void write_line(const std::string& line);
  std::string move_text(Move m) const;

  Settings settings_;
  std::istream& in_;
  std::ostream& out_;
  std::unique_ptr<EngineSession> session_;

  // Clock state of the current game.
  std::optional<int64_t> time_left_ms_;  // from INFO time_left, then counted down
  int64_t used_ms_ = 0;                  // thinking time spent this game
  int64_t max_memory_bytes_ = 0;         // INFO max_memory; 0 = no limit
  size_t applied_memory_mb_ = 0;
  int game_type_ = 0;
  std::string folder_;
  size_t replies_ = 0;  // reply() calls so far: a command that threw after replying gets no second

  // Reader thread -> main thread.
  std::mutex mutex_;
  std::condition_variable line_cv_;
  std::condition_variable done_cv_;
  std::deque<Line> lines_;
  std::optional<Line> pending_;  // a line that ended a BOARD block, to handle next
  bool main_done_ = false;
  std::atomic<bool> ending_{false};  // END was read: stop thinking, quit
};

}  // namespace hearth
