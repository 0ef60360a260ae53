#!/usr/bin/env bash
# What sharding through Slurm costs, measured on one machine (the one-node cluster of
# tests/slurm/cluster.sh, as root), to size shards for big clusters (README, "Past one machine"):
#
#   1. Scheduling overhead: one tournament of GAMES fast games (uniform priors, 1 visit, 9x9)
#      played locally unsharded, then through `hearth slurm --slurm.wait on` as SHARDS array tasks
#      and the merge job. The difference is Slurm's and the tasks' fixed cost.
#   2. Merge throughput: `hearth merge` of MERGE_SHARDS shards holding MERGE_GAMES games in all,
#      with the per-game records (2 small files a game, copied) and without them.
#
# Usage: bench/slurm_scale.sh HEARTH OUT_DIR     (writes OUT_DIR/slurm-scale.{json,md})
# Environment: GAMES [400], SHARDS [4], MERGE_GAMES [20000], MERGE_SHARDS [16], WORK [/tmp/hearth-slurm-scale]
set -euo pipefail

hearth=$1
out=$2
games=${GAMES:-400}
shards=${SHARDS:-4}
merge_games=${MERGE_GAMES:-20000}
merge_shards=${MERGE_SHARDS:-16}
work=${WORK:-/tmp/hearth-slurm-scale}
here=$(cd "$(dirname "$0")" && pwd)
players_dir=$(cd "$here/../configs/players" && pwd)
mkdir -p "$out"
rm -rf "$work"
mkdir -p "$work"

seconds() { # seconds COMMAND...: runs it, prints its wall time in seconds
  local start end
  start=$(date +%s.%N)
  "$@" >/dev/null 2>&1
  end=$(date +%s.%N)
  awk -v a="$start" -v b="$end" 'BEGIN { printf "%.2f", b - a }'
}

conf=$("$here/../tests/slurm/cluster.sh" start "$work/cluster")
export "${conf?}"
trap '"$here/../tests/slurm/cluster.sh" stop "$work/cluster" || true' EXIT

options=(--game.board_size 9 --players "uniform visits=1 name=a; uniform visits=1 name=b"
  --tournament.players_dir "$players_dir" --time.turn_ms 600000 --tournament.timeout_margin_ms 600000
  --log.level warn)
local_s=$(seconds "$hearth" tournament "${options[@]}" --games "$games" --out "$work/local")
slurm_s=$(seconds "$hearth" slurm "${options[@]}" --games "$games" --out "$work/slurm" --shards "$shards" \
  --slurm.wait on)
test -s "$work/slurm/summary.json" || { echo "the Slurm run did not merge" >&2; exit 1; }

# Merge throughput: the shards played one after another (the cluster is not needed for that).
for ((i = 0; i < merge_shards; i++)); do
  "$hearth" tournament "${options[@]}" --games "$merge_games" --shard "$i/$merge_shards" \
    --out "$work/m/shards/$i" >/dev/null 2>&1
done
printf '%s\n' "$work"/m/shards/* >"$work/m/list.txt"
results_mb=$(du -cm "$work"/m/shards/*/results.jsonl | tail -1 | cut -f1)
with_s=$(seconds "$hearth" merge --merge.out "$work/m/with-records" --merge.inputs "@$work/m/list.txt")
rm -rf "$work"/m/shards/*/games
without_s=$(seconds "$hearth" merge --merge.out "$work/m/without-records" --merge.inputs "@$work/m/list.txt")
merged=$(grep -c '"type":"game"' "$work/m/without-records/results.jsonl")

rate() { awk -v n="$1" -v s="$2" 'BEGIN { printf "%d", n / s }'; }
cpu=$(grep -m1 "model name" /proc/cpuinfo | cut -d: -f2 | sed "s/^ //")
machine="$(nproc) cores ($cpu), Linux $(uname -r), $(sbatch --version), work folder on $(df -T "$work" | awk 'NR == 2 {print $2}')"
cat >"$out/slurm-scale.json" <<EOF
{"machine":"$machine","command":"bench/slurm_scale.sh",
 "overhead":{"games":$games,"shards":$shards,"local_s":$local_s,"slurm_s":$slurm_s},
 "merge":{"shards":$merge_shards,"games":$merged,"results_mb":$results_mb,"with_records_s":$with_s,
          "without_records_s":$without_s,"games_per_s_with_records":$(rate "$merged" "$with_s"),
          "games_per_s_without_records":$(rate "$merged" "$without_s")}}
EOF
cat >"$out/slurm-scale.md" <<EOF
# Sharding through Slurm: overhead and merge throughput

Machine: $machine; one-node cluster (tests/slurm/cluster.sh).
Command: \`GAMES=$games SHARDS=$shards MERGE_GAMES=$merge_games MERGE_SHARDS=$merge_shards bench/slurm_scale.sh build/engine/hearth bench/cpu-2core\`

| what | figure |
|---|---|
| $games fast games, local unsharded run | ${local_s} s |
| the same as $shards array tasks + merge job (\`hearth slurm --slurm.wait on\`) | ${slurm_s} s |
| merge of $merged games from $merge_shards shards, with records (2 files a game) | ${with_s} s ($(rate "$merged" "$with_s") games/s) |
| the same merge without records | ${without_s} s ($(rate "$merged" "$without_s") games/s) |
| results.jsonl read by the merge | ${results_mb} MB |
EOF
cat "$out/slurm-scale.md"
