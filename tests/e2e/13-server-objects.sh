#!/bin/bash
# sealcamd sealed objects over real HTTP: streaming upload verified by the
# camera signature, idempotent by (camera, kind, seq), refusals that store
# nothing (other key, replayed sequence, other camera, truncated, malformed,
# wrong type, too large), streamed download with cache headers, listing,
# retention sweeps (event footage last), and nothing readable at rest.
. "$(dirname "$0")/lib.sh"

D=$(tmp_dir)
start_sealcamd "$D/s" --max-upload 8M --sweep-interval 1 || { not_ok "sealcamd starts"; lib_done; }
BLOBS=$D/s/data/blobs
new_user alice@example.com "$D/alice" || { not_ok "alice"; lib_done; }
TA=$USER_TOKEN ABOX=$USER_BOX
new_camera "$TA" "$D/alice" "$D/cam1" "Front door" || { not_ok "camera 1"; lib_done; }
C1=$CAM_ID C1PK=$CAM_PK CT1=$CAM_TOKEN
new_camera "$TA" "$D/alice" "$D/cam2" "Garden" || { not_ok "camera 2"; lib_done; }
C2=$CAM_ID CT2=$CAM_TOKEN

put() { # TOKEN PATH FILE [content-type] -> API_STATUS, API_BODY
	local out; out=$(mktemp)
	API_STATUS=$(curl -s -o "$out" -w '%{http_code}' -X PUT --max-time 30 \
		-H "Authorization: Bearer $1" -H "Content-Type: ${4:-application/octet-stream}" \
		--data-binary @"$3" "$SEALCAMD_URL$2")
	API_BODY=$(cat "$out"); rm -f "$out"
}
nblobs() { find "$BLOBS" -path "$BLOBS/tmp" -prune -o -type f -print | wc -l; }
ntmp() { find "$BLOBS/tmp" -type f | wc -l; }
code() { jget error.code <<<"$API_BODY"; }
T0=1795000000000

seal "$D/cam1" 1 1 $T0 4000 2097152 mp4 >"$D/s1"
put "$CT1" /v1/camera/objects/segment/1 "$D/s1"
[ "$API_STATUS" = 201 ] && [ "$(jget size <<<"$API_BODY")" = "$(stat -c %s "$D/s1")" ] &&
	[ "$(jget seq <<<"$API_BODY")" = 1 ] && ok "a 2 MiB sealed segment uploads: 201 {seq, size}" ||
	not_ok "upload" "$API_STATUS $API_BODY"
[ "$(nblobs)" = 1 ] && [ "$(ntmp)" = 0 ] && ok "one blob file, no temp file left" || not_ok "blob count" "$(nblobs) $(ntmp)"
put "$CT1" /v1/camera/objects/segment/1 "$D/s1"
[ "$API_STATUS" = 200 ] && [ "$(nblobs)" = 1 ] && ok "the same bytes again: 200, nothing stored twice" ||
	not_ok "idempotent" "$API_STATUS $API_BODY $(nblobs)"
seal "$D/cam1" 1 1 $T0 4000 1000 >"$D/s1b"
put "$CT1" /v1/camera/objects/segment/1 "$D/s1b"
[ "$API_STATUS" = 409 ] && [ "$(code)" = conflict ] && ok "different bytes under the same sequence: 409 conflict" ||
	not_ok "conflict" "$API_STATUS $API_BODY"

# Refusals: each must answer a clear JSON error and store nothing.
before=$(nblobs)
seal "$D/cam1" 1 2 $T0 4000 100000 >"$D/s2"
"$SEALTOOL" resign "$D/cam2" <"$D/s2" >"$D/forged2"
put "$CT1" /v1/camera/objects/segment/2 "$D/forged2"
[ "$API_STATUS" = 400 ] && [ "$(code)" = bad_signature ] && ok "a segment signed by another key: 400 bad_signature" ||
	not_ok "forged signature" "$API_STATUS $API_BODY"
put "$CT1" /v1/camera/objects/segment/7 "$D/s2"
[ "$API_STATUS" = 400 ] && [ "$(code)" = wrong_sequence ] &&
	ok "a valid segment replayed under another sequence number: 400 wrong_sequence" || not_ok "replay seq" "$API_STATUS $API_BODY"
put "$CT1" /v1/camera/objects/event/2 "$D/s2"
[ "$API_STATUS" = 400 ] && [ "$(code)" = wrong_sequence ] && ok "a segment uploaded as an event: 400 wrong_sequence" ||
	not_ok "replay kind" "$API_STATUS $API_BODY"
put "$CT2" /v1/camera/objects/segment/2 "$D/s2"
[ "$API_STATUS" = 403 ] && [ "$(code)" = wrong_camera ] && ok "camera 1's segment with camera 2's token: 403 wrong_camera" ||
	not_ok "wrong camera" "$API_STATUS $API_BODY"
head -c $(( $(stat -c %s "$D/s2") - 100 )) "$D/s2" >"$D/trunc"
put "$CT1" /v1/camera/objects/segment/2 "$D/trunc"
# Without a key the server cannot see where the last record ends: a cut
# there shows as a signature that no longer matches (PROTOCOL.md).
[ "$API_STATUS" = 400 ] && [[ $(code) =~ ^(bad_container|bad_signature)$ ]] &&
	ok "a container cut short by 100 bytes: 400 $(code)" || not_ok "truncated container" "$API_STATUS $API_BODY"
head -c 100 "$D/s2" >"$D/trunc"
put "$CT1" /v1/camera/objects/segment/2 "$D/trunc"
[ "$API_STATUS" = 400 ] && [ "$(code)" = bad_container ] && ok "a container cut inside its header: 400 bad_container" ||
	not_ok "truncated header" "$API_STATUS $API_BODY"
seal "$D/cam1" 1 2 $T0 4000 200000 >"$D/s2big"
head -c $((160 + 65553 + 70)) "$D/s2big" >"$D/trunc"
put "$CT1" /v1/camera/objects/segment/2 "$D/trunc"
[ "$API_STATUS" = 400 ] && [ "$(code)" = bad_container ] &&
	ok "a container cut 70 bytes after its first record (too short for a last one): 400 bad_container" ||
	not_ok "truncated at record" "$API_STATUS $API_BODY"
head -c 5000 /dev/urandom >"$D/garbage"
put "$CT1" /v1/camera/objects/segment/2 "$D/garbage"
[ "$API_STATUS" = 400 ] && [ "$(code)" = bad_container ] && ok "random bytes: 400 bad_container" ||
	not_ok "garbage" "$API_STATUS $API_BODY"
put "$CT1" /v1/camera/objects/segment/2 "$D/s2" application/json
[ "$API_STATUS" = 415 ] && ok "an upload with a JSON content type: 415" || not_ok "upload ctype" "$API_STATUS"
out=$(curl -s -w ' %{http_code}' -X PUT -H "Authorization: Bearer $CT1" -H 'Content-Type: application/octet-stream' \
	-H 'Transfer-Encoding: chunked' --data-binary @"$D/s2" "$SEALCAMD_URL/v1/camera/objects/segment/2")
[ "${out##* }" = 411 ] && ok "an upload without Content-Length: 411" || not_ok "no length" "$out"
head -c $((9 << 20)) /dev/zero >"$D/big"
put "$CT1" /v1/camera/objects/segment/2 "$D/big"
[ "$API_STATUS" = 413 ] && [ "$(code)" = too_large ] && ok "an upload over --max-upload: 413 too_large" ||
	not_ok "too large" "$API_STATUS $API_BODY"
put "$TA" /v1/camera/objects/segment/2 "$D/s2"
[ "$API_STATUS" = 403 ] && ok "a user session cannot upload as a camera: 403" || not_ok "user upload" "$API_STATUS"
# The connection drops in the middle of the body.
python3 - "$SEALCAMD_PORT" "$CT1" "$D/s2" <<'PY'
import socket, sys, time
port, tok, path = int(sys.argv[1]), sys.argv[2], sys.argv[3]
data = open(path, "rb").read()
s = socket.create_connection(("127.0.0.1", port))
s.sendall(("PUT /v1/camera/objects/segment/2 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"
           "Content-Type: application/octet-stream\r\nContent-Length: %d\r\n\r\n" % (tok, len(data))).encode())
s.sendall(data[: len(data) // 2])
time.sleep(0.3)
s.close()
PY
for _ in $(seq 50); do [ "$(ntmp)" = 0 ] && break; sleep 0.1; done
[ "$(nblobs)" = "$before" ] && [ "$(ntmp)" = 0 ] && ok "after all refusals and a dropped upload: no new blob, no temp file" ||
	not_ok "nothing stored on refusal" "blobs $(nblobs) (was $before), tmp $(ntmp)"
api GET "/v1/cameras/$C1/objects" "$TA"
[ "$(jget objects <<<"$API_BODY" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" = 1 ] &&
	ok "the listing shows only the one accepted segment" || not_ok "listing after refusals" "$API_BODY"

# The real thing now uploads fine.
put "$CT1" /v1/camera/objects/segment/2 "$D/s2"
[ "$API_STATUS" = 201 ] && ok "the genuine segment 2 then uploads" || not_ok "seg 2" "$API_STATUS $API_BODY"

# Download: the same bytes, streamed, with cache headers; it verifies and decrypts.
hdr=$(curl -s -D - -o "$D/got1" -H "Authorization: Bearer $TA" "$SEALCAMD_URL/v1/cameras/$C1/objects/segment/1")
etag=$(grep -i '^ETag:' <<<"$hdr" | cut -d' ' -f2 | tr -d '\r')
cmp -s "$D/s1" "$D/got1" && ok "download returns exactly the uploaded bytes" || not_ok "download bytes"
grep -qi "^Content-Length: $(stat -c %s "$D/s1")" <<<"$hdr" && grep -qi '^Cache-Control: private, max-age=31536000, immutable' <<<"$hdr" &&
	[ -n "$etag" ] && grep -qi '^Content-Type: application/octet-stream' <<<"$hdr" &&
	ok "download has Content-Length, ETag and immutable Cache-Control" || not_ok "download headers" "$hdr"
s=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TA" -H "If-None-Match: $etag" \
	"$SEALCAMD_URL/v1/cameras/$C1/objects/segment/1")
[ "$s" = 304 ] && ok "If-None-Match with the ETag: 304" || not_ok "304" "$s"
n=$("$SEALTOOL" open "$D/alice" "$C1PK" 1 1 <"$D/got1")
[ "$n" = 2097152 ] && ok "the owner verifies and decrypts the download (2097152 bytes)" || not_ok "open download" "$n"
api GET "/v1/cameras/$C1/objects/segment/9" "$TA"
[ "$API_STATUS" = 404 ] && ok "a missing sequence is 404" || not_ok "missing seq" "$API_STATUS"

# Listing: time overlap and pages.
for i in 3 4 5 6; do
	flags=0; [ $i = 4 ] && flags=1
	seal "$D/cam1" 1 $i $((T0 + (i - 1) * 4000)) 4000 300000 random "$ABOX" $flags >"$D/s$i"
	put "$CT1" /v1/camera/objects/segment/$i "$D/s$i"
done
api GET "/v1/cameras/$C1/objects?kind=segment&from_ms=$((T0 + 9000))&to_ms=$((T0 + 15000))" "$TA"
seqs=$(python3 -c 'import json,sys; print(",".join(str(o["seq"]) for o in json.load(sys.stdin)["objects"]))' <<<"$API_BODY")
[ "$seqs" = 3,4 ] && ok "listing by time returns the overlapping segments (3,4)" || not_ok "time listing" "$seqs $API_BODY"
api GET "/v1/cameras/$C1/objects?limit=2&after_seq=2" "$TA"
seqs=$(python3 -c 'import json,sys; d=json.load(sys.stdin); print(",".join(str(o["seq"]) for o in d["objects"]), d["next_after_seq"])' <<<"$API_BODY")
[ "$seqs" = "3,4 4" ] && ok "pages: limit 2 after 2 gives 3,4 and next_after_seq 4" || not_ok "pagination" "$seqs"
api GET "/v1/cameras/$C1/objects?limit=5000" "$TA"
[ "$API_STATUS" = 400 ] && ok "a page over 1000 is 400" || not_ok "limit" "$API_STATUS"
api GET "/v1/cameras/$C1/objects?kind=segment&after_seq=4" "$TA"
[ "$(jget objects.0.flags <<<"$API_BODY")" = 0 ] && api GET "/v1/cameras/$C1/objects?after_seq=3&limit=1" "$TA" &&
	[ "$(jget objects.0.flags <<<"$API_BODY")" = 1 ] && ok "the event flag from the sealed header is listed" ||
	not_ok "flags" "$API_BODY"

# Data at rest: the database and the blob store hold nothing readable.
r=$(python3 "$SEALCAM_ROOT/tests/tools/restcheck.py" "$D/s/data"); rc=$?
echo "# at rest: $r"
[ $rc = 0 ] && [ "$(jget entropy_files <<<"$r")" -ge 6 ] &&
	ok "no MP4 boxes, H.264 NAL patterns or JPEG markers in DB or blobs; blob entropy $(jget entropy_min <<<"$r") bits/byte" ||
	not_ok "data at rest" "$r"
"$SEALTOOL" plain mp4 2097152 >"$D/plain.bin"
ffmpeg -loglevel error -f lavfi -i testsrc=size=320x240:rate=10 -t 1 -c:v libx264 -f h264 "$D/real.h264" &&
ffmpeg -loglevel error -f lavfi -i testsrc=size=320x240:rate=10 -t 1 -c:v libx264 "$D/real.mp4" &&
ffmpeg -loglevel error -f lavfi -i testsrc=size=320x240 -frames:v 1 "$D/real.jpg"
for f in plain.bin real.h264 real.mp4 real.jpg; do
	python3 "$SEALCAM_ROOT/tests/tools/restcheck.py" "$D/$f" >/dev/null && not_ok "checker flags $f"
done
ok "the checker does flag the plaintext, a real H.264 stream, MP4 and JPEG"

# Retention: keep 700000 bytes; continuous footage goes first, event last.
api PUT "/v1/cameras/$C1/retention" "$TA" '{"max_bytes":700000}'
for _ in $(seq 100); do
	api GET "/v1/cameras/$C1" "$TA"
	[ "$(jget bytes <<<"$API_BODY")" -le 700000 ] && break
	sleep 0.1
done
api GET "/v1/cameras/$C1/objects" "$TA"
seqs=$(python3 -c 'import json,sys; print(",".join(str(o["seq"]) for o in json.load(sys.stdin)["objects"]))' <<<"$API_BODY")
[ "$seqs" = 4,6 ] && ok "retention by bytes keeps the event segment (4) and the newest (6)" || not_ok "retention" "$seqs"
for _ in $(seq 50); do [ "$(nblobs)" = 2 ] && break; sleep 0.1; done
[ "$(nblobs)" = 2 ] && ok "the swept objects' blobs are gone from disk" || not_ok "blobs swept" "$(nblobs)"

api GET /metrics
m=$API_BODY
grep -q '^sealcamd_uploads_stored_total 6$' <<<"$m" && grep -q 'sealcamd_objects 2' <<<"$m" &&
	! grep -q -e "$C1" -e "$C2" -e alice <<<"$m" && ok "metrics count uploads and objects, and name no camera or account" ||
	not_ok "metrics" "$(grep -e upload -e objects <<<"$m")"

# Deleting the camera deletes its blobs.
api DELETE "/v1/cameras/$C1" "$TA"
for _ in $(seq 50); do [ "$(nblobs)" = 0 ] && break; sleep 0.1; done
[ "$(nblobs)" = 0 ] && ok "deleting the camera deletes its blobs" || not_ok "camera delete blobs" "$(nblobs)"
# Sizes around the upload path's 256 KiB O_DIRECT buffer and 4 KiB blocks:
# a whole number of buffers, of blocks only, less than a block, and neither.
# Each must come back byte for byte.
hl=$(( $(stat -c %s "$D/s1") - 2097152 - 32 * 17 - 64 ))
good=1 seq=100
for p in $((524288 - hl - 64 - 8 * 17)) $((286720 - hl - 64 - 5 * 17)) 1000 300001; do
	seq=$((seq + 1))
	seal "$D/cam2" 1 $seq $T0 4000 $p >"$D/sz"
	put "$CT2" /v1/camera/objects/segment/$seq "$D/sz"
	curl -s -o "$D/gotsz" -H "Authorization: Bearer $TA" "$SEALCAMD_URL/v1/cameras/$C2/objects/segment/$seq"
	echo "# container $(stat -c %s "$D/sz") bytes: $API_STATUS"
	[ "$API_STATUS" = 201 ] && cmp -s "$D/sz" "$D/gotsz" || good=0
done
[ $good = 1 ] && [ "$(stat -c %s "$D/sz")" -gt 262144 ] &&
	ok "objects of 2 x 256 KiB, 70 x 4 KiB, under 4 KiB and odd sizes download byte for byte" ||
	not_ok "upload sizes" "$API_STATUS $API_BODY"
stop_pid "$SEALCAMD_PID" && ok "sealcamd stops cleanly" || not_ok "clean stop"
lib_done
