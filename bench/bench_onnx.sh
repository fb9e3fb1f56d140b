#!/bin/sh
# bench_onnx.sh - ONNX ingest throughput: graph nodes ingested per second on the largest
# corpus model (light_densenet121.onnx, 1,746 nodes), best of N runs of `tracecast ingest`
# (parse, fold, infer, write), plus the same with --training. Needs /usr/bin/time and bc.
#
# usage: bench/bench_onnx.sh [BUILD_DIR] [RUNS]     (corpus: $TRACECAST_CORPUS or ../shared/corpus)
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$here/build}
runs=${2:-20}
corpus=${TRACECAST_CORPUS:-$here/../shared/corpus}
model=$corpus/onnx/light_densenet121.onnx
tc=$build/cli/tracecast
[ -x "$tc" ] || { echo "bench_onnx: $tc not built (ninja -C $build)" >&2; exit 1; }
[ -f "$model" ] || { echo "bench_onnx: $model not found (set TRACECAST_CORPUS)" >&2; exit 1; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
nodes=1746 # NodeProtos in the model (MANIFEST.md; the e2e test checks it)

# best (lowest) CPU seconds (user + sys) and the wall seconds of that run, over $runs runs.
# CPU time is the ingest's own cost; wall time also waits for the writer's fsync.
best() {
	b=""
	bw=""
	i=0
	while [ $i -lt "$runs" ]; do
		r=$(/usr/bin/time -f '%e %U %S' "$@" 2>&1 >/dev/null | tail -1)
		w=$(echo "$r" | cut -d' ' -f1)
		c=$(echo "$r" | awk '{print $2 + $3}')
		if [ -z "$b" ] || [ "$(echo "$c < $b" | bc -l)" = 1 ]; then b=$c; bw=$w; fi
		i=$((i + 1))
	done
	echo "$b $bw"
}

report() { # label, "cpu wall"
	cpu=${2% *}
	wall=${2#* }
	[ "$(echo "$cpu < 0.01" | bc -l)" = 1 ] && cpu=0.01 # /usr/bin/time resolution
	printf '%-12s best of %s: %.0f ms CPU -> %.0f nodes/s (wall %.0f ms incl. fsync -> %.0f nodes/s)\n' \
		"$1" "$runs" "$(echo "$cpu * 1000" | bc -l)" "$(echo "$nodes / $cpu" | bc -l)" \
		"$(echo "$wall * 1000" | bc -l)" "$(echo "$nodes / $wall" | bc -l)"
}

r=$(best "$tc" -q ingest "$model" -o "$out/m.tcs")
rt=$(best "$tc" -q ingest --training "$model" -o "$out/t.tcs")
printf 'model        %s (%s nodes, %s bytes)\n' "$(basename "$model")" "$nodes" "$(wc -c <"$model")"
report inference "$r"
report training "$rt"
printf 'output       %s bytes, %s ops (training: %s bytes)\n' "$(wc -c <"$out/m.tcs")" \
	"$("$tc" info "$out/m.tcs" | awk '/^ops/ {print $2}')" "$(wc -c <"$out/t.tcs")"
