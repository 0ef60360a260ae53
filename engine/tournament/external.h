// An external Gomocup engine as a tournament player, driven by the piskvork protocol
// (https://plastovicka.github.io/protocl2en.htm) over its stdin/stdout.
//
// Per game: START size (answer OK within tournament.start_timeout_ms), then INFO timeout_turn,
// timeout_match, max_memory, game_type 1 and rule (0 freestyle, 1 exactly five). Per move: INFO
// time_left, then BEGIN (empty board), TURN x,y (the engine knows everything but the opponent's
// last move) or BOARD ... DONE (anything else: an opening, a restarted engine), and the reply
// "x,y". Lines starting MESSAGE, DEBUG, UNKNOWN, SUGGEST or ERROR are skipped while waiting (an
// ERROR is kept for the fault message). The process stays up between games; END is sent when the
// tournament is done.
//
// Faults (the engine loses the game; the process is killed and restarted for its next game):
// no reply within the move's limit plus the tournament margin (timeout), the process exits or
// closes its output (crash), a reply that is not "x,y" (garbage). The referee judges legality.
//
// Thread-safety: used by one thread (a tournament worker), except abort() (any thread).
#pragma once

#include <atomic>
#include <memory>
#include <string>

#include "engine/tournament/game.h"
#include "engine/tournament/players.h"
#include "engine/tournament/process.h"

namespace hearth {

class ExternalPlayer : public GamePlayer {
 public:
  // Starts nothing yet: the process is started by the first new_game(). Engine stderr is
  // appended to `stderr_log` (empty: discarded).
  ExternalPlayer(const PlayerSpec& spec, int64_t start_timeout_ms, std::string stderr_log);
  ~ExternalPlayer() override;  // sends END and ends the process

  std::optional<Fault> new_game(int size, Rule rule, uint64_t seed) override;
  MoveAnswer think(const MoveRequest& request) override;
  void game_over(bool faulted) override;
  void abort() override;

  // Processes started so far (1 + restarts after faults).
  int starts() const { return starts_; }

 private:
  using Clock = ChildProcess::Clock;
  enum class Wait { Reply, Eof, Timeout, Stopped, TooLong };

  std::optional<Fault> start_process();
  // START, its OK and the INFO lines of a new game; on a fault the process is killed.
  std::optional<Fault> start_game(int size, Rule rule);
  // Reads until a line that is not MESSAGE/DEBUG/UNKNOWN/SUGGEST, nor ERROR unless `error_is_reply`.
  Wait next_reply(std::string* line, Clock::time_point deadline, bool error_is_reply = false);
  bool send(const std::string& line, Clock::time_point deadline);
  std::string gone_detail();  // "exited with status 3" and the last ERROR line, for a crash
  Fault gone(const std::string& what);  // a Crash fault: `what`, then gone_detail()
  void kill(const std::string& why);

  const PlayerSpec& spec_;
  int64_t start_timeout_ms_;
  std::string stderr_log_;
  std::unique_ptr<ChildProcess> process_;
  int starts_ = 0;
  int known_moves_ = 0;   // stones of this game the engine has on its board
  std::string last_error_;
  std::atomic<bool> aborted_{false};
};

}  // namespace hearth
