#!/bin/sh
# bench_chakra.sh - Chakra execution traces in and out on the largest corpus ET
# (chakra/chakra.0.et: 2.98 MB, 3,664 nodes, 181,878 data dependencies): nodes per second
# and peak RSS of `tracecast ingest` (split, unpack, check and sort the graph, schedule,
# write) and of `tracecast export --chakra` back to .et, best of N runs each; plus the
# PyTorch ET + Kineto link of the 8-rank DLRM pair. Needs /usr/bin/time and bc.
#
# usage: bench/bench_chakra.sh [BUILD_DIR] [RUNS]   (corpus: $TRACECAST_CORPUS or ../shared/corpus)
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$here/build}
runs=${2:-10}
corpus=${TRACECAST_CORPUS:-$here/../shared/corpus}
et=$corpus/chakra/chakra.0.et
tc=$build/cli/tracecast
[ -x "$tc" ] || { echo "bench_chakra: $tc not built (ninja -C $build)" >&2; exit 1; }
[ -f "$et" ] || { echo "bench_chakra: $et not found (set TRACECAST_CORPUS)" >&2; exit 1; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
nodes=3664 # MANIFEST.md; tests/ingest/ingest_chakra.c checks it

# best (lowest) CPU seconds (user + sys) over $runs runs, and that run's peak RSS in KB
best() {
	b=""
	br=""
	i=0
	while [ $i -lt "$runs" ]; do
		r=$(/usr/bin/time -f '%U %S %M' "$@" 2>&1 >/dev/null | tail -1)
		c=$(echo "$r" | awk '{print $1 + $2}')
		if [ -z "$b" ] || [ "$(echo "$c < $b" | bc -l)" = 1 ]; then
			b=$c
			br=$(echo "$r" | awk '{print $3}')
		fi
		i=$((i + 1))
	done
	[ "$(echo "$b < 0.01" | bc -l)" = 1 ] && b=0.01 # /usr/bin/time resolution
	echo "$b $br"
}

report() { # label, "cpu rss", bytes of the output
	cpu=${2% *}
	rss=${2#* }
	printf '%-22s best of %s: %.0f ms CPU -> %.0f nodes/s, peak RSS %.1f MB, output %.2f MB\n' \
		"$1" "$runs" "$(echo "$cpu * 1000" | bc -l)" "$(echo "$nodes / $cpu" | bc -l)" \
		"$(echo "$rss / 1024" | bc -l)" "$(echo "$3 / 1000000" | bc -l)"
}

r=$(best "$tc" -q ingest "$et" -o "$out/et.tcs")
report "chakra ingest" "$r" "$(stat -c %s "$out/et.tcs")"
r=$(best "$tc" -q export --chakra "$out/et" "$out/et.tcs")
report "chakra export" "$r" "$(stat -c %s "$out/et/chakra.0.et")"

set -- "$corpus"/param/dlrm_kineto/worker*.pt.trace.json.gz
if [ -f "$1" ]; then
	r=$(best "$tc" -q ingest "$@" "$corpus"/param/dlrm_pytorch_et/dlrm_eg_*.json.gz -o "$out/l.tcs")
	k=$(best "$tc" -q ingest "$@" -o "$out/k.tcs")
	printf '%-22s best of %s: %.0f ms CPU linked vs %.0f ms Kineto alone (8 ranks)\n' \
		"kineto + pytorch ET" "$runs" "$(echo "${r% *} * 1000" | bc -l)" \
		"$(echo "${k% *} * 1000" | bc -l)"
fi
