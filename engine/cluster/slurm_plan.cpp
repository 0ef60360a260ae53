#include "engine/cluster/slurm_plan.h"

#include <charconv>
#include <set>
#include <sstream>

#include "engine/util/text.h"

namespace hearth {
namespace {

// #SBATCH lines both jobs share: where they run and what they are charged to.
std::string common_directives(const SlurmPlan& plan, const std::string& job_name, const std::string& log) {
  const SlurmSettings& s = plan.slurm;
  std::string d = "#SBATCH --job-name=" + job_name + "\n#SBATCH --chdir=" + plan.workdir + "\n#SBATCH --output=" +
                  log + "\n#SBATCH --open-mode=append\n#SBATCH --ntasks=1\n";
  if (!s.partition.empty()) d += "#SBATCH --partition=" + s.partition + "\n";
  if (!s.account.empty()) d += "#SBATCH --account=" + s.account + "\n";
  if (!s.time_limit.empty()) d += "#SBATCH --time=" + s.time_limit + "\n";
  return d;
}

// sbatch --parsable [--array|--dependency ...] <slurm.sbatch_args> script
std::vector<std::string> sbatch_argv(const SlurmPlan& plan, const std::string& job_option, const std::string& script) {
  std::vector<std::string> argv = {plan.slurm.sbatch, "--parsable", job_option};
  std::istringstream extra(plan.slurm.sbatch_args);
  for (std::string word; extra >> word;) argv.push_back(word);
  argv.push_back(script);
  return argv;
}

}  // namespace

bool parse_task_list(const std::string& text, int shards, std::vector<int>* out, std::string* error) {
  out->clear();
  const std::string t = trim(text);
  if (t == "all") {
    for (int i = 0; i < shards; ++i) out->push_back(i);
    return true;
  }
  if (t == "unfinished") return false;
  std::set<int> tasks;
  std::vector<std::string> items;
  try {
    items = split_list(t, "slurm.tasks");
  } catch (const std::invalid_argument& e) {
    *error = e.what();
    return false;
  }
  for (const std::string& item : items) {
    const size_t dash = item.find('-');
    int first = -1, last = -1;
    const bool ok = dash == std::string::npos
                        ? parse_int(item, &first) && (last = first, true)
                        : parse_int(trim(item.substr(0, dash)), &first) && parse_int(trim(item.substr(dash + 1)), &last);
    if (!ok || first < 0 || last < first || last >= shards) {
      *error = "'" + item + "' is not a shard or range of shards within 0.." + std::to_string(shards - 1) +
               " (slurm.tasks is all, unfinished, or a list like 0,3-5)";
      return false;
    }
    for (int i = first; i <= last; ++i) tasks.insert(i);
  }
  if (tasks.empty()) {
    *error = "'" + text + "' names no shard (slurm.tasks is all, unfinished, or a list like 0,3-5)";
    return false;
  }
  out->assign(tasks.begin(), tasks.end());
  return true;
}

std::string array_spec(const std::vector<int>& tasks, int max_running) {
  std::string spec;
  for (size_t i = 0; i < tasks.size();) {
    size_t j = i;
    while (j + 1 < tasks.size() && tasks[j + 1] == tasks[j] + 1) ++j;
    spec += (spec.empty() ? "" : ",") + std::to_string(tasks[i]);
    if (j > i) spec += "-" + std::to_string(tasks[j]);
    i = j + 1;
  }
  if (max_running > 0) spec += "%" + std::to_string(max_running);
  return spec;
}

std::string shell_quote(const std::string& text) {
  if (!text.empty() && text.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-+./:=,@%") ==
                           std::string::npos)
    return text;
  std::string quoted = "'";
  for (char c : text) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return quoted + "'";
}

std::string shard_script(const SlurmPlan& plan) {
  const std::string n = std::to_string(plan.slurm.shards);
  std::string s = "#!/bin/bash\n"
                  "# Hearth tournament shards as a Slurm job array, written by `hearth slurm` (rewritten at each\n"
                  "# submission). Task i plays shard i/" + n + " into " + plan.out_dir + "/shards/i and resumes\n"
                  "# whatever an earlier run of that task recorded there.\n";
  s += common_directives(plan, plan.job_name, plan.log_dir() + "/shard-%a.log");
  s += "#SBATCH --cpus-per-task=" + std::to_string(plan.cpus_per_task) + "\n";
  if (!plan.slurm.gres.empty()) s += "#SBATCH --gres=" + plan.slurm.gres + "\n";
  if (!plan.slurm.mem.empty()) s += "#SBATCH --mem=" + plan.slurm.mem + "\n";
  s += "set -eu\n"
       ": \"${SLURM_ARRAY_TASK_ID:?submit this script as a job array: sbatch --array=0-" + std::to_string(plan.slurm.shards - 1) +
       " ...}\"\n"
       "# The shard count is written out, not read from SLURM_ARRAY_TASK_COUNT: a task resubmitted alone\n"
       "# runs in an array of its own, whose count is 1.\n"
       "echo \"hearth: shard $SLURM_ARRAY_TASK_ID/" + n + " (array job ${SLURM_ARRAY_JOB_ID:-?}, ${SLURM_ARRAY_TASK_COUNT:-?} "
       "tasks) on $(hostname)${CUDA_VISIBLE_DEVICES:+ with GPU $CUDA_VISIBLE_DEVICES} at $(date -Is)\" >&2\n"
       "exec " + shell_quote(plan.hearth) + " tournament --config " + shell_quote(plan.config_file()) +
       " --tournament.shard \"$SLURM_ARRAY_TASK_ID/" + n + "\" --tournament.out_dir " +
       shell_quote(plan.out_dir + "/shards/") + "\"$SLURM_ARRAY_TASK_ID\"\n";
  return s;
}

std::string merge_script(const SlurmPlan& plan) {
  std::string s = "#!/bin/bash\n"
                  "# Merges the shards of " + plan.out_dir + " into it, written by `hearth slurm`. It runs\n"
                  "# after the array ends however its tasks ended (afterany), so that unfinished shards are\n"
                  "# reported here rather than leaving this job pending for ever.\n";
  s += common_directives(plan, plan.job_name + "-merge", plan.log_dir() + "/merge.log");
  s += "#SBATCH --cpus-per-task=1\n";
  s += "set -u\n"
       "echo \"hearth: merge (job ${SLURM_JOB_ID:-?}) on $(hostname) at $(date -Is)\" >&2\n" +
       shell_quote(plan.hearth) + " merge --merge.out " + shell_quote(plan.out_dir) + " --merge.inputs " +
       shell_quote("@" + plan.shard_list_file()) + " && exit 0\n"
       "status=$?\n"
       "echo \"hearth: the merge failed (above). Resubmit the unfinished shards with: " + shell_quote(plan.hearth) +
       " slurm --config " + shell_quote(plan.config_file()) + " --slurm.tasks unfinished\" >&2\n"
       "exit $status\n";
  return s;
}

std::string shard_list(const SlurmPlan& plan) {
  std::string s;
  for (int i = 0; i < plan.slurm.shards; ++i) s += plan.shard_dir(i) + "\n";
  return s;
}

std::vector<std::string> shard_sbatch_argv(const SlurmPlan& plan) {
  return sbatch_argv(plan, "--array=" + array_spec(plan.tasks, plan.slurm.max_running), plan.shard_script_file());
}

std::vector<std::string> merge_sbatch_argv(const SlurmPlan& plan, const std::string& array_job_id) {
  std::vector<std::string> argv = sbatch_argv(plan, "--dependency=afterany:" + array_job_id, plan.merge_script_file());
  if (plan.slurm.wait) argv.insert(argv.begin() + 2, "--wait");
  return argv;
}

std::string parse_job_id(const std::string& sbatch_output) {
  // --parsable prints "id" or "id;cluster"; take the last non-empty line (sbatch may warn first).
  std::istringstream lines(sbatch_output);
  std::string line, last;
  while (std::getline(lines, line))
    if (!trim(line).empty()) last = trim(line);
  const std::string id = last.substr(0, last.find(';'));
  if (id.empty() || id.find_first_not_of("0123456789") != std::string::npos) return "";
  return id;
}

}  // namespace hearth
