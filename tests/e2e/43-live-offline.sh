#!/bin/bash
# Live view of a camera that cannot answer, as a user meets it: the agent is
# stopped (the camera is offline), or its command channel is open but the
# agent never starts the stream (a hung agent: SIGSTOP). The viewer gets a
# clear error soon — not a hang — no session is left behind, and once the
# agent is back live view works again.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agent_lib.sh"

T=$(tmp_dir)
start_sealcamd "$T/s" --live-grace 1s --live-start-timeout 3s ||
	{ not_ok "sealcamd starts"; lib_done; }
agent_owner "$T" offline@example.com || { not_ok "owner signs up"; lib_done; }
agent_clip "$T/clip.mp4" 8 640x360 25 || { not_ok "test clip"; lib_done; }
agent_pair "$T" "Garage" "$T/clip.mp4" --loop --live-fragment-ms 200 ||
	{ not_ok "camera pairs"; lib_done; }
agent_wait_log "live command channel open" 20 && ok "agent paired, command channel open" ||
	not_ok "agent channel open" "$(tail -5 "$AGENT_LOG")"

elapsed_ms() { echo $((($(date +%s%N) - $1) / 1000000)); }

# A viewer that must fail: exit code, stderr, time taken (ms).
live_fails() { # out errfile
	local t0 rc
	t0=$(date +%s%N)
	timeout 60 "${SC[@]}" live --camera Garage -o "$1" 2>"$2"
	rc=$?
	LIVE_MS=$(elapsed_ms "$t0")
	[ "$rc" != 0 ] && [ "$rc" != 124 ]
}

# 1. Works to begin with (so the failures below are the camera's state).
"${SC[@]}" live --camera Garage -o "$T/a.mp4" --duration 2 2>"$T/a.err" &&
	[ "$(frames "$T/a.mp4")" -ge 25 ] && ok "live view works ($(frames "$T/a.mp4") frames)" ||
	not_ok "live view works" "$(cat "$T/a.err")"
wait_until 20 sessions_zero || not_ok "session ended" "$(metric sealcamd_live_sessions)"

# 2. The agent stopped: the camera is offline. Said at once, by name.
stop_pid "$AGENT_PID" && ok "agent stops cleanly" || not_ok "agent clean stop"
if live_fails "$T/b.mp4" "$T/b.err" && grep -qi "not connected\|offline" "$T/b.err" &&
	[ "$LIVE_MS" -lt 3000 ]; then
	ok "camera offline: the viewer is told at once ($LIVE_MS ms: $(head -1 "$T/b.err"))"
else
	not_ok "camera offline is an immediate, clear error" "ms=$LIVE_MS $(cat "$T/b.err")"
fi
[ ! -s "$T/b.mp4" ] && ok "no output written for an offline camera" ||
	not_ok "no output for offline camera" "$(stat -c %s "$T/b.mp4")"
wait_until 10 sessions_zero && ok "no session left by the offline attempt" ||
	not_ok "sessions 0 after offline" "$(metric sealcamd_live_sessions)"

# 3. The agent is back, then hangs with its channel open: the start request
# is never answered. The viewer gets the start timeout (3 s), not a hang.
channels() { [ "$(metric sealcamd_live_channels)" = "$1" ]; }
wait_until 10 channels 0 && ok "the server counts no command channel once the agent stopped" ||
	not_ok "channel closed" "$(metric sealcamd_live_channels)"
agent_run "$T" --loop --live-fragment-ms 200
wait_until 30 channels 1 || not_ok "agent's channel open again" "$(tail -5 "$AGENT_LOG")"
"${SC[@]}" live --camera Garage -o "$T/c.mp4" --duration 1 2>"$T/c.err" &&
	ok "agent running again: live view works" ||
	not_ok "live after agent restart" "$(cat "$T/c.err")"
wait_until 20 sessions_zero || not_ok "session ended" "$(metric sealcamd_live_sessions)"
kill -STOP "$AGENT_PID"
if live_fails "$T/d.mp4" "$T/d.err" && grep -qi "did not start" "$T/d.err" &&
	[ "$LIVE_MS" -ge 2500 ] && [ "$LIVE_MS" -lt 15000 ]; then
	ok "hung agent: the viewer gets the start timeout ($LIVE_MS ms: $(head -1 "$T/d.err"))"
else
	not_ok "hung agent: start timeout" "ms=$LIVE_MS $(cat "$T/d.err")"
fi
wait_until 15 sessions_zero && uploads_zero &&
	ok "no session or upload left after the start timeout" ||
	not_ok "no leak after start timeout" "$(live_counts)"

# 4. The agent wakes up with a stale start request in its channel: the
# server refuses that stream (its session is gone), nothing leaks, and a
# new viewer gets live video.
kill -CONT "$AGENT_PID"
# Give the agent a moment to read the stale request and try its stream.
sleep 2
timeout 40 "${SC[@]}" live --camera Garage -o "$T/e.mp4" --duration 2 2>"$T/e.err" &&
	[ "$(frames "$T/e.mp4")" -ge 25 ] &&
	ok "after the hang, live view works again ($(frames "$T/e.mp4") frames)" ||
	not_ok "live after hang" "$(cat "$T/e.err") $(tail -5 "$AGENT_LOG")"
wait_until 20 sessions_zero && uploads_zero &&
	ok "session count back to 0" ||
	not_ok "sessions 0 at the end" "$(live_counts)"
kill -0 "$AGENT_PID" 2>/dev/null && ok "agent still running" || not_ok "agent alive" "$(tail -5 "$AGENT_LOG")"

# 5. The agent dies (kill -9: no goodbye, the kernel closes its sockets):
# offline at once as well, not after the next ping.
kill -KILL "$AGENT_PID"
wait "$AGENT_PID" 2>/dev/null
if wait_until 3 channels 0 && live_fails "$T/f.mp4" "$T/f.err" &&
	grep -qi "not connected\|offline" "$T/f.err" && [ "$LIVE_MS" -lt 3000 ]; then
	ok "agent killed: the camera reads offline at once ($LIVE_MS ms)"
else
	not_ok "agent killed: offline at once" "channels=$(metric sealcamd_live_channels) ms=$LIVE_MS $(cat "$T/f.err")"
fi
wait_until 10 sessions_zero && ok "no session left by the attempts" ||
	not_ok "sessions 0 after kill" "$(metric sealcamd_live_sessions)"

stop_pid "$SEALCAMD_PID" && ok "sealcamd stops cleanly" || not_ok "sealcamd clean stop"
lib_done
