#!/bin/bash
# Live view when things go wrong between the camera and the cloud: the
# agent reaches sealcamd through a TCP proxy (tcpdrop.py) whose connections
# are cut mid-session (a network drop). The viewer gets an error, no session
# leaks, the agent reconnects its command channel by itself and live view
# works again. And the hard time limit: a session ends cleanly (END) after
# --live-max even with a viewer watching.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agent_lib.sh"

T=$(tmp_dir)
start_sealcamd "$T/s" --live-grace 1s --live-max 6s || { not_ok "sealcamd starts"; lib_done; }
python3 "$(dirname "$0")/tcpdrop.py" "$T/proxy.port" "$SEALCAMD_PORT" &
PROXY=$!
track_pid "$PROXY"
wait_until 10 test -s "$T/proxy.port" || { not_ok "proxy starts"; lib_done; }
PROXY_URL=http://127.0.0.1:$(cat "$T/proxy.port")
agent_owner "$T" drop@example.com || { not_ok "owner signs up"; lib_done; }
agent_clip "$T/clip.mp4" 8 640x360 25 || { not_ok "test clip"; lib_done; }
# The pairing string names the proxy: the agent talks to sealcamd through it.
DIRECT=("${SC[@]}")
SC=("$SEALCAM" --home "$T/client" --server "$PROXY_URL")
agent_pair "$T" "Porch" "$T/clip.mp4" --loop --live-fragment-ms 100 ||
	{ not_ok "camera pairs through the proxy"; lib_done; }
SC=("${DIRECT[@]}")
agent_wait_log "live command channel open" 20 && ok "agent paired through the proxy, channel open" ||
	not_ok "agent channel open"

# 1. The hard limit: a viewer without --duration is ended cleanly at 6 s.
start=$(date +%s)
if timeout 40 "${SC[@]}" live --camera Porch -o "$T/a.mp4" 2>"$T/a.err" &&
	grep -q "camera ended the session" "$T/a.err"; then
	ok "the session ends at --live-max with END: viewer exits 0 after $(($(date +%s) - start)) s, $(frames "$T/a.mp4") frames"
else
	not_ok "hard time limit ends the session cleanly" "$(cat "$T/a.err")"
fi
wait_until 20 sessions_zero && ok "no session left after the time limit" ||
	not_ok "sessions 0 after time limit" "$(metric sealcamd_live_sessions)"

# 2. A network drop mid-session.
"${SC[@]}" live --camera Porch -o "$T/b.mp4" 2>"$T/b.err" &
VB=$!
wait_until 15 sh -c "[ -s '$T/b.mp4' ] && [ \$(stat -c %s '$T/b.mp4') -gt 20000 ]" ||
	not_ok "viewer receives video before the drop"
n_open=$(grep -c "live command channel open" "$AGENT_LOG")
kill -USR1 "$PROXY"
wait_until 30 sh -c "! kill -0 $VB 2>/dev/null"
wait $VB
rc=$?
if [ "$rc" != 0 ] && grep -q "broke off" "$T/b.err"; then
	ok "network drop: the viewer stops with an error ($(head -1 "$T/b.err"))"
else
	not_ok "viewer sees an error after a network drop" "rc=$rc $(cat "$T/b.err")"
fi
wait_until 20 sessions_zero && uploads_zero &&
	ok "no session or upload leaked after the drop" ||
	not_ok "no leak after drop" "$(live_counts)"
wait_until 40 sh -c "[ \$(grep -c 'live command channel open' '$AGENT_LOG') -gt $n_open ]" &&
	ok "the agent reconnected its command channel by itself" ||
	not_ok "agent reconnects" "$(tail -5 "$AGENT_LOG")"
"${SC[@]}" live --camera Porch -o "$T/c.mp4" --duration 2 2>"$T/c.err" &&
	[ "$(frames "$T/c.mp4")" -ge 40 ] && ok "live view works again after the drop" ||
	not_ok "live after drop" "$(cat "$T/c.err")"
segs=$(agent_server_seqs | wc -w)
[ "$segs" -ge 2 ] && ok "recording reached the server through it all ($segs segments)" ||
	not_ok "segments stored" "segs=$segs"

stop_pid "$AGENT_PID" && ok "agent stops cleanly" || not_ok "agent clean stop"
stop_pid "$SEALCAMD_PID" && ok "sealcamd stops cleanly" || not_ok "sealcamd clean stop"
lib_done
