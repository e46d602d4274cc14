#!/bin/bash
# The owner's whole flow with the real programs on 127.0.0.1: signup, camera
# add, an agent fed 60 s of 720p H.264 made by ffmpeg, clips list, clips get.
# Must hold: every segment arrives; 'clips get' for the whole range yields an
# MP4 that ffprobe/ffmpeg decode without error, frame count within one
# segment of the source.
. "$(dirname "$0")/lib.sh"

D=$(tmp_dir)
OWNER=$D/owner

# 60 s of 720p25 H.264, a keyframe every 2 s: the agent cuts at the first
# keyframe after 4 s, so 15 segments of 100 frames.
ffmpeg -nostdin -loglevel error -f lavfi -i testsrc2=size=1280x720:rate=25 -t 60 \
	-c:v libx264 -preset ultrafast -g 50 -pix_fmt yuv420p "$D/src.mp4"
src=$(frames "$D/src.mp4")
check "ffmpeg made 60 s of 720p H.264 (1500 frames)" test "$src" = 1500

start_sealcamd "$D/s" || { not_ok "sealcamd starts"; lib_done; }

out=$(printf 'correct horse battery\n' | sc "$OWNER" signup --email owner@example.com --password-stdin)
code=$(sed -n 's/^Recovery code: *//p' <<<"$out")
[[ $code =~ ^[0-9A-Z]{4}(-[0-9A-Z]{4}){6}$ ]] && grep -q "only time the recovery code is shown" <<<"$out" &&
	ok "signup shows the recovery code once, with a warning" || not_ok "signup" "$out"
[ "$(stat -c %a "$OWNER/vault")" = 600 ] && [ "$(stat -c %a "$OWNER/session")" = 600 ] &&
	[ "$(stat -c %a "$OWNER")" = 700 ] &&
	ok "keys and session token are stored owner-only (0600, home 0700)" ||
	not_ok "modes" "$(ls -la "$OWNER")"
who=$(sc "$OWNER" whoami)
grep -q "Published keys:  match" <<<"$who" && ok "whoami: the server publishes this device's keys" ||
	not_ok "whoami" "$who"

out=$(sc "$OWNER" camera add --name "Front door" --no-wait)
pairing=$(sed -n 's/^Pairing string: *//p' <<<"$out")
[[ $pairing == sealcam-pair:* ]] && grep -q "sealcam-agent pair '$pairing' --source" <<<"$out" &&
	ok "camera add prints the pairing string and the command for the home machine" ||
	not_ok "camera add" "$out"
"$SEALCAM_AGENT" pair "$pairing" --source "$D/src.mp4" --speed 8 --name "Front door" \
	--state "$D/agent" >"$D/agent.log" 2>&1 &
AGENT=$!
track_pid $AGENT
out=$(sc "$OWNER" camera pending --wait --timeout 60)
grep -q "proof verified; keyring epoch 1 is published" <<<"$out" &&
	ok "the client checks the camera's proof and publishes keyring epoch 1" || not_ok "pending" "$out"
list=$(sc "$OWNER" camera list)
grep -Eq "^Front door .* 1  owner$" <<<"$list" && ok "camera list: the camera, epoch 1, role owner" ||
	not_ok "camera list" "$list"

# The file ends after 60 s of media (7.5 s at --speed 8); the agent says how
# many segments it made, keeps uploading until its spool is empty, and
# stops cleanly on SIGTERM.
wait_until 120 grep -q "source ended" "$D/agent.log"
made=$(sed -n 's/.*source ended.* segments=\([0-9]*\).*/\1/p' "$D/agent.log")
uploaded() { [ "$(grep -c 'comp=upload .*kind=segment .*status=20[01]' "$D/agent.log")" -ge "$made" ]; }
wait_until 60 uploaded
[ -n "$made" ] && [ "$made" -ge 15 ] && uploaded &&
	ok "the agent recorded the whole file ($made segments) and uploaded them all" ||
	not_ok "agent" "$(tail -5 "$D/agent.log")"
stop_pid $AGENT
check "the agent stops cleanly on SIGTERM (exit 0)" test $? = 0

# --speed 8 stamps media time, so the footage runs into the future: +1h.
list=$(sc "$OWNER" clips list --camera "Front door" --since 10m --until +1h)
n=$(grep -cE '^[0-9]+ +[0-9]{4}-' <<<"$list")
s=$(seqs "$OWNER" "Front door" 10m +1h)
[ "$n" = "$made" ] && [ "$s" = "$(seq -s ' ' 1 "$n") " ] &&
	ok "every segment arrived: the server lists seq 1..$n, all the agent made" ||
	not_ok "segments" "$list"
grep -q "1m00s recorded" <<<"$list" && ok "the segments add up to the 60 s recorded" || not_ok "duration" "$list"
[ -z "$(find "$D/agent" -path '*spool*' -type f -name '*.seal*' 2>/dev/null)" ] &&
	ok "nothing is left in the agent's spool" || not_ok "spool" "$(find "$D/agent" -path '*spool*' -type f)"

sc "$OWNER" clips get --camera "Front door" --since 10m --until +1h -o "$D/door.mp4" 2>"$D/get.err"
rc=$?
[ $rc = 0 ] && grep -q "$n segments verified" "$D/get.err" &&
	ok "clips get verifies and decrypts all $n segments into one MP4" || not_ok "clips get ($rc)" "$(cat "$D/get.err")"
f=$(frames "$D/door.mp4")
[ -n "$f" ] && [ "$f" -ge 1400 ] && [ "$f" -le 1500 ] &&
	ok "the MP4 has $f frames: within one segment (100) of the source's 1500" || not_ok "frames: $f"
errs=$(ffmpeg -nostdin -v error -i "$D/door.mp4" -f null - 2>&1)
[ -z "$errs" ] && ok "ffmpeg decodes the whole MP4 without an error" || not_ok "decode" "$errs"
[ "$(ffprobe -v error -select_streams v:0 -show_entries stream=codec_name,width,height -of csv=p=0 "$D/door.mp4")" = "h264,1280,720" ] &&
	ok "it is the camera's 1280x720 H.264, not re-encoded" || not_ok "stream"

sc "$OWNER" clips get --camera "Front door" --since 10m --until +1h -o - 2>/dev/null >"$D/pipe.mp4"
[ "$(frames "$D/pipe.mp4")" = "$f" ] && ok "'-o -' writes the same footage to stdout as fragmented MP4" ||
	not_ok "pipe" "$(frames "$D/pipe.mp4")"

# A part of the range: [20 s, 30 s) of the recording, at keyframe granularity.
t0=$(sc "$OWNER" clips list --camera "Front door" --since 10m --until +1h |
	awk '$1 == 1 {print $2" "$3}')
t0s=$(date -d "$t0" +%s)
sc "$OWNER" clips get --camera "Front door" --since "@$((t0s + 20))" --until "@$((t0s + 30))" \
	-o "$D/part.mp4" 2>/dev/null
p=$(frames "$D/part.mp4")
[ -n "$p" ] && [ "$p" -ge 250 ] && [ "$p" -le 300 ] &&
	ok "a 10 s range gives $p frames (250 + at most a GOP before its start)" || not_ok "part: $p"

# Data at rest after a real run: the server's database and blob store hold
# no MP4 boxes, H.264 NAL patterns or JPEG markers; blobs look random.
r=$(python3 "$SEALCAM_ROOT/tests/tools/restcheck.py" "$D/s/data"); rc=$?
echo "# at rest: $r"
[ $rc = 0 ] && [ "$(jget entropy_files <<<"$r")" -ge "$n" ] &&
	ok "at rest: no plaintext video in DB or blobs; blob entropy $(jget entropy_min <<<"$r") bits/byte" ||
	not_ok "data at rest" "$r"
# ...while the checker does flag the plaintext this run produced.
python3 "$SEALCAM_ROOT/tests/tools/restcheck.py" "$D/door.mp4" >/dev/null &&
	not_ok "the checker misses plaintext MP4" || ok "the checker flags the decrypted MP4 (it can fail)"

# Bad input: one clear line, nothing written.
out=$(sc "$OWNER" clips get --camera "Back door" --since 1h -o "$D/x.mp4" 2>&1)
[ $? = 1 ] && [ "$(wc -l <<<"$out")" = 1 ] && grep -q "no camera named 'Back door'" <<<"$out" &&
	[ ! -e "$D/x.mp4" ] && ok "an unknown camera: one line naming it, exit 1, no file" || not_ok "unknown camera" "$out"
out=$(sc "$OWNER" clips get --camera "Front door" --since yesterday -o "$D/x.mp4" 2>&1)
[ $? = 2 ] && grep -q -- "--since 'yesterday': expected a time" <<<"$out" &&
	ok "a bad time: says which option and what was expected (exit 2)" || not_ok "bad time" "$out"

lib_done
