// `hearth slurm` without a cluster: the plan's pure parts, the generated batch scripts run by
// bash with a stand-in hearth, and the whole command against stand-ins for sbatch and squeue
// (tests/data/fake_slurm). The real cluster runs in tests/slurm/test_slurm_tournament.sh.
#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "engine/config/logging.h"
#include "engine/config/options.h"
#include "engine/cluster/slurm_command.h"
#include "engine/cluster/slurm_plan.h"
#include "engine/tournament/tournament.h"
#include "tests/support.h"

using namespace hearth;
using namespace hearth_test;
namespace fs = std::filesystem;

namespace {

const std::string kData = HEARTH_TEST_DATA_DIR;
const std::string kFake = kData + "/fake_slurm";

fs::path scratch(const std::string& name) {
  const fs::path dir = fs::path(HEARTH_BINARY_DIR) / "test_scratch" / "slurm" / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

std::vector<std::string> read_lines(const fs::path& path) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// A small tournament on 9x9 (4 games), fast in-process players, submitted as `shards` tasks to
// the stand-in sbatch; the stand-ins keep their state in `fake`.
Settings slurm_settings(const fs::path& out, const fs::path& fake, int shards) {
  static const bool logging = (setup_logging(LogSettings{"off", ""}), true);
  (void)logging;
  ::setenv("FAKE_SLURM_DIR", fake.c_str(), 1);
  Settings s;
  s.game.board_size = 9;
  s.time.turn_ms = 600000;
  s.tournament.players = "heuristic visits=20; uniform visits=20";
  s.tournament.players_dir = kData + "/../../configs/players";
  s.tournament.games = 4;
  s.tournament.timeout_margin_ms = 600000;
  s.tournament.out_dir = out.string();
  s.slurm.shards = shards;
  s.slurm.sbatch = kFake + "/sbatch";
  s.slurm.hearth = "/opt/hearth/bin/hearth";
  return s;
}

int run(const Settings& s, std::string* printed = nullptr) {
  std::istringstream in;
  std::ostringstream out;
  const int status = run_slurm(s, in, out);
  if (printed) *printed = out.str();
  return status;
}

// Plays shard i/n of `s`'s tournament into the shard folder `hearth slurm` gives it, as a task would.
void play_shard(const Settings& s, int i, int max_games = 0) {
  Settings t = s;
  t.tournament.shard = std::to_string(i) + "/" + std::to_string(s.slurm.shards);
  t.tournament.out_dir = s.tournament.out_dir + "/shards/" + std::to_string(i);
  t.tournament.max_games = max_games;
  Tournament(t).run();
}

// Runs a generated script with bash; returns its exit status, its stderr in *err.
int run_script(const fs::path& script, const std::string& env, std::string* err) {
  const fs::path err_file = script.string() + ".stderr";
  const std::string command = "env " + env + " bash " + script.string() + " 2>" + err_file.string();
  const int status = std::system(command.c_str());
  *err = read_text(err_file);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

SlurmPlan sample_plan(const fs::path& out) {
  SlurmPlan plan;
  plan.slurm.shards = 4;
  plan.slurm.gres = "gpu:1";
  plan.slurm.partition = "gpu";
  plan.slurm.time_limit = "1:00:00";
  plan.hearth = kFake + "/hearth";
  plan.workdir = out.string();
  plan.out_dir = (out / "run").string();
  plan.job_name = "hearth-run";
  plan.cpus_per_task = 6;
  plan.tasks = {0, 1, 2, 3};
  return plan;
}

}  // namespace

TEST_CASE("task lists, array specs, quoting and job ids") {
  std::vector<int> tasks;
  std::string error;
  CHECK(parse_task_list("all", 3, &tasks, &error));
  CHECK(tasks == std::vector<int>{0, 1, 2});
  CHECK(parse_task_list(" 5, 0,3-4,4 ", 8, &tasks, &error));
  CHECK(tasks == std::vector<int>{0, 3, 4, 5});
  CHECK_FALSE(parse_task_list("unfinished", 8, &tasks, &error));
  CHECK(error.empty());  // resolved by the caller, not an error
  for (const std::string bad : {"8", "2-9", "3-1", "x", "1,,2", "-1", ""}) {
    CAPTURE(bad);
    error.clear();
    CHECK_FALSE(parse_task_list(bad, 8, &tasks, &error));
    CHECK_FALSE(error.empty());
  }
  CHECK(array_spec({0, 1, 2, 5, 7, 8}, 0) == "0-2,5,7-8");
  CHECK(array_spec({3}, 2) == "3%2");
  CHECK(shell_quote("/opt/hearth") == "/opt/hearth");
  CHECK(shell_quote("a b") == "'a b'");
  CHECK(shell_quote("it's") == "'it'\\''s'");
  CHECK(shell_quote("") == "''");
  CHECK(parse_job_id("123\n") == "123");
  CHECK(parse_job_id("sbatch: warning: something\n456;cluster\n") == "456");
  CHECK(parse_job_id("Submitted batch job 7\n") == "");
}

TEST_CASE("the shard script runs shard SLURM_ARRAY_TASK_ID/n of the run, with the resources asked for") {
  const fs::path dir = scratch("script");
  ::setenv("FAKE_SLURM_DIR", dir.c_str(), 1);
  const SlurmPlan plan = sample_plan(dir);
  const std::string script = shard_script(plan);
  for (const std::string& line : std::vector<std::string>{"#SBATCH --cpus-per-task=6\n", "#SBATCH --gres=gpu:1\n", "#SBATCH --partition=gpu\n",
                                 "#SBATCH --time=1:00:00\n", "#SBATCH --chdir=" + dir.string() + "\n",
                                 "#SBATCH --output=" + plan.log_dir() + "/shard-%a.log\n",
                                 "#SBATCH --job-name=hearth-run\n"}) {
    CAPTURE(line);
    CHECK(contains(script, line));
  }
  CHECK_FALSE(contains(script, "--mem"));
  CHECK_FALSE(contains(script, "--account"));
  const fs::path file = dir / "shard.sbatch";
  std::ofstream(file) << script;

  std::string err;
  // A task resubmitted alone (an array of 1) still plays its shard of 4.
  REQUIRE(run_script(file, "SLURM_ARRAY_TASK_ID=2 SLURM_ARRAY_TASK_COUNT=1", &err) == 0);
  CHECK(read_lines(dir / "hearth.args") ==
        std::vector<std::string>{"tournament", "--config", plan.config_file(), "--tournament.shard", "2/4",
                                 "--tournament.out_dir", plan.out_dir + "/shards/2"});
  CHECK(contains(err, "shard 2/4"));
  // The program's status is the task's.
  CHECK(run_script(file, "SLURM_ARRAY_TASK_ID=1 FAKE_HEARTH_STATUS=3", &err) == 3);
  // Outside a job array it refuses to guess.
  fs::remove(dir / "hearth.args");
  CHECK(run_script(file, "-u SLURM_ARRAY_TASK_ID", &err) != 0);
  CHECK(contains(err, "job array"));
  CHECK_FALSE(fs::exists(dir / "hearth.args"));
}

TEST_CASE("the merge script merges every listed shard and names the resubmission when it fails") {
  const fs::path dir = scratch("merge_script");
  ::setenv("FAKE_SLURM_DIR", dir.c_str(), 1);
  SlurmPlan plan = sample_plan(dir);
  const fs::path file = dir / "merge.sbatch";
  std::ofstream(file) << merge_script(plan);
  CHECK(shard_list(plan) == plan.out_dir + "/shards/0\n" + plan.out_dir + "/shards/1\n" + plan.out_dir +
                                "/shards/2\n" + plan.out_dir + "/shards/3\n");
  std::string err;
  REQUIRE(run_script(file, "", &err) == 0);
  CHECK(read_lines(dir / "hearth.args") == std::vector<std::string>{"merge", "--merge.out", plan.out_dir,
                                                                     "--merge.inputs", "@" + plan.shard_list_file()});
  CHECK_FALSE(contains(err, "failed"));
  CHECK(run_script(file, "FAKE_HEARTH_STATUS=1", &err) == 1);
  CHECK(contains(err, "slurm --config " + plan.config_file() + " --slurm.tasks unfinished"));
  CHECK_FALSE(contains(merge_script(plan), "gres"));  // the merge needs no GPU

  plan.slurm.wait = true;
  plan.slurm.sbatch_args = "--qos=low  --exclusive";
  plan.tasks = {1, 3};
  plan.slurm.max_running = 1;
  CHECK(shard_sbatch_argv(plan) == std::vector<std::string>{"sbatch", "--parsable", "--array=1,3%1", "--qos=low",
                                                            "--exclusive", plan.shard_script_file()});
  CHECK(merge_sbatch_argv(plan, "77") ==
        std::vector<std::string>{"sbatch", "--parsable", "--wait", "--dependency=afterany:77", "--qos=low",
                                 "--exclusive", plan.merge_script_file()});
}

TEST_CASE("dry run prints the files and commands and writes or submits nothing") {
  const fs::path dir = scratch("dry_run");
  Settings s = slurm_settings(dir / "run", dir, 4);
  s.slurm.dry_run = true;
  s.tournament.concurrency = 2;
  s.search.threads = 3;
  std::string printed;
  REQUIRE(run(s, &printed) == 0);
  for (const std::string& part : std::vector<std::string>{"# " + (dir / "run/slurm/hearth.ini").string(), "players = heuristic visits=20",
                                 "#SBATCH --cpus-per-task=6", "--array=0-3 " + (dir / "run/slurm/shard.sbatch").string(),
                                 "--dependency=afterany:<array job id>", (dir / "run/shards/3").string()}) {
    CAPTURE(part);
    CHECK(contains(printed, part));
  }
  CHECK_FALSE(fs::exists(dir / "run"));
  CHECK_FALSE(fs::exists(dir / "sbatch.log"));
}

TEST_CASE("submission: the array, then the merge after it; the run's options saved for the tasks") {
  const fs::path dir = scratch("submit");
  const Settings s = slurm_settings(dir / "run", dir, 2);
  std::string printed;
  REQUIRE(run(s, &printed) == 0);
  const std::vector<std::string> calls = read_lines(dir / "sbatch.log");
  REQUIRE(calls.size() == 2);
  CHECK(calls[0] == "--parsable --array=0-1 " + (dir / "run/slurm/shard.sbatch").string());
  CHECK(calls[1] == "--parsable --dependency=afterany:100 " + (dir / "run/slurm/merge.sbatch").string());
  CHECK(contains(printed, "array job 100"));
  CHECK(contains(printed, "job 101"));
  const std::vector<std::string> jobs = read_lines(dir / "run/slurm/jobs.txt");
  REQUIRE(jobs.size() == 1);
  CHECK(jobs[0].rfind("shards 100 tasks 0-1 merge 101 at ", 0) == 0);
  CHECK(contains(read_text(dir / "run/slurm/shard.sbatch"), "/2\""));
  CHECK(fs::is_directory(dir / "run/slurm/logs"));

  // What every task reads: the same tournament, out_dir made absolute, nothing per submission.
  const Settings loaded = load_settings({"--config", (dir / "run/slurm/hearth.ini").string()}, "");
  CHECK(loaded.tournament.players == s.tournament.players);
  CHECK(loaded.tournament.games == 4);
  CHECK(loaded.game.board_size == 9);
  CHECK(loaded.tournament.out_dir == (dir / "run").string());
  CHECK(loaded.slurm.shards == 2);
  CHECK(loaded.slurm.tasks == "all");
  CHECK_FALSE(contains(read_text(dir / "run/slurm/hearth.ini"), "tasks"));

  // An earlier job still queued: nothing is submitted.
  std::ofstream(dir / "squeue.out") << "55 55 RUNNING\n100 100_1 PENDING\n";
  CHECK(run(s) == 2);
  CHECK(read_lines(dir / "sbatch.log").size() == 2);
  // Once it has left the queue, the next submission goes ahead.
  std::ofstream(dir / "squeue.out") << "55 55 RUNNING\n";
  CHECK(run(s) == 0);
  CHECK(read_lines(dir / "sbatch.log").size() == 4);
  CHECK(read_lines(dir / "run/slurm/jobs.txt").size() == 2);
}

TEST_CASE("tasks=unfinished resubmits exactly the shards whose results are incomplete") {
  const fs::path dir = scratch("unfinished");
  Settings s = slurm_settings(dir / "run", dir, 3);
  s.tournament.games = 6;  // shard i of 3: games i and i + 3
  play_shard(s, 0);
  play_shard(s, 2, 1);  // shard 2 has 2 games; one was played before the task "died"
  s.slurm.tasks = "unfinished";
  REQUIRE(run(s) == 0);
  std::vector<std::string> calls = read_lines(dir / "sbatch.log");
  REQUIRE(calls.size() == 2);
  CHECK(contains(calls[0], "--array=1-2 "));

  play_shard(s, 1);
  play_shard(s, 2);
  std::string printed;
  CHECK(run(s, &printed) == 0);
  CHECK(contains(printed, "nothing to submit"));
  CHECK(read_lines(dir / "sbatch.log").size() == 2);

  // Shard folders of another split are refused rather than resubmitted.
  s.slurm.shards = 4;
  CHECK(run(s) == 2);
  CHECK(read_lines(dir / "sbatch.log").size() == 2);
}

TEST_CASE("slurm.wait reports each unfinished shard and how to resubmit it") {
  const fs::path dir = scratch("wait");
  Settings s = slurm_settings(dir / "run", dir, 2);
  s.slurm.wait = true;
  play_shard(s, 0);
  play_shard(s, 1, 1);
  std::ofstream(dir / "wait_status") << "1\n";  // the merge job failed: shard 1 is short
  std::string printed;
  CHECK(run(s, &printed) == 1);
  CHECK(contains(read_lines(dir / "sbatch.log").at(1), "--wait"));
  CHECK(contains(printed, "Shard 1/2 is unfinished: 1 of 2 games"));
  CHECK_FALSE(contains(printed, "Shard 0/2"));
  CHECK(contains(printed, "--slurm.tasks unfinished"));

  play_shard(s, 1);
  std::ofstream(dir / "wait_status") << "0\n";
  CHECK(run(s, &printed) == 0);
  CHECK_FALSE(contains(printed, "unfinished"));
  CHECK(contains(printed, "merged the shards"));
}

TEST_CASE("refused before anything is submitted: bad options, sbatch failures") {
  const fs::path dir = scratch("refused");
  const Settings good = slurm_settings(dir / "run", dir, 2);
  const auto refused = [&](Settings s) {
    const int status = run(s);
    CHECK_FALSE(fs::exists(dir / "sbatch.log"));
    return status;
  };
  Settings s = good;
  s.slurm.shards = 0;
  CHECK(refused(s) == 2);
  s = good;
  s.tournament.shard = "0/2";
  CHECK(refused(s) == 2);
  s = good;
  s.slurm.tasks = "0,5";
  CHECK(refused(s) == 2);
  s = good;
  s.tournament.players = "heuristic; no_such_player";
  CHECK(refused(s) == 2);
  s = good;
  s.tournament.sprt = true;
  CHECK(refused(s) == 2);
  s = good;
  s.slurm.partition = "two words";
  CHECK(refused(s) == 2);
  s = good;
  s.slurm.sbatch = (dir / "no_sbatch_here").string();
  CHECK(refused(s) == 1);

  std::ofstream(dir / "fail") << "";
  CHECK(run(good) == 1);
  CHECK(read_lines(dir / "sbatch.log").size() == 1);  // the array was refused: no merge submitted
  CHECK_FALSE(fs::exists(dir / "run/slurm/jobs.txt"));
}
