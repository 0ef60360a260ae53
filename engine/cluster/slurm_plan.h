// What `hearth slurm` submits, as plain values and text: the folders, the two batch scripts (a job
// array of tournament shards and a merge job) and the sbatch command lines. Pure functions, so
// the scripts can be checked without a cluster; slurm_command.cpp does the files and processes.
//
// Layout under the tournament's out_dir (on a filesystem every node sees at the same path):
//   <out>/shards/<i>/         shard i's own tournament folder (results.jsonl, games/, ...)
//   <out>/results.jsonl, summary.json, games/, training.txt   the merge of every shard
//   <out>/slurm/hearth.ini    the run's options (those not at their defaults), read by every task
//   <out>/slurm/shard.sbatch, merge.sbatch, shards.txt (the merge's input list)
//   <out>/slurm/logs/shard-<i>.log, merge.log   appended to by each (re)submission
//   <out>/slurm/jobs.txt      one line per submission: array job id, tasks, merge job id
//
// Thread-safety: pure functions of their arguments.
#pragma once

#include <string>
#include <vector>

#include "engine/config/slurm_settings.h"

namespace hearth {

struct SlurmPlan {
  SlurmSettings slurm;     // as given; the fields below are the resolved values
  std::string hearth;      // the program the tasks run (absolute path)
  std::string workdir;     // where tasks start (--chdir): relative paths in the options resolve there
  std::string out_dir;     // absolute tournament.out_dir
  std::string job_name;
  int cpus_per_task = 1;
  std::vector<int> tasks;  // the shards to submit, ascending

  std::string slurm_dir() const { return out_dir + "/slurm"; }
  std::string config_file() const { return slurm_dir() + "/hearth.ini"; }
  std::string shard_script_file() const { return slurm_dir() + "/shard.sbatch"; }
  std::string merge_script_file() const { return slurm_dir() + "/merge.sbatch"; }
  std::string shard_list_file() const { return slurm_dir() + "/shards.txt"; }
  std::string jobs_file() const { return slurm_dir() + "/jobs.txt"; }
  std::string log_dir() const { return slurm_dir() + "/logs"; }
  std::string shard_dir(int i) const { return out_dir + "/shards/" + std::to_string(i); }
};

// "all", "unfinished" or a list like "0,3-5" (each 0 <= i < shards). "unfinished" is resolved by
// the caller (it reads the shards' results): this returns false for it with no error set.
// On a bad list returns false with *error set (naming the bad item).
bool parse_task_list(const std::string& text, int shards, std::vector<int>* out, std::string* error);

// Slurm's --array value: ranges of `tasks` (ascending), then "%k" when max_running > 0.
std::string array_spec(const std::vector<int>& tasks, int max_running);

// The text as one word for a POSIX shell (single-quoted when it needs quoting).
std::string shell_quote(const std::string& text);

std::string shard_script(const SlurmPlan& plan);
std::string merge_script(const SlurmPlan& plan);
// The merge's input list: one shard folder per line.
std::string shard_list(const SlurmPlan& plan);

// sbatch command lines. The array and the dependency go on the command line, not in the scripts,
// because they change from one submission (all shards) to the next (the unfinished ones).
std::vector<std::string> shard_sbatch_argv(const SlurmPlan& plan);
std::vector<std::string> merge_sbatch_argv(const SlurmPlan& plan, const std::string& array_job_id);

// The job id in `sbatch --parsable` output ("123" or "123;cluster"); "" if there is none.
std::string parse_job_id(const std::string& sbatch_output);

}  // namespace hearth
