#!/bin/sh
# bench_sweep.sh - sweep throughput (points/s) of 1,000 configurations over the corpus trace
# HolisticTraceAnalysis/trace_diff_control_A100_rank3 (8,568 kernels, 9,450 GPU ops, 74,936
# ops), with --jobs 1 and 2, into SQLite and into PostgreSQL (a throwaway server started on
# loopback when initdb/pg_ctl are installed; as root it runs as the postgres user).
# Figures only; not a test. Usage: bench/bench_sweep.sh [BUILD_DIR]
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
B=${1:-$here/build}
TC=$B/cli/tracecast
CORPUS=${TRACECAST_CORPUS:-$here/../shared/corpus}
IN=$CORPUS/HolisticTraceAnalysis/trace_diff_control_A100_rank3.json.gz
[ -x "$TC" ] || { echo "build $TC first" >&2; exit 2; }
[ -f "$IN" ] || { echo "corpus trace $IN not found (set TRACECAST_CORPUS)" >&2; exit 2; }
TMP=$(mktemp -d "${TMPDIR:-/tmp}/tc_bench_sweep.XXXXXX")
PGBIN=
AS=
cleanup() {
	[ -n "$PGBIN" ] && $AS "$PGBIN/pg_ctl" -D "$TMP/pg/data" -m immediate stop >/dev/null 2>&1
	rm -rf "$TMP"
}
trap cleanup EXIT INT TERM

"$TC" ingest -q "$IN" -o "$TMP/hta.tcs"
# 10 x 10 x 10 = 1,000 configurations
GRID="--grid memory.hbm.bw_gbs=2000:8000:10 --grid compute.matrix.peak_tflops.bf16=500:2000:10
      --grid power.tdp_w=400:1000:10"

run() { # backend jobs db [extra sweep flags]
	# wall and CPU seconds: the machine may be shared, CPU time per point is the steadier figure
	# shellcheck disable=SC2086
	/usr/bin/time -f '%e %U %S' -o "$TMP/time" "$TC" -q sweep --traces "$TMP/hta.tcs" --base h100 \
		$GRID --db "$3" --jobs "$2" ${4:-} >"$TMP/out" || { cat "$TMP/out" >&2; exit 1; }
	read -r wall user sys <"$TMP/time"
	awk -v b="$1" -v j="$2" -v w="$wall" -v u="$user" -v s="$sys" -v out="$(cat "$TMP/out")" 'BEGIN {
		printf "%-14s --jobs %s  wall %7.2f s  %7.1f points/s   cpu %7.2f s  %6.2f ms/point   (%s)\n",
			b, j, w, 1000 / w, u + s, (u + s), out }'
}

echo "sweep of 1000 configurations x 1 trace (hta: 74936 ops, 9450 on GPU), $(nproc) cores"
# power.tdp_w changes no op's cost: the memo simulates 100 timelines and re-prices 900 points.
# --no-memo simulates all 1,000 (the figure for a grid whose every axis changes op times).
for j in 1 2; do
	rm -f "$TMP"/s.db*
	run sqlite "$j" "$TMP/s.db"
done
# the grid must move step times (a sweep whose steps do not vary measures nothing)
/usr/bin/python3 -c 'import sqlite3, sys
n, lo, hi = sqlite3.connect(sys.argv[1]).execute(
    "SELECT count(DISTINCT step_ns), min(step_ns), max(step_ns) FROM results").fetchone()
print(f"  {n} distinct step times, {lo / 1e6:.2f} to {hi / 1e6:.2f} ms")' "$TMP/s.db" 2>/dev/null || true
for j in 1 2; do
	rm -f "$TMP"/s.db*
	run sqlite-nomemo "$j" "$TMP/s.db" --no-memo
done

# PostgreSQL, when it can start here
PGBIN=$(pg_config --bindir 2>/dev/null || true)
[ -x "$PGBIN/initdb" ] || PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | tail -1)
if [ -x "$PGBIN/initdb" ]; then
	mkdir -p "$TMP/pg"
	if [ "$(id -u)" -eq 0 ]; then
		chown postgres "$TMP" "$TMP/pg"
		AS="runuser -u postgres --"
	fi
	port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	if $AS "$PGBIN/initdb" -D "$TMP/pg/data" -A trust -U postgres --no-sync >/dev/null 2>&1 &&
	   $AS "$PGBIN/pg_ctl" -D "$TMP/pg/data" -l "$TMP/pg/log" -w -o "-p $port -k $TMP/pg -c listen_addresses=127.0.0.1" start >/dev/null 2>&1; then
		for j in 1 2; do
			PGOPTIONS='-c client_min_messages=warning' $AS "$PGBIN/psql" -q -h 127.0.0.1 -p "$port" -U postgres -c "DROP DATABASE IF EXISTS b$j" -c "CREATE DATABASE b$j" postgres >/dev/null
			run postgresql "$j" "postgresql://postgres@127.0.0.1:$port/b$j"
		done
	else
		PGBIN=
		echo "postgresql: server did not start; skipped"
	fi
else
	PGBIN=
	echo "postgresql: initdb not found; skipped"
fi
