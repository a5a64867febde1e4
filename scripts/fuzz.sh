#!/usr/bin/env bash
# Runs every libFuzzer target of tests/fuzz/ (built by `make fuzz-build` into
# $WH_BUILD/fuzz/) for SECONDS seconds each (first argument, default 60): first the kept
# regression inputs of tests/fuzz/regressions/<name>/ once each, then fuzzing from the seed
# corpus tests/fuzz/corpus/<name>/ (new inputs go to a scratch copy, never into the tree).
# Prints "ok   fuzz/<name>" or "FAIL fuzz/<name>" per target; exits non-zero on any FAIL.
# A crash leaves its input in $WH_BUILD/fuzz/crashes/: keep it as a regression case by
# copying it into tests/fuzz/regressions/<name>/ once fixed.
set -uo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
build=${WH_BUILD:-build}/fuzz
failed=0
mkdir -p "$build/crashes" "$build/work"
for bin in "$build"/fuzz_*; do
	[ -x "$bin" ] || continue
	name=$(basename "$bin")
	name=${name#fuzz_}
	log="$build/work/$name.log"
	ok=1
	: > "$log"
	regressions=(tests/fuzz/regressions/"$name"/*)
	if [ -e "${regressions[0]}" ] && ! "$bin" "${regressions[@]}" >> "$log" 2>&1; then
		ok=0
	fi
	if [ "$ok" = 1 ]; then
		rm -rf "$build/work/$name"
		cp -r "tests/fuzz/corpus/$name" "$build/work/$name"
		"$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
			-artifact_prefix="$build/crashes/$name-" "$build/work/$name" >> "$log" 2>&1 || ok=0
	fi
	if [ "$ok" = 1 ]; then
		echo "ok   fuzz/$name ($(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | tail -n 1 | grep -o '[0-9]*$') runs)"
	else
		tail -n 40 "$log"
		echo "FAIL fuzz/$name (crash input: $(ls -t "$build/crashes/$name-"* 2>/dev/null | head -1))"
		failed=1
	fi
done
exit "$failed"
