#!/bin/bash
# A real clip through the real agent: vtest.avi (people walking, Debian's
# opencv-doc) spliced with still spans as bench/motion does (30 s walking,
# the last frame frozen 25 s with fresh sensor noise, 20 s walking, the
# empty hall 20 s, 29.5 s walking, frozen 8 s), recorded with detection on
# the main stream itself (no substream: decoded at reduced cost).
# Events while people walk, none in the still spans, and the person
# detector, run only on the moving regions, labels them "person".
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agent_lib.sh"

T=$(tmp_dir); echo "# $T"
"$BIN/bench/motion" gen vtest | ffmpeg -nostdin -hide_banner -loglevel error \
	-f rawvideo -pix_fmt gray -s 384x288 -r 10 -i - -vf format=yuv420p \
	-c:v libx264 -preset veryfast -g 20 -bf 0 "$T/vtest.mp4" ||
	{ not_ok "the vtest clip is made (opencv-doc installed?)"; lib_done; }

start_sealcamd "$T/server" || { not_ok "sealcamd starts"; lib_done; }
agent_owner "$T" vtest@example.com || { not_ok "owner signs up"; lib_done; }
agent_pair "$T" Hall "$T/vtest.mp4" --speed 4 --segment-seconds 2 ||
	{ not_ok "camera pairs"; lib_done; }
agent_wait_log "source ended" 120 || not_ok "the clip is recorded to its end"
agent_wait_log "msg=stopped frames=" 1 || true
for _ in $(seq 300); do
	[ "$(grep -c 'state=end kind=motion' "$AGENT_LOG")" -ge 3 ] && break
	sleep 0.1
done
agent_wait_spool_empty 60 || not_ok "everything uploaded"
grep -q "comp=detect.*detect=main stream" "$AGENT_LOG" &&
	ok "detection runs on the main stream (no substream given)" ||
	not_ok "detection on the main stream" "$(grep comp=detect "$AGENT_LOG" | head -3)"

T0=$(sed -n 's/.*comp=seal camera=[0-9a-f]* seq=1 start_ms=\([0-9]*\) .*/\1/p' "$AGENT_LOG" | head -1)
"${SC[@]}" events list --camera Hall --since 1h --until +10m --json >"$T/ev.json" 2>"$T/ev.err" ||
	not_ok "events list" "$(cat "$T/ev.err")"
python3 - "$T/ev.json" "$T0" <<'EOF'
import json, sys
evs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
t0 = int(sys.argv[2])
walk = [(0, 30), (55, 75), (95, 124.5)]      # people walk (s of the clip)
still = [(30, 55), (75, 95), (124.5, 132.5)]  # frozen / empty / frozen
spans = [((e["start_ms"] - t0) / 1000, ((e["end_ms"] or e["start_ms"]) - t0) / 1000) for e in evs]
print("# events (s): " + ", ".join("%.1f-%.1f %s" % (s, en, ",".join(l["label"] for l in e["labels"])) for (s, en), e in zip(spans, evs)))
def ok(w): print("ok - " + w)
def bad(w): print("not ok - " + w)
hit = [any(s < b and en > a for s, en in spans) for a, b in walk]
if all(hit):
    ok("an event while people walk in each of the three walking spans")
else:
    bad("events in every walking span: %s" % hit)
# Nothing may start in a still span once still_ms (3 s) has passed: frozen
# people stay boxed as still objects, the empty hall is background.
late = [(s, en) for s, en in spans for a, b in still if a + 3.5 <= s < b]
if not late and len(evs) == len(walk):
    ok("no event starts in the still spans (frozen picture, empty hall): %d events for 3 walks" % len(evs))
else:
    bad("no event in still spans: %d events, starting in still spans: %s" % (len(evs), late))
people = [e for e in evs if any(l["label"] == "person" and l["score"] >= 0.4 for l in e["labels"])]
if len(people) == len(evs) and evs:
    ok("every event is labelled person by the detector run on its moving regions (best %s)" %
       ", ".join("%.2f" % max(l["score"] for l in e["labels"] if l["label"] == "person") for e in people))
else:
    bad("events labelled person: %d of %d" % (len(people), len(evs)))
EOF
# Times follow the clip at 4x speed: the later events are "in the future".
n=$("${SC[@]}" events list --camera Hall --since 1h --until +10m --person-only --json 2>/dev/null | wc -l)
[ "$n" -ge 1 ] && ok "events list --person-only keeps the events with people ($n)" ||
	not_ok "person-only listing"
stop_pid "$AGENT_PID" 30
lib_done
