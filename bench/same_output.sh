#!/bin/sh
# same_output.sh - compare every output two builds write for the same inputs, byte for byte:
# .tcs from ingest (corpus Kineto traces, one or many ranks), `project` text, --json,
# --timeline and --ops-csv on several chips, and the rows a small sweep stores. Speed work
# (issue 17) must leave them all identical; this is how a change is checked before it lands.
# Prints one line per difference and a count; exits 1 when any output differs.
# Usage: bench/same_output.sh BASE_BUILD NEW_BUILD
set -u
[ $# -eq 2 ] || { echo "usage: bench/same_output.sh BASE_BUILD NEW_BUILD" >&2; exit 2; }
here=$(cd "$(dirname "$0")/.." && pwd)
A=$1/cli/tracecast
B=$2/cli/tracecast
for t in "$A" "$B"; do
	[ -x "$t" ] || { echo "same_output: $t not built" >&2; exit 2; }
done
C=${TRACECAST_CORPUS:-$here/../shared/corpus}
[ -d "$C" ] || { echo "same_output: corpus $C not found (set TRACECAST_CORPUS)" >&2; exit 2; }
T=$(mktemp -d "${TMPDIR:-/tmp}/tc_same.XXXXXX")
trap 'rm -rf "$T"' EXIT INT TERM
n=0
bad=0

# run the same command line with both builds (outputs named by the placeholder @) and compare
# stdout, stderr, exit code and every file written
both() { # name args... (an argument @X becomes $T/{a,b}/X)
	name=$1
	shift
	for side in a b; do
		mkdir -p "$T/$side"
		bin=$A
		[ $side = b ] && bin=$B
		args=
		for x in "$@"; do
			case "$x" in
			@*) x="$T/$side/${x#@}" ;;
			esac
			args="$args '$x'"
		done
		eval "'$bin' $args" >"$T/$side/stdout" 2>"$T/$side/stderr"
		echo $? >"$T/$side/rc"
		# wall-clock figures in messages are not outputs
		sed -i -E 's/[0-9.]+ (s|ms) (wall|elapsed)//g' "$T/$side/stderr"
	done
	n=$((n + 1))
	for f in $(cd "$T/a" && ls); do
		if ! cmp -s "$T/a/$f" "$T/b/$f"; then
			echo "DIFF $name: $f"
			bad=$((bad + 1))
		fi
	done
	rm -rf "$T/a" "$T/b"
}

traces="traces/sample/train_a100_rank0.json.gz
$C/HolisticTraceAnalysis/trace_diff_control_A100_rank3.json.gz
$C/HolisticTraceAnalysis/nccl_data.json.gz
$C/HolisticTraceAnalysis/mi250_minitoy_train_ROCm6_2_kineto.json.gz
$C/HolisticTraceAnalysis/event_sync_multi_stream_trace.json.gz
$C/HolisticTraceAnalysis/alexnet_benchmark_result_2869224_1695835535_trace.json.gz
$C/TraceLens/h100/gaunernst_bert-small-uncased__1016001.json.gz
$C/TraceLens/mi300/resnet_act_checkpoint.json.gz
$C/TraceLens/b200/eager_trace.json.gz
$C/TraceLens/inference/vllm_decode_full_graph_execution.json.gz
$C/kineto/gpu_metrics_input.json"
cd "$here"
i=0
for t in $traces; do
	[ -f "$t" ] || { echo "skip (absent): $t"; continue; }
	i=$((i + 1))
	both "ingest $t" -q ingest "$t" -o @o.tcs
	for chip in h100 mi300x b200; do
		both "project $t $chip" project "$t" --target "$chip" --json @p.json \
			--timeline @tl.json --ops-csv @ops.csv
	done
done
dlrm=$(ls "$C"/param/dlrm_kineto/*.json.gz 2>/dev/null)
if [ -n "$dlrm" ]; then
	# shellcheck disable=SC2086
	both "ingest dlrm 8 ranks" -q ingest $dlrm -o @o.tcs
	# shellcheck disable=SC2086
	both "project dlrm 8 ranks" project $dlrm --target a100 --json @p.json --timeline @tl.json
fi
both "project sample 2 ranks" project traces/sample/train_a100_rank0.json.gz \
	traces/sample/train_a100_rank1.json.gz --target h100 --json @p.json
for f in "$here"/../shared/reliability/*; do
	[ -f "$f" ] || continue
	both "hostile $(basename "$f")" -q ingest "$f" -o @o.tcs
done

# sweep rows: the same stored figures (the database file itself holds times of day)
hta=$C/HolisticTraceAnalysis/trace_diff_control_A100_rank3.json.gz
if [ -f "$hta" ] && command -v sqlite3 >/dev/null; then
	"$A" -q ingest "$hta" -o "$T/hta.tcs"
	for side in a b; do
		bin=$A
		[ $side = b ] && bin=$B
		"$bin" -q sweep --traces "$T/hta.tcs" --base h100 --grid memory.hbm.bw_gbs=2000:8000:4 \
			--grid compute.matrix.peak_tflops.bf16=500:2000:3 --grid power.tdp_w=400,700 \
			--db "$T/$side.db" --jobs 2 >/dev/null
		sqlite3 "$T/$side.db" '.dump' | LC_ALL=C sort >"$T/$side.sql" # rows arrive in thread order
	done
	n=$((n + 1))
	cmp -s "$T/a.sql" "$T/b.sql" || { echo "DIFF sweep rows"; bad=$((bad + 1)); }
fi
echo "same_output: $n command lines on $i traces, $bad differences"
[ $bad -eq 0 ]
