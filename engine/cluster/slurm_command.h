// `hearth slurm`: runs a tournament (or self-play) as a Slurm job array, one task per shard
// (tournament.shard i/n), and a merge job that runs after the array however its tasks ended
// (afterany) and merges the shards into tournament.out_dir (slurm_plan.h has the layout).
//
//   hearth slurm --players "heuristic; uniform" --games 400 --out runs/a --shards 16 --gres gpu:1
//   hearth slurm ... --dry-run                     print what would be written and submitted
//   hearth slurm --config runs/a/slurm/hearth.ini --tasks unfinished    resubmit what did not finish
//
// A failed, killed or timed-out task leaves its partial results in its shard folder; submitting it
// again resumes them (nothing recorded is played again), and each shard folder is locked by the
// task writing it (folder_lock.h), so two copies of one task never both write. Before submitting,
// the jobs of earlier submissions (jobs.txt) still queued or running are looked up with squeue: a
// resubmission waits until they are gone.
//
// Thread-safety: run_slurm is a whole command; call it from one thread.
#pragma once

#include <iosfwd>

#include "engine/config/options.h"
#include "engine/cluster/slurm_plan.h"

namespace hearth {

// Exit status: 0 submitted (with slurm.wait: and merged), 1 sbatch failed or (slurm.wait) shards
// remain unfinished, 2 bad options or refused inputs (one message on stderr).
int run_slurm(const Settings& settings, std::istream& in, std::ostream& out);

}  // namespace hearth
