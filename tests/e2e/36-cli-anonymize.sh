#!/bin/bash
# sealcam anonymize, the real CLI on a clip made here: two faces from the
# labelled face set (one still, one moving) over vtest.avi street frames,
# with an AAC track and title / creation time / make / GPS tags. Checks what
# a user would: exit 0 and a summary; ffprobe shows no audio and none of the
# tags; the report lists every frame and its boxes cover each face; the face
# pixels changed; a privacy mask is filled. Fail closed: a models folder
# without the models (via $SEALCAM_NODE_MODULES) exits 3 and writes nothing,
# a damaged input exits 4 and writes nothing, bad usage exits 2.
. "$(dirname "$0")/lib.sh"
SEALCAM=$BIN/sealcam
FACES=$SEALCAM_ROOT/../shared/testdata/faces/2008_002506.jpg
VTEST=/usr/share/doc/opencv-doc/examples/data/vtest.avi
W=320 H=240 N=16
d=$(tmp_dir)
_LIB_DIRS+=("$d")      # tmp_dir ran in a subshell: register it here for cleanup
export SEALCAM_HOME=$d/home     # unused by anonymize; keeps ~ untouched

for f in "$SEALCAM" "$FACES" "$VTEST"; do
	[ -e "$f" ] || { not_ok "prerequisite $f exists"; lib_done; }
done

# Faces: boxes (329,78,109,109) and (224,95,91,91) of the photo, each cropped
# with 30% margin and scaled so the face is 48 px (margin 14 px). Face A
# moves 4 px right and 2 px down a frame from (30,40); face B stays at
# (200,110). Ground truth: face at overlay position + 14, 48 x 48.
ffmpeg -v error -y -i "$VTEST" -loop 1 -i "$FACES" -f lavfi -i sine=frequency=440:duration=4 \
	-filter_complex "[0:v]scale=${W}:${H},fps=8[bg];
		[1:v]split[a][b];
		[a]crop=175:175:296:45,scale=77:77[fa];
		[b]crop=146:146:197:68,scale=77:77[fb];
		[bg][fa]overlay=x='16+4*n':y='26+2*n'[t];
		[t][fb]overlay=x=186:y=96,format=yuv420p[v]" \
	-map '[v]' -map 2:a -frames:v $N -shortest \
	-metadata title=Front_door -metadata creation_time=2026-11-27T10:00:00Z \
	-metadata location=+48.8577+002.2950/ -metadata make=Doorcam \
	-c:v libx264 -crf 14 -c:a aac -movflags +faststart "$d/in.mp4" 2>"$d/ffmpeg.log"
probe_in=$(ffprobe -v error -show_entries stream=codec_type:format_tags -of default=nw=1 "$d/in.mp4")
if grep -q codec_type=audio <<<"$probe_in" && grep -q creation_time <<<"$probe_in" &&
	grep -q location <<<"$probe_in"; then
	ok "test clip has faces, audio and metadata"
else
	not_ok "test clip has faces, audio and metadata" "$(cat "$d/ffmpeg.log") $probe_in"
fi

# --- the anonymized copy -----------------------------------------------------
out=$("$SEALCAM" anonymize "$d/in.mp4" -o "$d/out.mp4" --report "$d/r.json" \
	--mask 260,0,60,40 2>"$d/err")
rc=$?
if [ $rc -eq 0 ] && [ -s "$d/out.mp4" ] && [ -s "$d/r.json" ] && grep -q "anonymized $N frames" <<<"$out"; then
	ok "anonymize exits 0, writes the video and the report, says how many frames"
else
	not_ok "anonymize exits 0, writes the video and the report, says how many frames" "rc=$rc $out $(cat "$d/err")"
fi

probe=$(ffprobe -v error -show_entries stream=codec_type,codec_name,nb_frames:format_tags:stream_tags \
	-of default=nw=1 "$d/out.mp4")
if grep -q codec_type=video <<<"$probe" && ! grep -q codec_type=audio <<<"$probe"; then
	ok "output has video and no audio (ffprobe)"
else
	not_ok "output has video and no audio (ffprobe)" "$probe"
fi
if grep -qiE 'creation_time|location|title|make|encoder|Doorcam|Front_door' <<<"$probe"; then
	not_ok "output has no metadata: no time, place, title, device or encoder tag" "$probe"
else
	ok "output has no metadata: no time, place, title, device or encoder tag"
fi

# Report coverage and pixels, frame by frame (python: no JSON tool in bash).
ffmpeg -v error -i "$d/in.mp4" -f rawvideo -pix_fmt gray "$d/in.gray"
ffmpeg -v error -i "$d/out.mp4" -f rawvideo -pix_fmt gray "$d/out.gray"
res=$(python3 - "$d/r.json" "$d/in.gray" "$d/out.gray" $W $H $N <<'EOF'
import json, sys
rep, fin, fout, W, H, N = sys.argv[1], sys.argv[2], sys.argv[3], *map(int, sys.argv[4:])
r = json.load(open(rep))
a, b = open(fin, 'rb').read(), open(fout, 'rb').read()
bad = []
if r.get('frames_total') != N or len(b) != W * H * N:
    bad.append('frames_total %s, output bytes %d' % (r.get('frames_total'), len(b)))
boxes = {f['frame']: f['boxes'] for f in r.get('frames', [])}
def faces(n):   # ground truth: overlay position + 14, 48 x 48
    return [(16 + 4 * n + 14, 26 + 2 * n + 14), (186 + 14, 96 + 14)]
for n in range(N):
    for k, (fx, fy) in enumerate(faces(n)):
        cover = area = diff = 0
        for y in range(fy, fy + 48):
            for x in range(fx, fx + 48):
                area += 1
                cover += any(bx['x'] <= x < bx['x'] + bx['w'] and bx['y'] <= y < bx['y'] + bx['h']
                             for bx in boxes.get(n, []) if 'x' in bx)
                i = n * W * H + y * W + x
                diff += abs(a[i] - b[i])
        if cover < 0.95 * area or diff / area < 20:
            bad.append('frame %d face %d: covered %.2f, mean change %.1f' % (n, k, cover / area, diff / area))
    # the privacy mask 260,0,60,40
    d = sum(abs(a[n*W*H + y*W + x] - b[n*W*H + y*W + x]) for y in range(2, 38) for x in range(262, 318))
    if d / (36 * 56) < 10:
        bad.append('frame %d: privacy mask unchanged' % n)
print('\n'.join(bad) if bad else 'OK')
EOF
)
if [ "$res" = OK ]; then
	ok "every face of every frame is in the report's boxes and its pixels changed; the mask is filled"
else
	not_ok "every face of every frame is in the report's boxes and its pixels changed; the mask is filled" "$res"
fi

# --- fail closed ----------------------------------------------------------------
mkdir -p "$d/empty_modules"
SEALCAM_NODE_MODULES=$d/empty_modules "$SEALCAM" anonymize "$d/in.mp4" -o "$d/out2.mp4" \
	--report "$d/r2.json" >"$d/o2" 2>"$d/e2"
rc=$?
left=$(ls "$d" | grep -E '^(out2|r2)' || true)
if [ $rc -eq 3 ] && [ -z "$left" ] && grep -q "model" "$d/e2"; then
	ok "models missing: exit 3, a message about the model, no output or report (not even temporary)"
else
	not_ok "models missing: exit 3, a message about the model, no output or report (not even temporary)" \
		"rc=$rc left=[$left] $(cat "$d/e2")"
fi

# Damaged: 4 KB of the video data overwritten.
cp "$d/in.mp4" "$d/bad.mp4"
size=$(stat -c %s "$d/bad.mp4")
head -c 4096 /dev/urandom | dd of="$d/bad.mp4" bs=1 seek=$((size / 3)) conv=notrunc status=none
"$SEALCAM" anonymize "$d/bad.mp4" -o "$d/out3.mp4" --report "$d/r3.json" >/dev/null 2>"$d/e3"
rc=$?
left=$(ls "$d" | grep -E '^(out3|r3)' || true)
if [ $rc -eq 4 ] && [ -z "$left" ]; then
	ok "damaged input: exit 4, nothing written"
else
	not_ok "damaged input: exit 4, nothing written" "rc=$rc left=[$left] $(cat "$d/e3")"
fi

"$SEALCAM" anonymize "$d/in.mp4" >/dev/null 2>"$d/e4"
rc1=$?
"$SEALCAM" anonymize "$d/in.mp4" -o "$d/out4.mp4" --mask 1,2,3 >/dev/null 2>>"$d/e4"
rc2=$?
"$SEALCAM" anonymize "$d/in.mp4" -o "$d/in.mp4" >/dev/null 2>>"$d/e4"
rc3=$?
if [ $rc1 -eq 2 ] && [ $rc2 -eq 2 ] && [ $rc3 -eq 2 ] && [ ! -e "$d/out4.mp4" ] &&
	[ "$(grep -c 'see .sealcam anonymize --help' "$d/e4")" -eq 3 ]; then
	ok "bad usage (no -o, bad --mask, OUT = IN): exit 2 with a hint, nothing written"
else
	not_ok "bad usage (no -o, bad --mask, OUT = IN): exit 2 with a hint, nothing written" \
		"rc=$rc1,$rc2,$rc3 $(cat "$d/e4")"
fi
"$SEALCAM" anonymize --help | grep -q "Exit codes" && ok "--help lists the exit codes" ||
	not_ok "--help lists the exit codes"
lib_done
