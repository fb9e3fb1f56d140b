#!/usr/bin/env bash
# Print every benchmark figure of the project: opstream write/read throughput and bytes per
# op, ingest MB/s and peak RSS, ONNX nodes/s, replay ops/s and memory, scale-out what-ifs
# (1,024+ synthesised ranks), sweep points/s; first the issue-17 figures beside references
# run alongside (bench_refs.sh: Python json.load, zcat, the previous commit's build).
# Benchmarks are measured here, never asserted in tests. Usage: bench/run.sh [BUILD_DIR]
# (default build-bench, configured --buildtype=release). Large generated inputs go to
# ${TMPDIR:-/tmp} and are removed afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build-bench}
scripts/setup --test >/dev/null
if [ ! -f "$build/build.ninja" ]; then
	meson setup "$build" --buildtype=release -Dtests=false >/dev/null
fi
ninja -C "$build" >/dev/null
export TC_BUILD="$build"
echo "== opstream container (realistic op mix: cpu op + launch + kernel, 20 M ops)"
"$build/bench/bench_opstream" 20000000 "${TMPDIR:-/tmp}/bench_opstream.tcs"
for b in refs inflate ingest onnx chakra replay scale sweep testbench; do
	if [ -x "bench/bench_$b.sh" ]; then
		echo "== $b"
		"bench/bench_$b.sh" "$build"
	fi
done
