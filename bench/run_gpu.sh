#!/usr/bin/env bash
# Hearth's GPU benchmarks, in phases, each writing its results under $OUT (default ./bench-out).
# Run from the repository root on the GPU machine (.gpu/ present; see .gpu/README.md):
#
#   bench/run_gpu.sh build test             configure + build into build-gpu/, then ctest
#   bench/run_gpu.sh build latency-short    (a fresh machine is bare: build first in the same call)
#   bench/run_gpu.sh PHASE...               phases run in the order given; `all` = every phase
#
# Phases (each meant to finish within ~5 minutes on one H100 with 16 cores):
#   build          source .gpu/setup.sh; cmake -B build-gpu (Release); cmake --build
#   test           ctest on build-gpu                                   -> $OUT/test.log
#   latency-short  `hearth latency`, gaps 0-1 s: graph-fp16 x every keep-warm setting, and
#                  graph-fp32 / eager-fp32 x {off, kernel@1000, forward@1000}
#                                                     -> $OUT/latency-short-{a,b}.{json,md,dat,svg}
#   latency-long   gaps 5 and 20 s for graph-fp16 x {off, kernel@2000, forward@2000}
#                                                     -> $OUT/latency-long.{json,md,dat,svg}
#   human          `hearth human-paced`: continuous vs keep-warm on/off at 1,2,3 s think times
#                                                     -> $OUT/human-paced.{json,md}
#   throughput     `hearth bench` over threads 1,2,4,8,16 x max batch 8,32,128,256 x batching deadline
#                  100,500,2000 us, torch graph fp16 on CUDA, 20x20 positions (THROUGHPUT_BOARD)
#                                                     -> $OUT/throughput/*.json, $OUT/throughput.{jsonl,md}
#
# Environment (defaults in brackets): OUT [./bench-out], BUILD_DIR [build-gpu], DEVICE [cuda:0],
# LATENCY_BATCHES [128; QUICK: 8], THROUGHPUT_BOARD [20], THROUGHPUT_THREADS ["1 2 4 8 16"],
# THROUGHPUT_BATCHES ["8 32 128 256"], THROUGHPUT_DEADLINES ["100 500 2000"], QUICK [0]: QUICK=1 shrinks every phase to seconds and
# runs on the CPU (eager only) to check this script on a machine without a GPU (build it yourself
# first, with BUILD_DIR pointing at that build).
# SVG plots need gnuplot; without it the .dat files are kept for plotting elsewhere:
#   gnuplot -e "dat='X.dat'; svg='X.svg'" bench/plot_latency.gnuplot
# shellcheck disable=SC2054  # commas inside arguments (lists for hearth's options) are meant
set -euo pipefail
cd "$(dirname "$0")/.."

OUT=${OUT:-./bench-out}
BUILD_DIR=${BUILD_DIR:-build-gpu}
DEVICE=${DEVICE:-cuda:0}
QUICK=${QUICK:-0}
LATENCY_BATCHES=${LATENCY_BATCHES:-$([ "$QUICK" = 1 ] && echo 8 || echo 128)}
THROUGHPUT_BOARD=${THROUGHPUT_BOARD:-20}
mkdir -p "$OUT"
HEARTH="$BUILD_DIR/engine/hearth"
MODELS="$BUILD_DIR/bench-models"

log() { echo "run_gpu: $*" >&2; }
die() { log "$*"; exit 1; }

gpu_env() {
  # setup.sh puts LibTorch's and Boost's libraries on LD_LIBRARY_PATH: needed to run, not only to build.
  # QUICK runs use the machine's own (CPU) build: no GPU setup there.
  if [ "$QUICK" != 1 ] && [ -f .gpu/setup.sh ] && [ -z "${GPU_ENV_DONE:-}" ]; then
    set +u  # setup.sh reads variables that may be unset
    # shellcheck disable=SC1091
    source .gpu/setup.sh
    set -u
    GPU_ENV_DONE=1
  fi
}

machine_info() {
  {
    echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "host: $(hostname)"
    echo "cpus: $(nproc)"
    # Read-only queries: never change clocks, power limits or persistence mode.
    if command -v nvidia-smi >/dev/null 2>&1; then
      nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.max.sm,pstate,persistence_mode \
        --format=csv 2>&1 || true
    else
      echo "nvidia-smi: not found"
    fi
  } > "$OUT/machine-$1.txt"
}

need_build() { [ -x "$HEARTH" ] || die "$HEARTH is missing: run the build phase first (bench/run_gpu.sh build $1)"; }

models() {
  mkdir -p "$MODELS"
  for size in 20 15; do
    [ -f "$MODELS/ref$size.pt" ] || "$BUILD_DIR/plugins/torch/hearth_make_reference_net" --size "$size" \
      --out "$MODELS/ref$size.pt"
  done
}

plot() {  # plot NAME: $OUT/NAME.dat -> $OUT/NAME.svg when gnuplot is here
  if command -v gnuplot >/dev/null 2>&1; then
    if gnuplot -e "dat='$OUT/$1.dat'; svg='$OUT/$1.svg'" bench/plot_latency.gnuplot; then
      log "wrote $OUT/$1.svg"
    else
      log "gnuplot failed on $OUT/$1.dat (the results are kept)"
    fi
  else
    log "no gnuplot here: plot $OUT/$1.dat elsewhere with bench/plot_latency.gnuplot"
  fi
}

phase_build() {
  gpu_env
  cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release
  cmake --build "$BUILD_DIR"
}

phase_test() {
  gpu_env
  need_build test
  ctest --test-dir "$BUILD_DIR" --output-on-failure -j "$(nproc)" 2>&1 | tee "$OUT/test.log"
}

# latency NAME ARGS...: one `hearth latency` run with its outputs named after NAME.
latency() {
  local name=$1
  shift
  local device=$DEVICE extra=()
  if [ "$QUICK" = 1 ]; then
    device=cpu
    extra=(--latency.samples 2 --latency.continuous_samples 3 --latency.warmup 2 --latency.hot_window_s 0.3
           --latency.stop_observe_s 0.2)
  fi
  "$HEARTH" latency --latency.model "$MODELS/ref20.pt" --latency.device "$device" \
    --latency.batches "$LATENCY_BATCHES" --latency.json "$OUT/$name.json" --latency.markdown "$OUT/$name.md" \
    --latency.dat "$OUT/$name.dat" "$@" "${extra[@]}" 2> "$OUT/$name.log" \
    || { tail -n 20 "$OUT/$name.log" >&2; die "hearth latency ($name) failed; log: $OUT/$name.log"; }
  plot "$name"
}

phase_latency_short() {
  gpu_env
  need_build latency-short
  machine_info latency-short
  models
  if [ "$QUICK" = 1 ]; then
    latency latency-short-a --latency.modes eager-fp32 --latency.warm off,kernel@1000,forward@1000 \
      --latency.gaps 0,0.01,0.05
    return
  fi
  # (a) the period sweep on the production mode; (b) the other modes at one period.
  latency latency-short-a --latency.modes graph-fp16 --latency.warm off,kernel,forward \
    --latency.periods 500,1000,2000,5000,20000 --latency.gaps 0,0.01,0.05,0.2,1
  latency latency-short-b --latency.modes graph-fp32,eager-fp32 --latency.warm off,kernel@1000,forward@1000 \
    --latency.gaps 0,0.01,0.05,0.2,1
}

phase_latency_long() {
  gpu_env
  need_build latency-long
  machine_info latency-long
  models
  if [ "$QUICK" = 1 ]; then
    latency latency-long --latency.modes eager-fp32 --latency.warm off,forward@2000 --latency.gaps 0 \
      --latency.long_gaps 0.5 --latency.long_configs eager-fp32:forward@2000
    return
  fi
  # Gap 1 s for every configuration, the long gaps for the three named ones (here: all of them;
  # list fewer in LONG_CONFIGS to shorten the run). 3 samples per long gap: ~4 minutes.
  latency latency-long --latency.modes graph-fp16 --latency.warm "${LONG_WARM:-off,kernel@2000,forward@2000}" \
    --latency.gaps 0,1 --latency.samples ${LONG_SAMPLES:-3} --latency.long_gaps 5,20 \
    --latency.long_configs "${LONG_CONFIGS:-graph-fp16:off,graph-fp16:kernel@2000,graph-fp16:forward@2000}"
}

phase_human() {
  gpu_env
  need_build human
  machine_info human
  models
  local args=(--plugin torch --plugin.model "$MODELS/ref20.pt" --board-size 20 --threads 4 --leaves-per-batch 16
              --playouts 800 --human_paced.think_s 1,2,3 --human_paced.moves ${HUMAN_MOVES:-30} --human_paced.moves_per_game 10)
  if [ "$QUICK" = 1 ]; then
    args=(--plugin torch --plugin.model "$MODELS/ref20.pt" --board-size 20 --threads 2 --playouts 64
          --human_paced.think_s 0.05 --human_paced.moves 3 --human_paced.moves_per_game 3)
  else
    args+=(--plugin.device "$DEVICE" --plugin.mode graph --plugin.dtype fp16 ${HUMAN_EXTRA:-})
  fi
  "$HEARTH" human-paced "${args[@]}" --human_paced.json "$OUT/human-paced.json" \
    --human_paced.markdown "$OUT/human-paced.md" 2> "$OUT/human-paced.log" \
    || { tail -n 20 "$OUT/human-paced.log" >&2; die "hearth human-paced failed; log: $OUT/human-paced.log"; }
}

# The "total" object's field $2 from the one-line JSON of `hearth bench` in file $1.
total_field() { awk -v key="\"$2\":" '{ if (match($0, /"total":\{[^}]*\}/)) { t = substr($0, RSTART, RLENGTH);
  i = index(t, key); if (i) { v = substr(t, i + length(key)); sub(/[,}].*/, "", v); print v } } }' "$1"; }

phase_throughput() {
  gpu_env
  need_build throughput
  machine_info throughput
  models
  local dir="$OUT/throughput" jsonl="$OUT/throughput.jsonl" md="$OUT/throughput.md"
  local threads_list=${THROUGHPUT_THREADS:-"1 2 4 8 16"} batches=${THROUGHPUT_BATCHES:-"8 32 128 256"}
  local deadlines=${THROUGHPUT_DEADLINES:-"100 500 2000"} plugin_args
  local positions=4 visits=3000 board=$THROUGHPUT_BOARD desc="torch graph fp16 on $DEVICE, buckets 1,8,32,64,128,256"
  plugin_args=(--plugin torch --plugin.model "$MODELS/ref$board.pt" --plugin.device "$DEVICE" --plugin.mode graph
               --plugin.dtype fp16 --plugin.buckets 1,8,32,64,128,256)
  if [ "$QUICK" = 1 ]; then
    threads_list="1 2" batches="8 32" deadlines="100" positions=1 visits=100 desc="torch eager fp32 on cpu (QUICK)"
    plugin_args=(--plugin torch --plugin.model "$MODELS/ref$board.pt" --plugin.buckets 1,8,32)
  fi
  mkdir -p "$dir"
  : > "$jsonl"
  {
    echo "# Hearth throughput: \`hearth bench\`, ${board}x$board, $desc"
    echo
    echo "$positions positions x $visits visits each; leaves per batch = max(8, max batch / threads) so that a batch can fill."
    echo
    echo "| threads | max batch | deadline us | leaves/batch | playouts/s | evals/s | avg batch |"
    echo "|---:|---:|---:|---:|---:|---:|---:|"
  } > "$md"
  for deadline in $deadlines; do
    for threads in $threads_list; do
      for batch in $batches; do
        local leaves=$(( batch / threads )) name="t${threads}-b${batch}-d${deadline}"
        [ "$leaves" -ge 8 ] || leaves=8
        "$HEARTH" bench "${plugin_args[@]}" --board-size "$board" --threads "$threads" --max-batch "$batch" \
          --evaluator.batch_deadline_us "$deadline" --leaves-per-batch "$leaves" --positions "$positions" \
          --visits "$visits" --json "$dir/$name.json" > "$dir/$name.txt" 2> "$dir/$name.log" \
          || { log "bench $name failed (see $dir/$name.log)"; continue; }
        # One line per run: the settings `hearth bench` does not record, then its own JSON.
        printf '{"threads":%s,"max_batch":%s,"deadline_us":%s,"leaves_per_batch":%s,"bench":%s}\n' \
          "$threads" "$batch" "$deadline" "$leaves" "$(tr -d '\n' < "$dir/$name.json")" >> "$jsonl"
        printf '| %s | %s | %s | %s | %s | %s | %s |\n' "$threads" "$batch" "$deadline" "$leaves" \
          "$(total_field "$dir/$name.json" visits_per_second)" "$(total_field "$dir/$name.json" evaluations_per_second)" \
          "$(total_field "$dir/$name.json" average_batch)" >> "$md"
        log "throughput $name done"
      done
    done
  done
  log "wrote $jsonl and $md"
}

[ $# -gt 0 ] || { sed -n '2,30p' "$0"; exit 2; }
phases=("$@")
[ "${phases[*]}" = all ] && phases=(build test latency-short latency-long human throughput)
for p in "${phases[@]}"; do
  case "$p" in
    build | test | latency-short | latency-long | human | throughput) ;;
    *) die "unknown phase '$p' (build, test, latency-short, latency-long, human, throughput, all)" ;;
  esac
done
for p in "${phases[@]}"; do
  start=$(date +%s)
  log "phase $p: start"
  "phase_${p//-/_}"
  log "phase $p: done in $(( $(date +%s) - start )) s"
done
