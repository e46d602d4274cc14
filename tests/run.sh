#!/bin/bash
# Run every sealcam test and end with "N passed, N failed".
#
# A test is a unit binary ($BUILD/tests/*), an end-to-end script
# (tests/e2e/*.sh), a browser test (tests/browser/*.test.mjs), a fuzz
# harness run for $FUZZ_SECONDS, or the source check. Each test prints
# TAP-style lines: "ok - <case>" / "not ok - <case>"; every line counts.
# A test that exits non-zero without a "not ok" line counts as one failure;
# one that exits 0 without any line counts as one pass.
#
# Environment: BUILD (build dir), TESTS (glob filter on test names),
# FUZZ_SECONDS (0 = skip fuzzing), TEST_TIMEOUT (seconds per test).
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
FUZZ_SECONDS=${FUZZ_SECONDS:-0}
TEST_TIMEOUT=${TEST_TIMEOUT:-900}
FILTER=${TESTS:-*}
LOGDIR=$BUILD/test-logs
mkdir -p "$LOGDIR"
export BUILD SEALCAM_ROOT=$PWD

passed=0 failed=0
failed_names=()

run_one() { # name, command...
	local name=$1; shift
	# shellcheck disable=SC2053
	[[ $name == $FILTER ]] || return 0
	local log="$LOGDIR/${name//\//_}.log" start end rc ok nok
	start=$(date +%s)
	timeout --kill-after=10 "$TEST_TIMEOUT" "$@" >"$log" 2>&1 </dev/null
	rc=$?
	end=$(date +%s)
	ok=$(grep -c '^ok ' "$log")
	nok=$(grep -c '^not ok ' "$log")
	if [ "$rc" -ne 0 ] && [ "$nok" -eq 0 ]; then nok=1; fi
	if [ "$rc" -eq 0 ] && [ "$ok" -eq 0 ] && [ "$nok" -eq 0 ]; then ok=1; fi
	passed=$((passed + ok))
	failed=$((failed + nok))
	if [ "$nok" -eq 0 ]; then
		printf '%-40s %4d ok  (%ds)\n' "$name" "$ok" $((end - start))
	else
		printf '%-40s %4d ok, %d FAILED (exit %d, %ds) — %s\n' "$name" "$ok" "$nok" "$rc" $((end - start)) "$log"
		grep -E '^not ok |^#' "$log" | head -20 | sed 's/^/    /'
		[ "$rc" -ne 0 ] && tail -n 15 "$log" | sed 's/^/    | /'
		failed_names+=("$name")
	fi
}

run_one check-src scripts/check-src.sh

for t in "$BUILD"/tests/*; do
	[ -x "$t" ] && [ -f "$t" ] || continue
	run_one "unit/$(basename "$t")" "$t"
done

for t in tests/e2e/[0-9]*.sh; do  # lib.sh and helpers are not tests
	[ -f "$t" ] || continue
	run_one "e2e/$(basename "$t" .sh)" "$t"
done

for t in tests/browser/*.test.mjs; do
	[ -f "$t" ] || continue
	run_one "browser/$(basename "$t" .test.mjs)" node "$t"
done

if [ "$FUZZ_SECONDS" != 0 ]; then
	for f in build-fuzz/*; do
		[ -x "$f" ] && [ -f "$f" ] || continue
		n=$(basename "$f")
		corpus=$BUILD/fuzz-corpus/$n
		mkdir -p "$corpus"
		seeds=tests/fuzz/corpus/$n
		[ -d "$seeds" ] || seeds=
		run_one "fuzz/$n" "$f" -max_total_time="$FUZZ_SECONDS" -timeout=10 \
			-rss_limit_mb=2048 -print_final_stats=1 "$corpus" $seeds
	done
fi

if [ ${#failed_names[@]} -gt 0 ]; then
	echo "failed: ${failed_names[*]}"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
