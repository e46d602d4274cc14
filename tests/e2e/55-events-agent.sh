#!/bin/bash
# Events on a real agent, end to end: a generated clip with exact ground
# truth (still 10 s, a person-sized object crosses from 10 to 17 s, still
# 13 s; bench/motion gen pause) recorded as a 960x540 main stream by stream
# copy while detection decodes the 640x360 substream.
#
#   camera A, record both:   exactly one event, start/end at the known
#                            times, the segments of its clip (and only
#                            those) flagged as event footage, records
#                            verified and decrypted by `sealcam events list`
#   camera B, events only:   only the event's footage is stored, and the
#                            clip `sealcam events get` writes starts before
#                            the first motion frame (the pre-roll, checked
#                            with ffprobe against the known motion start)
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agent_lib.sh"

T=$(tmp_dir)
MOTION_START=10.0 MOTION_END=17.0 CLIP_S=30

# The clip: grey frames from the scene generator, H.264 like a camera's
# substream, and the main stream from it (same frames, larger).
"$BIN/bench/motion" gen pause | ffmpeg -nostdin -hide_banner -loglevel error \
	-f rawvideo -pix_fmt gray -s 640x360 -r 25 -i - -vf format=yuv420p \
	-c:v libx264 -preset ultrafast -g 50 -bf 0 "$T/sub.mp4" &&
ffmpeg -nostdin -hide_banner -loglevel error -i "$T/sub.mp4" -vf scale=960:540 \
	-c:v libx264 -preset ultrafast -crf 30 -g 50 -bf 0 "$T/main.mp4" ||
	{ not_ok "the test clips are made"; lib_done; }

start_sealcamd "$T/server" || { not_ok "sealcamd starts"; lib_done; }
agent_owner "$T" events@example.com || { not_ok "owner signs up"; lib_done; }

# Two cameras in two agents at once: A records everything, B events only.
mkdir -p "$T/a" "$T/b"
agent_pair "$T/a" CamA "$T/main.mp4" --speed 4 --detect-source "$T/sub.mp4" \
	--segment-seconds 2 || { not_ok "camera A pairs"; lib_done; }
A_LOG=$AGENT_LOG A_ID=$CAM_ID A_PID=$AGENT_PID A_STATE=$AGENT_STATE
agent_pair "$T/b" CamB "$T/main.mp4" --speed 4 --detect-source "$T/sub.mp4" \
	--segment-seconds 2 --record events || { not_ok "camera B pairs"; lib_done; }
B_LOG=$AGENT_LOG B_ID=$CAM_ID B_PID=$AGENT_PID B_STATE=$AGENT_STATE
ok "two cameras paired (record both; events only)"

for cam in A B; do
	eval "AGENT_LOG=\$${cam}_LOG AGENT_STATE=\$${cam}_STATE"
	agent_wait_log "source ended" 90 || not_ok "camera $cam reaches the end of its clip"
	agent_wait_log "state=end kind=motion" 30 ||
		not_ok "camera $cam seals the event's end record" "$(grep comp=event "$AGENT_LOG" | tail -5)"
	agent_wait_spool_empty 60 || not_ok "camera $cam uploads everything"
done

# The first segment starts at the clip's first frame: the time origin.
origin() { # agent log -> start_ms of segment 1
	sed -n 's/.*comp=seal camera=[0-9a-f]* seq=1 start_ms=\([0-9]*\) .*/\1/p' "$1" | head -1
}
A0=$(origin "$A_LOG")

# --- camera A: the event, its times, its footage -------------------------------
"${SC[@]}" events list --camera CamA --since 1h --until +10m --json >"$T/a.json" 2>"$T/a.err" ||
	not_ok "events list (A) runs" "$(cat "$T/a.err")"
python3 - "$T/a.json" "$A0" "$MOTION_START" "$MOTION_END" <<'EOF'
import json, sys
evs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
t0, ms, me = int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
def ok(w): print("ok - " + w)
def bad(w, d=""): print("not ok - " + w); print("# " + str(d)[:400])
if len(evs) == 1 and evs[0]["kind"] == "motion" and evs[0]["state"] == "end":
    ok("camera A: exactly one motion event in the clip (still, motion, still)")
else:
    bad("camera A: exactly one motion event", evs)
    sys.exit(0)
e = evs[0]
s, en = (e["start_ms"] - t0) / 1000, (e["end_ms"] - t0) / 1000
if abs(s - ms) <= 0.3:
    ok("the event starts at the first motion frame: %.2f s (truth %.1f s)" % (s, ms))
else:
    bad("event start %.2f s vs %.1f s" % (s, ms))
if abs(en - me) <= 0.5:
    ok("the event ends at the last motion frame: %.2f s (truth %.1f s)" % (en, me))
else:
    bad("event end %.2f s vs %.1f s" % (en, me))
if abs((e["clip_start_ms"] - e["start_ms"]) + 3000) < 1 and abs(e["clip_end_ms"] - e["end_ms"] - 2000) < 1:
    ok("the clip adds the 3 s pre-roll and 2 s post-roll")
else:
    bad("clip range", e)
if e["segments"] and e["records"] >= 2 and e["thumbnail"]:
    ok("start and end records verified and decrypted, with a thumbnail and the clip's segments %s" % e["segments"])
else:
    bad("records, thumbnail, segments", e)
open(sys.argv[1] + ".clip", "w").write("%d %d %d %d" % (e["clip_start_ms"], e["clip_end_ms"], e["segments"][0], e["segments"][1]))
EOF
read -r CS CE SF SL <"$T/a.json.clip"
CAM_ID=$A_ID agent_server_objects >"$T/a.objs"
python3 - "$T/a.objs" "$CS" "$CE" "$SF" "$SL" <<'EOF'
import json, sys
objs = json.load(open(sys.argv[1]))["objects"]
cs, ce, sf, sl = map(int, sys.argv[2:6])
bad = [o["seq"] for o in objs if (o["start_ms"] < ce and o["start_ms"] + o["duration_ms"] > cs) != (o["flags"] == 1)]
inside = [o["seq"] for o in objs if o["flags"] == 1]
if not bad and inside and min(inside) == sf and max(inside) == sl and len(objs) > len(inside):
    print("ok - exactly the segments overlapping the clip are flagged as event footage (%d of %d), as the end record lists" % (len(inside), len(objs)))
else:
    print("not ok - event flags on the clip's segments")
    print("# wrong %s, flagged %s, record %d-%d" % (bad, inside, sf, sl))
EOF

# --- camera B: events only, with pre-roll ---------------------------------------
AGENT_LOG=$B_LOG CAM_ID=$B_ID
"${SC[@]}" events list --camera CamB --since 1h --until +10m --json >"$T/b.json" 2>"$T/b.err"
read -r BID BSTART BCLIP BCLIPEND < <(python3 -c '
import json, sys
evs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
e = evs[0] if len(evs) == 1 else {"id": 0, "start_ms": 0, "clip_start_ms": 0, "clip_end_ms": 0}
print(e["id"], e["start_ms"], e["clip_start_ms"], e["clip_end_ms"])' "$T/b.json")
[ "$BID" != 0 ] && ok "camera B (events only): one event" ||
	not_ok "camera B: one event" "$(cat "$T/b.json" "$T/b.err")"
agent_server_objects >"$T/b.objs"
python3 - "$T/b.objs" "$BCLIP" "$BCLIPEND" "$CLIP_S" <<'EOF'
import json, sys
objs = json.load(open(sys.argv[1]))["objects"]
cs, ce, total = int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
kept = sum(o["duration_ms"] for o in objs) / 1000
outside = [o["seq"] for o in objs if not (o["start_ms"] < ce and o["start_ms"] + o["duration_ms"] > cs)]
if objs and not outside and all(o["flags"] == 1 for o in objs) and kept < total * 0.6:
    print("ok - events only: stored footage is the event's clip alone (%.1f s of %.0f s), all flagged" % (kept, total))
else:
    print("not ok - events only stores only the event's footage")
    print("# kept %.1f s, outside the clip %s, flags %s" % (kept, outside, [o["flags"] for o in objs]))
EOF
if "${SC[@]}" events get "$BID" --camera CamB -o "$T/b.mp4" --thumbnail "$T/b.jpg" \
	>"$T/get.out" 2>&1; then
	ok "events get writes the event's clip and thumbnail"
else
	not_ok "events get" "$(cat "$T/get.out")"
fi
# The clip must reach back before the first motion frame: its last frame is
# at the clip's end, so (end - duration) is when it starts.
dur=$(ffprobe -v error -show_entries format=duration -of csv=p=0 "$T/b.mp4")
frames=$(ffprobe -v error -count_frames -select_streams v:0 -show_entries \
	stream=nb_read_frames -of csv=p=0 "$T/b.mp4")
# (Camera A showed the event start is the first motion frame.)
python3 - "$dur" "$frames" "$BSTART" "$BCLIPEND" <<'EOF'
import sys
dur, frames, start, clip_end = float(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
lead = (start - clip_end) / 1000 + dur   # first motion frame - first clip frame
if lead >= 2.5 and frames >= dur * 25 - 2:
    print("ok - the events-only clip starts %.2f s before the first motion frame (pre-roll 3 s, cut at a keyframe; %d frames, %.2f s)" % (lead, frames, dur))
else:
    print("not ok - the event clip starts before the first motion frame")
    print("# clip %.2f s long, %d frames, motion %.2f s after its first frame" % (dur, frames, lead))
EOF
ffprobe -v error -show_entries stream=codec_name,width -of csv=p=0 "$T/b.jpg" 2>/dev/null |
	grep -q "mjpeg,320" && ok "the event thumbnail is a 320-pixel JPEG" ||
	not_ok "event thumbnail" "$(ffprobe -v error -show_streams "$T/b.jpg" 2>&1 | head -5)"

for p in "$A_PID" "$B_PID"; do
	stop_pid "$p" 30
	[ $? = 0 ] || not_ok "agent exits cleanly on SIGTERM"
done
lib_done
