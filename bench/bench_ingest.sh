#!/bin/sh
# bench_ingest.sh - ingest throughput (MB/s of uncompressed JSON), peak RSS and .tcs bytes
# per input event, on the largest corpus trace (gz and plain) and on a generated >= 1 GB
# trace. Generated inputs go to $TMPDIR (default /tmp) and are removed afterwards; nothing
# is committed. Usage: bench/bench_ingest.sh [BUILD_DIR] [GEN_STEPS] [REPEAT]
#   BUILD_DIR  meson build dir with cli/tracecast and traces/gen/tracecast-gen (default build)
#   GEN_STEPS  steps of the generated trace (default 2000: ~1.1 GB with --layers 24)
#   REPEAT     runs per input; the one with the least CPU time is reported (default 3: the
#              figures are for one core, and a shared machine only ever adds time)
# .gz input is decompressed on a second thread: its CPU time is both threads, its wall time
# is what to compare with gunzip alone.
set -eu
BUILD=${1:-build}
STEPS=${2:-2000}
REPEAT=${3:-3}
TC=$BUILD/cli/tracecast
GEN=$BUILD/traces/gen/tracecast-gen
CORPUS=${TRACECAST_CORPUS:-$(dirname "$0")/../../shared/corpus}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/tc_bench_ingest.XXXXXX")
trap 'rm -rf "$TMP"' EXIT INT TERM

[ -x "$TC" ] && [ -x "$GEN" ] || { echo "build $TC and $GEN first" >&2; exit 2; }

run() { # label input
	label=$1
	in=$2
	unc=$(case "$in" in *.gz) gzip -dc "$in" | wc -c ;; *) wc -c <"$in" ;; esac)
	best=
	for i in $(seq "$REPEAT"); do
		/usr/bin/time -v "$TC" ingest -v "$in" -o "$TMP/out.tcs" 2>"$TMP/log.$i" >/dev/null ||
			{ cat "$TMP/log.$i" >&2; exit 1; }
		c=$(sed -n 's/.*User time (seconds): //p;s/.*System time (seconds): //p' "$TMP/log.$i" |
			awk '{ s += $1 } END { print s }')
		if [ -z "$best" ] || awk -v a="$c" -v b="$best" 'BEGIN { exit !(a < b) }'; then
			best=$c
			cp "$TMP/log.$i" "$TMP/log"
		fi
	done
	wall=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$TMP/log" |
		awk -F: '{ s = 0; for (i = 1; i <= NF; i++) s = s * 60 + $i; print s }')
	user=$(sed -n 's/.*User time (seconds): //p' "$TMP/log")
	sys=$(sed -n 's/.*System time (seconds): //p' "$TMP/log")
	rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$TMP/log")
	events=$(sed -n 's/.*: \([0-9]*\) events (.*/\1/p' "$TMP/log" | tail -1)
	tcs=$(wc -c <"$TMP/out.tcs")
	awk -v l="$label" -v u="$unc" -v w="$wall" -v cu="$user" -v cs="$sys" -v r="$rss" \
		-v e="$events" -v t="$tcs" 'BEGIN {
		printf "%-34s %9.1f MB  %6.2f s wall %6.1f MB/s  %6.2f s cpu %6.1f MB/s  RSS %7.1f MB  tcs %8.2f MB = %5.2f B/event (%d events)\n",
			l, u / 1e6, w, u / 1e6 / (w > 0 ? w : 1e-9), cu + cs, u / 1e6 / (cu + cs > 0 ? cu + cs : 1e-9),
			r / 1024, t / 1e6, t / (e > 0 ? e : 1), e }'
}

big=$CORPUS/HolisticTraceAnalysis/trace_diff_control_A100_rank3.json.gz
if [ -f "$big" ]; then
	run "corpus A100 control (.json.gz)" "$big"
	gzip -dc "$big" >"$TMP/control.json"
	run "corpus A100 control (.json)" "$TMP/control.json"
	rm -f "$TMP/control.json"
else
	echo "corpus trace $big absent: skipped" >&2
fi
"$GEN" -o "$TMP/gen" --ranks 1 --layers 24 --steps "$STEPS" --seed 7
run "generated ($STEPS steps, .json)" "$TMP/gen_rank0.json"
echo "gunzip alone on the corpus trace, for comparison:"
/usr/bin/time -f "  %e s wall, %U s cpu" gzip -dc "$big" 2>&1 >/dev/null || true
