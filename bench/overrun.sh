#!/usr/bin/env bash
# How late can a move come? Drives pbrain-hearth through the piskvork protocol: before each TURN,
# `INFO timeout_turn B` with B drawn from [MIN_MS, MAX_MS]; the opponent plays random empty
# squares; a new game every 30 engine moves (or when a game ends). Measures, per move, the wall
# time from writing TURN to reading the reply, against B.
# Usage: bench/overrun.sh PBRAIN MOVES OUT_PREFIX [engine options...]
#   env: SIZE (15), MIN_MS (20), MAX_MS (2000), SEED (1)
# Writes OUT_PREFIX.tsv (budget_ms, reply_ms per move) and OUT_PREFIX.json (summary).
set -euo pipefail
engine=${1:?usage: overrun.sh PBRAIN MOVES OUT_PREFIX [engine options...]}
moves=${2:?moves}
out=${3:?out prefix}
shift 3
size=${SIZE:-15}
min_ms=${MIN_MS:-20}
max_ms=${MAX_MS:-2000}
RANDOM=${SEED:-1}

coproc ENGINE { "$engine" "$@" 2>/dev/null; }
send() { printf '%s\r\n' "$1" >&"${ENGINE[1]}"; }
recv() { IFS= read -r reply <&"${ENGINE[0]}"; reply=${reply%$'\r'}; }
# Replies the bench does not wait for (MESSAGE, DEBUG) are skipped.
recv_answer() { while recv; do case $reply in MESSAGE* | DEBUG*) ;; *) return 0 ;; esac; done; return 1; }

declare -A taken
new_game() {
  taken=()
  send "RESTART"
  recv_answer
  [ "$reply" = OK ] || { echo "overrun: RESTART got '$reply'" >&2; exit 1; }
}
random_free() {
  local x y
  while :; do
    x=$((RANDOM % size)); y=$((RANDOM % size))
    [ -z "${taken[$x,$y]:-}" ] && { echo "$x,$y"; return; }
  done
}

send "START $size"
recv_answer
[ "$reply" = OK ] || { echo "overrun: START got '$reply'" >&2; exit 1; }
send "INFO timeout_match 0"
: >"$out.tsv"
played=0
in_game=0
while [ $played -lt "$moves" ]; do
  if [ $in_game -ge 30 ]; then new_game; in_game=0; fi
  budget=$((min_ms + (RANDOM * 32768 + RANDOM) % (max_ms - min_ms + 1)))
  mine=$(random_free)
  taken[$mine]=1
  send "INFO timeout_turn $budget"
  t0=$EPOCHREALTIME
  send "TURN $mine"
  recv_answer
  t1=$EPOCHREALTIME
  if [[ $reply == ERROR*over* ]]; then new_game; in_game=0; continue; fi  # the engine's last move won
  if [[ ! $reply =~ ^[0-9]+,[0-9]+$ ]]; then echo "overrun: TURN got '$reply'" >&2; exit 1; fi
  taken[$reply]=1
  ms=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", (b - a) * 1000 }')
  printf '%d\t%s\n' "$budget" "$ms" >>"$out.tsv"
  played=$((played + 1))
  in_game=$((in_game + 1))
  # A board near full or a finished game (the engine's five) starts a new game.
  [ ${#taken[@]} -ge $((size * size - 4)) ] && in_game=30
done
send "END"
wait "$ENGINE_PID" 2>/dev/null || true

awk '{ printf "%.3f\t%d\t%s\n", $2 - $1, $1, $2 }' "$out.tsv" | sort -g | awk -v cmd="bench/overrun.sh $engine $moves $out $*" -v size="$size" '
{ over[++n] = $1; at[n] = $2; used += $3 / $2; if ($1 > 20) late++; if ($1 > 0) past++ }
END {
  p99 = over[int(n * 0.99 + 0.999)]; p50 = over[int(n * 0.5 + 0.999)];
  printf "{\"command\":\"%s\",\"board_size\":%d,\"moves\":%d,\"max_overrun_ms\":%.3f,\"max_overrun_at_budget_ms\":%d,", cmd, size, n, over[n], at[n];
  printf "\"p99_overrun_ms\":%.3f,\"p50_overrun_ms\":%.3f,\"moves_over_20ms_late\":%d,\"moves_past_budget\":%d,\"mean_fraction_of_budget_used\":%.4f}\n", p99, p50, late + 0, past + 0, used / n }
' >"$out.json"
cat "$out.json"
