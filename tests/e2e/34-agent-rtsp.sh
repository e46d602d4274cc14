#!/bin/bash
# sealcam-agent with an RTSP camera (GStreamer's RTSP server on loopback
# playing an H.264 clip): the stream is copied over RTSP/TCP into sealed
# segments; when the camera goes away the agent seals what it had, retries
# with backoff and records again once the camera is back; everything it
# sealed reaches the server and verifies.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agent_lib.sh"

T=$(tmp_dir)
RTSP_PORT=$(free_port)
start_rtsp() {
	/usr/bin/python3 "$(dirname "$0")/rtsp_server.py" "$RTSP_PORT" "$T/clip.mp4" \
		>>"$T/rtsp.log" 2>&1 &
	RTSP_PID=$!
	track_pid "$RTSP_PID"
	for _ in $(seq 100); do
		grep -c ready "$T/rtsp.log" | grep -q "^$1$" && return 0
		sleep 0.1
	done
	return 1
}
start_sealcamd "$T/server" || { not_ok "sealcamd starts"; lib_done; }
agent_clip "$T/clip.mp4" 60 640x360 25 || { not_ok "make the clip"; lib_done; }
start_rtsp 1 || { not_ok "RTSP server starts" "$(cat "$T/rtsp.log")"; lib_done; }
agent_owner "$T" rtsp@example.com || { not_ok "owner signs up"; lib_done; }
agent_pair "$T" Gate "rtsp://127.0.0.1:$RTSP_PORT/cam" --segment-seconds 2 ||
	{ not_ok "camera pairs" "$(tail -20 "$AGENT_LOG")"; lib_done; }

if agent_wait_log "comp=seal camera=$CAM_ID seq=2 " 20 &&
	grep -q "msg=opened type=rtsp video=h264" "$AGENT_LOG"; then
	ok "an RTSP camera is recorded (H.264 stream copy over RTSP/TCP)"
else
	not_ok "an RTSP camera is recorded" "$(tail -20 "$AGENT_LOG")"
fi

kill -TERM "$RTSP_PID"
wait "$RTSP_PID" 2>/dev/null
if agent_wait_log "source broke; reconnecting" 20; then
	ok "camera gone: the agent seals what it had and retries"
else
	not_ok "camera gone: the agent retries" "$(tail -20 "$AGENT_LOG")"
fi
before=$(agent_sealed_seqs | awk '{print $NF}')
sleep 3
start_rtsp 2 || { not_ok "RTSP server restarts"; lib_done; }
if agent_wait_log "comp=seal camera=$CAM_ID seq=$((before + 2)) " 30; then
	ok "camera back: the agent reconnects and records again"
else
	not_ok "camera back: the agent reconnects" "$(tail -20 "$AGENT_LOG")"
fi

check "SIGTERM: the agent exits 0" stop_pid "$AGENT_PID" 20
sealed=$(agent_sealed_seqs)
stored=$(agent_server_seqs)
[ -n "$sealed" ] && [ "$sealed" = "$stored" ] &&
	ok "every segment of both runs is on the server: $sealed" ||
	not_ok "every segment is on the server" "sealed: $sealed"$'\n'"stored: $stored"
if "${SC[@]}" clips get --camera Gate --since 1h --until +10m -o "$T/gate.mp4" >"$T/get.log" 2>&1 &&
	ffprobe -v error -count_frames -select_streams v:0 -show_entries stream=nb_read_frames \
		-of csv=p=0 "$T/gate.mp4" >"$T/n" 2>"$T/probe.log" && [ ! -s "$T/probe.log" ] &&
	[ "$(cat "$T/n")" -ge 100 ]; then
	ok "the recording verifies, decrypts and decodes ($(cat "$T/n") frames)"
else
	not_ok "the recording verifies, decrypts and decodes" "$(cat "$T/get.log" "$T/probe.log" 2>/dev/null | tail)"
fi
lib_done
