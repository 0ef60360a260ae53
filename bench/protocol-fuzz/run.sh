#!/usr/bin/env bash
# The long protocol fuzz run (issue 17): LINES fuzzed lines (default 1 000 000) against the release
# build's pbrain-hearth, then as many against an AddressSanitizer + UBSan build. Each run's report
# goes to bench/protocol-fuzz/<name>.txt, a failing session's input and stderr to failures-<name>/.
#
#   cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DHEARTH_SANITIZE=address \
#         -DHEARTH_WITH_TORCH=OFF && cmake --build build-asan --target hearth protocol_fuzz
#   bench/protocol-fuzz/run.sh [RELEASE_BUILD=build] [ASAN_BUILD=build-asan] [LINES] [SEED]
#
# A missing build folder is skipped. Exit 1 if a run found a nonconforming session.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
release=${1:-build}
asan=${2:-build-asan}
lines=${3:-1000000}
seed=${4:-1}
status=0
run() {
  local name=$1 dir=$2 end_ms=$3
  if [ ! -x "$dir/tests/protocol_fuzz" ] || [ ! -x "$dir/engine/pbrain-hearth" ]; then
    echo "run.sh: no $dir/tests/protocol_fuzz or $dir/engine/pbrain-hearth; $name skipped" >&2
    return
  fi
  echo "run.sh: $name: $lines lines, seed $seed" >&2
  "$dir/tests/protocol_fuzz" --engine "$dir/engine/pbrain-hearth" --lines "$lines" --seed "$seed" \
    --end-ms "$end_ms" --save-dir "$here/failures-$name" --keep-going | tee "$here/$name.txt" || status=1
}
run release "$release" 1000
# Leaks and undefined behaviour fail too: the fuzzer reads every sanitizer report from the
# engine's stderr, and a sanitizer's exit status is not 0. END's 1 s is the release build's
# promise: under ASan (slower frees, LeakSanitizer's heap scan at exit) only a hang (10 s) fails.
ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
  run asan "$asan" 10000
exit "$status"
