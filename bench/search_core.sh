#!/usr/bin/env bash
# The search core's measurements (issues 13 and 14) on one machine, results as JSON into OUT:
#   scale.jsonl      one `hearth bench` JSON a line: playouts/s, 15x15, 8 bench positions, early
#                    stop off, threads from THREADS (default "1 2"), threat search off/on
#   move30-20x20.json  one 30 s move on 20x20 (heuristic, default memory, the root's threat search
#                    off so that the move is searched, not solved), peak RSS
#   overrun.{tsv,json}                 OVERRUN_MOVES (default 1000) protocol moves, budgets 20-2000 ms
# Usage: bench/search_core.sh BUILD_DIR OUT
set -euo pipefail
build=${1:?usage: search_core.sh BUILD_DIR OUT}
out=${2:?out folder}
mkdir -p "$out"
: >"$out/scale.jsonl"
hearth=$build/engine/hearth
threads=${THREADS:-"1 2"}
visits=${VISITS:-100000}
here=$(cd "$(dirname "$0")" && pwd)
for plugin in ${PLUGINS:-uniform heuristic}; do
  for threat in off on; do
    [ $plugin = uniform ] && [ $threat = on ] && continue
    for t in $threads; do
      "$hearth" bench --plugin $plugin --threads "$t" --positions 8 --visits "$visits" --board-size 15 \
        --search.early_stop off --search.threat_search $threat --json "$out/scale.tmp" |
        grep -E "^ +all|peak" | sed "s/^/$plugin threat=$threat threads=$t: /"
      cat "$out/scale.tmp" >>"$out/scale.jsonl" && rm "$out/scale.tmp"
    done
  done
done
[ "${SKIP_MOVE:-}" ] && exit 0
move_threads=${MOVE_THREADS:-2}
"$hearth" bench --plugin heuristic --threads "$move_threads" --positions 1 --seconds 30 --board-size 20 \
  --search.early_stop off --search.root_threat_nodes 0 --json "$out/move30-20x20.json" | grep -E "^ +all|peak" | sed 's/^/30 s move: /'
"$here/overrun.sh" "$build/engine/pbrain-hearth" "${OVERRUN_MOVES:-1000}" "$out/overrun" --threads "${OVERRUN_THREADS:-2}"
