#!/bin/bash
# Live view end to end (issue 5): a real agent (a looped H.264 clip)
# recording segments and, on request, streaming live; sealcamd relaying;
# the sealcam CLI decrypting. Checks what a user would: the stream plays
# (ffprobe decodes it, timestamps advance), a second viewer joins late,
# what the relay carries is ciphertext only, a slow viewer is cut off while
# the other goes on, the owner sees who watched, the agent dying mid-session
# gives the viewer an error and leaks no session, and recording goes on.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agent_lib.sh"

T=$(tmp_dir)
RESTCHECK=$SEALCAM_ROOT/tests/tools/restcheck.py
start_sealcamd "$T/s" --live-grace 1s --live-viewer-buffer 512K ||
	{ not_ok "sealcamd starts"; lib_done; }
agent_owner "$T" owner@example.com || { not_ok "owner signs up"; lib_done; }
# A pre-encoded 720p clip with an AAC sound track, looped in real time: no
# encoding on the agent (keeps the test light under sanitizers), ~5 Mbit/s,
# keyframe every 2 s.
agent_clip "$T/clip.mp4" 8 1280x720 50 aac || { not_ok "test clip"; lib_done; }
agent_pair "$T" "Front door" "$T/clip.mp4" --loop --live-fragment-ms 200 ||
	{ not_ok "camera pairs"; tail -20 "$AGENT_LOG" | sed 's/^/# /'; lib_done; }
ok "agent paired (looped 720p clip), keyring accepted"

agent_wait_log "live command channel open" 20 || not_ok "agent opens its live command channel"

# 1. A viewer: 5 s of video, decodable, timestamps advancing.
start=$(date +%s%N)
if "${SC[@]}" live --camera "Front door" -o "$T/live.mp4" --duration 5 2>"$T/live.err"; then
	ms=$((($(date +%s%N) - start) / 1000000))
	ok "sealcam live --duration 5 ends by itself (${ms} ms)"
else
	not_ok "sealcam live works" "$(cat "$T/live.err"; tail -20 "$AGENT_LOG")"
fi
n=$(frames "$T/live.mp4" 2>/dev/null)
python3 - "$T/live.mp4" <<'EOF' && ok "ffprobe decodes the live stream: $n frames, timestamps advance over >= 4 s" || not_ok "live stream decodes with advancing timestamps" "frames=$n"
import json, subprocess, sys
p = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
                    "frame=pts_time", "-of", "json", sys.argv[1]], capture_output=True)
ts = [float(f["pts_time"]) for f in json.loads(p.stdout or b"{}").get("frames", []) if "pts_time" in f]
ok = p.returncode == 0 and len(ts) >= 90 and all(b > a for a, b in zip(ts, ts[1:])) and ts[-1] - ts[0] >= 4.0
print("# %d frames, %.2f..%.2f s" % (len(ts), ts[0] if ts else -1, ts[-1] if ts else -1))
sys.exit(0 if ok else 1)
EOF
python3 - "$T/live.mp4" <<'EOF' && ok "...with the camera's sound: an AAC track whose timestamps advance alongside the picture" || not_ok "live stream carries the audio track"
import json, subprocess, sys
p = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "a:0", "-show_entries",
                    "stream=codec_name:packet=pts_time", "-of", "json", sys.argv[1]], capture_output=True)
j = json.loads(p.stdout or b"{}")
codec = (j.get("streams") or [{}])[0].get("codec_name")
ts = [float(x["pts_time"]) for x in j.get("packets", []) if "pts_time" in x]
ok = p.returncode == 0 and codec == "aac" and len(ts) >= 150 and all(b > a for a, b in zip(ts, ts[1:])) and ts[-1] - ts[0] >= 4.0
print("# audio %s: %d packets, %.2f..%.2f s" % (codec, len(ts), ts[0] if ts else -1, ts[-1] if ts else -1))
sys.exit(0 if ok else 1)
EOF
python3 "$RESTCHECK" "$T/live.mp4" >"$T/rc-plain.json" 2>&1 &&
	not_ok "restcheck finds MP4 boxes in the decrypted stream (positive control)" ||
	ok "restcheck finds MP4 boxes in the decrypted stream (so the ciphertext check can fail)"

direct=$(metric sealcamd_live_direct_writes_total)
[ "${direct:-0}" -gt 0 ] &&
	ok "the relay wrote $direct records straight to the viewer's socket (the stream above decodes)" ||
	not_ok "direct writes to a caught-up viewer" "direct=$direct"

# 2. Two viewers, the second joining late; raw captures of the relay over
#    HTTP/1.1 (chunked: the relay writes chunks itself), HTTP/1.0 (not
#    chunked: only libmicrohttpd writes) and HEAD (no body at all).
"${SC[@]}" live --camera "Front door" -o "$T/a.mp4" --duration 6 2>"$T/a.err" &
VA=$!
sleep 2
curl -s --max-time 3 --http1.0 -H "Authorization: Bearer $OWNER_TOKEN" \
	"$SEALCAMD_URL/v1/cameras/$CAM_ID/live" -o "$T/raw10.bin" &
R10=$!
curl -s --max-time 3 -H "Authorization: Bearer $OWNER_TOKEN" \
	"$SEALCAMD_URL/v1/cameras/$CAM_ID/live" -o "$T/raw.bin"
wait $R10
# Records are framed back to back after the head (FORMAT.md "Live stream"):
# a stray byte (say, chunk framing where there is none) breaks the walk.
walk() {
	python3 - "$1" <<'EOF'
import struct, sys
b = open(sys.argv[1], "rb").read()
i = b.find(b"\x01\x00\x00\x00", 100)
while i >= 0 and b[i + 8:i + 16] != bytes(8):
	i = b.find(b"\x01\x00\x00\x00", i + 1)
n, last = 0, None
while i >= 0 and i + 24 <= len(b):
	t, f, r, L, idx = struct.unpack(">BBHIQ", b[i:i + 16])
	if t not in (1, 2, 3) or r != 0 or L < 16 or (last is not None and last > 0 and idx != last + 1):
		print("# bad record at %d: type %d L %d index %d after %s" % (i, t, L, idx, last))
		sys.exit(1)
	last, n, i = idx, n + 1, i + 24 + L + 64
print("%d records" % n)
sys.exit(0 if n >= 10 else 1)
EOF
}
[ "$(metric sealcamd_live_sessions)" = 1 ] && ok "two viewers share one live session" ||
	not_ok "one session for two viewers" "sessions=$(metric sealcamd_live_sessions)"
"${SC[@]}" live --camera "Front door" -o "$T/b.mp4" --duration 2 2>"$T/b.err" &&
	[ "$(frames "$T/b.mp4")" -ge 40 ] &&
	ok "a viewer joining a running session starts at a keyframe and decodes ($(frames "$T/b.mp4") frames)" ||
	not_ok "late joiner decodes" "$(cat "$T/b.err")"
wait $VA && [ "$(frames "$T/a.mp4")" -ge 120 ] &&
	ok "the first viewer went on undisturbed ($(frames "$T/a.mp4") frames)" ||
	not_ok "first viewer undisturbed" "$(cat "$T/a.err")"
size=$(stat -c %s "$T/raw.bin" 2>/dev/null || echo 0)
if [ "$size" -gt 20000 ] && python3 "$RESTCHECK" --entropy-glob raw.bin --min-entropy 7.5 \
	"$T/raw.bin" >"$T/rc.json"; then
	ok "the relay carries ciphertext only: $size bytes, no MP4 box, no H.264 NAL pattern ($(cat "$T/rc.json"))"
else
	not_ok "relay bytes are ciphertext" "size=$size $(cat "$T/rc.json" 2>/dev/null)"
fi
head -c 4 "$T/raw.bin" | grep -q SEAL && ok "the raw stream starts with the sealed header (kind 4)" ||
	not_ok "raw stream starts with SEAL"
w11=$(walk "$T/raw.bin") && w10=$(walk "$T/raw10.bin") &&
	ok "raw captures are whole records back to back: HTTP/1.1 $w11, HTTP/1.0 $w10" ||
	not_ok "raw captures well framed" "1.1: ${w11:-} 1.0: ${w10:-}"
python3 - "$SEALCAMD_URL" "$CAM_ID" "$OWNER_TOKEN" <<'EOF' && ok "HEAD on the live route: headers, no stream bytes" || not_ok "HEAD live has no body"
import socket, sys, time, urllib.parse
u = urllib.parse.urlparse(sys.argv[1])
s = socket.create_connection((u.hostname, u.port))
s.sendall(("HEAD /v1/cameras/%s/live HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n\r\n"
           % (sys.argv[2], sys.argv[3])).encode())
s.settimeout(0.5)
got, end = b"", time.time() + 2
while time.time() < end:
	try:
		d = s.recv(65536)
	except socket.timeout:
		continue
	if not d:
		break
	got += d
h, _, body = got.partition(b"\r\n\r\n")
# libmicrohttpd may end the (empty) chunked body: "0\r\n\r\n", no record.
print("# %s, body %r" % (h.split(b"\r\n")[0].decode(), body[:16]))
sys.exit(0 if h.startswith(b"HTTP/1.1 200") and body in (b"", b"0\r\n\r\n") else 1)
EOF

# 3. A slow viewer is cut off; a normal one beside it is not.
curl -s --limit-rate 8k --max-time 20 -H "Authorization: Bearer $OWNER_TOKEN" \
	"$SEALCAMD_URL/v1/cameras/$CAM_ID/live" -o "$T/slow.bin" &
SLOW=$!
"${SC[@]}" live --camera "Front door" -o "$T/c.mp4" --duration 4 2>"$T/c.err" &&
	ok "a viewer beside a slow one gets its 4 s ($(frames "$T/c.mp4") frames)" ||
	not_ok "normal viewer beside a slow one" "$(cat "$T/c.err")"
wait_until 20 sh -c "[ \"\$(curl -s $SEALCAMD_URL/metrics | awk '\$1 == \"sealcamd_live_viewers_cut_total\" {print \$2}')\" -ge 1 ]" &&
	ok "the slow viewer was cut off (sealcamd_live_viewers_cut_total $(metric sealcamd_live_viewers_cut_total))" ||
	not_ok "slow viewer cut" "cut=$(metric sealcamd_live_viewers_cut_total)"
wait $SLOW

# 4. Sessions end when nobody watches; the agent stops sending.
wait_until 20 sessions_zero && ok "no viewers left: the live session ended (count back to 0)" ||
	not_ok "session count returns to 0" "sessions=$(metric sealcamd_live_sessions)"
wait_until 10 uploads_zero &&
	ok "the agent's live upload is closed" || not_ok "agent upload closed" "uploads=$(metric sealcamd_live_uploads)"

# 5. The owner sees who watched, when, for how long.
"${SC[@]}" live history --camera "Front door" >"$T/hist" 2>&1
views=$(grep -c "owner@example.com" "$T/hist")
[ "$views" -ge 4 ] && ok "live history shows the owner's $views views with start and duration" ||
	not_ok "live history" "$(cat "$T/hist")"

# 6. The agent dies mid-session: the viewer gets an error, no session leaks;
#    restarted, it streams again. Recording went on meanwhile.
"${SC[@]}" live --camera "Front door" -o "$T/d.mp4" 2>"$T/d.err" &
VD=$!
wait_until 15 sh -c "[ -s '$T/d.mp4' ] && [ \$(stat -c %s '$T/d.mp4') -gt 50000 ]"
kill -9 "$AGENT_PID"
wait_until 30 sh -c "! kill -0 $VD 2>/dev/null"
wait $VD
rc=$?
if [ "$rc" != 0 ] && grep -q "broke off\|refused" "$T/d.err"; then
	ok "agent killed mid-session: the viewer stops with an error ($(head -1 "$T/d.err"))"
else
	not_ok "viewer sees an error when the agent dies" "rc=$rc $(cat "$T/d.err")"
fi
wait_until 20 sessions_zero && ok "no session leaked after the agent died" ||
	not_ok "sessions back to 0 after agent death" "sessions=$(metric sealcamd_live_sessions)"
n_open=$(grep -c "live command channel open" "$AGENT_LOG")
agent_run "$T" --loop --live-fragment-ms 200
wait_until 30 sh -c "[ \$(grep -c 'live command channel open' '$AGENT_LOG') -gt $n_open ]"
"${SC[@]}" live --camera "Front door" -o "$T/e.mp4" --duration 2 2>"$T/e.err" &&
	[ "$(frames "$T/e.mp4")" -ge 40 ] && ok "after the agent restarts, live view works again" ||
	not_ok "live after agent restart" "$(cat "$T/e.err")"
segs=$(agent_server_seqs | wc -w)
[ "$segs" -ge 3 ] && ok "recording went on during live view ($segs segments stored)" ||
	not_ok "segments recorded while live" "segs=$segs"

stop_pid "$AGENT_PID" && ok "agent stops cleanly" || not_ok "agent clean stop"
wait_until 20 sessions_zero || not_ok "sessions 0 at the end"
stop_pid "$SEALCAMD_PID" && ok "sealcamd stops cleanly" || not_ok "sealcamd clean stop"
lib_done
