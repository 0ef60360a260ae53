#!/usr/bin/env bash
# Installs what is missing (Debian 12, as root), then configures and builds Hearth into build/.
# Usage: ./build.sh [extra cmake -D options]
set -euo pipefail
cd "$(dirname "$0")"
# slurm-wlm, munge and procps: the one-node Slurm cluster of the tests (tests/slurm).
packages="cmake ninja-build g++ libtorch-dev libboost-dev libboost-program-options-dev libspdlog-dev doctest-dev slurm-wlm munge procps"
missing=""
for p in $packages; do dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"; done
if [ -n "$missing" ]; then
  echo "build.sh: installing$missing" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends $missing >&2
fi
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release "$@" >&2
cmake --build build >&2
