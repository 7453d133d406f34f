#!/usr/bin/env bash
# A throw-away single-node Slurm (munged, slurmctld, slurmd from Debian's slurm-wlm and munge) with
# every file in one directory, for the `slurm` tests. Needs root (slurmd runs jobs as their user).
#   cluster.sh start DIR   -> writes DIR/slurm.conf, starts the daemons, waits for an idle node;
#                             clients then need SLURM_CONF=DIR/slurm.conf
#   cluster.sh stop DIR    -> scontrol shutdown, then munged by its pid
# Ports are chosen free at start, so tests on one machine do not collide.
set -euo pipefail

command=${1:?usage: cluster.sh start|stop DIR}
dir=${2:?usage: cluster.sh start|stop DIR}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

start() {
  mkdir -p "$dir/munge" "$dir/state" "$dir/spool" "$dir/log"
  chmod 755 "$dir" "$dir/munge"
  mungekey -c -k "$dir/munge/munge.key"
  chmod 400 "$dir/munge/munge.key"
  munged -F --force --socket="$dir/munge/socket" --key-file="$dir/munge/munge.key" \
    --pid-file="$dir/munge/munged.pid" --log-file="$dir/log/munged.log" \
    --seed-file="$dir/munge/seed" >/dev/null 2>&1 &
  for _ in $(seq 50); do [ -S "$dir/munge/socket" ] && break; sleep 0.1; done
  [ -S "$dir/munge/socket" ] || { echo "munged did not start: $dir/log/munged.log" >&2; exit 1; }

  local host node
  host=$(hostname -s)
  # `slurmd -C` prints this machine's node line (CPUs, sockets, memory); its first line only.
  node=$(slurmd -C | head -n 1)
  cat >"$dir/slurm.conf" <<CONF
ClusterName=lmmbenchtest
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$(free_port)
SlurmdPort=$(free_port)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$dir/munge/socket,cred_expire=10
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/filetxt
JobCompLoc=$dir/log/jobcomp.txt
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
JobRequeue=1
MinJobAge=600
KillWait=5
MpiDefault=none
$node NodeAddr=127.0.0.1 State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
  slurmctld -D -i -f "$dir/slurm.conf" >"$dir/log/slurmctld.stderr" 2>&1 &
  slurmd -D -f "$dir/slurm.conf" >"$dir/log/slurmd.stderr" 2>&1 &
  export SLURM_CONF="$dir/slurm.conf"
  for _ in $(seq 100); do
    if sinfo -h -o %t 2>/dev/null | grep -qx idle; then return 0; fi
    sleep 0.2
  done
  echo "the Slurm node did not become idle; logs in $dir/log" >&2
  sinfo >&2 || true
  exit 1
}

stop() {
  SLURM_CONF="$dir/slurm.conf" scontrol shutdown >/dev/null 2>&1 || true
  for f in slurmctld.pid slurmd.pid; do
    if [ -f "$dir/$f" ]; then
      pid=$(cat "$dir/$f")
      for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -9 "$pid" 2>/dev/null || true
    fi
  done
  if [ -f "$dir/munge/munged.pid" ]; then kill "$(cat "$dir/munge/munged.pid")" 2>/dev/null || true; fi
}

case "$command" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: cluster.sh start|stop DIR" >&2; exit 2 ;;
esac
