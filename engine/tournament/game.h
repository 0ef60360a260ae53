// One tournament game: the players' common interface and the referee that plays a game between
// two of them from an opening, keeping the clocks and judging every move.
//
// The referee judges, whoever the players are: a move that comes later than the mover's limit
// (time.turn_ms, or the match clock's time left when time.match_ms is set; 0 means "as fast as
// possible", as in the piskvork protocol) plus the tournament's margin loses on time; an
// illegal move (off the board or on a stone), a crash, garbage or an evaluator failure loses with
// that reason. Five in a row wins (exactly five under the standard rule); a full board is a draw.
//
// Thread-safety: play_game runs on the calling thread and uses its two players from it; a
// GamePlayer's abort() may be called from any thread (that is how a tournament is interrupted).
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "engine/game/board.h"
#include "engine/tournament/openings.h"
#include "engine/tournament/schedule.h"

namespace hearth {

// How a game ended.
enum class Termination { Five, FullBoard, Timeout, Crash, Illegal, Garbage, Error, Aborted };
const char* termination_name(Termination t);  // "five", "board-full", "timeout", ...
std::optional<Termination> parse_termination(const std::string& name);
inline bool is_fault(Termination t) { return t != Termination::Five && t != Termination::FullBoard; }

struct MoveRequest {
  const Board* board = nullptr;  // the position; the player moves for board->to_move()
  int64_t turn_ms = 0;           // the mover's limits, protocol meaning (turn 0: as fast as possible)
  int64_t match_ms = 0;          // 0: no match clock
  int64_t time_left_ms = 0;      // match clock left (when match_ms > 0)
  int64_t wait_ms = 0;           // how long the referee waits: the move's limit plus the margin
};

// Why a player lost without a move: Timeout, Crash, Garbage, Error or Aborted, and a one-line detail.
struct Fault {
  Termination kind = Termination::Error;
  std::string detail;
  // The engine died of SIGTERM, SIGINT or SIGHUP: perhaps sent by whatever is stopping the whole
  // tournament (Slurm cancelling or preempting the job signals every process in it). The referee
  // then waits a moment for the tournament's own stop before calling it a loss (play_game).
  bool outside_signal = false;
};

struct MoveAnswer {
  int x = -1, y = -1;          // the move (checked by the referee)
  std::optional<Fault> fault;  // set: the player lost
  // In-process players: the root visits and value of the search (training data).
  std::vector<std::pair<Move, int64_t>> visits;
  float value = 0.0f;
};

class GamePlayer {
 public:
  virtual ~GamePlayer() = default;
  // Readies a new game on an empty board; a fault if the player cannot play (it loses the game).
  virtual std::optional<Fault> new_game(int size, Rule rule, uint64_t seed) = 0;
  // The move for request.board->to_move().
  virtual MoveAnswer think(const MoveRequest& request) = 0;
  // The game is over; `faulted`: this player lost it by a fault (an external engine is then
  // restarted before its next game).
  virtual void game_over(bool faulted) = 0;
  // Any thread: the think in progress ends soon with an Aborted fault, and so does every later
  // one. Used when the tournament is interrupted.
  virtual void abort() = 0;
};

struct GameSide {
  GamePlayer* player = nullptr;
  std::string name;
  int64_t turn_ms = 0;
  int64_t match_ms = 0;
  uint64_t seed = 0;  // the player's search seed for this game
};

// A position some in-process player searched, for training data.
struct SearchedPosition {
  int ply = 0;  // stones on the board before the move
  std::vector<std::pair<Move, int64_t>> visits;
  float value = 0.0f;
};

struct GameRecord {
  ScheduledGame game;
  int size = 15;
  Rule rule = Rule::Freestyle;
  int opening_stones = 0;
  std::vector<Move> moves;        // every stone, opening included, Black first
  std::vector<int64_t> move_ms;   // thinking time per stone; 0 for opening stones
  Outcome outcome = Outcome::Draw;
  Termination termination = Termination::FullBoard;
  std::string reason;             // one line for people: "White (uniform) timeout: no move in 1300 ms"
  int64_t black_ms = 0, white_ms = 0;
  std::vector<SearchedPosition> searched;  // filled when asked for

  bool aborted() const { return termination == Termination::Aborted; }
};

struct GameConfig {
  int size = 15;
  Rule rule = Rule::Freestyle;
  int64_t margin_ms = 1000;     // tournament.timeout_margin_ms
  bool keep_searched = false;   // fill GameRecord::searched
};

// Plays `game` from `opening` (already checked for this size and rule). Returns with
// Termination::Aborted as soon as `stop` is seen between moves (or a player was aborted).
GameRecord play_game(const ScheduledGame& game, const Opening& opening, const GameConfig& config, GameSide black,
                     GameSide white, const std::atomic<bool>& stop);

// "1-0", "0-1" or "1/2-1/2" (Black's score first).
const char* result_text(Outcome outcome);

}  // namespace hearth
