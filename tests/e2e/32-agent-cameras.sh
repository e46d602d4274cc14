#!/bin/bash
# Several cameras in one sealcam-agent process: two cameras paired (a file
# source and the lavfi test pattern encoded in-process), then one
# 'sealcam-agent run' records both, each with its own key, token, sequence
# numbers and spool. A second process cannot take cameras already recorded
# (lock). SIGTERM seals each camera's segment in progress and uploads it
# before exit 0.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agent_lib.sh"

T=$(tmp_dir)
start_sealcamd "$T/server" || { not_ok "sealcamd starts"; lib_done; }
agent_clip "$T/clip.mp4" 8 640x360 25 || { not_ok "make the clip"; lib_done; }
agent_owner "$T" multi@example.com || { not_ok "owner signs up"; lib_done; }

agent_pair "$T" Garden "$T/clip.mp4" --loop --segment-seconds 2 ||
	{ not_ok "camera 1 pairs" "$(tail -20 "$AGENT_LOG")"; lib_done; }
CAM1=$CAM_ID PID1=$AGENT_PID
agent_pair "$T" Porch testsrc --segment-seconds 2 ||
	{ not_ok "camera 2 pairs" "$(tail -20 "$AGENT_LOG")"; lib_done; }
CAM2=$CAM_ID PID2=$AGENT_PID
[ "$CAM1" != "$CAM2" ] && ok "two cameras paired, each with its own camera id" ||
	not_ok "two cameras paired" "$CAM1 $CAM2"
CAM_ID=$CAM2 agent_wait_log "comp=seal camera=$CAM2 seq=1 " 30
stop_pid "$PID1" 20 && stop_pid "$PID2" 20 &&
	ok "both pairing processes stop on SIGTERM with exit 0" ||
	not_ok "both pairing processes stop on SIGTERM with exit 0"

mark=$(wc -l <"$AGENT_LOG")
agent_run "$T" --segment-seconds 2
RUN=$AGENT_PID
n1=$(CAM_ID=$CAM1 agent_sealed_seqs | wc -w)
n2=$(CAM_ID=$CAM2 agent_sealed_seqs | wc -w)
if agent_wait_log "comp=seal camera=$CAM1 seq=$((n1 + 2)) " 30 &&
	agent_wait_log "comp=seal camera=$CAM2 seq=$((n2 + 2)) " 30; then
	ok "one 'run' process records both cameras, each going on with its own sequence"
else
	not_ok "one 'run' process records both cameras" "$(tail -n +"$mark" "$AGENT_LOG" | tail -20)"
fi
[ "$(tail -n +"$mark" "$AGENT_LOG" | grep -c 'msg=started')" = 2 ] &&
	ok "run started exactly the two paired cameras" ||
	not_ok "run started exactly the two paired cameras"

"$AGENT" run --state "$T/agent" >"$T/second.log" 2>&1 &
P=$!
track_pid "$P"
for _ in $(seq 100); do kill -0 "$P" 2>/dev/null || break; sleep 0.1; done
wait "$P"
rc=$?
[ "$rc" = 1 ] && grep -q "lock held" "$T/second.log" &&
	ok "a second agent process cannot record cameras that are already recorded" ||
	not_ok "a second agent process is refused" "exit $rc: $(cat "$T/second.log")"

if stop_pid "$RUN" 30; then
	ok "SIGTERM: the multi-camera agent exits 0"
else
	not_ok "SIGTERM: the multi-camera agent exits 0"
fi
for c in "$CAM1" "$CAM2"; do
	CAM_ID=$c
	left=$(ls "$AGENT_STATE/cameras/$c/spool/"*.sc 2>/dev/null | wc -l)
	sealed=$(agent_sealed_seqs)
	stored=$(agent_server_seqs)
	# The segment in progress at SIGTERM was finished and sealed.
	final=$(tail -n +"$mark" "$AGENT_LOG" |
		awk -v c="camera=$c" '/msg="stopping/ { s = 1 } s && /comp=seal / && index($0, c)' | wc -l)
	if [ "$left" = 0 ] && [ "$final" = 1 ] && [ -n "$sealed" ] && [ "$sealed" = "$stored" ]; then
		ok "camera $c: the segment in progress at SIGTERM was sealed, and all reached the server before exit"
	else
		not_ok "camera $c: every sealed segment reached the server" \
			"left $left, sealed after SIGTERM $final; sealed: $sealed"$'\n'"stored: $stored"
	fi
done
lib_done
