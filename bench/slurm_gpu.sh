#!/usr/bin/env bash
# `hearth slurm --gres gpu:1` on the GPU machine: a one-node Slurm cluster that declares its GPU as
# a generic resource (tests/slurm/cluster.sh with HEARTH_SLURM_GPUS=1), a GPU tournament (torch
# plugin, CUDA graphs fp16) split into SHARDS array tasks that each ask for the GPU, merged, and
# compared with the same tournament played unsharded. Slurm must hand every task the GPU
# (CUDA_VISIBLE_DEVICES) and, with one GPU, run the tasks one after another.
#
# The GPU machine (Ubuntu, no Slurm, nothing to install from) gets Debian 12's Slurm and munge
# unpacked from .slurm-debs/, downloaded on the development machine with:
#   mkdir -p .slurm-debs && (cd .slurm-debs && apt-get download slurmd slurmctld slurm-client \
#     slurm-wlm-basic-plugins munge libmunge2 liblua5.1-0 libhwloc15 libjson-c5 libyaml-0-2 \
#     libnuma1 libltdl7 libdbus-1-3) && echo /.slurm-debs/ >> .git/info/exclude
# Run as root from the repository root there, after `source .gpu/setup.sh` and a build:
#   bench/slurm_gpu.sh BUILD_DIR OUT_DIR        -> OUT_DIR/slurm-gpu.{md,json}, logs
# It changes the (throwaway) machine: a `munge` user, /etc/munge, /sys/fs/cgroup/system.slice,
# /usr/sbin/slurmstepd (slurmd
# starts its step daemon from that compiled-in path).
# Environment: SHARDS [2], GAMES [8], VISITS [200], WORK [/tmp/hearth-slurm-gpu], EXTRA [] (more
# options for both runs, e.g. "--evaluator.cache_entries 0")
set -euo pipefail

build=$(cd "$1" && pwd)
out=$2
shards=${SHARDS:-2}
games=${GAMES:-8}
visits=${VISITS:-200}
work=${WORK:-/tmp/hearth-slurm-gpu}
here=$(cd "$(dirname "$0")" && pwd)
root=$work/slurm-root
mkdir -p "$out"
rm -rf "$work"
mkdir -p "$root"

# Slurm and munge from the .debs, under $root.
for deb in "$here"/../.slurm-debs/*.deb; do dpkg -x "$deb" "$root"; done
for daemon in slurmctld slurmd slurmstepd; do ln -sf "$daemon-wlm" "$root/usr/sbin/$daemon"; done
ln -sf "$root/usr/sbin/slurmstepd-wlm" /usr/sbin/slurmstepd
export PATH=$root/usr/sbin:$root/usr/bin:$PATH
export LD_LIBRARY_PATH=$root/lib/x86_64-linux-gnu:$root/usr/lib/x86_64-linux-gnu:$root/usr/lib/x86_64-linux-gnu/slurm-wlm${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
export HEARTH_SLURM_PLUGIN_DIR=$root/usr/lib/x86_64-linux-gnu/slurm-wlm HEARTH_SLURM_GPUS=1
getent passwd munge >/dev/null || useradd --system --no-create-home --shell /usr/sbin/nologin munge
install -d -o munge -g munge -m 0700 /etc/munge /var/lib/munge /var/log/munge
# slurmd's cgroup v2 plugin, without systemd (cgroup.conf IgnoreSystemd=yes), puts its step
# daemons under system.slice, which only systemd would have made.
[ -d /sys/fs/cgroup/system.slice ] || mkdir /sys/fs/cgroup/system.slice || true

unset CUDA_VISIBLE_DEVICES  # the tasks' must come from Slurm's gres allocation, not from this shell
conf=$("$here/../tests/slurm/cluster.sh" start "$work/cluster")
export "${conf?}"
trap '"$here/../tests/slurm/cluster.sh" stop "$work/cluster" || true' EXIT

"$build/plugins/torch/hearth_make_reference_net" --size 15 --out "$work/ref15.pt" >/dev/null
player="heuristic plugin=torch plugin.model=$work/ref15.pt plugin.device=cuda:0 plugin.dtype=fp16 visits=$visits"
options=(--players "$player name=A; $player name=B" --tournament.players_dir "$here/../configs/players"
  --games "$games" --time.turn_ms 600000 --tournament.timeout_margin_ms 600000 ${EXTRA:-}) # split EXTRA: meant
hearth=$build/engine/hearth

start=$(date +%s.%N)
"$hearth" tournament "${options[@]}" --out "$work/unsharded" >"$work/unsharded.txt" 2>&1
unsharded_s=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
"$hearth" tournament "${options[@]}" --out "$work/unsharded-again" >/dev/null 2>&1
start=$(date +%s.%N)
status=0
"$hearth" slurm "${options[@]}" --out "$work/sharded" --shards "$shards" --gres gpu:1 --slurm.wait on \
  >"$work/submit.txt" 2>&1 || status=$?
slurm_s=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
cat "$work/submit.txt"

# What Slurm did: each task's GPU, and whether the tasks overlapped (one GPU: they must not).
gpus=$(grep -ho "with GPU [0-9,]*" "$work"/sharded/slurm/logs/shard-*.log | sort | uniq -c | tr '\n' ';')
mapfile -t spans < <(grep "ArrayTaskId=" "$work/cluster/jobcomp.txt" \
  | sed -E 's/.*StartTime=([^ ]+) EndTime=([^ ]+).*/\1 \2/' | sort)
overlap=no
for ((i = 1; i < ${#spans[@]}; i++)); do
  [[ ${spans[i]%% *} < ${spans[i - 1]##* } ]] && overlap=yes
done
strip() { grep -v '"type":"header"' "$1/results.jsonl" | sed -E 's/,"(black|white)_ms":[0-9]+//g' | sort; }
same=no
[ "$status" -eq 0 ] && diff -q <(strip "$work/unsharded") <(strip "$work/sharded") >/dev/null && same=yes
repeatable=no
diff -q <(strip "$work/unsharded") <(strip "$work/unsharded-again") >/dev/null && repeatable=yes
plugin_line=$(grep -h -m1 "loaded torch" "$work"/sharded/slurm/logs/shard-0.log | sed -E 's/^.*loaded torch/loaded torch/' || true)

gpu_name=$(nvidia-smi --query-gpu=name,driver_version --format=csv,noheader 2>/dev/null | head -1)
cat >"$out/slurm-gpu.json" <<EOF
{"machine":"$gpu_name, $(nproc) cores","slurm":"$(sbatch --version)","shards":$shards,"games":$games,
 "visits":$visits,"exit_status":$status,"unsharded_s":$unsharded_s,"slurm_s":$slurm_s,
 "task_gpus":"$gpus","tasks_overlapped":"$overlap","merged_equals_unsharded":"$same","unsharded_repeatable":"$repeatable"}
EOF
cat >"$out/slurm-gpu.md" <<EOF
# \`hearth slurm --gres gpu:1\` on the GPU machine

Machine: $gpu_name, $(nproc) cores; $(sbatch --version) (Debian 12 packages unpacked), one-node
cluster with its GPU declared as gres (tests/slurm/cluster.sh, HEARTH_SLURM_GPUS=1).
Command: \`SHARDS=$shards GAMES=$games VISITS=$visits EXTRA="${EXTRA:-}" bench/slurm_gpu.sh BUILD OUT\`; players: two
\`$player\` (reference net for 15x15, CUDA graphs fp16).

| what | result |
|---|---|
| \`hearth slurm ... --shards $shards --gres gpu:1 --slurm.wait on\` exit status | $status |
| GPU each task saw (CUDA_VISIBLE_DEVICES, count x value) | $gpus |
| tasks overlapped in time (one GPU, each task asks for it: must be no) | $overlap |
| merged results (games, outcomes, moves) equal the unsharded run's (not expected on GPU, see below) | $same |
| the unsharded run played again gives the same games | $repeatable |
| unsharded run, local | ${unsharded_s} s |
| the same through Slurm ($shards tasks one after another + merge) | ${slurm_s} s |

Plugin in a task: $plugin_line

With the evaluator cache on, the merged games need not equal the unsharded run's on a GPU: a
process's cache carries a position's value from one game into the next, and that value depends
slightly (fp16) on the batch bucket it was computed in, so a game played after other games
(unsharded) can search differently from the same game played after different ones (a shard).
With EXTRA="--evaluator.cache_entries 0" the merge equals the unsharded run on the GPU too; the
CPU evaluators are exact, and there it always does (CTest slurm_tournament).
EOF
cp "$work"/sharded/slurm/logs/*.log "$work/cluster/jobcomp.txt" "$work/submit.txt" "$out/" 2>/dev/null || true
cat "$out/slurm-gpu.md"
