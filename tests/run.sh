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
# FUZZ_SECONDS (0 = skip fuzzing), TEST_TIMEOUT (seconds per test),
# TEST_JOBS (tests at once, default 3), TMPDIR (parent of the run's
# temporary directory).
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
FUZZ_SECONDS=${FUZZ_SECONDS:-0}
TEST_TIMEOUT=${TEST_TIMEOUT:-900}
FILTER=${TESTS:-*}
LOGDIR=$BUILD/test-logs
mkdir -p "$LOGDIR"
export BUILD SEALCAM_ROOT=$PWD

# Every test's temporary files go under one directory per run, removed when
# the run ends: a test killed by its timeout (SIGKILL skips its own cleanup)
# then leaves nothing behind (end-to-end dirs reach ~200 MB each). Dirs of
# earlier runs whose run.sh no longer exists (killed) are removed first.
TMPBASE=${TMPDIR:-/tmp}
for d in "$TMPBASE"/sealcam-run.*; do
	[ -d "$d" ] || continue
	kill -0 "${d##*.}" 2>/dev/null && continue
	chmod -R u+w "$d" 2>/dev/null
	rm -rf "$d"
done
RUNTMP=$TMPBASE/sealcam-run.$$
mkdir -p "$RUNTMP" || exit 1
cleanup_runtmp() {
	chmod -R u+w "$RUNTMP" 2>/dev/null
	rm -rf "$RUNTMP"
}
trap cleanup_runtmp EXIT
trap 'exit 130' INT TERM
export TMPDIR=$RUNTMP

# Tests run TEST_JOBS at a time (default 3): most end-to-end time is spent
# waiting on real-time video and restarts, not on the CPU. Each test writes
# its log and a result line; results print as tests finish and are summed
# at the end. Servers in tests bind port 0, so parallel tests do not clash.
JOBS=${TEST_JOBS:-3}
RESDIR=$LOGDIR/results
rm -rf "$RESDIR"
mkdir -p "$RESDIR"

run_one() { # name, command...  (runs in a background subshell)
	local name=$1; shift
	local log="$LOGDIR/${name//\//_}.log" res="$RESDIR/${name//\//_}"
	local start end rc ok nok line
	start=$(date +%s)
	timeout --kill-after=10 "$TEST_TIMEOUT" "$@" >"$log" 2>&1 </dev/null
	rc=$?
	end=$(date +%s)
	ok=$(grep -c '^ok ' "$log")
	nok=$(grep -c '^not ok ' "$log")
	if [ "$rc" -ne 0 ] && [ "$nok" -eq 0 ]; then nok=1; fi
	if [ "$rc" -eq 0 ] && [ "$ok" -eq 0 ] && [ "$nok" -eq 0 ]; then ok=1; fi
	if [ "$nok" -eq 0 ]; then
		line=$(printf '%-40s %4d ok  (%ds)' "$name" "$ok" $((end - start)))
	else
		line=$(printf '%-40s %4d ok, %d FAILED (exit %d, %ds) — %s\n' "$name" "$ok" "$nok" "$rc" $((end - start)) "$log"
			grep -E '^not ok |^#' "$log" | head -20 | sed 's/^/    /'
			[ "$rc" -ne 0 ] && tail -n 15 "$log" | sed 's/^/    | /')
	fi
	printf '%s %s %s\n' "$ok" "$nok" "$name" >"$res"
	printf '%s\n' "$line"
}

queue=()
add() { # name, command...: queue a test if it matches the filter
	# shellcheck disable=SC2053
	[[ $1 == $FILTER ]] || return 0
	queue+=("$(printf '%q ' "$@")")
}

# Longest first: fuzzers (fixed time, one core each) overlap with the rest.
if [ "$FUZZ_SECONDS" != 0 ]; then
	for f in build-fuzz/*; do
		[ -x "$f" ] && [ -f "$f" ] || continue
		n=$(basename "$f")
		corpus=$BUILD/fuzz-corpus/$n
		mkdir -p "$corpus"
		seeds=tests/fuzz/corpus/$n
		[ -d "$seeds" ] || seeds=
		add "fuzz/$n" "$f" -max_total_time="$FUZZ_SECONDS" -timeout=10 \
			-rss_limit_mb=2048 -print_final_stats=1 "$corpus" $seeds
	done
fi
# Then the CPU-bound exhaustive proof tests (minutes each), so they overlap
# with the end-to-end tests, which mostly wait on real-time video.
for t in "$BUILD"/tests/tlog_exh_*; do
	[ -x "$t" ] && [ -f "$t" ] || continue
	add "unit/$(basename "$t")" "$t"
done
for t in tests/browser/*.test.mjs; do
	[ -f "$t" ] || continue
	add "browser/$(basename "$t" .test.mjs)" node "$t"
done
for t in tests/e2e/[0-9]*.sh; do  # lib.sh and helpers are not tests
	[ -f "$t" ] || continue
	add "e2e/$(basename "$t" .sh)" "$t"
done
for t in "$BUILD"/tests/*; do
	[ -x "$t" ] && [ -f "$t" ] || continue
	case $t in */tlog_exh_*) continue ;; esac
	add "unit/$(basename "$t")" "$t"
done
add check-src scripts/check-src.sh

running=0
for cmd in "${queue[@]}"; do
	if [ "$running" -ge "$JOBS" ]; then
		wait -n
		running=$((running - 1))
	fi
	eval "run_one $cmd" &
	running=$((running + 1))
done
wait

passed=0 failed=0
failed_names=()
for r in "$RESDIR"/*; do
	[ -f "$r" ] || continue
	read -r ok nok name <"$r"
	passed=$((passed + ok))
	failed=$((failed + nok))
	[ "$nok" -eq 0 ] || failed_names+=("$name")
done
# A test that died without writing its result is a failure too.
expected=${#queue[@]}
got=$(find "$RESDIR" -type f | wc -l)
if [ "$got" -ne "$expected" ]; then
	failed=$((failed + expected - got))
	failed_names+=("($((expected - got)) tests left no result)")
fi

if [ ${#failed_names[@]} -gt 0 ]; then
	echo "failed: ${failed_names[*]}"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
