#!/usr/bin/env bash
# Installs what is missing (Debian 12, as root), then configures and builds Hearth into build/.
# Usage: ./build.sh [extra cmake -D options]
#
# What it installs, and why:
#   cmake ninja-build g++                      the build
#   libboost-dev libboost-program-options-dev  the command line, Asio (the torch plugin's timer)
#   libspdlog-dev doctest-dev                  logging; the tests
#   libtorch-dev                               the torch plugin (TorchScript networks): most of
#                                              the download (~300 MB with its dependencies)
#   slurm-wlm munge procps                     the one-node Slurm cluster of the tests (tests/slurm)
# apt's progress is shown (a line per 10 %, or one live line on a terminal); apt's and dpkg's
# other messages go to a log file, shown only if the install fails.
set -euo pipefail
cd "$(dirname "$0")"
packages="cmake ninja-build g++ libtorch-dev libboost-dev libboost-program-options-dev libspdlog-dev doctest-dev slurm-wlm munge procps"

say() { echo "build.sh: $*" >&2; }

# Reads apt's status lines (APT::Status-Fd) and shows the download and install progress.
show_progress() {
  local line what percent message step shown_dl=-1 shown_pm=-1 grain=10 live=0
  [ -t 2 ] && live=1 && grain=1
  while IFS= read -r line; do
    # dlstatus:ITEM:PERCENT:MESSAGE, pmstatus:PACKAGE[:ARCH]:PERCENT:MESSAGE, pmerror:...
    if [[ $line =~ ^(dl|pm)status:[^:]+(:[A-Za-z0-9_-]+)?:([0-9]+)(\.[0-9]+)?:(.*)$ ]]; then
      percent=${BASH_REMATCH[3]}
      message=${BASH_REMATCH[5]}
      step=$((percent / grain * grain))
      if [ "${BASH_REMATCH[1]}" = dl ]; then
        what="downloading"
        ((step > shown_dl)) || continue
        shown_dl=$step
      else
        what="installing "
        ((step > shown_pm)) || continue
        shown_pm=$step
      fi
      if ((live)); then
        printf '\rbuild.sh: %s %3d%%  %-60.60s' "$what" "$step" "$message" >&2
      else
        printf 'build.sh: %s %3d%%  %s\n' "$what" "$step" "$message" >&2
      fi
    elif [[ $line == *error:* ]]; then
      ((live)) && echo >&2
      say "apt: ${line#*error:}"
    fi
  done
  if ((live)); then echo >&2; fi
}

missing=""
for p in $packages; do dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"; done
if [ -n "$missing" ]; then
  export DEBIAN_FRONTEND=noninteractive
  say "installing the packages missing for the build and the tests:$missing"
  say "  (libtorch-dev is the torch plugin's LibTorch, most of the download; slurm-wlm and munge"
  say "   run the Slurm test's one-node cluster; see the top of build.sh for the rest)"
  say "updating the package lists"
  apt-get update -qq
  # apt's own estimate, before anything is fetched.
  { apt-get install --no-install-recommends --assume-no $missing 2>/dev/null || true; } \
    | grep -E '^([0-9]+ upgraded|Need to get|After this operation)' | sed 's/^/build.sh:   /' >&2 || true
  log=$(mktemp /tmp/hearth-build-apt.XXXXXX.log)
  say "downloading and installing (apt's and dpkg's messages: $log)"
  # Status lines on fd 3 feed the progress; everything else goes to the log.
  if ! apt-get install -y --no-install-recommends -o APT::Status-Fd=3 $missing 3>&1 >"$log" 2>&1 | show_progress; then
    say "apt-get install failed; the end of $log:"
    tail -n 30 "$log" >&2
    exit 1
  fi
  say "installed$missing"
fi
say "configuring and building into build/ (a few minutes on 2 cores)"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release "$@" >&2
cmake --build build >&2
