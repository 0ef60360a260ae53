#include "engine/tournament/tournament.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <thread>

#include "evaluator/json_text.h"
#include "engine/tournament/external.h"
#include "engine/tournament/records.h"
#include "engine/tournament/training.h"

namespace hearth {
namespace fs = std::filesystem;
namespace {

double now_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

void write_file(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::trunc);
  out << text;
  if (!out.flush()) throw std::runtime_error("cannot write " + path.string());
}

void append_file(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::app);
  out << text;
  if (!out.flush()) throw std::runtime_error("cannot append to " + path.string());
}

}  // namespace

Tournament::Tournament(const Settings& settings) : settings_(settings), t_(settings.tournament) {
  const int size = settings.game.board_size;
  const Rule rule = settings.game.rule;
  const auto fail = [](const std::string& what) { throw TournamentError(what); };

  if (t_.sprt) {
    const SprtSettings s{t_.sprt_elo0, t_.sprt_elo1, t_.sprt_alpha, t_.sprt_beta};
    const std::string problem = check_sprt_settings(s);
    if (!problem.empty()) fail(problem);
  }
  {
    std::string problem;
    if (!parse_shard_option(t_.shard, &shard_, &problem)) fail("option 'tournament.shard': " + problem);
    t_.shard = shard_.text();  // "slurm" resolved
  }
  if (t_.sprt && !shard_.whole())
    fail("SPRT decides on all the games so far: it cannot run in a shard (tournament.shard " + t_.shard + ")");
  try {
    players_ = parse_players(t_.players, t_.players_dir, settings);
  } catch (const std::exception& e) {
    fail(e.what());
  }
  for (const PlayerSpec& p : players_) names_.push_back(p.name);
  if (t_.selfplay && !players_.empty() && players_[0].kind != PlayerKind::InProcess)
    fail("self-play needs an in-process player (its training data are search visits), not the external engine '" +
         players_[0].name + "'");
  const TournamentFormat format = t_.format == "gauntlet" ? TournamentFormat::Gauntlet : TournamentFormat::RoundRobin;
  try {
    pairings_ = make_pairings(static_cast<int>(players_.size()), format, t_.selfplay);
  } catch (const std::exception& e) {
    fail(std::string(e.what()) + (t_.selfplay ? "" : " (or set tournament.selfplay for one player against itself)"));
  }
  sprt_on_ = t_.sprt;
  if (sprt_on_ && pairings_.size() != 1) fail("SPRT needs exactly one pairing (two players), not " + std::to_string(pairings_.size()));
  if (sprt_on_ && t_.selfplay) fail("SPRT has nothing to test in self-play");

  for (const PlayerSpec& p : players_) {
    SearchParams params = p.settings.search;
    if (t_.selfplay) {
      params.dirichlet_alpha = t_.selfplay_dirichlet_alpha;
      params.temperature_moves = t_.selfplay_temperature_moves;
    }
    params_.push_back(params);
  }

  try {
    openings_ = t_.openings.empty()
                    ? random_openings(openings_needed(t_.games), t_.opening_stones, size, rule, t_.seed)
                    : read_openings_file(t_.openings, size, rule);
  } catch (const std::exception& e) {
    fail(e.what());
  }
  if (static_cast<int>(openings_.size()) < openings_needed(t_.games))
    spdlog::info("tournament: {} openings for {} opening pairs per pairing: openings are reused", openings_.size(),
                 openings_needed(t_.games));
  schedule_ = make_schedule(pairings_, t_.games, static_cast<int>(openings_.size()));
  for (const ScheduledGame& g : schedule_) shard_games_ += shard_.has(g.index);

  // The configuration hash: everything that decides which games are played and how.
  std::string identity = "hearth-tournament 1\nboard " + std::to_string(size) + " " + rule_name(rule) + "\nformat " +
                         t_.format + " selfplay " + (t_.selfplay ? "1" : "0") + " games " + std::to_string(t_.games) +
                         " seed " + std::to_string(t_.seed) + " margin " + std::to_string(t_.timeout_margin_ms) + "\n";
  for (size_t i = 0; i < players_.size(); ++i) {
    identity += "player " + std::to_string(i) + " " + players_[i].identity();
    if (t_.selfplay)
      identity += " selfplay_alpha=" + std::to_string(t_.selfplay_dirichlet_alpha) +
                  " selfplay_temperature_moves=" + std::to_string(t_.selfplay_temperature_moves);
    identity += "\n";
  }
  for (const Opening& o : openings_) identity += "opening " + moves_text(o.moves, size) + "\n";
  hash_ = fnv1a_hex(identity);

  try {
    pool_ = std::make_unique<EvaluatorPool>(players_, size, rule);
  } catch (const std::exception& e) {
    fail(e.what());
  }

  out_dir_ = t_.out_dir;
  if (out_dir_.empty()) fail("tournament.out_dir is empty: the results need a folder");
  std::error_code ec;
  fs::create_directories(fs::path(out_dir_) / "games", ec);
  if (ec) fail("cannot create the output folder " + out_dir_ + ": " + ec.message());
  try {
    lock_ = std::make_unique<FolderLock>(out_dir_);
  } catch (const std::exception& e) {
    fail(e.what());
  }
  JournalHeader header;
  header.hash = hash_;
  header.games_total = static_cast<int64_t>(schedule_.size());
  for (size_t i = 0; i < names_.size(); ++i) header.players += (i ? ";" : "") + names_[i];
  header.board_size = size;
  header.rule = rule_name(rule);
  header.format = t_.selfplay ? "self-play" : t_.format;
  header.pairings = pairings_text(pairings_);
  header.shard = shard_.text();
  try {
    journal_ = std::make_unique<ResultsJournal>((fs::path(out_dir_) / "results.jsonl").string(), header, schedule_, names_);
  } catch (const std::exception& e) {
    fail(e.what());
  }
  standings_ = std::make_unique<Standings>(names_, pairings_);
  for (const GameResult& r : journal_->recorded()) {
    standings_->add(r);
    recorded_.insert(r.game.index);
  }
  resumed_ = static_cast<int64_t>(recorded_.size());
  if (t_.selfplay) {
    try {
      filter_training_file((fs::path(out_dir_) / "training.txt").string(), recorded_);
    } catch (const std::exception& e) {
      fail(e.what());
    }
  }
  spdlog::info("tournament: {} players, {} games{} ({} already recorded in {}), hash {}", players_.size(),
               shard_games_, shard_.whole() ? "" : " in shard " + shard_.text() + " of " + std::to_string(schedule_.size()),
               resumed_, out_dir_, hash_);
}

Tournament::~Tournament() = default;

std::unique_ptr<GamePlayer> Tournament::make_player(int player) {
  const PlayerSpec& spec = players_[player];
  if (spec.kind == PlayerKind::External) {
    const std::string log = (fs::path(out_dir_) / (file_safe_name(spec.name) + ".stderr.log")).string();
    return std::make_unique<ExternalPlayer>(spec, t_.start_timeout_ms, log);
  }
  return std::make_unique<InProcessPlayer>(spec, pool_->for_player(player), params_[player]);
}

void Tournament::request_stop() {
  stop_ = true;
  no_new_games_ = true;
  std::lock_guard<std::mutex> lock(mutex_);
  if (stopped_.empty()) stopped_ = "stop requested";
  for (const auto& players : active_)
    for (GamePlayer* p : players) p->abort();
}

void Tournament::worker_loop(int id, const std::vector<int64_t>* pending, std::atomic<size_t>* next) {
  // This worker's players, kept across its games (an engine process stays up between games).
  // Key: (player, slot); slot 1 is the second side of a self-play game.
  std::map<std::pair<int, int>, std::unique_ptr<GamePlayer>> mine;
  // Unregisters this worker's players before `mine` destroys them (declared after it), however
  // the loop ends, so request_stop() never aborts a destroyed player.
  struct Unregister {
    Tournament* t;
    int id;
    ~Unregister() {
      std::lock_guard<std::mutex> lock(t->mutex_);
      t->active_[id].clear();
    }
  } unregister{this, id};
  const auto player = [&](int index, int slot) -> GamePlayer* {
    auto& p = mine[{index, slot}];
    if (!p) p = make_player(index);
    return p.get();
  };
  GameConfig config;
  config.size = settings_.game.board_size;
  config.rule = settings_.game.rule;
  config.margin_ms = t_.timeout_margin_ms;
  config.keep_searched = t_.selfplay;
  while (!no_new_games_) {
    const size_t k = (*next)++;
    if (k >= pending->size()) break;
    const ScheduledGame& game = schedule_[(*pending)[k]];
    GamePlayer* black = player(game.black, 0);
    GamePlayer* white = player(game.white, game.black == game.white ? 1 : 0);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (stop_) break;
      active_[id] = {black, white};
    }
    const auto side = [&](int index, GamePlayer* p, int colour) {
      const PlayerSpec& spec = players_[index];
      GameSide s;
      s.player = p;
      s.name = spec.name;
      s.turn_ms = spec.settings.time.turn_ms;
      s.match_ms = spec.settings.time.match_ms;
      const uint64_t base = spec.settings.search.seed != 0 ? spec.settings.search.seed : mix_seed(t_.seed, index + 1);
      s.seed = mix_seed(base, static_cast<uint64_t>(game.index), static_cast<uint64_t>(colour));
      if (s.seed == 0) s.seed = 1;  // 0 would mean "from the clock"
      return s;
    };
    const GameRecord record = play_game(game, openings_[game.opening], config, side(game.black, black, 0),
                                        side(game.white, white, 1), stop_);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      active_[id].clear();
    }
    if (record.aborted()) continue;
    std::lock_guard<std::mutex> lock(mutex_);
    try {
      finish_game(record);
    } catch (const std::exception& e) {
      failure_ = e.what();
      stopped_ = std::string("cannot record a result: ") + e.what();
      stop_ = true;
      no_new_games_ = true;
    }
  }
  // `unregister`, then `mine` go out of scope here: external engines get END and are ended.
}

void Tournament::finish_game(const GameRecord& record) {
  const std::string black = names_[record.game.black], white = names_[record.game.white];
  const fs::path games = fs::path(out_dir_) / "games";
  const std::string stem = record_file_stem(record.game.index);
  if (t_.records == "all" || t_.records == "psq") write_file(games / (stem + ".psq"), psq_text(record, black, white));
  if (t_.records == "all" || t_.records == "sgf") write_file(games / (stem + ".sgf"), sgf_text(record, black, white));
  if (t_.selfplay) {
    std::string lines;
    for (const TrainingSample& s : training_samples(record)) lines += training_line(s) + "\n";
    append_file(fs::path(out_dir_) / "training.txt", lines);
  }
  // Last: the results line is what makes the game count as played.
  const GameResult result = result_of(record);
  journal_->append(result, names_);
  recorded_.insert(result.game.index);
  standings_->add(result);
  ++played_;
  if (is_fault(record.termination)) {
    if (progress_) progress_->clear();  // the warning takes the progress line's place
    spdlog::warn("tournament: game {}: {}", record.game.index, record.reason);
  } else {
    spdlog::debug("tournament: game {} {} - {}: {} ({})", record.game.index, black, white,
                  result_text(record.outcome), record.reason);
  }
  const std::string sprt_reason = sprt_stop_reason();
  if (!sprt_reason.empty() && stopped_.empty()) {
    stopped_ = sprt_reason;
    no_new_games_ = true;
  }
  if (progress_) progress_->update(progress_state());
}

std::string Tournament::sprt_stop_reason() const {
  if (!sprt_on_) return "";
  const SprtResult r = sprt(standings_->pairing(0), SprtSettings{t_.sprt_elo0, t_.sprt_elo1, t_.sprt_alpha, t_.sprt_beta});
  if (r.decision == SprtDecision::Continue) return "";
  return std::string("SPRT decided: ") + (r.decision == SprtDecision::AcceptH1 ? "H1" : "H0") + " accepted (LLR " +
         json::number(r.llr) + ")";
}

std::string Tournament::progress_score() const {
  const Standings& s = *standings_;
  char buf[160];
  if (t_.selfplay) {
    std::snprintf(buf, sizeof(buf), "Black %lld White %lld draws %lld", static_cast<long long>(s.black_wins()),
                  static_cast<long long>(s.white_wins()), static_cast<long long>(s.draws()));
    return buf;
  }
  if (pairings_.size() == 1) {
    const WinLossDraw& r = s.pairing(0);
    const EloEstimate e = estimate_elo(r);
    std::snprintf(buf, sizeof(buf), "%s %.1f-%.1f %s  Elo %s", names_[pairings_[0].first].c_str(), r.points(),
                  r.reversed().points(), names_[pairings_[0].second].c_str(), format_elo(e.elo).c_str());
    std::string text = buf;
    if (std::isfinite(e.margin)) {
      std::snprintf(buf, sizeof(buf), " +/- %.0f", e.margin);
      text += buf;
    }
    return text;
  }
  const std::vector<int> order = s.ranking();
  if (order.empty() || s.games() == 0) return "";
  const PlayerStanding& leader = s.players()[order[0]];
  std::snprintf(buf, sizeof(buf), "leader %s %.1f%%", leader.name.c_str(), 100.0 * leader.record.score());
  return buf;
}

ProgressState Tournament::progress_state() const {
  ProgressState st;
  st.done = standings_->games();
  st.total = shard_games_;
  st.done_this_run = played_;
  st.seconds_this_run = now_seconds() - run_start_;
  st.score = progress_score();
  return st;
}

RunReport Tournament::run(ProgressBar* progress, const std::atomic<bool>* interrupt) {
  RunReport report;
  report.total = shard_games_;
  std::vector<int64_t> pending;
  for (const ScheduledGame& g : schedule_)
    if (shard_.has(g.index) && !recorded_.count(g.index)) pending.push_back(g.index);
  const bool limited = t_.max_games > 0 && static_cast<int64_t>(pending.size()) > t_.max_games;
  if (limited) pending.resize(static_cast<size_t>(t_.max_games));

  {
    std::lock_guard<std::mutex> lock(mutex_);
    progress_ = progress;
    played_ = 0;
    stopped_ = sprt_stop_reason();  // a resumed run may already be decided
    run_start_ = now_seconds();
    stop_ = false;
    no_new_games_ = !stopped_.empty();
  }
  const int workers = static_cast<int>(std::min<size_t>(std::max(1, t_.concurrency), pending.size()));
  active_.assign(static_cast<size_t>(workers), {});
  if (progress) {
    std::lock_guard<std::mutex> lock(mutex_);
    progress->update(progress_state());
  }
  std::atomic<size_t> next{0};
  std::atomic<int> running{0};
  std::vector<std::thread> threads;
  for (int w = 0; w < workers && !no_new_games_; ++w) {
    ++running;
    threads.emplace_back([this, w, &pending, &next, &running] {
      try {
        worker_loop(w, &pending, &next);
      } catch (const std::exception& e) {
        std::lock_guard<std::mutex> lock(mutex_);
        active_[w].clear();
        failure_ = std::string("tournament worker failed: ") + e.what();
        stopped_ = failure_;
        stop_ = true;
        no_new_games_ = true;
      }
      --running;
    });
  }
  // The coordinator: watch for an interrupt, keep the progress line (games/min, ETA) fresh.
  double last_draw = now_seconds();
  while (!threads.empty() && running.load() > 0) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    if (interrupt && interrupt->load() && !stop_) {
      {
        std::lock_guard<std::mutex> lock(mutex_);
        if (stopped_.empty()) stopped_ = "interrupted";
      }
      request_stop();
    }
    if (progress && now_seconds() - last_draw >= 1.0) {
      std::lock_guard<std::mutex> lock(mutex_);
      progress->update(progress_state());
      last_draw = now_seconds();
    }
  }
  for (std::thread& t : threads) t.join();

  std::lock_guard<std::mutex> lock(mutex_);
  if (progress) {
    progress->update(progress_state());
    progress->finish();
  }
  progress_ = nullptr;
  report.played = played_;
  report.recorded = standings_->games();
  report.complete = report.recorded == report.total;
  report.seconds = now_seconds() - run_start_;
  if (stopped_.empty() && limited) stopped_ = "game limit reached (tournament.max_games " + std::to_string(t_.max_games) + ")";
  report.stopped = report.complete ? "" : stopped_;
  write_file(fs::path(out_dir_) / "summary.json", summary_json(report));
  if (!failure_.empty()) throw std::runtime_error(failure_);
  return report;
}

SummaryInfo Tournament::summary_info(const RunReport& report) const {
  SummaryInfo info;
  info.hash = hash_;
  info.board_size = settings_.game.board_size;
  info.rule = rule_name(settings_.game.rule);
  info.format = t_.selfplay ? "self-play" : t_.format;
  info.games_total = shard_games_;
  info.shard = shard_.text();
  info.schedule_games = static_cast<int64_t>(schedule_.size());
  info.games_this_run = report.played;
  info.seconds_this_run = report.seconds;
  info.complete = standings_->games() == info.games_total;
  info.stopped = report.stopped;
  if (sprt_on_) info.sprt = SprtSettings{t_.sprt_elo0, t_.sprt_elo1, t_.sprt_alpha, t_.sprt_beta};
  info.evaluators_json = pool_->stats_json(players_);
  return info;
}

std::string Tournament::summary_json(const RunReport& report) const {
  return hearth::summary_json(*standings_, summary_info(report));
}

std::string Tournament::summary_text(const RunReport& report) const {
  return hearth::summary_text(*standings_, summary_info(report));
}

}  // namespace hearth
