#!/usr/bin/env bash
# The testbench over the whole NeuSight micro set (~290k measured ops, 100 tables), plain
# and --calibrated: wall time. The issue's budget is 10 s. Skipped without the corpus.
# Usage: bench/bench_testbench.sh BUILD_DIR
set -euo pipefail
build=${1:?build dir}
C=${TRACECAST_CORPUS:-$(cd "$(dirname "$0")/.." && pwd)/../shared/corpus}
if [ ! -d "$C/neusight/micro" ]; then
	echo "testbench: skipped, no $C/neusight/micro (set TRACECAST_CORPUS)"
	exit 0
fi
for extra in "" "--calibrated"; do
	t0=$(date +%s.%N)
	"$build/cli/tracecast" -q testbench "$C/neusight/micro" --worst 0 $extra >/dev/null
	t1=$(date +%s.%N)
	echo "testbench micro ${extra:-(plain)}: $(echo "$t1 - $t0" | bc) s"
done
