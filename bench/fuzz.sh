#!/usr/bin/env bash
# Run every libFuzzer target (clang, -Dfuzz=true) for SECONDS each (default 600) on a copy of
# its seed corpus; print executions and coverage; keep any crash under bench/out/fuzz/.
# A crash found becomes a bad-input test: copy it into tests/fuzz/seeds/<target>/ (the
# fuzz-smoke suite replays every seed in every build) and add a case to traces/bad/.
# Usage: bench/fuzz.sh [SECONDS] [TARGET...]
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-600}
shift || true
build=build-fuzz
if [ ! -f "$build/build.ninja" ]; then
	CC=clang meson setup "$build" -Dfuzz=true -Db_sanitize=address,undefined -Db_lundef=false \
		--buildtype=debugoptimized >/dev/null
fi
ninja -C "$build" >/dev/null
out=bench/out/fuzz
mkdir -p "$out"
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
	for f in "$build"/tests/fuzz/*_libfuzzer; do targets+=("$(basename "$f" _libfuzzer)"); done
fi
status=0
for t in "${targets[@]}"; do
	corpus=$(mktemp -d)
	cp -r "tests/fuzz/seeds/$t/." "$corpus/"
	log="$out/$t.log"
	set +e
	TC_SPECS="$PWD/hwmodel/specs" "$build/tests/fuzz/${t}_libfuzzer" "$corpus" -max_total_time="$secs" \
		-timeout=10 -rss_limit_mb=2048 -artifact_prefix="$out/$t-" -print_final_stats=1 >"$log" 2>&1
	rc=$?
	set -e
	runs=$(grep -E '^stat::number_of_executed_units' "$log" | awk '{print $2}')
	cov=$(grep -E '#[0-9]+.*cov:' "$log" | tail -1 | sed -E 's/.*cov: ([0-9]+).*/\1/')
	printf '%-16s %6ss  %10s execs  cov %-6s %s\n' "$t" "$secs" "${runs:-?}" "${cov:-?}" \
		"$([ $rc -eq 0 ] && echo 'no crash' || echo "CRASH (see $log)")"
	[ $rc -eq 0 ] || status=1
	rm -rf "$corpus"
done
exit $status
