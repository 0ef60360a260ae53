#include "engine/cluster/slurm_command.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <ostream>
#include <sstream>

#include "engine/cluster/run_command.h"
#include "engine/util/executable_path.h"
#include "engine/util/text.h"
#include "engine/tournament/merge.h"
#include "engine/tournament/players.h"

namespace hearth {
namespace fs = std::filesystem;
namespace {

// Options or inputs the command refuses (exit 2); what() is one line naming the cause.
struct SlurmError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Options each submission or task sets for itself, left out of the run's hearth.ini.
const std::vector<std::string> kNotInConfig = {"tournament.shard", "slurm.tasks", "slurm.dry_run", "slurm.wait"};
// What the tasks (tournament) and later submissions (slurm) read from hearth.ini.
const std::vector<std::string> kConfigSections = {"tournament", "game", "search", "time", "evaluator", "log", "slurm",
                                                  "plugin"};

// #SBATCH lines end a value at a blank: such values cannot go in.
void check_no_blanks(const std::string& what, const std::string& value) {
  if (value.find_first_of(" \t\r\n") != std::string::npos)
    throw SlurmError(what + " '" + value + "' has a blank, which a #SBATCH line cannot carry");
}

std::string shard_text(int i, int n) { return std::to_string(i) + "/" + std::to_string(n); }

// Shard i's progress. A shard folder holding another split (another slurm.shards) is refused: its
// games would never merge. (One holding another configuration is refused by its task, which
// checks the hash before playing.) Throws SlurmError.
ShardProgress shard_progress(const SlurmPlan& plan, int i) {
  ShardProgress p;
  try {
    p = read_shard_progress(plan.shard_dir(i));
  } catch (const std::exception& e) {
    throw SlurmError(e.what());
  }
  if (p.found && p.shard != shard_text(i, plan.slurm.shards) && !(plan.slurm.shards == 1 && p.shard.empty()))
    throw SlurmError(plan.shard_dir(i) + " holds shard " + (p.shard.empty() ? "(none)" : p.shard) + ", not " +
                     shard_text(i, plan.slurm.shards) + ": keep slurm.shards as it was, or use another tournament.out_dir");
  return p;
}

// The shards whose results are incomplete.
std::vector<int> unfinished_shards(const SlurmPlan& plan) {
  std::vector<int> tasks;
  for (int i = 0; i < plan.slurm.shards; ++i)
    if (!shard_progress(plan, i).complete()) tasks.push_back(i);
  return tasks;
}

SlurmPlan make_plan(const Settings& settings) {
  const SlurmSettings& s = settings.slurm;
  const TournamentSettings& t = settings.tournament;
  if (s.shards < 1)
    throw SlurmError("set slurm.shards (--shards N): how many array tasks to split the tournament into");
  if (!trim(t.shard).empty())
    throw SlurmError("tournament.shard is '" + t.shard + "': hearth slurm gives each task its own shard; leave it empty");
  if (t.sprt) throw SlurmError("SPRT decides on all the games so far, so it cannot run in shards: turn tournament.sprt off");
  std::vector<PlayerSpec> players;
  try {  // the same checks every task makes first: a typo fails here, not in N tasks
    players = parse_players(t.players, t.players_dir, settings);
  } catch (const std::exception& e) {
    throw SlurmError(e.what());
  }

  SlurmPlan plan;
  plan.slurm = s;
  std::error_code ec;
  plan.out_dir = fs::absolute(t.out_dir, ec).lexically_normal().string();
  while (plan.out_dir.size() > 1 && plan.out_dir.back() == '/') plan.out_dir.pop_back();
  plan.workdir = fs::current_path(ec).string();
  plan.hearth = s.hearth.empty() ? executable_path("") : s.hearth;
  if (plan.hearth.empty()) throw SlurmError("cannot tell where this program is: set slurm.hearth");
  plan.job_name = s.job_name.empty() ? "hearth-" + fs::path(plan.out_dir).filename().string() : s.job_name;
  int threads = 1;
  for (const PlayerSpec& p : players)
    if (p.kind == PlayerKind::InProcess) threads = std::max(threads, p.settings.search.threads);
  plan.cpus_per_task = s.cpus_per_task > 0 ? s.cpus_per_task : t.concurrency * threads;
  check_no_blanks("slurm.job_name", plan.job_name);
  check_no_blanks("the working folder", plan.workdir);
  check_no_blanks("tournament.out_dir", plan.out_dir);
  for (const auto& [key, value] : {std::pair<const char*, const std::string&>{"slurm.gres", s.gres},
                                   {"slurm.partition", s.partition},
                                   {"slurm.account", s.account},
                                   {"slurm.time", s.time_limit},
                                   {"slurm.mem", s.mem}})
    check_no_blanks(key, value);

  std::string error;
  if (parse_task_list(s.tasks, s.shards, &plan.tasks, &error)) return plan;
  if (!error.empty()) throw SlurmError("option 'slurm.tasks': " + error);
  plan.tasks = unfinished_shards(plan);
  return plan;
}

void write_text(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::trunc | std::ios::binary);
  out << text;
  if (!out.flush()) throw std::runtime_error("cannot write " + path);
}

std::string command_line(const std::vector<std::string>& argv) {
  std::string line;
  for (const std::string& a : argv) line += (line.empty() ? "" : " ") + shell_quote(a);
  return line;
}

// squeue beside sbatch when slurm.sbatch is a path, else the one on PATH.
std::string squeue_program(const std::string& sbatch) {
  const size_t slash = sbatch.find_last_of('/');
  return slash == std::string::npos ? "squeue" : sbatch.substr(0, slash + 1) + "squeue";
}

// Job ids of earlier submissions (jobs.txt: "shards <id> tasks <spec> merge <id> at <time>").
std::vector<std::string> earlier_job_ids(const SlurmPlan& plan) {
  std::vector<std::string> ids;
  std::ifstream in(plan.jobs_file());
  for (std::string line; std::getline(in, line);) {
    std::istringstream words(line);
    for (std::string key, value; words >> key >> value;)
      if (key == "shards" || key == "merge") ids.push_back(value);
  }
  return ids;
}

// Refuses to submit while a job of an earlier submission is queued or running: its tasks still
// write the shard folders. squeue lists only live jobs; finished ones have left it.
void check_no_live_jobs(const SlurmPlan& plan) {
  const std::vector<std::string> ids = earlier_job_ids(plan);
  if (ids.empty()) return;
  const CommandOutput q = run_command({squeue_program(plan.slurm.sbatch), "--noheader", "--format=%F %i %T", "--me"});
  if (!q.ok()) {
    spdlog::warn("slurm: cannot check for earlier jobs still running ({}); the shard folders' locks still keep "
                 "two copies of a task apart", q.describe());
    return;
  }
  std::istringstream lines(q.out);
  for (std::string line; std::getline(lines, line);) {
    std::istringstream words(line);
    std::string array_id, job_id, state;
    words >> array_id >> job_id >> state;
    if (std::find(ids.begin(), ids.end(), array_id) != ids.end())
      throw SlurmError("job " + job_id + " of an earlier submission is still " + state + " (see " + plan.jobs_file() +
                       "): wait for it to end, or scancel " + array_id + ", then submit again");
  }
}

std::string now_text() {
  const std::time_t t = std::time(nullptr);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", std::localtime(&t));
  return buf;
}

// Every shard's state after the merge job (slurm.wait); true if all are complete.
bool report_shards(const SlurmPlan& plan, std::ostream& out) {
  std::vector<int> unfinished;
  for (int i = 0; i < plan.slurm.shards; ++i) {
    ShardProgress p;  // (unreadable: reported, and counted unfinished)
    try {
      p = shard_progress(plan, i);
    } catch (const SlurmError& e) {
      spdlog::error("slurm: {}", e.what());
    }
    if (p.complete()) continue;
    unfinished.push_back(i);
    out << "Shard " << shard_text(i, plan.slurm.shards) << " is unfinished: "
        << (p.found ? std::to_string(p.recorded) + " of " + std::to_string(p.expected) + " games" : "no results")
        << " (log: " << plan.log_dir() << "/shard-" << i << ".log)\n";
  }
  if (unfinished.empty()) return true;
  out << unfinished.size() << " of " << plan.slurm.shards << " shards are unfinished; resubmit them with: "
      << shell_quote(plan.hearth) << " slurm --config " << shell_quote(plan.config_file()) << " --slurm.tasks unfinished\n";
  return false;
}

}  // namespace

int run_slurm(const Settings& settings, std::istream&, std::ostream& out) {
  SlurmPlan plan;
  std::string config;
  try {
    plan = make_plan(settings);
    Settings saved = settings;
    saved.tournament.out_dir = plan.out_dir;  // the tasks may start elsewhere than here
    config = "# The options of the Hearth run in " + plan.out_dir + ", written by `hearth slurm` (those not at\n"
             "# their defaults). Every shard task reads it; resubmit with --config this file.\n" +
             changed_options_config_text(saved, kConfigSections, kNotInConfig);
  } catch (const std::exception& e) {
    spdlog::error("slurm: {}", e.what());
    return 2;
  }
  if (plan.tasks.empty()) {
    out << "Every one of the " << plan.slurm.shards << " shards in " << plan.out_dir
        << "/shards is complete: nothing to submit. Merge them with: " << shell_quote(plan.hearth)
        << " merge --merge.out " << shell_quote(plan.out_dir) << " --merge.inputs "
        << shell_quote("@" + plan.shard_list_file()) << "\n";
    return 0;
  }
  const std::vector<std::string> shard_argv = shard_sbatch_argv(plan);
  if (plan.slurm.dry_run) {
    out << "# " << plan.config_file() << "\n" << config << "\n# " << plan.shard_script_file() << "\n"
        << shard_script(plan) << "\n# " << plan.merge_script_file() << "\n" << merge_script(plan) << "\n# "
        << plan.shard_list_file() << "\n" << shard_list(plan) << "\n# Would run:\n" << command_line(shard_argv) << "\n"
        << command_line(merge_sbatch_argv(plan, "<array job id>")) << "\n";
    out.flush();
    return 0;
  }

  try {
    check_no_live_jobs(plan);
    std::error_code ec;
    fs::create_directories(plan.log_dir(), ec);
    if (ec) throw std::runtime_error("cannot create " + plan.log_dir() + ": " + ec.message());
    write_text(plan.config_file(), config);
    write_text(plan.shard_script_file(), shard_script(plan));
    write_text(plan.merge_script_file(), merge_script(plan));
    write_text(plan.shard_list_file(), shard_list(plan));
  } catch (const SlurmError& e) {
    spdlog::error("slurm: {}", e.what());
    return 2;
  } catch (const std::exception& e) {
    spdlog::error("slurm: {}", e.what());
    return 1;
  }

  const CommandOutput array = run_command(shard_argv);
  const std::string array_id = array.ok() ? parse_job_id(array.out) : "";
  if (array_id.empty()) {
    spdlog::error("slurm: submitting the shards failed: {}: {}{}", command_line(shard_argv), array.describe(),
                  array.started ? (array.ok() ? " (no job id in its output: " + trim(array.out) + ")" : "")
                                : " (is Slurm installed here? slurm.sbatch names the sbatch program)");
    return 1;
  }
  out << "Submitted " << plan.tasks.size() << " of " << plan.slurm.shards << " shards (" << array_spec(plan.tasks, 0)
      << ") as array job " << array_id << " (logs: " << plan.log_dir() << ")\n";
  out.flush();
  const std::vector<std::string> merge_argv = merge_sbatch_argv(plan, array_id);
  if (plan.slurm.wait) out << "Waiting for the merge job, which runs after the array...\n" << std::flush;
  const CommandOutput merge = run_command(merge_argv);
  const std::string merge_id = parse_job_id(merge.out);
  {
    std::ofstream jobs(plan.jobs_file(), std::ios::app);
    jobs << "shards " << array_id << " tasks " << array_spec(plan.tasks, plan.slurm.max_running) << " merge "
         << (merge_id.empty() ? "-" : merge_id) << " at " << now_text() << "\n";
  }
  if (merge_id.empty()) {
    spdlog::error("slurm: the shards run as job {} but submitting the merge failed: {} {} ({}); merge them "
                  "yourself after they end: {} merge --merge.out {} --merge.inputs @{}",
                  array_id, command_line(merge_argv), merge.describe(), trim(merge.out + merge.err), plan.hearth,
                  plan.out_dir, plan.shard_list_file());
    return 1;
  }
  if (!plan.slurm.wait) {
    out << "Submitted the merge as job " << merge_id << " (after job " << array_id << "); results: " << plan.out_dir
        << "/summary.json. Watch with: squeue -j " << array_id << "," << merge_id << "\n";
    out.flush();
    return 0;
  }
  const bool complete = report_shards(plan, out);
  out << "Merge job " << merge_id << " " << (merge.status == 0 ? "merged the shards" : merge.describe())
      << (merge.status == 0 ? ": " + plan.out_dir + "/summary.json" : " (log: " + plan.log_dir() + "/merge.log)")
      << "\n";
  out.flush();
  return complete && merge.status == 0 ? 0 : 1;
}

}  // namespace hearth
