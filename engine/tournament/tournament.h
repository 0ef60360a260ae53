// A tournament: players (tournament_players.h), openings, a schedule of games with stable
// indices (tournament_schedule.h), played tournament.concurrency at a time, each finished game
// recorded at once (results.jsonl, .psq/.sgf records, training data in self-play), standings with
// Elo and an optional SPRT that ends the run when decided.
//
// Everything that can be checked is checked by the constructor, before any game: players and
// their files/options/engine programs, openings, evaluators (made once per distinct evaluator
// configuration and shared by every game of every player using it), the output folder, and an
// existing results file, whose configuration hash must match (then its games are skipped: the
// run resumes).
//
// With tournament.shard i/n the tournament plays only the games whose index % n == i; the
// schedule, the indices and the configuration hash stay those of the whole tournament, so that
// shards run anywhere (each with its own out_dir) merge by index (tournament_merge.h).
//
// Files in tournament.out_dir:
//   results.jsonl   every finished game, appended and flushed per game (tournament_journal.h)
//   summary.json    the standings, written when run() returns (tournament_results.h)
//   games/game-NNNNNN.psq, .sgf   per-game records (tournament_records.h), NNNNNN the index
//   training.txt    self-play positions (tournament_training.h)
//   <player>.stderr.log           what external engines write on stderr
//
// Thread-safety: construct and run() from one thread; request_stop() from any thread (e.g. a
// signal watcher). The accessors are for that same thread, not during run().
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "engine/tournament/folder_lock.h"
#include "engine/config/options.h"
#include "engine/tournament/game.h"
#include "engine/tournament/inprocess.h"
#include "engine/tournament/journal.h"
#include "engine/tournament/openings.h"
#include "engine/tournament/players.h"
#include "engine/tournament/progress.h"
#include "engine/tournament/results.h"
#include "engine/tournament/schedule.h"

namespace hearth {

// A configuration the tournament cannot run with; what() is one line naming the cause.
struct TournamentError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct RunReport {
  int64_t played = 0;      // games finished and recorded by this run
  int64_t recorded = 0;    // games in the results file now
  int64_t total = 0;       // games in the schedule (in this shard, when sharded)
  bool complete = false;   // every game is recorded
  std::string stopped;     // why the run ended before the schedule did ("" if it did not)
  double seconds = 0.0;
};

class Tournament {
 public:
  // Throws TournamentError.
  explicit Tournament(const Settings& settings);
  ~Tournament();
  Tournament(const Tournament&) = delete;
  Tournament& operator=(const Tournament&) = delete;

  // Plays the games not yet recorded (at most tournament.max_games of them), until they are
  // done, SPRT decides, or a stop is requested (also when `*interrupt` becomes true). Games in
  // progress at a stop are abandoned (not recorded: a later run plays them); at an SPRT decision
  // or the game limit they are finished. Writes summary.json. Throws std::runtime_error if a
  // result cannot be written.
  RunReport run(ProgressBar* progress = nullptr, const std::atomic<bool>* interrupt = nullptr);
  // Any thread: abandon the games in progress and start no more.
  void request_stop();

  const std::vector<PlayerSpec>& players() const { return players_; }
  // The whole schedule (every shard's games).
  const std::vector<ScheduledGame>& schedule() const { return schedule_; }
  const Shard& shard() const { return shard_; }
  // Games of the schedule in this run's shard (all of them when not sharded).
  int64_t shard_games() const { return shard_games_; }
  const std::vector<Opening>& openings() const { return openings_; }
  const Standings& standings() const { return *standings_; }
  size_t evaluator_count() const { return pool_ ? pool_->distinct() : 0; }
  const std::string& hash() const { return hash_; }
  const std::string& out_dir() const { return out_dir_; }
  // Games already in the results file when the tournament was opened.
  int64_t resumed_games() const { return resumed_; }

  std::string summary_json(const RunReport& report) const;
  std::string summary_text(const RunReport& report) const;

 private:
  void worker_loop(int id, const std::vector<int64_t>* pending, std::atomic<size_t>* next);
  std::unique_ptr<GamePlayer> make_player(int player);
  void finish_game(const GameRecord& record);  // coordinator work, under mutex_
  std::string progress_score() const;
  ProgressState progress_state() const;
  std::string sprt_stop_reason() const;  // "" while SPRT goes on (or is off)
  SummaryInfo summary_info(const RunReport& report) const;

  Settings settings_;
  TournamentSettings t_;
  std::vector<PlayerSpec> players_;
  std::vector<SearchParams> params_;  // per player, self-play overrides applied
  std::vector<std::string> names_;
  std::vector<Pairing> pairings_;
  std::vector<Opening> openings_;
  std::vector<ScheduledGame> schedule_;
  Shard shard_;
  int64_t shard_games_ = 0;
  std::string hash_;
  std::string out_dir_;
  std::unique_ptr<EvaluatorPool> pool_;
  std::unique_ptr<FolderLock> lock_;  // before journal_: released after the results file is closed
  std::unique_ptr<ResultsJournal> journal_;
  std::unique_ptr<Standings> standings_;
  int64_t resumed_ = 0;
  std::set<int64_t> recorded_;  // indices of the games in the results file (kept current)
  bool sprt_on_ = false;

  // During run().
  std::atomic<bool> stop_{false};         // abandon games in progress
  std::atomic<bool> no_new_games_{false};  // finish the games in progress, start no more
  mutable std::mutex mutex_;              // guards everything below and the files
  std::vector<std::vector<GamePlayer*>> active_;  // per worker: players in a game now
  ProgressBar* progress_ = nullptr;
  int64_t played_ = 0;
  std::string stopped_;
  std::string failure_;                   // a write error that ended the run
  double run_start_ = 0.0;                // steady clock seconds
};

}  // namespace hearth
