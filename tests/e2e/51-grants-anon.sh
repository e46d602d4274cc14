#!/bin/bash
# Anonymized grants (the default for research staff): the owner's client
# decrypts the range, runs the real anonymizer on it and uploads only the
# result, sealed to the researcher; the original never leaves. The camera
# plays a street clip with a face pasted in; the researcher's MP4 has the
# granted frames with the face masked (pixels there differ from the owner's
# own copy, the rest of the picture does not) and no audio; the derivative
# is signed by the owner and opens for the researcher and the owner only.
# Fail closed: with the models missing, grant create says why and nothing
# reaches the server (no grant, no log entry).
. "$(dirname "$0")/lib.sh"

FACE=$SEALCAM_ROOT/../shared/testdata/faces/2008_002506.jpg
VTEST=/usr/share/doc/opencv-doc/examples/data/vtest.avi
export SEALCAM_NODE_MODULES=$SEALCAM_ROOT/node_modules
D=$(tmp_dir)
OWNER=$D/owner ANA=$D/ana DATA=$D/s/data
for f in "$FACE" "$VTEST" "$SEALCAM_NODE_MODULES/@vladmandic/human/models/blazeface.json"; do
	[ -e "$f" ] || { not_ok "prerequisite $f exists"; lib_done; }
done

# A street at 8 fps, 1 s GOPs, with a 48 px face at (200,110) and an audio track.
ffmpeg -v error -y -i "$VTEST" -loop 1 -i "$FACE" -f lavfi -i sine=frequency=440 \
	-filter_complex "[0:v]scale=320:240,fps=8[bg];[1:v]crop=146:146:197:68,scale=77:77[f];
		[bg][f]overlay=x=186:y=96,format=yuv420p[v]" \
	-map '[v]' -map 2:a -t 6 -shortest -c:v libx264 -g 8 -keyint_min 8 -crf 18 -c:a aac \
	"$D/street.mp4" 2>"$D/ffmpeg.log" || { not_ok "test clip" "$(cat "$D/ffmpeg.log")"; lib_done; }

start_sealcamd "$D/s" || { not_ok "sealcamd starts"; lib_done; }
cli_signup "$OWNER" owner@example.com >/dev/null || { not_ok "owner signup"; lib_done; }
cli_pair "$OWNER" "Porch" "$D/agent" --source "$D/street.mp4" --loop --speed 2 \
	--segment-seconds 1 >/dev/null || { not_ok "pairing"; lib_done; }
OTOK=$(cat "$OWNER/session")
key=$(sc "$ANA" staff init | sed -n 's/^Public key: *//p')
printf 'password of ana\n' | "$SEALCAMD" admin staff add ana@vendor.example --role research \
	--key "$key" --name "Research (Ana)" --password-stdin --data-dir "$DATA" >/dev/null 2>&1 &&
	printf 'password of ana\n' | sc "$ANA" staff login --email ana@vendor.example --password-stdin \
	>/dev/null || not_ok "research staff registered and logged in"
wait_until 60 bash -c "[ \$(curl -s -H 'Authorization: Bearer $OTOK' $SEALCAMD_URL/v1/cameras/$CAMERA_ID/objects | grep -o '\"seq\"' | wc -l) -ge 4 ]" ||
	not_ok "segments uploaded"
stop_pid "$AGENT_PID"
api GET "/v1/cameras/$CAMERA_ID/objects?kind=segment" "$OTOK"
read -r FROM UNTIL NSEG < <(python3 -c 'import json,sys
o = json.loads(sys.argv[1])["objects"][1:3]
print("@%.3f @%.3f %d" % (o[0]["start_ms"] / 1000, (o[-1]["start_ms"] + o[-1]["duration_ms"]) / 1000,
    sum(1 for _ in o)))' "$API_BODY")
entries() { sc "$OWNER" log show | grep -c "grant .* created"; }

# --- fail closed: no models, no grant ----------------------------------------------
mkdir -p "$D/nomodels"
out=$(SEALCAM_NODE_MODULES=$D/nomodels sc "$OWNER" grant create --to "Research (Ana)" \
	--camera Porch --from "$FROM" --until "$UNTIL" --purpose "lighting study" 2>&1)
rc=$?
api GET /v1/grants "$OTOK"
[ $rc != 0 ] && grep -q "the anonymizer could not run: .*Nothing was uploaded" <<<"$out" &&
	[ "$(jget grants <<<"$API_BODY")" = "[]" ] && [ "$(entries)" = 0 ] &&
	ok "with the anonymizer's models missing, grant create fails closed: clear message, no grant, no log entry" ||
	not_ok "fail closed" "rc $rc: $out / $API_BODY"
ls "${TMPDIR:-/tmp}" | grep -q "^sealcam-grant-" && not_ok "no decrypted clip left in the temp directory" ||
	ok "no decrypted working copy left behind"

# --- the anonymized grant -------------------------------------------------------------
out=$(sc "$OWNER" grant create --to "Research (Ana)" --camera Porch --from "$FROM" \
	--until "$UNTIL" --purpose "lighting study" 2>&1)
G=$(sed -n 's/^Grant \([0-9a-f]\{32\}\) created.*/\1/p' <<<"$out")
[ -n "$G" ] && grep -q "Granting anonymized footage of Porch to Research (Ana)" <<<"$out" &&
	grep -q "Anonymizing the clip on this device" <<<"$out" &&
	ok "a research grant is anonymized by default, on the owner's device, and logged" ||
	not_ok "anonymized grant" "$out"
api GET "/v1/grants/$G" "$OTOK"
[ "$(jget mode <<<"$API_BODY")" = anonymized ] && [ "$(jget derivative_size <<<"$API_BODY")" -gt 0 ] &&
	ok "the server holds one sealed derivative for it ($(jget derivative_size <<<"$API_BODY") bytes)" ||
	not_ok "derivative stored" "$API_BODY"
mkdir -p "$D/out"
out=$(sc "$ANA" staff fetch "$G" -o "$D/out" 2>&1)
MP4=$D/out/$G-anonymized.mp4
grep -q "Access logged in the owner's transparency log (entry [0-9]*, proven): 1 object" <<<"$out" &&
	[ -s "$MP4" ] && ok "Ana fetches it: access logged and proven, derivative verified (owner signature) and decrypted" ||
	not_ok "staff fetch" "$out"
sc "$OWNER" clips get --camera Porch --since "$FROM" --until "$UNTIL" -o "$D/orig.mp4" >/dev/null 2>&1 ||
	not_ok "owner's own copy"
nf() { ffprobe -v error -select_streams v:0 -count_frames -show_entries stream=nb_read_frames -of csv=p=0 "$1"; }
NA=$(nf "$MP4") NO=$(nf "$D/orig.mp4")
streams=$(ffprobe -v error -show_entries stream=codec_type -of csv=p=0 "$MP4" | sort -u | tr '\n' ' ')
[ "$NA" = "$NO" ] && [ "$NA" -ge 8 ] && [ "$streams" = "video " ] &&
	ok "the derivative has the granted frames ($NA, as the owner's copy) and no audio" ||
	not_ok "frames and streams" "anonymized $NA, original $NO, streams '$streams'"
# Face box (200..248, 110..158) vs a background box, first frame: mean
# absolute difference between the researcher's and the owner's copies.
mad() { # x y
	python3 - "$D/orig.mp4" "$MP4" "$1" "$2" <<'EOF'
import subprocess, sys
def grab(f, x, y):
    return subprocess.run(["ffmpeg", "-v", "error", "-i", f, "-frames:v", "1", "-vf",
                           "crop=48:48:%s:%s,format=gray" % (x, y), "-f", "rawvideo", "-"],
                          capture_output=True, check=True).stdout
a, b = grab(sys.argv[1], sys.argv[3], sys.argv[4]), grab(sys.argv[2], sys.argv[3], sys.argv[4])
print(int(sum(abs(p - q) for p, q in zip(a, b)) / max(1, len(a))))
EOF
}
FACE_D=$(mad 200 110) BG_D=$(mad 20 180)
[ "$FACE_D" -ge 20 ] && [ "$BG_D" -le 8 ] &&
	ok "the face is masked in the researcher's copy (mean difference $FACE_D there, $BG_D on the background)" ||
	not_ok "face masked" "face $FACE_D background $BG_D"

# Only the researcher and the owner can open the derivative, nobody else.
stop_pid "$SEALCAMD_PID"
key2=$(sc "$D/other" staff init >/dev/null; echo "$D/other/staff/key")
"$BIN/tools/keytry" "$DATA" "$ANA/staff/key" "$OWNER/vault" "$key2" >"$D/keytry.out"
grep -q "^open 0 5 1 .* via stanza" "$D/keytry.out" && grep -q "^open 1 5 1 .* via stanza" "$D/keytry.out" &&
	! grep -q "^open 0 1 " "$D/keytry.out" && ! grep -q "^open 2 " "$D/keytry.out" &&
	ok "at rest: the derivative opens for the researcher and the owner, no original segment for the researcher, nothing for another staff key" ||
	not_ok "derivative at rest" "$(cat "$D/keytry.out")"
lib_done
