#!/bin/sh
# bench_scale.sh - scale-out what-ifs: the 8-rank param DLRM job (V100) projected onto
# 8 .. 16,384 ranks (synthesised DP replicas); wall time, ops/s and bytes per op.
# usage: bench/bench_scale.sh [BUILD_DIR]      Figures only; not a test.
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
B=${1:-$here/build}
C=${TRACECAST_CORPUS:-$here/../shared/corpus}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
ninja -C "$B" cli/tracecast bench/bench_scale >/dev/null
d=$C/param/dlrm_kineto
[ -d "$d" ] || { echo "bench_scale: $d absent (set TRACECAST_CORPUS)"; exit 0; }
"$B/cli/tracecast" -q ingest "$d"/*.json.gz -o "$tmp/dlrm.tcs"
echo "== param DLRM, 8 x V100 traced -> v100-sxm2"
"$B/bench/bench_scale" "$tmp/dlrm.tcs" v100-sxm2 v100-sxm2 8 64 1024 16384
echo "== the CLI, 1,024 ranks (ingest of the 8 traces included)"
s=$(date +%s.%N)
"$B/cli/tracecast" -q project "$d"/*.json.gz --target v100-sxm2 --world-size 1024 >/dev/null
e=$(date +%s.%N)
echo "tracecast project --world-size 1024: $(echo "$e - $s" | bc) s"
