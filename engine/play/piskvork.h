// The Gomocup (piskvork) protocol: https://plastovicka.github.io/protocl2en.htm
//
// Commands: START n, RECTSTART w,h (square only), RESTART, BEGIN, TURN x,y, BOARD ... DONE,
// INFO key value, END, ABOUT, TAKEBACK x,y, PLAY x,y. Coordinates are "x,y", 0-based, x the
// column. Any input that is malformed or illegal gets "ERROR <reason>" and leaves the game
// exactly as it was; an unknown command gets "UNKNOWN <text>". Commands are case-insensitive,
// CR LF line ends are accepted, lines over kMaxLineBytes are rejected whole.
//
// INFO rule is the protocol's bit field: 1 = exactly five, 2 = continuous game (ignored),
// 4 = renju and 8 = caro (both unsupported: ERROR, the rule stays). INFO max_memory (bytes)
// caps the search tree at that minus the estimated overhead (engine_session.h).
//
// stdout carries protocol replies only (flushed after each); logs go to spdlog (stderr).
//
// Thread-safety: a PiskvorkEngine is driven by one thread calling run(); run() starts a reader
// thread of its own so that END is seen while the engine thinks (the think stops and run()
// returns promptly). INFO lines that arrive during a think are applied after it (the budget of
// the move in progress is already fixed).
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

enum class LineStatus { Ok, TooLong, Eof };

// Reads one line without its "\n" or "\r\n". A line longer than `cap` bytes is consumed up to
// its newline and reported as TooLong (its text is dropped). A last line without a newline is
// Ok; Eof only when nothing was read.
LineStatus read_protocol_line(std::istream& in, std::string* line, size_t cap = kMaxLineBytes);

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
  Next handle_board(bool swap2);
  void handle_info(const std::string& args);
  void handle_start(const std::string& args);
  void handle_rectstart(const std::string& args);
  void handle_turn(const std::string& args);
  void handle_takeback(const std::string& args);
  void handle_play(const std::string& args);
  void think_and_reply();
  void apply_memory_limit();
  bool require_game();
  void reply(const std::string& line);
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
