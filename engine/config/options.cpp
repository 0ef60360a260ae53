#include "engine/util/text.h"
#include "engine/config/options.h"
#include "engine/config/shard.h"
#include "evaluator/device_name.h"

#include <boost/program_options.hpp>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <iomanip>
#include <map>
#include <sstream>
#include <type_traits>

namespace po = boost::program_options;

namespace hearth {
namespace {

std::string format_real(double x) {
  std::ostringstream o;
  o << std::setprecision(10) << x;
  return o.str();
}

template <class Access>
using FieldOf = std::decay_t<decltype(std::declval<Access>()(std::declval<Settings&>()))>;

OptionSpec base(const char* section, const char* name, const char* alias, const char* help) {
  OptionSpec spec;
  spec.section = section;
  spec.name = name;
  spec.alias = alias ? alias : "";
  spec.help = help;
  return spec;
}

template <class Access>
OptionSpec integer(const char* section, const char* name, const char* alias, int64_t lo, int64_t hi,
                   const char* help, Access access) {
  OptionSpec spec = base(section, name, alias, help);
  spec.kind = OptionKind::Integer;
  spec.int_min = lo;
  spec.int_max = hi;
  spec.get = [access](const Settings& s) { return std::to_string(access(s)); };
  spec.set = [access](Settings& s, const std::string& v) {
    int64_t x = 0;
    parse_int(trim(v), &x);
    access(s) = static_cast<FieldOf<Access>>(x);
  };
  return spec;
}

template <class Access>
OptionSpec real(const char* section, const char* name, const char* alias, double lo, double hi, const char* help,
                Access access) {
  OptionSpec spec = base(section, name, alias, help);
  spec.kind = OptionKind::Real;
  spec.real_min = lo;
  spec.real_max = hi;
  spec.get = [access](const Settings& s) { return format_real(access(s)); };
  spec.set = [access](Settings& s, const std::string& v) {
    double x = 0;
    parse_real(trim(v), &x);
    access(s) = static_cast<FieldOf<Access>>(x);
  };
  return spec;
}

bool parse_flag(const std::string& text, bool* out) {
  const std::string t = trim(text);
  if (t == "true" || t == "on" || t == "yes" || t == "1") return *out = true, true;
  if (t == "false" || t == "off" || t == "no" || t == "0") return *out = false, true;
  return false;
}

template <class Access>
OptionSpec flag(const char* section, const char* name, const char* alias, const char* help, Access access) {
  OptionSpec spec = base(section, name, alias, help);
  spec.kind = OptionKind::Flag;
  spec.get = [access](const Settings& s) { return std::string(access(s) ? "true" : "false"); };
  spec.set = [access](Settings& s, const std::string& v) {
    bool x = false;
    parse_flag(v, &x);
    access(s) = x;
  };
  return spec;
}

template <class Access>
OptionSpec text(const char* section, const char* name, const char* alias, bool allow_empty, const char* help,
                Access access) {
  OptionSpec spec = base(section, name, alias, help);
  spec.kind = OptionKind::Text;
  spec.allow_empty = allow_empty;
  spec.get = [access](const Settings& s) { return access(s); };
  spec.set = [access](Settings& s, const std::string& v) { access(s) = trim(v); };
  return spec;
}

OptionSpec with_info(OptionSpec spec, const char* info_key) {
  spec.info_key = info_key;
  return spec;
}

constexpr int64_t kHugeMs = int64_t{1} << 40;  // ~35 years: "no practical limit"
constexpr int64_t kMaxInt64 = INT64_MAX;

// [tournament]: `hearth tournament` (tournament_settings.h, tournament_players.h).
OptionSpec tournament_choice(const char* section, const char* name, const char* alias, std::vector<std::string> choices,
                  const char* help, std::string TournamentSettings::*field) {
  OptionSpec spec = base(section, name, alias, help);
  spec.kind = OptionKind::Choice;
  spec.choices = std::move(choices);
  spec.get = [field](const Settings& s) { return s.tournament.*field; };
  spec.set = [field](Settings& s, const std::string& v) { s.tournament.*field = trim(v); };
  return spec;
}

void add_tournament_options(std::vector<OptionSpec>& t) {
  t.push_back(text("tournament", "players", "players", true,
                   "players separated by ';': a player file (NAME = players_dir/NAME.ini, or a path) and/or "
                   "key=value options (name=, cmd= and dir= for a Gomocup engine, any [search]/[time]/[evaluator] "
                   "option, plugin.KEY=)",
                   [](auto& s) -> auto& { return s.tournament.players; }));
  t.push_back(text("tournament", "players_dir", nullptr, true, "folder of the player files named by a bare NAME",
                   [](auto& s) -> auto& { return s.tournament.players_dir; }));
  t.push_back(tournament_choice("tournament", "format", nullptr, {"round-robin", "gauntlet"},
                     "round-robin: every two players meet; gauntlet: the first player meets each other one",
                     &TournamentSettings::format));
  t.push_back(integer("tournament", "games", "games", 1, 1000000,
                      "games per pairing; each opening is played twice, colours swapped",
                      [](auto& s) -> auto& { return s.tournament.games; }));
  t.push_back(integer("tournament", "concurrency", "concurrency", 1, 1024,
                      "games played at once (in-process players with one evaluator configuration share it)",
                      [](auto& s) -> auto& { return s.tournament.concurrency; }));
  t.push_back(text("tournament", "openings", "openings", true,
                   "openings file: one opening per line, 0-based x,y moves separated by spaces or ';'; "
                   "empty = random openings",
                   [](auto& s) -> auto& { return s.tournament.openings; }));
  t.push_back(integer("tournament", "opening_stones", nullptr, 0, Board::kMaxCells,
                      "stones of a random opening, near the centre (even)",
                      [](auto& s) -> auto& { return s.tournament.opening_stones; }));
  t.push_back(integer("tournament", "seed", nullptr, 0, kMaxInt64, "seed of random openings and per-game search seeds",
                      [](auto& s) -> auto& { return s.tournament.seed; }));
  t.push_back(text("tournament", "out_dir", "out", false,
                   "folder of results.jsonl (resumed when present), summary.json, games/ and training.txt",
                   [](auto& s) -> auto& { return s.tournament.out_dir; }));
  t.push_back(text("tournament", "shard", "shard", true,
                   "play only shard i/n of the schedule (games with index % n == i); empty = all games",
                   [](auto& s) -> auto& { return s.tournament.shard; }));
  t.push_back(integer("tournament", "max_games", "max-games", 0, 100000000,
                      "play at most this many games in this run, the rest later; 0 = all",
                      [](auto& s) -> auto& { return s.tournament.max_games; }));
  t.push_back(tournament_choice("tournament", "records", nullptr, {"all", "psq", "sgf", "none"},
                     "per-game records in games/: all (.psq and .sgf), psq, sgf or none", &TournamentSettings::records));
  t.push_back(integer("tournament", "timeout_margin_ms", nullptr, 0, kHugeMs,
                      "a move later than its limit plus this loses on time (an engine is killed then)",
                      [](auto& s) -> auto& { return s.tournament.timeout_margin_ms; }));
  t.push_back(integer("tournament", "start_timeout_ms", nullptr, 1, kHugeMs,
                      "an external engine must answer START within this",
                      [](auto& s) -> auto& { return s.tournament.start_timeout_ms; }));
  t.push_back(flag("tournament", "sprt", nullptr, "stop when a sequential probability ratio test decides (two players)",
                   [](auto& s) -> auto& { return s.tournament.sprt; }));
  t.push_back(real("tournament", "sprt_elo0", nullptr, -1000.0, 1000.0, "SPRT H0: the Elo difference is elo0",
                   [](auto& s) -> auto& { return s.tournament.sprt_elo0; }));
  t.push_back(real("tournament", "sprt_elo1", nullptr, -1000.0, 1000.0, "SPRT H1: the Elo difference is elo1",
                   [](auto& s) -> auto& { return s.tournament.sprt_elo1; }));
  t.push_back(real("tournament", "sprt_alpha", nullptr, 0.0001, 0.5, "SPRT false positive rate",
                   [](auto& s) -> auto& { return s.tournament.sprt_alpha; }));
  t.push_back(real("tournament", "sprt_beta", nullptr, 0.0001, 0.5, "SPRT false negative rate",
                   [](auto& s) -> auto& { return s.tournament.sprt_beta; }));
  t.push_back(flag("tournament", "selfplay", "selfplay",
                   "one in-process player against itself, writing training data (training.txt)",
                   [](auto& s) -> auto& { return s.tournament.selfplay; }));
  t.push_back(real("tournament", "selfplay_dirichlet_alpha", nullptr, 0.0, 100.0,
                   "root noise in self-play (replaces search.dirichlet_alpha; about 10 / legal moves); 0 = none",
                   [](auto& s) -> auto& { return s.tournament.selfplay_dirichlet_alpha; }));
  t.push_back(integer("tournament", "selfplay_temperature_moves", nullptr, 0, Board::kMaxCells,
                      "moves chosen by visit sampling in self-play (replaces search.temperature_moves)",
                      [](auto& s) -> auto& { return s.tournament.selfplay_temperature_moves; }));
  // [merge]: `hearth merge` (tournament_merge.h).
  t.push_back(text("merge", "out", nullptr, true, "folder of the merged results.jsonl, summary.json and games/",
                   [](auto& s) -> auto& { return s.tournament.merge.out_dir; }));
  t.push_back(text("merge", "inputs", nullptr, true, "the shards' tournament.out_dir folders, separated by ','; @FILE = the folders listed in FILE, one a line",
                   [](auto& s) -> auto& { return s.tournament.merge.inputs; }));
  t.push_back(flag("merge", "allow_missing", nullptr, "merge even if no shard played some games (exit 0)",
                   [](auto& s) -> auto& { return s.tournament.merge.allow_missing; }));
}

// [slurm]: `hearth slurm` (slurm_settings.h, slurm_command.h).
void add_slurm_options(std::vector<OptionSpec>& t) {
  t.push_back(integer("slurm", "shards", "shards", 0, 100000,
                      "array tasks, one tournament shard each (tournament.shard i/n); 0 = not set (required)",
                      [](auto& s) -> auto& { return s.slurm.shards; }));
  t.push_back(text("slurm", "tasks", "tasks", false,
                   "shards to submit: all, unfinished (shards whose results are incomplete) or a list like 0,3-5",
                   [](auto& s) -> auto& { return s.slurm.tasks; }));
  t.push_back(flag("slurm", "dry_run", "dry-run", "print the batch scripts and sbatch commands; submit nothing",
                   [](auto& s) -> auto& { return s.slurm.dry_run; }));
  t.push_back(flag("slurm", "wait", nullptr, "wait for the merge job, then report every shard (exit 1 if unfinished)",
                   [](auto& s) -> auto& { return s.slurm.wait; }));
  t.push_back(integer("slurm", "cpus_per_task", nullptr, 0, 100000,
                      "CPUs per array task; 0 = tournament.concurrency x the players' largest search.threads",
                      [](auto& s) -> auto& { return s.slurm.cpus_per_task; }));
  t.push_back(text("slurm", "gres", "gres", true, "generic resources per task, e.g. gpu:1; empty = none",
                   [](auto& s) -> auto& { return s.slurm.gres; }));
  t.push_back(text("slurm", "partition", nullptr, true, "partition; empty = the cluster's default",
                   [](auto& s) -> auto& { return s.slurm.partition; }));
  t.push_back(text("slurm", "account", nullptr, true, "account to charge; empty = your default",
                   [](auto& s) -> auto& { return s.slurm.account; }));
  t.push_back(text("slurm", "time", nullptr, true, "time limit per task (Slurm format, e.g. 2:00:00); empty = the partition's",
                   [](auto& s) -> auto& { return s.slurm.time_limit; }));
  t.push_back(text("slurm", "mem", nullptr, true, "memory per task (e.g. 4G); empty = the cluster's default",
                   [](auto& s) -> auto& { return s.slurm.mem; }));
  t.push_back(integer("slurm", "max_running", nullptr, 0, 100000,
                      "at most this many array tasks at once (--array=...%k); 0 = no limit",
                      [](auto& s) -> auto& { return s.slurm.max_running; }));
  t.push_back(text("slurm", "job_name", nullptr, true, "job name; empty = hearth-<last folder of tournament.out_dir>",
                   [](auto& s) -> auto& { return s.slurm.job_name; }));
  t.push_back(text("slurm", "sbatch_args", nullptr, true,
                   "more sbatch options for both jobs, verbatim, separated by spaces (e.g. --qos=low)",
                   [](auto& s) -> auto& { return s.slurm.sbatch_args; }));
  t.push_back(text("slurm", "hearth", nullptr, true, "the hearth program as the nodes see it; empty = this program's path",
                   [](auto& s) -> auto& { return s.slurm.hearth; }));
  t.push_back(text("slurm", "sbatch", nullptr, false, "the sbatch program (squeue is looked for beside it, else on PATH)",
                   [](auto& s) -> auto& { return s.slurm.sbatch; }));
}

// [train]: `hearth train` (train_settings.h, engine/train/command.h).
template <class Access>
OptionSpec choice(const char* section, const char* name, const char* alias, std::vector<std::string> choices,
                  const char* help, Access access) {
  OptionSpec spec = base(section, name, alias, help);
  spec.kind = OptionKind::Choice;
  spec.choices = std::move(choices);
  spec.get = [access](const Settings& s) { return access(s); };
  spec.set = [access](Settings& s, const std::string& v) { access(s) = trim(v); };
  return spec;
}

void add_train_options(std::vector<OptionSpec>& t) {
  t.push_back(text("train", "data", nullptr, true,
                   "self-play folders to train on (their training.txt; a file path is read as it is), separated "
                   "by ','",
                   [](auto& s) -> auto& { return s.train.data; }));
  t.push_back(text("train", "out", nullptr, false,
                   "folder of checkpoint.pt (resumed when present), net.pt, net.weights, train.jsonl and loss.svg",
                   [](auto& s) -> auto& { return s.train.out_dir; }));
  t.push_back(integer("train", "steps", nullptr, 0, kMaxInt64,
                      "optimizer steps in all (a resumed run continues to this); 0 = only write the net of "
                      "train.init or the checkpoint",
                      [](auto& s) -> auto& { return s.train.steps; }));
  t.push_back(integer("train", "run_steps", nullptr, 0, kMaxInt64,
                      "train at most this many steps in this run, then write everything and stop (the same "
                      "command continues; for time-limited jobs); 0 = up to train.steps",
                      [](auto& s) -> auto& { return s.train.run_steps; }));
  t.push_back(integer("train", "batch", nullptr, 1, 65536, "positions per step",
                      [](auto& s) -> auto& { return s.train.batch; }));
  t.push_back(real("train", "lr", nullptr, 0.0, 10.0, "peak learning rate",
                   [](auto& s) -> auto& { return s.train.lr; }));
  t.push_back(choice("train", "lr_schedule", nullptr, {"cosine", "constant"},
                     "learning rate after the warm-up: cosine (down to lr/100 at train.steps) or constant",
                     [](auto& s) -> auto& { return s.train.lr_schedule; }));
  t.push_back(integer("train", "warmup_steps", nullptr, 0, kMaxInt64, "linear learning-rate warm-up from lr/100",
                      [](auto& s) -> auto& { return s.train.warmup_steps; }));
  t.push_back(choice("train", "optimizer", nullptr, {"sgd", "adamw"}, "sgd (with momentum) or adamw",
                     [](auto& s) -> auto& { return s.train.optimizer; }));
  t.push_back(real("train", "momentum", nullptr, 0.0, 0.999, "SGD momentum (AdamW: beta1)",
                   [](auto& s) -> auto& { return s.train.momentum; }));
  t.push_back(real("train", "weight_decay", nullptr, 0.0, 1.0,
                   "weight decay of the conv and linear weights (not biases, not batch norm)",
                   [](auto& s) -> auto& { return s.train.weight_decay; }));
  t.push_back(integer("train", "window", nullptr, 0, kMaxInt64,
                      "replay window: train on the most recent positions of the data, in the order of "
                      "train.data; 0 = all",
                      [](auto& s) -> auto& { return s.train.window; }));
  t.push_back(real("train", "q_weight", nullptr, 0.0, 1.0,
                   "value target = (1 - q_weight) x the game result + q_weight x the search's root value",
                   [](auto& s) -> auto& { return s.train.q_weight; }));
  t.push_back(flag("train", "augment", nullptr, "draw each position under a random board symmetry (of 8)",
                   [](auto& s) -> auto& { return s.train.augment; }));
  t.push_back(integer("train", "blocks", nullptr, 0, 64, "residual blocks of the net",
                      [](auto& s) -> auto& { return s.train.blocks; }));
  t.push_back(integer("train", "channels", nullptr, 1, 1024, "channels of each residual block",
                      [](auto& s) -> auto& { return s.train.channels; }));
  t.push_back(text("train", "device", nullptr, false, "cpu, cuda or cuda:N",
                   [](auto& s) -> auto& { return s.train.device; }));
  t.push_back(choice("train", "precision", nullptr, {"fp32", "bf16"}, "fp32, or bf16 autocast (CUDA only)",
                     [](auto& s) -> auto& { return s.train.precision; }));
  t.push_back(integer("train", "seed", nullptr, 0, kMaxInt64, "seed of the initial weights and of the batches drawn",
                      [](auto& s) -> auto& { return s.train.seed; }));
  t.push_back(integer("train", "checkpoint_every", nullptr, 1, kMaxInt64,
                      "steps between checkpoints (each also rewrites net.pt, net.weights and loss.svg)",
                      [](auto& s) -> auto& { return s.train.checkpoint_every; }));
  t.push_back(text("train", "init", nullptr, true,
                   "start from this net (net.weights, checkpoint.pt or net.pt of hearth train, same blocks and "
                   "channels): its weights, a fresh optimizer; ignored when train.out holds a checkpoint",
                   [](auto& s) -> auto& { return s.train.init; }));
}

std::vector<OptionSpec> build_table() {
  std::vector<OptionSpec> t;
  // [search]
  t.push_back(integer("search", "threads", "threads", 1, 1024, "search threads sharing one tree",
                      [](auto& s) -> auto& { return s.search.threads; }));
  t.push_back(real("search", "c_puct", nullptr, 0.0, 100.0, "PUCT exploration constant",
                   [](auto& s) -> auto& { return s.search.c_puct; }));
  t.push_back(real("search", "fpu_reduction", nullptr, -2.0, 2.0,
                   "first-play urgency: an unvisited child is valued at the parent value minus this times sqrt(visited policy mass)",
                   [](auto& s) -> auto& { return s.search.fpu_reduction; }));
  t.push_back(real("search", "virtual_loss", nullptr, 0.0, 100.0, "losses added per in-flight visit",
                   [](auto& s) -> auto& { return s.search.virtual_loss; }));
  t.push_back(real("search", "dirichlet_alpha", nullptr, 0.0, 100.0, "root noise alpha; 0 = no noise",
                   [](auto& s) -> auto& { return s.search.dirichlet_alpha; }));
  t.push_back(real("search", "dirichlet_epsilon", nullptr, 0.0, 1.0, "weight of the root noise",
                   [](auto& s) -> auto& { return s.search.dirichlet_epsilon; }));
  t.push_back(integer("search", "temperature_moves", nullptr, 0, Board::kMaxCells,
                      "choose moves by visit sampling for the first k moves of a game; 0 = off",
                      [](auto& s) -> auto& { return s.search.temperature_moves; }));
  t.push_back(real("search", "temperature", nullptr, 0.001, 100.0, "sampling temperature",
                   [](auto& s) -> auto& { return s.search.temperature; }));
  t.push_back(integer("search", "seed", "seed", 0, kMaxInt64, "random seed; 0 = from the clock",
                      [](auto& s) -> auto& { return s.search.seed; }));
  t.push_back(with_info(
      integer("search", "max_memory_mb", nullptr, 1, int64_t{1} << 20,
              "the search tree never grows past this many MiB (piskvork: INFO max_memory minus overhead)",
              [](auto& s) -> auto& { return s.search.max_memory_mb; }),
      "max_memory"));
  t.push_back(integer("search", "leaves_per_batch", "leaves-per-batch", 1, 4096,
                      "leaves one search thread gathers (under virtual loss) per evaluator call",
                      [](auto& s) -> auto& { return s.search.leaves_per_batch; }));
  t.push_back(flag("search", "check_fives", nullptr,
                   "see immediate fives and forced blocks without the evaluator (exact game logic)",
                   [](auto& s) -> auto& { return s.search.check_fives; }));
  t.push_back(real("search", "kept_prior_mass", nullptr, 0.5, 1.0,
                   "a node below the root keeps its best moves up to this much of the prior (1 = every move)",
                   [](auto& s) -> auto& { return s.search.kept_prior_mass; }));
  t.push_back(flag("search", "early_stop", nullptr,
                   "end a move early when more search cannot change it (one candidate, a proven win)",
                   [](auto& s) -> auto& { return s.search.early_stop; }));
  t.push_back(flag("search", "lead_stop", nullptr,
                   "also end it when the best move's lead cannot be overtaken in the playouts left (saves "
                   "clock time; under a per-move limit searching on helps the next move more)",
                   [](auto& s) -> auto& { return s.search.lead_stop; }));
  t.push_back(flag("search", "threat_search", nullptr,
                   "threat-space search (VCF/VCT) at the root and a VCF at each new node, proofs backed up the tree",
                   [](auto& s) -> auto& { return s.search.threat_search; }));
  t.push_back(real("search", "root_threat_share", nullptr, 0.0, 1.0,
                   "share of a timed move the root's threat search may take",
                   [](auto& s) -> auto& { return s.search.root_threat_share; }));
  t.push_back(integer("search", "root_threat_nodes", nullptr, 0, kMaxInt64,
                      "solver nodes of the root's threat search (win, then defences; a search limited by visits: "
                      "at most 100 a visit); 0 = none",
                      [](auto& s) -> auto& { return s.search.root_threat_nodes; }));
  t.push_back(integer("search", "node_vcf_nodes", nullptr, 0, kMaxInt64,
                      "solver nodes of the VCF run at each new node; 0 = none",
                      [](auto& s) -> auto& { return s.search.node_vcf_nodes; }));
  t.push_back(real("search", "threat_prior_share", nullptr, 0.0, 0.99,
                   "share of a new node's prior spread over the fours and open threes of both sides",
                   [](auto& s) -> auto& { return s.search.threat_prior_share; }));
  t.push_back(integer("search", "visits", "visits", 0, kMaxInt64, "root visits per move, reused ones included; 0 = no limit",
                      [](auto& s) -> auto& { return s.limits.visits; }));
  t.push_back(integer("search", "playouts", "playouts", 0, kMaxInt64, "new visits per move; 0 = no limit",
                      [](auto& s) -> auto& { return s.limits.playouts; }));
  t.push_back(real("search", "seconds", "seconds", 0.0, 1e7, "fixed thinking time per move; 0 = no fixed time",
                   [](auto& s) -> auto& { return s.limits.seconds; }));
  // [time]
  t.push_back(with_info(integer("time", "turn_ms", "turn-ms", 0, kHugeMs,
                                "time per move until the protocol says (INFO timeout_turn); 0 = move at once",
                                [](auto& s) -> auto& { return s.time.turn_ms; }),
                        "timeout_turn"));
  t.push_back(with_info(integer("time", "match_ms", "match-ms", 0, kHugeMs,
                                "time for a whole game until the protocol says (INFO timeout_match); 0 = unlimited",
                                [](auto& s) -> auto& { return s.time.match_ms; }),
                        "timeout_match"));
  t.push_back(integer("time", "margin_ms", nullptr, 0, 600000, "safety margin kept from every time limit",
                      [](auto& s) -> auto& { return s.time.margin_ms; }));
  t.push_back(real("time", "margin_fraction", nullptr, 0.0, 0.5, "plus this fraction of the limit",
                   [](auto& s) -> auto& { return s.time.margin_fraction; }));
  t.push_back(integer("time", "moves_horizon", nullptr, 1, 1000, "plan the match clock for at most this many own moves",
                      [](auto& s) -> auto& { return s.time.moves_horizon; }));
  t.push_back(integer("time", "min_moves_left", nullptr, 1, 1000, "never spend more than time_left / this on a move",
                      [](auto& s) -> auto& { return s.time.min_moves_left; }));
  // [evaluator]
  t.push_back(text("evaluator", "plugin", "plugin", false,
                   "evaluator plugin: heuristic, uniform, torch, builtin:<name> or a path to a .so",
                   [](auto& s) -> auto& { return s.evaluator.plugin; }));
  t.push_back(text("evaluator", "plugin_dir", "plugin-dir", true, "folder searched first for plugins",
                   [](auto& s) -> auto& { return s.evaluator.plugin_dir; }));
  t.push_back(integer("evaluator", "max_batch", "max-batch", 0, 65536, "largest batch sent to the plugin; 0 = automatic",
                      [](auto& s) -> auto& { return s.evaluator.max_batch; }));
  t.push_back(integer("evaluator", "batch_deadline_us", nullptr, 0, 10000000,
                      "a partial batch is sent after waiting this long (microseconds)",
                      [](auto& s) -> auto& { return s.evaluator.batch_deadline_us; }));
  t.push_back(integer("evaluator", "cache_entries", nullptr, 0, int64_t{1} << 32, "evaluation cache size; 0 = no cache",
                      [](auto& s) -> auto& { return s.evaluator.cache_entries; }));
  // [game]
  t.push_back(integer("game", "board_size", "board-size", Board::kMinSize, Board::kMaxSize,
                      "board size for play and bench (piskvork: START sets it)",
                      [](auto& s) -> auto& { return s.game.board_size; }));
  {
    OptionSpec spec = base("game", "rule", "rule", "freestyle (five or more wins) or standard (exactly five)");
    spec.kind = OptionKind::Choice;
    spec.choices = {"freestyle", "standard"};
    spec.info_key = "rule";
    spec.get = [](const Settings& s) { return std::string(rule_name(s.game.rule)); };
    spec.set = [](Settings& s, const std::string& v) { s.game.rule = *parse_rule(trim(v), nullptr); };
    t.push_back(spec);
  }
  // [log]
  {
    OptionSpec spec = base("log", "level", "log-level", "log level (stderr)");
    spec.kind = OptionKind::Choice;
    for (const char* const* n = log_level_names(); *n; ++n) spec.choices.push_back(*n);
    spec.get = [](const Settings& s) { return s.log.level; };
    spec.set = [](Settings& s, const std::string& v) { s.log.level = trim(v); };
    t.push_back(spec);
  }
  t.push_back(text("log", "file", "log-file", true, "also append the log to this file",
                   [](auto& s) -> auto& { return s.log.file; }));
  // [bench]
  t.push_back(integer("bench", "positions", "positions", 1, 100000, "positions searched by `hearth bench`",
                      [](auto& s) -> auto& { return s.bench.positions; }));
  t.push_back(integer("bench", "min_stones", nullptr, 0, Board::kMaxCells, "fewest stones in a bench position",
                      [](auto& s) -> auto& { return s.bench.min_stones; }));
  t.push_back(integer("bench", "max_stones", nullptr, 0, Board::kMaxCells, "most stones in a bench position",
                      [](auto& s) -> auto& { return s.bench.max_stones; }));
  t.push_back(integer("bench", "seed", nullptr, 0, kMaxInt64, "seed of the bench positions",
                      [](auto& s) -> auto& { return s.bench.seed; }));
  t.push_back(text("bench", "json", "json", true, "also write the bench results to this JSON file",
                   [](auto& s) -> auto& { return s.bench.json; }));
  // [latency]
  t.push_back(text("latency", "plugin", nullptr, false, "plugin `hearth latency` times (a name or a .so path)",
                   [](auto& s) -> auto& { return s.latency.plugin; }));
  t.push_back(text("latency", "model", nullptr, true, "TorchScript model (hearth_make_reference_net --size 20 --out FILE)",
                   [](auto& s) -> auto& { return s.latency.model; }));
  t.push_back(text("latency", "device", nullptr, false, "device of every configuration: cpu, cuda or cuda:N",
                   [](auto& s) -> auto& { return s.latency.device; }));
  t.push_back(integer("latency", "board_size", nullptr, 0, Board::kMaxSize, "board size; 0 = the model's (probed)",
                      [](auto& s) -> auto& { return s.latency.board_size; }));
  t.push_back(text("latency", "modes", nullptr, false, "list of eager-fp32, graph-fp32, graph-fp16",
                   [](auto& s) -> auto& { return s.latency.modes; }));
  t.push_back(text("latency", "warm", nullptr, false,
                   "keep-warm list: off, kernel@US, forward@US; bare kernel/forward = at every period",
                   [](auto& s) -> auto& { return s.latency.warm; }));
  t.push_back(text("latency", "periods", nullptr, false, "keep-warm periods (us) for bare kernel/forward",
                   [](auto& s) -> auto& { return s.latency.periods; }));
  t.push_back(text("latency", "gaps", nullptr, false, "idle gaps (s) before each timed forward; 0 = back to back",
                   [](auto& s) -> auto& { return s.latency.gaps; }));
  t.push_back(text("latency", "long_gaps", nullptr, true, "extra gaps (s) timed only for long_configs",
                   [](auto& s) -> auto& { return s.latency.long_gaps; }));
  t.push_back(text("latency", "long_configs", nullptr, true, "mode:warm items that also get long_gaps",
                   [](auto& s) -> auto& { return s.latency.long_configs; }));
  t.push_back(text("latency", "batches", nullptr, false, "batch sizes (list)",
                   [](auto& s) -> auto& { return s.latency.batches; }));
  t.push_back(integer("latency", "samples", nullptr, 1, 100000, "timed forwards per gap",
                      [](auto& s) -> auto& { return s.latency.samples; }));
  t.push_back(integer("latency", "continuous_samples", nullptr, 1, 100000, "timed forwards at gap 0",
                      [](auto& s) -> auto& { return s.latency.continuous_samples; }));
  t.push_back(integer("latency", "warmup", nullptr, 0, 100000, "untimed forwards first in each configuration",
                      [](auto& s) -> auto& { return s.latency.warmup; }));
  t.push_back(real("latency", "hot_window_s", nullptr, 0.001, 3600.0, "keep-warm hot window of the stop check",
                   [](auto& s) -> auto& { return s.latency.hot_window_s; }));
  t.push_back(real("latency", "stop_observe_s", nullptr, 0.0, 3600.0, "the stop check counts dummies this long",
                   [](auto& s) -> auto& { return s.latency.stop_observe_s; }));
  t.push_back(flag("latency", "gpu_time", nullptr,
                   "CUDA: read each forward's GPU time (events) after it; off: wall time only, and nothing "
                   "at all between back-to-back forwards",
                   [](auto& s) -> auto& { return s.latency.gpu_time; }));
  t.push_back(flag("latency", "dry_run", nullptr, "print the plan and its expected duration only",
                   [](auto& s) -> auto& { return s.latency.dry_run; }));
  t.push_back(text("latency", "json", nullptr, true, "write every sample and summary here",
                   [](auto& s) -> auto& { return s.latency.json; }));
  t.push_back(text("latency", "markdown", nullptr, true, "write the summary table here",
                   [](auto& s) -> auto& { return s.latency.markdown; }));
  t.push_back(text("latency", "dat", nullptr, true, "write p50 ratio vs gap here (bench/plot_latency.gnuplot)",
                   [](auto& s) -> auto& { return s.latency.dat; }));
  // [human_paced]
  t.push_back(text("human_paced", "think_s", nullptr, false,
                   "opponent think times (s), cycled; human pace is >= 1, smaller values are for tests",
                   [](auto& s) -> auto& { return s.human_paced.think_s; }));
  t.push_back(text("human_paced", "conditions", nullptr, false, "list of continuous, warm, cold",
                   [](auto& s) -> auto& { return s.human_paced.conditions; }));
  t.push_back(integer("human_paced", "moves", nullptr, 1, 100000, "measured engine moves per condition",
                      [](auto& s) -> auto& { return s.human_paced.moves; }));
  t.push_back(integer("human_paced", "moves_per_game", nullptr, 1, Board::kMaxCells, "engine moves per game",
                      [](auto& s) -> auto& { return s.human_paced.moves_per_game; }));
  t.push_back(integer("human_paced", "warmup_moves", nullptr, 0, 100000,
                      "unmeasured engine moves (no think time) first in each condition",
                      [](auto& s) -> auto& { return s.human_paced.warmup_moves; }));
  t.push_back(integer("human_paced", "seed", nullptr, 0, kMaxInt64, "seed of the opponent's moves",
                      [](auto& s) -> auto& { return s.human_paced.seed; }));
  t.push_back(text("human_paced", "warm_options", nullptr, true,
                   "plugin options (k=v,...) of conditions warm and continuous",
                   [](auto& s) -> auto& { return s.human_paced.warm_options; }));
  t.push_back(text("human_paced", "cold_options", nullptr, true, "plugin options (k=v,...) of condition cold",
                   [](auto& s) -> auto& { return s.human_paced.cold_options; }));
  t.push_back(text("human_paced", "json", nullptr, true, "write per-move results here",
                   [](auto& s) -> auto& { return s.human_paced.json; }));
  t.push_back(text("human_paced", "markdown", nullptr, true, "write the summary table here",
                   [](auto& s) -> auto& { return s.human_paced.markdown; }));
  add_tournament_options(t);
  add_slurm_options(t);
  add_train_options(t);
  return t;
}

std::string join(const std::vector<std::string>& items, const char* sep) {
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "" : sep) + i;
  return out;
}

std::string value_name(const OptionSpec& spec) {
  switch (spec.kind) {
    case OptionKind::Integer: return "INT";
    case OptionKind::Real: return "NUM";
    case OptionKind::Choice: return join(spec.choices, "|");
    case OptionKind::Text: return "TEXT";
    case OptionKind::Flag: return "BOOL";
  }
  return "VALUE";
}

// The description Boost parses with: every full key, plus the aliases on the command line.
po::options_description boost_description(bool with_aliases) {
  po::options_description desc;
  for (const auto& spec : option_table()) {
    desc.add_options()(spec.key().c_str(), po::value<std::string>());
    if (with_aliases && !spec.alias.empty()) desc.add_options()(spec.alias.c_str(), po::value<std::string>());
  }
  return desc;
}

// What Boost's config-file parser does not report: the line of each key, and lines that are
// neither "name = value" nor "[section]". Boost drops everything after '#' on a line; so do we.
std::map<std::string, int> index_config_lines(std::istream& in, const std::string& path) {
  std::map<std::string, int> line_of;
  std::string raw, section;
  for (int line = 1; std::getline(in, raw); ++line) {
    const std::string where = path + " line " + std::to_string(line);
    std::string s = raw.substr(0, raw.find('#'));
    s = trim(s);
    if (s.empty()) continue;
    if (s.front() == '[') {
      if (s.back() != ']' || s.size() < 3) throw OptionError(where + ": malformed section header '" + s + "'");
      section = trim(s.substr(1, s.size() - 2));
      continue;
    }
    const size_t eq = s.find('=');
    if (eq == std::string::npos || trim(s.substr(0, eq)).empty())
      throw OptionError(where + ": expected 'name = value' or '[section]', got '" + s + "'");
    const std::string key = (section.empty() ? "" : section + ".") + trim(s.substr(0, eq));
    auto [it, fresh] = line_of.emplace(key, line);
    if (!fresh)
      throw OptionError(where + ": option '" + key + "' was already set on line " + std::to_string(it->second));
  }
  return line_of;
}

bool starts_with(const std::string& s, const std::string& prefix) { return s.compare(0, prefix.size(), prefix) == 0; }

const char kPluginPrefix[] = "plugin.";

}  // namespace

const std::vector<OptionSpec>& option_table() {
  static const std::vector<OptionSpec> table = build_table();
  return table;
}

const OptionSpec* find_option(const std::string& key_or_alias) {
  for (const auto& spec : option_table())
    if (spec.key() == key_or_alias || (!spec.alias.empty() && spec.alias == key_or_alias)) return &spec;
  return nullptr;
}

const OptionSpec* find_option_by_info_key(const std::string& info_key) {
  for (const auto& spec : option_table())
    if (!spec.info_key.empty() && spec.info_key == info_key) return &spec;
  return nullptr;
}

std::string check_option_value(const OptionSpec& spec, const std::string& value) {
  const std::string v = trim(value);
  switch (spec.kind) {
    case OptionKind::Integer: {
      int64_t x = 0;
      if (!parse_int(trim(v), &x)) return "'" + v + "' is not an integer";
      if (x < spec.int_min || x > spec.int_max)
        return "'" + v + "' is out of range " + std::to_string(spec.int_min) + ".." + std::to_string(spec.int_max);
      return "";
    }
    case OptionKind::Real: {
      double x = 0;
      if (!parse_real(trim(v), &x)) return "'" + v + "' is not a number";
      if (x < spec.real_min || x > spec.real_max)
        return "'" + v + "' is out of range " + format_real(spec.real_min) + ".." + format_real(spec.real_max);
      return "";
    }
    case OptionKind::Choice: {
      if (spec.section == "game" && spec.name == "rule") {
        std::string error;
        return parse_rule(v, &error) ? "" : error;
      }
      if (std::find(spec.choices.begin(), spec.choices.end(), v) != spec.choices.end()) return "";
      return "'" + v + "' is not one of " + join(spec.choices, ", ");
    }
    case OptionKind::Text: {
      if (spec.section == "tournament" && spec.name == "shard") {
        if (trim(v) == "slurm") return "";  // resolved by the tournament from Slurm's environment
        Shard shard;
        std::string error;
        return parse_shard(v, &shard, &error) ? "" : error;
      }
      if (spec.section == "train" && spec.name == "device")
        return parse_device_name(v) ? "" : "'" + v + "' is not cpu, cuda or cuda:N";
      return (v.empty() && !spec.allow_empty) ? "the value must not be empty" : "";
    }
    case OptionKind::Flag: {
      bool b = false;
      return parse_flag(v, &b) ? "" : "'" + v + "' is not true/false (or on/off, yes/no, 1/0)";
    }
  }
  return "";
}

void set_option(Settings& s, const OptionSpec& spec, const std::string& value, const std::string& where) {
  const std::string error = check_option_value(spec, value);
  if (!error.empty())
    throw OptionError("option '" + spec.key() + "'" + (where.empty() ? "" : " " + where) + ": " + error);
  spec.set(s, value);
}

void set_plugin_option(Settings& s, const std::string& key, const std::string& value) {
  for (auto& kv : s.evaluator.plugin_options)
    if (kv.first == key) {
      kv.second = value;
      return;
    }
  s.evaluator.plugin_options.emplace_back(key, value);
}

void apply_config_file(Settings& s, const std::string& path) {
  std::ifstream in(path);
  if (!in) throw OptionError("cannot read config file '" + path + "'");
  const std::map<std::string, int> line_of = index_config_lines(in, path);
  in.clear();
  in.seekg(0);
  po::parsed_options parsed(nullptr);
  try {
    parsed = po::parse_config_file<char>(in, boost_description(false), /*allow_unregistered=*/true);
  } catch (const po::error& e) {
    throw OptionError(path + ": " + e.what());
  }
  for (const auto& opt : parsed.options) {
    const auto line = line_of.find(opt.string_key);
    const std::string where =
        "in " + path + (line != line_of.end() ? " line " + std::to_string(line->second) : std::string());
    const std::string value = opt.value.empty() ? "" : opt.value.front();
    if (starts_with(opt.string_key, kPluginPrefix) && opt.string_key.size() > sizeof(kPluginPrefix) - 1) {
      set_plugin_option(s, opt.string_key.substr(sizeof(kPluginPrefix) - 1), trim(value));
      continue;
    }
    const OptionSpec* spec = opt.unregistered ? nullptr : find_option(opt.string_key);
    if (!spec) throw OptionError("unknown option '" + opt.string_key + "' " + where);
    set_option(s, *spec, value, where);
  }
}

Settings load_settings(const std::vector<std::string>& args, const std::string& default_config, CommandLine* parsed_out) {
  // --plugin.KEY VALUE is taken out first: Boost cannot know that an unregistered option takes a
  // value, and these keys are the plugin's, not ours.
  std::vector<std::string> rest;
  std::vector<std::pair<std::string, std::string>> plugin_args;
  const std::string plugin_flag = std::string("--") + kPluginPrefix;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (!starts_with(a, plugin_flag)) {
      rest.push_back(a);
      continue;
    }
    std::string key = a.substr(plugin_flag.size()), value;
    const size_t eq = key.find('=');
    if (eq != std::string::npos) {
      value = key.substr(eq + 1);
      key = key.substr(0, eq);
    } else if (i + 1 < args.size()) {
      value = args[++i];
    } else {
      throw OptionError("option '" + a + "' needs a value");
    }
    if (key.empty()) throw OptionError("option '" + a + "' needs a plugin option name after 'plugin.'");
    plugin_args.emplace_back(key, value);
  }

  po::options_description desc = boost_description(true);
  desc.add_options()("help,h", "")("config", po::value<std::string>());
  po::parsed_options parsed(nullptr);
  try {
    parsed = po::command_line_parser(rest)
                 .options(desc)
                 .style(po::command_line_style::default_style & ~po::command_line_style::allow_guessing)
                 .run();
  } catch (const po::error& e) {
    throw OptionError(std::string(e.what()) + " (see --help)");
  }

  CommandLine cl;
  for (const auto& opt : parsed.options) {
    if (opt.string_key == "help") cl.help = true;
    if (opt.string_key == "config") cl.config_file = opt.value.empty() ? "" : opt.value.front();
  }
  if (parsed_out) *parsed_out = cl;

  Settings s;
  if (!cl.config_file.empty()) {
    apply_config_file(s, cl.config_file);
  } else if (!default_config.empty()) {
    std::ifstream probe(default_config);
    if (probe) apply_config_file(s, default_config);
  }
  for (const auto& opt : parsed.options) {
    if (opt.string_key == "help" || opt.string_key == "config") continue;
    const OptionSpec* spec = find_option(opt.string_key);
    if (!spec) throw OptionError("unknown option '--" + opt.string_key + "' (see --help)");
    set_option(s, *spec, opt.value.empty() ? "" : opt.value.front(), "(--" + opt.string_key + ")");
  }
  for (const auto& [key, value] : plugin_args) set_plugin_option(s, key, value);
  return s;
}

std::string options_help(const std::vector<std::string>& sections) {
  const Settings defaults;
  std::ostringstream out;
  std::string current;
  std::unique_ptr<po::options_description> desc;
  auto flush = [&] {
    if (desc) out << *desc << "\n";
  };
  for (const auto& spec : option_table()) {
    if (!sections.empty() && std::find(sections.begin(), sections.end(), spec.section) == sections.end()) continue;
    if (spec.section != current) {
      flush();
      current = spec.section;
      desc = std::make_unique<po::options_description>("[" + current + "] options", 100, 50);
    }
    std::string name = spec.key();
    std::string help = spec.help + " (default: " + (spec.get(defaults).empty() ? "none" : spec.get(defaults)) + ")";
    if (!spec.alias.empty()) help += " [also --" + spec.alias + "]";
    if (!spec.info_key.empty()) help += " [piskvork INFO " + spec.info_key + "]";
    desc->add_options()(name.c_str(), po::value<std::string>()->value_name(value_name(spec)), help.c_str());
  }
  flush();
  out << "[plugin] options\n"
         "  --plugin.KEY VALUE     passed verbatim to the evaluator plugin as KEY=VALUE\n"
         "                         (INI: 'KEY = VALUE' under [plugin])\n\n"
         "General\n"
         "  --config FILE          read options from this INI file (default: hearth.ini beside\n"
         "                         the program, when it exists); the command line overrides it\n"
         "  --help                 this text\n";
  return out.str();
}

std::string default_config_text() {
  const Settings defaults;
  std::ostringstream out;
  out << "# Hearth configuration: every option, commented out at its default value.\n"
         "# Read from --config FILE, or from hearth.ini beside the program when it exists.\n"
         "# Options given on the command line (--search.threads 4, or --threads 4) override this file.\n"
         "# Regenerate with: hearth config > configs/hearth.ini\n";
  std::string current;
  for (const auto& spec : option_table()) {
    if (spec.section != current) {
      current = spec.section;
      out << "\n[" << current << "]\n";
    }
    out << "# " << spec.help;
    if (spec.kind == OptionKind::Integer)
      out << " (" << spec.int_min << ".." << spec.int_max << ")";
    else if (spec.kind == OptionKind::Real)
      out << " (" << format_real(spec.real_min) << ".." << format_real(spec.real_max) << ")";
    else if (spec.kind == OptionKind::Choice)
      out << " (" << join(spec.choices, ", ") << ")";
    else if (spec.kind == OptionKind::Flag)
      out << " (true, false)";
    if (!spec.alias.empty()) out << "; command line: --" << spec.alias;
    out << "\n# " << spec.name << " = " << spec.get(defaults) << "\n";
  }
  out << "\n[plugin]\n"
         "# Passed verbatim to the evaluator plugin as key = value; which keys exist depends on the\n"
         "# plugin (an unknown key is an error the plugin reports). Example for the torch plugin:\n"
         "# model = net.pt\n";
  return out.str();
}


std::string changed_options_config_text(const Settings& s, const std::vector<std::string>& sections,
                                        const std::vector<std::string>& skip) {
  const Settings defaults;
  const auto wanted = [&](const std::string& section) {
    return sections.empty() || std::find(sections.begin(), sections.end(), section) != sections.end();
  };
  // Boost's INI reader ends a value at '#' and a line at a line break: such values cannot go in.
  const auto line = [](const std::string& key, const std::string& name, const std::string& value) {
    if (value.find_first_of("#\r\n") != std::string::npos)
      throw OptionError("option '" + key + "': its value '" + value +
                        "' holds '#' or a line break, which a configuration file cannot carry");
    return name + " = " + value + "\n";
  };
  std::ostringstream out;
  std::string current;
  for (const auto& spec : option_table()) {
    if (!wanted(spec.section) || std::find(skip.begin(), skip.end(), spec.key()) != skip.end()) continue;
    const std::string value = spec.get(s);
    if (value == spec.get(defaults)) continue;
    if (spec.section != current) {
      current = spec.section;
      out << "\n[" << current << "]\n";
    }
    out << line(spec.key(), spec.name, value);
  }
  if (wanted("plugin") && !s.evaluator.plugin_options.empty()) {
    out << "\n[plugin]\n";
    for (const auto& [key, value] : s.evaluator.plugin_options) out << line("plugin." + key, key, value);
  }
  return out.str();
}

}  // namespace hearth
