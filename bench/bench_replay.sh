#!/bin/sh
# bench_replay.sh - replay throughput (ops/s) and peak RSS on the largest corpus trace and on
# a generated stream of >= 50 M ops (bench/gen_replay, written to /tmp and removed after).
# usage: bench/bench_replay.sh [BUILD_DIR] [N_OPS]     Figures only; not a test.
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
B=${1:-$here/build}
N=${2:-50000000}
C=${TRACECAST_CORPUS:-$here/../shared/corpus}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
ninja -C "$B" cli/tracecast bench/gen_replay bench/bench_replay >/dev/null
big=$C/HolisticTraceAnalysis/trace_diff_control_A100_rank3.json.gz
if [ -f "$big" ]; then
	echo "== largest corpus trace: $(basename "$big")"
	"$B/cli/tracecast" -q ingest "$big" -o "$tmp/corpus.tcs"
	"$B/bench/bench_replay" "$tmp/corpus.tcs" mi300x a100-sxm4-80gb
fi
echo "== generated stream: $N ops, 8 ranks"
"$B/bench/gen_replay" "$tmp/gen.tcs" "$N" 8
"$B/bench/bench_replay" "$tmp/gen.tcs" mi300x h100-sxm5
