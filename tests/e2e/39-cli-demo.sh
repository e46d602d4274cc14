#!/bin/bash
# make demo, non-interactively: scripts/demo.sh with its data in a temp
# directory and a free port. It comes up, a clip of the demo camera can be
# listed and fetched with the commands it prints, Ctrl-C (SIGINT) stops
# everything cleanly, and a second start reuses the account and the camera.
. "$(dirname "$0")/lib.sh"

D=$(tmp_dir)
DATA=$D/demo-data
PORT=$(free_port)
SEALCAMD_URL=http://127.0.0.1:$PORT   # for the seqs helper
H=$DATA/client

# Start the demo as a terminal would: SIGINT at its default disposition
# (a background job of this script would inherit it ignored).
start_demo() {
	SEALCAM_DEMO_DATA=$DATA SEALCAM_DEMO_PORT=$PORT BUILD=$BIN python3 -c '
import os, signal, sys
signal.signal(signal.SIGINT, signal.SIG_DFL)
os.execv(sys.argv[1], sys.argv[1:])' "$SEALCAM_ROOT/scripts/demo.sh" >"$D/demo$1.out" 2>&1 &
	DEMO=$!
	track_pid $DEMO
}
clip_listed() { "$SEALCAM" --home "$H" clips list --camera Street --since 1h --until +1h | grep -Eq '^[0-9]+ +[0-9]{4}-'; }
stop_demo() { # -> $rc of the demo script
	kill -INT $DEMO
	for _ in $(seq 300); do kill -0 $DEMO 2>/dev/null || break; sleep 0.1; done
	wait $DEMO; rc=$?
}
leftovers() { ps -eo args | grep -F -- "$DATA" | grep -v grep; }

start_demo 1
wait_until 120 grep -q "sealcam demo is running" "$D/demo1.out"
grep -q "sealcam demo is running" "$D/demo1.out" && grep -q "creating the demo account" "$D/demo1.out" &&
	ok "the demo starts: server, account, camera, instructions" || not_ok "demo start" "$(cat "$D/demo1.out")"
grep -q "clips get --camera Street" "$D/demo1.out" && grep -q "recovery code: [0-9A-Z-]\{34\}" "$D/demo1.out" &&
	ok "it prints the commands to list and fetch recordings, and the login for another device" ||
	not_ok "instructions" "$(cat "$D/demo1.out")"
grep -q "^  http://127.0.0.1:$PORT/\$" "$D/demo1.out" && grep -q "e-mail: *demo@" "$D/demo1.out" &&
	! grep -q "did not serve the viewer" "$D/demo1.out" &&
	curl -fsS "http://127.0.0.1:$PORT/" | grep -q '<script type="module" src="/app.js">' &&
	ok "it prints the browser viewer's address and what to log in with, and serves the viewer there" ||
	not_ok "viewer address" "$(cat "$D/demo1.out")"
if grep -q "vtest.avi" "$D/demo1.out"; then
	ok "the camera plays the real street clip (vtest.avi from opencv-doc)"
else
	not_ok "street clip" "$(cat "$D/demo1.out")"
fi
wait_until 90 clip_listed && ok "a clip of the demo camera is listed" || not_ok "clip listed" "$(tail -5 "$DATA/agent.log")"
"$SEALCAM" --home "$H" clips get --camera Street --since 1h --until +1h -o "$D/street.mp4" 2>/dev/null
f=$(frames "$D/street.mp4")
[ -n "$f" ] && [ "$f" -gt 0 ] && ok "the printed clips get fetches a playable MP4 ($f frames)" || not_ok "clips get"
cam1=$("$SEALCAM" --home "$H" camera list | awk '$1 == "Street" {print $2}')
last1=$(seqs "$H" Street | awk '{print $NF}')

stop_demo
[ $rc = 0 ] && grep -q "stopped" "$D/demo1.out" && ok "Ctrl-C stops the demo, exit 0" ||
	not_ok "stop ($rc)" "$(tail -5 "$D/demo1.out")"
[ -z "$(leftovers)" ] && ! curl -sf -o /dev/null --max-time 2 "http://127.0.0.1:$PORT/healthz" &&
	ok "nothing of it keeps running (server and agent gone, port closed)" || not_ok "leftovers" "$(leftovers)"

start_demo 2
wait_until 120 grep -q "sealcam demo is running" "$D/demo2.out"
grep -q "reusing the account" "$D/demo2.out" && grep -q 'reusing the camera "Street"' "$D/demo2.out" &&
	! grep -q "creating the demo account" "$D/demo2.out" &&
	ok "a second start reuses the account and the camera" || not_ok "reuse" "$(cat "$D/demo2.out")"
n=$("$SEALCAM" --home "$H" camera list | grep -c '^Street ')
cam2=$("$SEALCAM" --home "$H" camera list | awk '$1 == "Street" {print $2}')
[ "$n" = 1 ] && [ "$cam1" = "$cam2" ] && ok "still one camera, the same id" || not_ok "camera" "$cam1 $cam2 $n"
newer() { [ "$(seqs "$H" Street | awk '{print $NF}')" -gt "${last1:-0}" ]; }
wait_until 60 newer && ok "the reused camera records on (seq > $last1), old footage kept" ||
	not_ok "recording after restart"
stop_demo
[ $rc = 0 ] && [ -z "$(leftovers)" ] && ok "the second run stops cleanly too" || not_ok "second stop ($rc)" "$(leftovers)"

lib_done
