#!/bin/bash
# sealcam-agent end to end: 60 s of 720p H.264 (made by ffmpeg) recorded
# from a file source, paced at 4x real time (--speed 4, so the test takes
# ~15 s instead of 60), sealed, spooled and uploaded to a real sealcamd; the
# owner's CLI fetches the whole range as one MP4.
#
# Checks: every segment the agent sealed is on the server exactly once, in
# sequence; durations add up to the clip; `sealcam clips get` (downloads,
# verifies the camera signature and every record, decrypts, joins) gives an
# MP4 that ffprobe decodes with the clip's frame count (within one
# segment); SIGTERM stops the agent cleanly (exit 0).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agent_lib.sh"

T=$(tmp_dir)
start_sealcamd "$T/server" || { not_ok "sealcamd starts"; lib_done; }

# 60 s, 720p25, keyframe every 2 s: the segmenter cuts every 4 s.
agent_clip "$T/clip.mp4" 60 1280x720 50 || { not_ok "make the 60 s clip"; lib_done; }
FRAMES=1500

agent_owner "$T" owner@example.com || { not_ok "owner signs up"; lib_done; }
agent_pair "$T" Door "$T/clip.mp4" --speed 4 --segment-seconds 4 ||
	{ not_ok "camera pairs" "$(tail -20 "$AGENT_LOG")"; lib_done; }
ok "camera paired through the CLI; the agent accepted the owner's keyring"

# The whole clip is recorded (EOF) and the spool drained.
if agent_wait_log "source ended" 60 && agent_wait_spool_empty 30; then
	ok "the agent recorded the whole clip and emptied its spool"
else
	not_ok "the agent recorded the whole clip and emptied its spool" \
		"$(tail -20 "$AGENT_LOG")"
fi

sealed=$(agent_sealed_seqs)
stored=$(agent_server_seqs)
n=$(echo "$sealed" | wc -w)
if [ "$n" -ge 14 ] && [ "$sealed" = "$stored" ] &&
	[ "$sealed" = "$(seq -s ' ' 1 "$n")" ]; then
	ok "every sealed segment ($n) is on the server once, sequence 1..$n"
else
	not_ok "every sealed segment is on the server once" \
		"sealed: $sealed"$'\n'"stored: $stored"
fi

dur=$(agent_server_objects | python3 -c '
import json, sys
o = json.load(sys.stdin)["objects"]
print(sum(x["duration_ms"] for x in o))')
if [ "$dur" -ge 59500 ] && [ "$dur" -le 60500 ]; then
	ok "segment durations add up to the clip (${dur} ms)"
else
	not_ok "segment durations add up to the clip" "sum: $dur ms"
fi

if "${SC[@]}" clips get --camera Door --since 1h --until +10m -o "$T/out.mp4" >"$T/get.log" 2>&1; then
	ok "sealcam clips get verifies, decrypts and joins the whole range"
else
	not_ok "sealcam clips get verifies, decrypts and joins the whole range" \
		"$(cat "$T/get.log")"
fi
# ffprobe decodes every frame to count it; any decode error goes to stderr.
got=$(ffprobe -v error -count_frames -select_streams v:0 \
	-show_entries stream=nb_read_frames -of csv=p=0 "$T/out.mp4" 2>"$T/probe.log")
errs=$(wc -l <"$T/probe.log")
if [ -n "$got" ] && [ "$got" -ge $((FRAMES - 100)) ] && [ "$got" -le "$FRAMES" ] &&
	[ "$errs" -eq 0 ]; then
	ok "the joined MP4 decodes without error: $got of $FRAMES frames"
else
	not_ok "the joined MP4 decodes without error" \
		"frames: $got (want $FRAMES within one segment), decode errors: $errs"
fi

if stop_pid "$AGENT_PID" 20; then
	ok "SIGTERM: the agent exits 0"
else
	not_ok "SIGTERM: the agent exits 0" "$(tail -5 "$AGENT_LOG")"
fi
lib_done
