#!/bin/sh
# bench_refs.sh - the issue-17 figures next to references measured in the same run:
#   ingest of the HTA A100 trace (plain JSON) vs Python json.load of the same file, and
#   the JSON stage-1 scanner per SIMD path (bench_json: structural index alone, and a whole
#   ingest in-process with TRACECAST_SIMD set to the path);
#   ingest of the same .json.gz vs zcat;
#   multi-rank ingest (param/dlrm_kineto, 8 ranks): one parse thread vs one per core;
#   .tcs read and load + graph vs the same figures of a base commit's build (default the
#   previous commit), measured with this tree's bench drivers so both run the same loop.
# Each figure is the best of REPEAT runs by CPU time (user + sys), wall beside it: the
# machine is shared and load only ever adds time. Figures only; not a test.
# Usage: bench/bench_refs.sh [BUILD_DIR] [BASE_COMMIT] [REPEAT] [GEN_OPS]
#   BASE_COMMIT  built release in a temporary worktree (skipped with a line if it fails)
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-build-bench}
BASE=${2:-HEAD~1}
REPEAT=${3:-3}
GEN_OPS=${4:-5000000}
CORPUS=${TRACECAST_CORPUS:-$here/../shared/corpus}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/tc_bench_refs.XXXXXX")
wt=$TMP/base
cleanup() {
	git -C "$here" worktree remove --force "$wt" 2>/dev/null || true
	rm -rf "$TMP"
}
trap cleanup EXIT INT TERM

# the run of REPEAT runs of a command with the least CPU (user + sys), or with BEST_BY=wall
# the least wall time: prints its "cpu wall peak_kb". Its stdout goes to BEST_OUT (default
# /dev/null).
best() {
	b=
	for i in $(seq "$REPEAT"); do
		/usr/bin/time -f "%U %S %e %M" -o "$TMP/t" "$@" >"${BEST_OUT:-/dev/null}" \
			2>"$TMP/err" || { cat "$TMP/err" >&2; return 1; }
		r=$(awk '{ printf "%.3f %.3f %d\n", $1 + $2, $3, $4 }' "$TMP/t")
		if [ -z "$b" ] || awk -v a="$r" -v c="$b" -v k="${BEST_BY:-cpu}" \
			'BEGIN { split(a, x); split(c, y); f = k == "wall" ? 2 : 1; exit !(x[f] < y[f]) }'; then
			b=$r
		fi
	done
	echo "$b"
}
line() { # label bytes "cpu wall"
	echo "$3" | awk -v l="$1" -v u="$2" '{ printf "  %-36s %7.3f s cpu %7.1f MB/s   %7.3f s wall %7.1f MB/s\n",
		l, $1, u / 1e6 / ($1 > 0 ? $1 : 1e-9), $2, u / 1e6 / ($2 > 0 ? $2 : 1e-9) }'
}

TC=$BUILD/cli/tracecast
basebin=
if git -C "$here" worktree add --detach "$wt" "$BASE" >/dev/null 2>&1 &&
	cp "$here/bench/bench_opstream.c" "$here/bench/bench_replay.c" "$wt/bench/" &&
	meson setup "$wt/build" "$wt" --buildtype=release -Dtests=false >/dev/null 2>&1 &&
	ninja -C "$wt/build" cli/tracecast bench/bench_opstream bench/bench_replay >/dev/null 2>&1; then
	basebin=$wt/build
	echo "base: $(git -C "$here" log -1 --format='%h %s' "$BASE" | cut -c1-80)"
else
	echo "base $BASE does not build here: its figures are skipped"
fi

big=$CORPUS/HolisticTraceAnalysis/trace_diff_control_A100_rank3.json.gz
if [ -f "$big" ]; then
	gzip -dc "$big" >"$TMP/hta.json"
	unc=$(wc -c <"$TMP/hta.json")
	echo "== ingest, HTA A100 trace ($(awk -v u="$unc" 'BEGIN { printf "%.1f", u / 1e6 }') MB JSON; MB/s of JSON)"
	line "tracecast ingest .json" "$unc" "$(best "$TC" -q ingest "$TMP/hta.json" -o "$TMP/o.tcs")"
	[ -z "$basebin" ] || line "base ingest .json" "$unc" \
		"$(best "$basebin/cli/tracecast" -q ingest "$TMP/hta.json" -o "$TMP/o.tcs")"
	line "python3 json.load (reference)" "$unc" \
		"$(best /usr/bin/python3 -c 'import json, sys; json.load(open(sys.argv[1], "rb"))' "$TMP/hta.json")"
	if [ -x "$BUILD/bench/bench_json" ]; then
		echo "  per SIMD path (best of $REPEAT by CPU; stage 1 = structural index alone):"
		"$BUILD/bench/bench_json" "$TMP/hta.json" "$TMP/o.tcs" "$REPEAT"
	fi
	line "tracecast ingest .json.gz" "$unc" "$(best "$TC" -q ingest "$big" -o "$TMP/o.tcs")"
	[ -z "$basebin" ] || line "base ingest .json.gz" "$unc" \
		"$(best "$basebin/cli/tracecast" -q ingest "$big" -o "$TMP/o.tcs")"
	line "zcat (reference)" "$unc" "$(best zcat "$big")"
	rm -f "$TMP/hta.json"
fi

dlrm=$CORPUS/param/dlrm_kineto
if ls "$dlrm"/worker*.pt.trace.json.gz >/dev/null 2>&1; then
	unc=$(gzip -dc "$dlrm"/worker*.pt.trace.json.gz | wc -c)
	echo "== multi-rank ingest, param/dlrm_kineto (8 ranks .json.gz, $(awk -v u="$unc" 'BEGIN { printf "%.1f", u / 1e6 }') MB JSON; wall is what parallel ranks cut)"
	line "one parse thread" "$unc" "$(best env TRACECAST_INGEST_THREADS=1 "$TC" -q ingest "$dlrm"/worker*.pt.trace.json.gz -o "$TMP/o.tcs")"
	line "a thread per core ($(nproc))" "$unc" "$(best "$TC" -q ingest "$dlrm"/worker*.pt.trace.json.gz -o "$TMP/o.tcs")"
	[ -z "$basebin" ] || line "base" "$unc" \
		"$(best "$basebin/cli/tracecast" -q ingest "$dlrm"/worker*.pt.trace.json.gz -o "$TMP/o.tcs")"
fi

echo "== .tcs read (realistic op mix, 10 M ops)"
"$BUILD/bench/bench_opstream" 10000000 "$TMP/ops.tcs" keep >/dev/null
# this build and the base in turn, twice: a neighbour's load then hits both alike
for round in 1 2; do
	printf "  this build: "
	"$BUILD/bench/bench_opstream" read "$TMP/ops.tcs" "$REPEAT" | sed 's/^ *//'
	if [ -n "$basebin" ]; then
		printf "  base:       "
		"$basebin/bench/bench_opstream" read "$TMP/ops.tcs" "$REPEAT" | sed 's/^ *//'
	fi
done
rm -f "$TMP/ops.tcs"

echo "== load + graph (gen_replay, $GEN_OPS ops, 8 ranks)"
"$BUILD/bench/gen_replay" "$TMP/gen.tcs" "$GEN_OPS" 8 >/dev/null
for round in 1 2; do
	printf "  this build: "
	"$BUILD/bench/bench_replay" "$TMP/gen.tcs" --load "$REPEAT" | sed 's/^load+graph *//'
	if [ -n "$basebin" ]; then
		printf "  base:       "
		"$basebin/bench/bench_replay" "$TMP/gen.tcs" --load "$REPEAT" | sed 's/^load+graph *//'
	fi
done

# tracecast project end to end: read + graph + the run + its analyses + the uncertainty band
# (on by default: at least 10 draws, each a whole simulation) + the text report. Ops are the
# replayed ones project prints; best of REPEAT by CPU, with that run's peak RSS.
e2e() { # label bin args...
	l=$1
	bin=$2
	shift 2
	b=$(BEST_OUT="$TMP/p.txt" best "$bin" -q project "$TMP/gen.tcs" "$@") || return 1
	ops=$(awk 'NR == 2 { print $1; exit }' "$TMP/p.txt")
	echo "$b" | awk -v l="$l" -v n="$ops" '{ printf "  %-28s %6.2f s cpu %6.2f M ops/s   %6.2f s wall   peak %6.1f MB = %5.1f B/op\n",
		l, $1, n / 1e6 / ($1 > 0 ? $1 : 1e-9), $2, $3 / 1024, $3 * 1024 / n }'
}
echo "== project end to end (gen_replay, $GEN_OPS ops, 8 ranks, --target mi300x)"
# --jobs 1: one core, as the base (which has no --jobs); --jobs 2: the draws on a second
# thread while the run goes on (the default on 2+ cores; a timeline more, 16 B/op)
e2e "this build, --jobs 1" "$TC" --target mi300x --jobs 1
e2e "this build, --jobs 2" "$TC" --target mi300x --jobs 2
e2e "this build, --no-band" "$TC" --target mi300x --no-band
if [ -n "$basebin" ]; then
	e2e "base" "$basebin/cli/tracecast" --target mi300x
	e2e "base, --no-band" "$basebin/cli/tracecast" --target mi300x --no-band
fi

# sweep: bench_sweep.sh's grid (1,000 configurations, 100 timelines) on the HTA trace into
# SQLite, --jobs 2; points/s from the best wall of REPEAT, CPU ms per point beside it
big=$CORPUS/HolisticTraceAnalysis/trace_diff_control_A100_rank3.json.gz
if [ -f "$big" ]; then
	"$TC" -q ingest "$big" -o "$TMP/hta.tcs"
	sw() { # label bin (each run into a fresh database: a stored point would be skipped)
		b=$(BEST_BY=wall best sh -c 'rm -f "$1"*; shift; exec "$@"' sh "$TMP/sw.db" \
			"$2" -q sweep --traces "$TMP/hta.tcs" --base h100 \
			--grid memory.hbm.bw_gbs=2000:8000:10 \
			--grid compute.matrix.peak_tflops.bf16=500:2000:10 \
			--grid power.tdp_w=400:1000:10 --db "$TMP/sw.db" --jobs 2) || return 1
		echo "$b" | awk -v l="$1" '{ printf "  %-28s %6.2f s wall %7.1f points/s   %5.2f ms CPU/point\n",
			l, $2, 1000 / ($2 > 0 ? $2 : 1e-9), $1 }'
	}
	echo "== sweep, 1,000 points (100 timelines) on the HTA trace, SQLite, --jobs 2"
	sw "this build" "$TC"
	[ -z "$basebin" ] || sw "base" "$basebin/cli/tracecast"
fi
