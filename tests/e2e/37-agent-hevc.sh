#!/bin/bash
# An H.265 camera (many IP cameras default to it): 20 s of 640x360 H.265
# with AAC sound (made by ffmpeg with libx265) recorded from a file source
# by stream copy, sealed, uploaded; the owner's CLI fetches the whole range
# and watches live. Checks: every segment arrives once; `sealcam clips get`
# gives an MP4 that ffprobe decodes as H.265 with every frame of the clip
# and the sound; `sealcam live` gives an H.265 stream whose timestamps
# advance. Sources the agent cannot copy (neither H.264 nor H.265) are
# refused with a message naming the codec.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agent_lib.sh"

T=$(tmp_dir)
start_sealcamd "$T/server" --live-grace 1s || { not_ok "sealcamd starts"; lib_done; }
ffmpeg -nostdin -hide_banner -loglevel error -f lavfi -i "testsrc2=size=640x360:rate=25" \
	-f lavfi -i "sine=frequency=440:sample_rate=48000" -t 20 -c:v libx265 \
	-x265-params log-level=error -g 50 -keyint_min 50 -pix_fmt yuv420p -c:a aac -b:a 64k \
	"$T/clip.mp4" || { not_ok "make the H.265 clip"; lib_done; }
FRAMES=500

agent_owner "$T" owner@example.com || { not_ok "owner signs up"; lib_done; }
agent_pair "$T" Gate "$T/clip.mp4" --speed 2 --segment-seconds 4 --record continuous \
	--live-fragment-ms 200 || { not_ok "camera pairs" "$(tail -20 "$AGENT_LOG")"; lib_done; }
grep -q 'video=hevc' "$AGENT_LOG" &&
	ok "the agent opens the H.265 file for stream copy" || not_ok "H.265 source opened" "$(grep source "$AGENT_LOG")"

# Live, while it records (the clip plays for ~10 s at --speed 2).
agent_wait_log "live command channel open" 20 || not_ok "agent opens its live command channel"
if "${SC[@]}" live --camera Gate -o "$T/live.mp4" --duration 3 2>"$T/live.err"; then
	python3 - "$T/live.mp4" <<'EOF' && ok "sealcam live: an H.265 stream that decodes, timestamps advancing" ||
import json, subprocess, sys
p = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
                    "stream=codec_name:frame=pts_time", "-of", "json", sys.argv[1]], capture_output=True)
j = json.loads(p.stdout or b"{}")
codec = (j.get("streams") or [{}])[0].get("codec_name")
ts = [float(f["pts_time"]) for f in j.get("frames", []) if "pts_time" in f]
print("# live %s: %d frames, %.2f..%.2f s, stderr %d bytes" % (codec, len(ts), ts[0] if ts else -1,
      ts[-1] if ts else -1, len(p.stderr)))
sys.exit(0 if p.returncode == 0 and codec == "hevc" and len(ts) >= 40 and not p.stderr and
         all(b > a for a, b in zip(ts, ts[1:])) else 1)
EOF
		not_ok "live H.265 stream decodes with advancing timestamps"
else
	not_ok "sealcam live works for an H.265 camera" "$(cat "$T/live.err"; tail -5 "$AGENT_LOG")"
fi

if agent_wait_log "source ended" 60 && agent_wait_spool_empty 30; then
	ok "the agent recorded the whole clip and emptied its spool"
else
	not_ok "the agent recorded the whole clip and emptied its spool" "$(tail -20 "$AGENT_LOG")"
fi
sealed=$(agent_sealed_seqs)
stored=$(agent_server_seqs)
n=$(echo "$sealed" | wc -w)
[ "$n" -ge 4 ] && [ "$sealed" = "$stored" ] && [ "$sealed" = "$(seq -s ' ' 1 "$n")" ] &&
	ok "every sealed segment ($n) is on the server once, sequence 1..$n" ||
	not_ok "every sealed segment is on the server once" "sealed: $sealed"$'\n'"stored: $stored"

if "${SC[@]}" clips get --camera Gate --since 1h --until +10m -o "$T/out.mp4" >"$T/get.log" 2>&1; then
	ok "sealcam clips get verifies, decrypts and joins the H.265 segments"
else
	not_ok "sealcam clips get joins the H.265 segments" "$(cat "$T/get.log")"
fi
got=$(ffprobe -v error -count_frames -select_streams v:0 \
	-show_entries stream=codec_name,nb_read_frames -of csv=p=0 "$T/out.mp4" 2>"$T/probe.log")
audio=$(ffprobe -v error -select_streams a:0 -show_entries stream=codec_name -of csv=p=0 "$T/out.mp4")
# A file source loses nothing: every frame, the last one too (x265's
# B-frames: the join gives each picture its length, tests/unit/cli_join).
codec=${got%%,*} frames=${got#*,}
[ "$codec" = hevc ] && [ "${frames:-0}" -eq $FRAMES ] &&
	[ ! -s "$T/probe.log" ] && [ "$audio" = aac ] &&
	ok "the joined MP4 decodes as H.265 without error: $frames of $FRAMES frames, with the AAC sound" ||
	not_ok "the joined H.265 MP4 decodes" "video: $got (want hevc, $FRAMES frames); audio: $audio; $(head -3 "$T/probe.log")"
stop_pid "$AGENT_PID" 20 && ok "SIGTERM: the agent exits 0" || not_ok "agent exits 0" "$(tail -5 "$AGENT_LOG")"

# A camera in a codec the agent does not copy: refused, saying which.
ffmpeg -nostdin -hide_banner -loglevel error -f lavfi -i "testsrc2=size=320x180:rate=10" -t 2 \
	-c:v mpeg4 "$T/mpeg4.mp4" || not_ok "make the MPEG-4 clip"
mkdir -p "$T/m"
agent_pair "$T/m" Old "$T/mpeg4.mp4" --record continuous || not_ok "MPEG-4 camera pairs" "$(tail -5 "$AGENT_LOG")"
agent_wait_log 'video is neither H.264 nor H.265" codec=mpeg4' 20 &&
	ok "a camera in another codec (MPEG-4 Part 2) is refused with a message naming it" ||
	not_ok "other codecs refused clearly" "$(grep -i 'source' "$AGENT_LOG" | tail -3)"
stop_pid "$AGENT_PID" 20 || not_ok "agent exits 0" "$(tail -5 "$AGENT_LOG")"
lib_done
