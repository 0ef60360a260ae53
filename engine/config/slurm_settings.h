// The [slurm] section of the option table (options.cpp): how `hearth slurm` (slurm_command.h)
// turns a tournament into a Slurm job array of shards and a merge job.
//
// Thread-safety: a plain value.
#pragma once

#include <string>

namespace hearth {

struct SlurmSettings {
  int shards = 0;              // array tasks, one shard each (tournament.shard i/n); 0 = not set
  std::string tasks = "all";   // which shards to submit: all, unfinished, or a list like 0,3-5
  bool dry_run = false;        // print the scripts and the sbatch commands; submit nothing
  bool wait = false;           // wait for the merge job, then report every shard
  int cpus_per_task = 0;       // CPUs per array task; 0 = tournament.concurrency x search.threads
  std::string gres;            // generic resources per task, e.g. gpu:1; empty = none
  std::string partition;       // empty = the cluster's default partition
  std::string account;         // empty = the user's default account
  std::string time_limit;      // per task, Slurm's format (e.g. 2:00:00); empty = the partition's
  std::string mem;             // memory per task (e.g. 4G); empty = the cluster's default
  int max_running = 0;         // at most this many array tasks at once (--array=...%k); 0 = no limit
  std::string job_name;        // empty = hearth-<last folder of tournament.out_dir>
  std::string sbatch_args;     // more sbatch options, verbatim, separated by spaces (e.g. --qos=low)
  std::string hearth;          // the hearth program on the nodes; empty = this program's path
  std::string sbatch = "sbatch";  // the sbatch program (and squeue beside it, or on PATH)
};

}  // namespace hearth
