#!/usr/bin/env bash
# Starts, stops and inspects a throwaway one-node Slurm cluster whose files all live in DIR,
# so Hearth's tests can exercise real sbatch/array/dependency behaviour on one machine.
#   cluster.sh start DIR   -> prints exactly "SLURM_CONF=DIR/slurm.conf" on stdout
#   cluster.sh stop DIR    -> stops only what `start` started (idempotent)
#   cluster.sh status DIR  -> lists daemons; exit 0 if all run, 1 otherwise
# Diagnostics go to stderr. Exit 77 when the cluster cannot run here (callers skip): not root, or
# no cgroup filesystem at /sys/fs/cgroup (a chroot, some containers), which slurmd needs.
set -euo pipefail

readonly MUNGE_SOCKET=/run/munge/munge.socket.2
readonly MUNGE_PIDFILE=/run/munge/munged.pid # munged runs as user munge: it cannot write in DIR
readonly MUNGE_LOG=/var/log/munge/munged.log

log() { printf 'cluster.sh: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }
now() { printf "%s" "${EPOCHREALTIME//[.,]/}"; } # microseconds
elapsed() { local us=$(($(now) - $1)); printf "%d.%02d s" $((us / 1000000)) $((us % 1000000 / 10000)); }

# Poll COMMAND every 0.1 s until it succeeds (0) or SECONDS of wall time pass (1). Wall time, not
# an iteration count: on a loaded machine each poll itself can take a good fraction of a second.
wait_for() {
  local end=$(($(now) + $1 * 1000000)); shift
  until "$@"; do (($(now) < end)) || return 1; sleep 0.1; done
}

# True if PID is a live (non-zombie) process whose comm is NAME. Checking comm means a pid
# recycled by an unrelated program is never signalled.
pid_is() {
  local pid=$1 name=$2 stat comm
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  { read -r stat <"/proc/$pid/stat" && read -r comm <"/proc/$pid/comm"; } 2>/dev/null || return 1
  [[ $comm == "$name" && ${stat##*) } != Z* ]]
}
pidfile_is() { [[ -s $1 ]] && pid_is "$(<"$1")" "$2"; }
pid_is_not() { ! pid_is "$@"; }

# SIGTERM, wait up to 15 s, then SIGKILL. Quietly succeeds if the pid is already gone.
stop_pid() {
  local pid=$1 name=$2
  pid_is "$pid" "$name" || return 0
  log "stopping $name (pid $pid)"
  kill -TERM "$pid" 2>/dev/null || true
  if wait_for 15 pid_is_not "$pid" "$name"; then return 0; fi
  log "$name (pid $pid) ignored SIGTERM for 15 s; sending SIGKILL"
  kill -KILL "$pid" 2>/dev/null || true
}
stop_pidfile() { if [[ -s $1 ]]; then stop_pid "$(<"$1")" "$2"; fi; rm -f "$1"; }

# Every slurmstepd of this cluster carries SLURM_CONF=DIR/slurm.conf from our slurmd (it is
# re-parented to init, so its environment is the only reliable link back to DIR).
our_stepds() {
  local pid
  for pid in $(pgrep -x slurmstepd || true); do
    pid_is "$pid" slurmstepd || continue
    { tr '\0' '\n' <"/proc/$pid/environ"; } 2>/dev/null | grep -qxF "SLURM_CONF=$CONF" && echo "$pid"
  done
  return 0
}
descendants() { # pids below $1, deepest first, so a killed parent cannot respawn anything
  local child
  for child in $(pgrep -P "$1" || true); do descendants "$child"; echo "$child"; done
}
no_stepds_left() { [[ -z $(our_stepds) ]]; }
# Last resort for steps that outlived scancel (or had no slurmctld to cancel them): SIGKILL each
# with its job processes.
kill_our_stepds() {
  local pid tree
  for pid in $(our_stepds); do
    log "killing leftover slurmstepd $pid and its children"
    mapfile -t tree < <(descendants "$pid")
    kill -KILL "${tree[@]}" "$pid" 2>/dev/null || true
  done
}

# slurmd sets up its cgroup plugin even with proctrack/linuxproc and task/none, and fails to start
# without a cgroup (v1 or v2) filesystem mounted at /sys/fs/cgroup. HEARTH_CGROUP_MOUNTINFO names
# another mount table (tests use an empty one).
cgroups_mounted() {
  awk '$5 ~ "^/sys/fs/cgroup(/|$)" { for (i = 7; i < NF; i++) if ($i == "-") { if ($(i + 1) ~ /^cgroup2?$/) found = 1; break } }
       END { exit !found }' "${HEARTH_CGROUP_MOUNTINFO:-/proc/self/mountinfo}" 2>/dev/null
}

munge_answers() { munge -n -S "$MUNGE_SOCKET" 2>/dev/null | unmunge -S "$MUNGE_SOCKET" >/dev/null 2>&1; }

# Reuse a munged that already answers (and never stop it); otherwise start our own and record it.
ensure_munge() {
  if munge_answers; then log "reusing the munged already answering on $MUNGE_SOCKET"; return; fi
  if [[ ! -s /etc/munge/munge.key ]]; then
    log "creating /etc/munge/munge.key"
    install -d -o munge -g munge -m 0700 /etc/munge
    mungekey --create --keyfile=/etc/munge/munge.key >&2
  fi
  chown munge:munge /etc/munge/munge.key && chmod 0600 /etc/munge/munge.key
  install -d -o munge -g munge -m 0755 /run/munge
  echo "$MUNGE_PIDFILE" >"$DIR/run/munged.started" # recorded first, so a failure below cleans up
  runuser -u munge -- munged --pid-file="$MUNGE_PIDFILE" </dev/null >&2 3>&- \
    || { tail -n 5 "$MUNGE_LOG" >&2 || true; die "munged failed to start; see $MUNGE_LOG"; }
  wait_for 10 munge_answers && { log "started munged"; return; }
  tail -n 5 "$MUNGE_LOG" >&2 || true
  die "munged started but does not answer on $MUNGE_SOCKET; see $MUNGE_LOG"
}

port_free() {
  if command -v ss >/dev/null; then [[ -z $(ss -Htln "sport = :$1") ]]; return; fi
  # Without ss: the port is taken if something accepts a connection on it.
  if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 1; fi
}
# slurmctld listens on PORT, slurmd on PORT+1; both must be free so a Slurm already on the
# machine (or another test cluster) is never disturbed.
pick_port() {
  local port=${HEARTH_SLURM_PORT:-16817} tries
  for ((tries = 0; tries < 200; tries++, port += 2)); do
    if port_free "$port" && port_free $((port + 1)); then echo "$port"; return; fi
  done
  die "no two free consecutive TCP ports from ${HEARTH_SLURM_PORT:-16817} upwards"
}

# Optional: HEARTH_SLURM_GPUS=N declares GPUs /dev/nvidia0..N-1 as generic resources (gres.conf
# beside slurm.conf), so jobs can ask --gres gpu:K and Slurm sets their CUDA_VISIBLE_DEVICES.
# HEARTH_SLURM_PLUGIN_DIR: Slurm's plugins when they are not where the package puts them (e.g.
# unpacked with dpkg -x on a machine without the package).
write_conf() {
  local port=$1 host mem gpus=${HEARTH_SLURM_GPUS:-0} gres=""
  host=$(hostname -s)
  rm -f "$DIR/gres.conf"
  # slurmd sets up its cgroup plugin even with proctrack/linuxproc; on a cgroup-v2-only machine
  # without systemd it must make its directories itself instead of asking systemd over dbus.
  echo "IgnoreSystemd=yes" >"$DIR/cgroup.conf"
  if ((gpus > 0)); then
    gres="Gres=gpu:$gpus"
    echo "Name=gpu File=/dev/nvidia[0-$((gpus - 1))]" >"$DIR/gres.conf"
  fi
  mem=$(free -m | awk '/^Mem:/ { print int($2 * 0.95) }') # slurmd drains a node claiming too much
  cat >"$CONF" <<EOF
# Written by tests/slurm/cluster.sh; every path lives under $DIR.
ClusterName=hearth
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$port
SlurmdPort=$((port + 1))
SlurmUser=root
SlurmdUser=root
StateSaveLocation=$DIR/spool/ctld
SlurmdSpoolDir=$DIR/spool/d
SlurmctldPidFile=$DIR/run/slurmctld.pid
SlurmdPidFile=$DIR/run/slurmd.pid
SlurmctldLogFile=$DIR/log/slurmctld.log
SlurmdLogFile=$DIR/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/filetxt
JobCompLoc=$DIR/jobcomp.txt
# Short gaps between array waves; cancel kills quickly.
SchedulerParameters=batch_sched_delay=0
KillWait=5
# sbatch --wait polls at 2 s and multiplies its interval by 4 while it is < MinJobAge/2: with 30
# it polls at 2, 10, 42 s..., with 4 steadily every 2 s. squeue forgets finished jobs sooner,
# but jobcomp.txt keeps every record and afterany on an already purged job is accepted.
MinJobAge=4
# A restart in the same DIR must bring the node back rather than leave it DOWN.
ReturnToService=2
MpiDefault=none
MailProg=/bin/true
${gres:+GresTypes=gpu}
${HEARTH_SLURM_PLUGIN_DIR:+PluginDir=$HEARTH_SLURM_PLUGIN_DIR}
NodeName=$host NodeAddr=127.0.0.1 NodeHostname=$host CPUs=$(nproc) RealMemory=$mem $gres State=UNKNOWN
PartitionName=hearth Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF
}

# Launch a daemonizing Slurm daemon. fd 3 (the caller's stdout) is closed so `$(cluster.sh start)`
# never waits on a daemon holding the pipe; early errors (before its log opens) go to its log.
launch() {
  local name=$1; shift
  SLURM_CONF=$CONF "$@" </dev/null >>"$DIR/log/$name.log" 2>&1 3>&- \
    || daemon_failed "$name" "exited with status $?"
  # The parent returns before the daemonized child writes its pid file: wait for that file.
  wait_for 10 pidfile_is "$DIR/run/$name.pid" "$name" \
    || daemon_failed "$name" "did not start (no live pid in $DIR/run/$name.pid after 10 s)"
}
daemon_failed() {
  log "error: $1 $2; last lines of $DIR/log/$1.log:"
  tail -n 15 "$DIR/log/$1.log" >&2 || true
  exit 1
}

# One poll of start-up: a daemon that died fails the start at once, pointing at its log.
node_idle() {
  pidfile_is "$DIR/run/slurmctld.pid" slurmctld || daemon_failed slurmctld "is not running"
  pidfile_is "$DIR/run/slurmd.pid" slurmd || daemon_failed slurmd "is not running"
  NODE_STATE=$(SLURM_CONF=$CONF sinfo -h -o %t 2>/dev/null || true)
  [[ $NODE_STATE == idle ]]
}

on_start_exit() { (($? == 0)) || { log "start failed; stopping what it started"; stop_cluster; }; }

start_cluster() {
  exec 3>&1 1>&2 # stdout carries only the final SLURM_CONF line
  local t0 port
  t0=$(now)
  if pidfile_is "$DIR/run/slurmctld.pid" slurmctld || pidfile_is "$DIR/run/slurmd.pid" slurmd; then
    die "a cluster is already running in $DIR; run '$0 stop $DIR' first"
  fi
  mkdir -p "$DIR"/spool/{ctld,d} "$DIR/log" "$DIR/run"
  trap on_start_exit EXIT
  ensure_munge
  port=$(pick_port)
  write_conf "$port"
  launch slurmctld slurmctld -f "$CONF"
  launch slurmd slurmd -f "$CONF" -N "$(hostname -s)"
  wait_for 30 node_idle \
    || daemon_failed slurmd "node not idle within 30 s (sinfo says '${NODE_STATE:-nothing}')"
  log "cluster up in $(elapsed "$t0") (slurmctld port $port, slurmd port $((port + 1)))"
  trap - EXIT
  echo "SLURM_CONF=$CONF" >&3
}

stop_cluster() {
  [[ -d $DIR/run ]] || return 0
  if pidfile_is "$DIR/run/slurmctld.pid" slurmctld; then
    # Cancel everything so slurmstepd kills job processes itself, then wait for the steps to end.
    SLURM_CONF=$CONF scancel --full --partition=hearth >/dev/null 2>&1 || true
    wait_for 15 no_stepds_left || true
  fi
  kill_our_stepds # before slurmd, which waits for live steps when told to stop
  stop_pidfile "$DIR/run/slurmd.pid" slurmd
  stop_pidfile "$DIR/run/slurmctld.pid" slurmctld
  if [[ -s $DIR/run/munged.started ]]; then
    stop_pidfile "$(<"$DIR/run/munged.started")" munged
    rm -f "$DIR/run/munged.started"
  fi
}

status_cluster() {
  local ok=0 name
  for name in slurmctld slurmd; do
    if pidfile_is "$DIR/run/$name.pid" "$name"; then echo "$name: running (pid $(<"$DIR/run/$name.pid"))"
    else echo "$name: not running"; ok=1; fi
  done
  if munge_answers; then echo "munged: running$([[ -s $DIR/run/munged.started ]] && echo ' (started by this script)')"
  else echo "munged: not running"; ok=1; fi
  return "$ok"
}

usage() { echo "usage: $0 start|stop|status DIR" >&2; exit 2; }

main() {
  (($# == 2)) || usage
  DIR=$(realpath -m -- "$2")
  CONF=$DIR/slurm.conf
  if [[ $1 != status ]]; then
    ((EUID == 0)) || { log "must run as root (it starts munged and Slurm daemons)"; exit 77; }
    if [[ $1 == start ]] && ! cgroups_mounted; then
      log "no cgroup filesystem is mounted at /sys/fs/cgroup (a chroot or a container without it?): slurmd cannot start here"
      exit 77
    fi
    local cmd
    for cmd in slurmctld slurmd sinfo scancel munged munge unmunge mungekey runuser; do
      command -v "$cmd" >/dev/null || die "'$cmd' not found; apt-get install slurm-wlm munge"
    done
    for cmd in pgrep free; do
      command -v "$cmd" >/dev/null || die "'$cmd' not found; apt-get install procps"
    done
  fi
  case $1 in
    start) start_cluster ;;
    stop) stop_cluster ;;
    status) status_cluster ;;
    *) usage ;;
  esac
}

main "$@"
