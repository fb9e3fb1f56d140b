#!/usr/bin/env bash
# slurm_array.sh - docs/cluster.md's Slurm array sweep, run for real: a one-node Slurm
# (munged, slurmctld, slurmd from Debian's slurm-wlm, on localhost, started and stopped
# here) and a PostgreSQL server on loopback; a 4-task array job (the same script shape as
# the docs: #SBATCH --array, srun tracecast sweep, the shard taken from
# SLURM_ARRAY_TASK_ID/COUNT) sweeps 12 configurations of the bundled sample into the
# database. Every task must finish, every point must be stored exactly once (and the step
# times must differ across the grid), and submitting the array again must add nothing.
# Exit 77 (meson: SKIP) with the reason when Slurm or PostgreSQL cannot start here.
set -uo pipefail

skip() { echo "SKIP: $*"; cleanup; exit 77; }
fail() { echo "FAIL: $*"; for f in "$T"/*.log "$T"/logs/*; do [ -f "$f" ] && { echo "--- $f"; tail -15 "$f"; }; done; cleanup; exit 1; }

T=$(mktemp -d /tmp/tc-slurm-XXXXXX)
chmod 755 "$T"
PG_AS=
PG_BIN=
cleanup() {
	[ -n "${SLURM_CONF:-}" ] && scancel --quiet --full -u root >/dev/null 2>&1
	for p in slurmd slurmctld munged; do
		[ -f "$T/$p.pid" ] && kill "$(cat "$T/$p.pid")" >/dev/null 2>&1
	done
	[ -n "$PG_BIN" ] && [ -d "$T/pg/data" ] &&
		$PG_AS "$PG_BIN/pg_ctl" -D "$T/pg/data" -m immediate stop >/dev/null 2>&1
	sleep 0.5
	rm -rf "$T"
}
trap 'cleanup; exit 1' INT TERM

TRACECAST=${TRACECAST:?set by meson}
SRC=${TC_SRCDIR:?set by meson}
[ "$(id -u)" -eq 0 ] || skip "a one-node Slurm needs root here (slurmd launches the jobs)"
for b in munged slurmctld slurmd sbatch sinfo scancel; do
	command -v "$b" >/dev/null 2>&1 || skip "$b not found (Debian: slurm-wlm, munge)"
done

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# ---- munge: a private key and socket ----------------------------------------------------------
mkdir -p "$T/munge" && chmod 700 "$T/munge"
dd if=/dev/urandom of="$T/munge/munge.key" bs=1024 count=1 status=none
chmod 400 "$T/munge/munge.key"
munged --force --key-file="$T/munge/munge.key" --socket="$T/munge/munge.sock" \
	--pid-file="$T/munged.pid" --log-file="$T/munged.log" --seed-file="$T/munge/seed" \
	>/dev/null 2>&1 || skip "munged does not start: $(tail -1 "$T/munged.log" 2>/dev/null)"

# ---- slurm.conf: one node, this machine's CPUs ------------------------------------------------
CPUS=$(nproc)
mkdir -p "$T/state" "$T/spool" "$T/logs"
export SLURM_CONF="$T/slurm.conf"
cat > "$SLURM_CONF" <<CONF
ClusterName=tctest
SlurmctldHost=localhost
SlurmUser=root
SlurmdUser=root
SlurmctldPort=$(free_port)
SlurmdPort=$(free_port)
AuthType=auth/munge
AuthInfo=socket=$T/munge/munge.sock
CredType=cred/munge
StateSaveLocation=$T/state
SlurmdSpoolDir=$T/spool
SlurmctldPidFile=$T/slurmctld.pid
SlurmdPidFile=$T/slurmd.pid
SlurmctldLogFile=$T/slurmctld.log
SlurmdLogFile=$T/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
SwitchType=switch/none
SchedulerType=sched/builtin
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
ReturnToService=2
JobCompType=jobcomp/none
AccountingStorageType=accounting_storage/none
NodeName=localhost CPUs=$CPUS RealMemory=1000 State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=10 State=UP
CONF
slurmctld -f "$SLURM_CONF" >/dev/null 2>&1 || skip "slurmctld does not start: $(tail -1 "$T/slurmctld.log" 2>/dev/null)"
slurmd -f "$SLURM_CONF" -N localhost >/dev/null 2>&1 || skip "slurmd does not start: $(tail -1 "$T/slurmd.log" 2>/dev/null)"
for _ in $(seq 60); do
	state=$(sinfo -h -o %T 2>/dev/null | head -1)
	[ "$state" = idle ] && break
	sleep 0.5
done
[ "${state:-}" = idle ] || skip "the Slurm node did not come up (state '${state:-none}'): $(tail -1 "$T/slurmd.log" 2>/dev/null)"

# ---- PostgreSQL on loopback ---------------------------------------------------------------------
PG_BIN=$(pg_config --bindir 2>/dev/null)
[ -x "$PG_BIN/initdb" ] || PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | tail -1)
[ -x "$PG_BIN/initdb" ] || skip "initdb not found (Debian: postgresql)"
id postgres >/dev/null 2>&1 || skip "no postgres user to run the server as"
mkdir -p "$T/pg" && chown postgres "$T/pg"
PG_AS="runuser -u postgres --"
$PG_AS "$PG_BIN/initdb" -D "$T/pg/data" -A trust -U postgres -E UTF8 --no-sync >"$T/initdb.log" 2>&1 ||
	skip "initdb failed: $(tail -1 "$T/initdb.log")"
PORT=$(free_port)
$PG_AS "$PG_BIN/pg_ctl" -D "$T/pg/data" -l "$T/pg/server.log" -w -t 60 \
	-o "-p $PORT -k $T/pg -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null 2>&1 ||
	skip "PostgreSQL does not start: $(tail -1 "$T/pg/server.log" 2>/dev/null)"
DB="postgresql://postgres@127.0.0.1:$PORT/postgres"
psql_n() { psql -X -A -t -h 127.0.0.1 -p "$PORT" -U postgres -d postgres -c "$1"; }

# ---- the array job, as docs/cluster.md writes it -------------------------------------------
"$TRACECAST" -q ingest "$SRC/traces/sample/train_a100_rank0.json.gz" \
	"$SRC/traces/sample/train_a100_rank1.json.gz" -o "$T/sample.tcs" || fail "ingest"
cat > "$T/sweep.sbatch" <<JOB
#!/bin/bash
#SBATCH --job-name=tracecast-sweep
#SBATCH --array=0-3
#SBATCH --cpus-per-task=1
#SBATCH --time=00:05:00
#SBATCH --output=$T/logs/sweep-%A_%a.out
set -euo pipefail
# the shard is taken from SLURM_ARRAY_TASK_ID / SLURM_ARRAY_TASK_COUNT
srun "$TRACECAST" -q sweep --traces "$T/sample.tcs" --base h100 \\
	--grid memory.hbm.bw_gbs=2000:8000:4 --grid compute.matrix.peak_tflops.bf16=500:2500:3 \\
	--db "$DB" --jobs 1
echo "task \$SLURM_ARRAY_TASK_ID of \$SLURM_ARRAY_TASK_COUNT done"
JOB
submit() {
	timeout 300 sbatch --wait --chdir="$T" "$T/sweep.sbatch" >"$T/sbatch.log" 2>&1 ||
		fail "the array job failed: $(tail -3 "$T/sbatch.log")"
}
submit
done_tasks=$(cat "$T"/logs/sweep-*.out 2>/dev/null | grep -c "done$")
[ "$done_tasks" -eq 4 ] || fail "$done_tasks of 4 array tasks finished"
n=$(psql_n "SELECT count(*) FROM results")
distinct=$(psql_n "SELECT count(DISTINCT (trace_hash, config_hash)) FROM results")
steps=$(psql_n "SELECT count(DISTINCT step_ns) FROM results")
[ "$n" = 12 ] || fail "12 points expected in results, found $n"
[ "$distinct" = 12 ] || fail "a point stored twice: $distinct distinct of $n"
[ "$steps" -gt 1 ] || fail "every point has the same step time ($steps distinct)"
# resubmitting the whole array finds every point stored: nothing is added
submit
n2=$(psql_n "SELECT count(*) FROM results")
[ "$n2" = 12 ] || fail "re-submitted array changed the results: $n2 rows"
echo "slurm array: 4 tasks stored 12 points once each ($steps distinct step times); re-submitted: still $n2"
cleanup
exit 0
