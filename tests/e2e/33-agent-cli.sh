#!/bin/bash
# sealcam-agent's command line as a user meets it: --help for every
# subcommand, clear refusals (exit codes, messages) for a mistyped pairing
# string, a missing source, an unknown option or nothing paired yet, and no
# half-made camera left behind by a failed pairing.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agent_lib.sh"

T=$(tmp_dir)
for c in "" pair run; do
	if "$AGENT" $c --help >"$T/help" 2>&1 && grep -q "usage: sealcam-agent" "$T/help"; then
		ok "sealcam-agent ${c:+$c }--help prints its usage and exits 0"
	else
		not_ok "sealcam-agent ${c:+$c }--help" "$(cat "$T/help")"
	fi
done
grep -q -- "--segment-seconds" "$T/help" && grep -q -- "--spool-budget" "$T/help" &&
	ok "run --help lists the recording options" || not_ok "run --help lists the options"

"$AGENT" pair 'sealcam-pair:NOTAREALSTRING' --source testsrc --state "$T/s" >"$T/out" 2>&1
rc=$?
if [ "$rc" = 1 ] && grep -q "not a valid pairing string" "$T/out" &&
	[ -z "$(ls "$T/s/cameras" 2>/dev/null)" ]; then
	ok "a mistyped pairing string is refused (exit 1, clear message), nothing saved"
else
	not_ok "a mistyped pairing string is refused" "exit $rc: $(cat "$T/out")"
fi

"$AGENT" pair 'sealcam-pair:X' --state "$T/s" >"$T/out" 2>&1
[ $? = 2 ] && grep -q "usage" "$T/out" && ok "pair without --source: usage, exit 2" ||
	not_ok "pair without --source" "$(cat "$T/out")"
"$AGENT" run --state "$T/s" --no-such-option >"$T/out" 2>&1
[ $? = 2 ] && ok "an unknown option: exit 2" || not_ok "an unknown option" "$(cat "$T/out")"
"$AGENT" run --state "$T/s" --segment-seconds 0 >"$T/out" 2>&1
[ $? = 2 ] && ok "an out-of-range --segment-seconds: exit 2" || not_ok "bad --segment-seconds"
"$AGENT" run --state "$T/empty" >"$T/out" 2>&1
[ $? = 1 ] && grep -q "no paired camera" "$T/out" &&
	ok "run with nothing paired says so and exits 1" || not_ok "run with nothing paired" "$(cat "$T/out")"

# A pairing string for a server that is not there: registration fails,
# and the camera directory (with its fresh key) is removed again.
start_sealcamd "$T/server" || { not_ok "sealcamd starts"; lib_done; }
agent_owner "$T" cli@example.com || { not_ok "owner signs up"; lib_done; }
out=$("${SC[@]}" camera add --name Test --no-wait 2>&1)
pairing=$(printf '%s\n' "$out" | sed -n 's/^Pairing string: *//p')
stop_pid "$SEALCAMD_PID"
"$AGENT" pair "$pairing" --source testsrc --state "$T/s2" >"$T/out" 2>&1
rc=$?
if [ "$rc" = 1 ] && grep -q "registration refused" "$T/out" &&
	[ -z "$(ls "$T/s2/cameras" 2>/dev/null)" ]; then
	ok "server unreachable at pairing: exit 1, no half-paired camera left"
else
	not_ok "server unreachable at pairing" "exit $rc: $(cat "$T/out")"
fi
lib_done
