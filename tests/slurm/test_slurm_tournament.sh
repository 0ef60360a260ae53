#!/usr/bin/env bash
# CTest (slurm_tournament): `hearth slurm` on a real one-node Slurm cluster (cluster.sh).
#
#   1. An unsharded reference run, played locally.
#   2. The same tournament as 4 array tasks, where shard 2 already holds one game (as if an
#      earlier task had been killed after it) and shard 3 is made to fail (a file stands where
#      its games folder must go). Expected: tasks 0-2 complete, task 3 FAILED in Slurm's own
#      records, `hearth slurm --slurm.wait on` exits 1 naming shard 3 and the resubmission, the
#      merge job refuses to merge, and shard 2 resumed without replaying its first game.
#   3. The obstacle removed, `--slurm.tasks unfinished` resubmits task 3 alone; the merge then
#      equals the reference run: games, results, standings and records (times aside).
#   4. Self-play as 3 shards: the merged training.txt holds the unsharded run's positions.
#   5. A task cancelled after its first game: resubmitted, it plays only the rest.
#
# Usage: test_slurm_tournament.sh HEARTH WORK_DIR
# Exit 77 = skipped, with the reason on stderr: not root, or no cgroup filesystem at /sys/fs/cgroup
# (slurmd needs one; chroots and some containers lack it).
set -euo pipefail

hearth=$1
work=$2
here=$(cd "$(dirname "$0")" && pwd)
players_dir=$(cd "$here/../../configs/players" && pwd)

fail() {
  echo "FAIL: $*" >&2
  exit 1
}
check() { # check DESCRIPTION COMMAND...: the command must succeed
  local what=$1
  shift
  "$@" || fail "$what"
}

rm -rf "$work"
mkdir -p "$work"
cluster=$work/cluster
status=0
conf=$("$here/cluster.sh" start "$cluster") || status=$?
if [ "$status" -ne 0 ]; then
  [ "$status" -eq 77 ] && echo "SKIPPED: the one-node Slurm cluster cannot run on this machine (reason above)" >&2
  exit "$status"
fi
export "${conf?}"
trap '"$here/cluster.sh" stop "$cluster" || true' EXIT

# A small tournament: 8 games on 9x9, two fast in-process players. Absolute paths, so the tasks
# (started elsewhere) and the local runs have the same configuration hash.
options=(--game.board_size 9 --players "heuristic visits=30; uniform visits=30"
  --tournament.players_dir "$players_dir" --games 8 --time.turn_ms 600000
  --tournament.timeout_margin_ms 600000)
run=$work/run

# 1. The reference.
"$hearth" tournament "${options[@]}" --out "$work/reference" >/dev/null

# 2. Shard 2 played in part; shard 3 cannot start.
"$hearth" tournament "${options[@]}" --shard 2/4 --out "$run/shards/2" --max-games 1 >/dev/null
first_game=$(grep '"type":"game"' "$run/shards/2/results.jsonl")
mkdir -p "$run/shards/3"
touch "$run/shards/3/games"

status=0
"$hearth" slurm "${options[@]}" --out "$run" --shards 4 --slurm.wait on >"$work/submit1.txt" 2>&1 || status=$?
cat "$work/submit1.txt"
[ "$status" -eq 1 ] || fail "the first submission exited $status, not 1 (shard 3 failed)"
check "shard 3 reported unfinished" grep -q "Shard 3/4 is unfinished: no results" "$work/submit1.txt"
check "the resubmission named" grep -q -- "--slurm.tasks unfinished" "$work/submit1.txt"
for i in 0 1 2; do
  if grep -q "Shard $i/4 is unfinished" "$work/submit1.txt"; then fail "shard $i reported unfinished"; fi
done
# Slurm's own record (jobcomp/filetxt): task 3 FAILED, tasks 0-2 COMPLETED.
array_job=$(awk 'NR == 1 {print $2}' "$run/slurm/jobs.txt")
task_state() { grep "ArrayJobId=$array_job ArrayTaskId=$1 " "$cluster/jobcomp.txt" | grep -o 'JobState=[A-Z_]*'; }
check "task 3 FAILED in jobcomp.txt" test "$(task_state 3)" = JobState=FAILED
for i in 0 1 2; do check "task $i COMPLETED in jobcomp.txt" test "$(task_state "$i")" = JobState=COMPLETED; done
check "the merge job reports the unfinished shard" grep -q "has no results.jsonl" "$run/slurm/logs/merge.log"
check "nothing merged while games are missing" test ! -e "$run/summary.json"
# Shard 2 resumed: its first game kept as it was, played once; its other game added.
check "shard 2 kept its first game" test "$(grep '"type":"game"' "$run/shards/2/results.jsonl" | head -1)" = "$first_game"
check "shard 2 has both its games, once each" test "$(grep -c '"type":"game"' "$run/shards/2/results.jsonl")" -eq 2
check "shard 2's task said it resumed" grep -q "1 already recorded" "$run/slurm/logs/shard-2.log"

# 3. Resubmit the failed task alone.
rm "$run/shards/3/games"
"$hearth" slurm --config "$run/slurm/hearth.ini" --slurm.tasks unfinished --slurm.wait on | tee "$work/submit2.txt"
check "the resubmission was task 3 alone" grep -q " tasks 3 merge " <(sed -n 2p "$run/slurm/jobs.txt")
check "a second submission has nothing left" grep -q "nothing to submit" \
  <("$hearth" slurm --config "$run/slurm/hearth.ini" --slurm.tasks unfinished)

# The merge equals the reference, apart from times.
games() { grep -v '"type":"header"' "$1/results.jsonl" | sed -E 's/,"(black|white)_ms":[0-9]+//g' | sort; }
standings() { sed -E 's/"games_this_run".*"colours"/"colours"/; s/,"evaluators".*//' "$1/summary.json"; }
check "same header" test "$(head -1 "$run/results.jsonl")" = "$(head -1 "$work/reference/results.jsonl")"
check "same games" diff <(games "$work/reference") <(games "$run")
check "same standings" diff <(standings "$work/reference") <(standings "$run")
check "8 games merged" test "$(games "$run" | wc -l)" -eq 8
for psq in "$work/reference"/games/*.psq; do
  name=$(basename "$psq")
  check "record $name" diff <(sed -E 's/^([0-9]+,[0-9]+),[0-9]+$/\1/' "$psq") \
    <(sed -E 's/^([0-9]+,[0-9]+),[0-9]+$/\1/' "$run/games/$name")
done

# 4. Self-play through Slurm: the merged training data are the unsharded run's.
selfplay=(--game.board_size 9 --players "uniform visits=30" --tournament.players_dir "$players_dir" --selfplay on
  --games 6 --time.turn_ms 600000 --tournament.timeout_margin_ms 600000)
"$hearth" tournament "${selfplay[@]}" --out "$work/selfplay-reference" >/dev/null
"$hearth" slurm "${selfplay[@]}" --out "$work/selfplay" --shards 3 --slurm.wait on | tee "$work/submit3.txt"
check "self-play merged" grep -q "merged the shards" "$work/submit3.txt"
check "training data like the unsharded run's" diff <(sort "$work/selfplay-reference/training.txt") \
  <(sort "$work/selfplay/training.txt")
check "training data present" test "$(wc -l <"$work/selfplay/training.txt")" -gt 6

# 5. A task cancelled in mid-run (scancel: SIGTERM to every process of the task, engines included,
#    SIGKILL after KillWait) keeps the games it finished, records no loss for the game it cut
#    short, and resubmitted plays only the rest. A Gomocup engine that hangs at its 2nd move makes each game last ~3 s (it loses
#    on time), so there is time to kill shard 1 after its first game.
data=$(cd "$here/../data" && pwd)
slow=(--players "heuristic visits=30; name=hang cmd=\"bash '$data/fake_engine.sh' hang 2\""
  --tournament.players_dir "$players_dir" --game.board_size 9 --games 6 --time.turn_ms 2000
  --tournament.timeout_margin_ms 1000)
"$hearth" slurm "${slow[@]}" --out "$work/killed" --shards 2 | tee "$work/submit4.txt"
killed_array=$(awk 'NR == 1 {print $2}' "$work/killed/slurm/jobs.txt")
killed_merge=$(awk 'NR == 1 {print $6}' "$work/killed/slurm/jobs.txt")
games_in() { if [ -f "$1/results.jsonl" ]; then grep -c '"type":"game"' "$1/results.jsonl" || true; else echo 0; fi; }
for ((i = 0; i < 600 && $(games_in "$work/killed/shards/1") < 1; i++)); do sleep 0.1; done
check "shard 1 recorded a game before the cancel" test "$(games_in "$work/killed/shards/1")" -ge 1
scancel "${killed_array}_1"
for ((i = 0; i < 600; i++)); do
  [ -z "$(squeue --noheader --jobs "$killed_array,$killed_merge" 2>/dev/null)" ] && break
  sleep 0.2
done
kept=$(grep '"type":"game"' "$work/killed/shards/1/results.jsonl")
check "shard 1 was cut short" test "$(games_in "$work/killed/shards/1")" -lt 3
check "the merge job reports the games the cancelled task did not play" grep -q "played by no shard" \
  "$work/killed/slurm/logs/merge.log"
"$hearth" slurm --config "$work/killed/slurm/hearth.ini" --slurm.tasks unfinished --slurm.wait on \
  | tee "$work/submit5.txt"
check "only the cancelled shard resubmitted" grep -q " tasks 1 merge " <(sed -n 2p "$work/killed/slurm/jobs.txt")
check "the cancelled shard's games kept, none played twice" test \
  "$(grep '"type":"game"' "$work/killed/shards/1/results.jsonl" | head -n "$(echo "$kept" | wc -l)")" = "$kept"
check "shard 1 complete, 3 games once each" test \
  "$(grep -o '"game":[0-9]*' "$work/killed/shards/1/results.jsonl" | sort -u | wc -l)" -eq 3
check "shard 1 has no duplicate lines" test "$(games_in "$work/killed/shards/1")" -eq 3
check "the cancelled run merged" test "$(games_in "$work/killed")" -eq 6
check "every game of the hanging engine lost on time, none to the cancel" test \
  "$(grep -c '"termination":"timeout"' "$work/killed/results.jsonl")" -eq 6
echo "PASS: 4 shards through Slurm, one failed and resubmitted alone, merged = unsharded run;" \
  "self-play training data merged; a task cancelled in mid-run resumed without replaying a game"
