#!/usr/bin/env bash
# The search core's measurements (issues 13 and 14) on one machine, results as JSON into OUT:
#   scale-<plugin>-<threat>-t<N>.json  playouts/s, 15x15, 8 bench positions, early stop off,
#                                      threads from THREADS (default "1 2"), threat search off/on
#   move30-20x20.json                  one 30 s move on 20x20 (heuristic, default memory), peak RSS
#   overrun.{tsv,json}                 OVERRUN_MOVES (default 1000) protocol moves, budgets 20-2000 ms
# Usage: bench/search_core.sh BUILD_DIR OUT
set -euo pipefail
build=${1:?usage: search_core.sh BUILD_DIR OUT}
out=${2:?out folder}
mkdir -p "$out"
hearth=$build/engine/hearth
threads=${THREADS:-"1 2"}
visits=${VISITS:-100000}
here=$(cd "$(dirname "$0")" && pwd)
for plugin in uniform heuristic; do
  for threat in off on; do
    [ $plugin = uniform ] && [ $threat = on ] && continue
    for t in $threads; do
      "$hearth" bench --plugin $plugin --threads "$t" --positions 8 --visits "$visits" --board-size 15 \
        --search.early_stop off --search.threat_search $threat --json "$out/scale-$plugin-$threat-t$t.json" |
        grep -E "^ +all|peak" | sed "s/^/$plugin threat=$threat threads=$t: /"
    done
  done
done
move_threads=${MOVE_THREADS:-2}
"$hearth" bench --plugin heuristic --threads "$move_threads" --positions 1 --seconds 30 --board-size 20 \
  --search.early_stop off --json "$out/move30-20x20.json" | grep -E "^ +all|peak" | sed 's/^/30 s move: /'
"$here/overrun.sh" "$build/engine/pbrain-hearth" "${OVERRUN_MOVES:-1000}" "$out/overrun" --threads "${OVERRUN_THREADS:-2}"
