#!/usr/bin/env bash
# CTest (slurm_tournament_skips_without_cgroups): on a machine without a cgroup filesystem at
# /sys/fs/cgroup (a chroot, some containers) slurmd cannot start, so the Slurm test must report
# itself skipped (exit 77, the reason on stderr) instead of failing. An empty mount table
# (HEARTH_CGROUP_MOUNTINFO) stands in for such a machine; nothing is started.
# Usage: test_skip_without_cgroups.sh WORK_DIR
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=$(HEARTH_CGROUP_MOUNTINFO=/dev/null "$here/test_slurm_tournament.sh" /bin/false "$1" 2>&1)
status=$?
echo "$out"
[ "$status" -eq 77 ] || { echo "FAIL: exit $status, not 77 (skipped)"; exit 1; }
grep -q "SKIPPED" <<<"$out" || { echo "FAIL: the skip does not say so"; exit 1; }
if [ "$(id -u)" -eq 0 ]; then
  grep -q "no cgroup filesystem" <<<"$out" || { echo "FAIL: the reason (no cgroups) is not given"; exit 1; }
fi
echo "PASS: skipped with the reason"
