#!/bin/sh
# bench_inflate.sh - gzip decompression on the corpus .gz traces: zlib, libdeflate and ISA-L
# igzip side by side (bench_inflate), then zcat and `tracecast ingest` of the same file (wall
# time; ingest inflates on its own thread with the library the build chose, and parses).
# Usage: bench/bench_inflate.sh [BUILD_DIR]
set -eu
BUILD=${1:-build}
CORPUS=${TRACECAST_CORPUS:-$(dirname "$0")/../../shared/corpus}
B=$BUILD/bench/bench_inflate
TMP=$(mktemp -d "${TMPDIR:-/tmp}/tc_bench_inflate.XXXXXX")
trap 'rm -rf "$TMP"' EXIT INT TERM
[ -x "$B" ] || { echo "bench_inflate not built (needs libdeflate-dev and libisal-dev)"; exit 0; }
for f in HolisticTraceAnalysis/trace_diff_control_A100_rank3.json.gz \
	TraceLens/mi300/resnet_act_checkpoint.json.gz TraceLens/b200/eager_trace.json.gz; do
	[ -f "$CORPUS/$f" ] || { echo "$f: not in the corpus"; continue; }
	"$B" "$CORPUS/$f"
	best_z=999; best_i=999
	for i in 1 2 3; do
		t0=$(date +%s.%N); zcat "$CORPUS/$f" >/dev/null; t1=$(date +%s.%N)
		"$BUILD/cli/tracecast" -q ingest "$CORPUS/$f" -o "$TMP/o.tcs"; t2=$(date +%s.%N)
		best_z=$(echo "$t0 $t1 $best_z" | awk '{ d = $2 - $1; print (d < $3 ? d : $3) }')
		best_i=$(echo "$t1 $t2 $best_i" | awk '{ d = $2 - $1; print (d < $3 ? d : $3) }')
	done
	echo "  zcat ${best_z} s, tracecast ingest ${best_i} s (wall, best of 3)"
done
