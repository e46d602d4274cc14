#!/bin/bash
# Objects planted straight into the server's storage (blob files and their
# metadata rows, as an operator or an intruder could) are refused by the
# CLI with a clear message and a non-zero exit, and no plaintext is written:
# a segment signed by another key, another camera's valid segment, a
# truncated one, and a valid one replayed under another sequence number.
. "$(dirname "$0")/lib.sh"

D=$(tmp_dir)
OWNER=$D/owner
SRC=(--source lavfi:testsrc2=size=320x180:rate=10 --speed 4 --segment-seconds 2)
start_sealcamd "$D/s" || { not_ok "sealcamd starts"; # A camera key swapped during pairing (what a malicious server would do):
# registered with a key whose proof was not made with the pairing secret.
sc "$OWNER" camera add --name "Porch" --no-wait >/dev/null
pid=$(basename "$(ls "$OWNER"/pairings/*.json)" .json)
keys=$("$SEALTOOL" camera "$D/fake") && api POST "/v1/pairings/$pid/register" "" \
	"{\"camera_id\":\"${keys% *}\",\"camera_pk\":\"${keys#* }\",\"proof\":\"$(printf '%064d' 0)\"}"
[ "$API_STATUS" = 201 ] || not_ok "registering a swapped key" "$API_STATUS $API_BODY"
out=$(sc "$OWNER" camera pending 2>&1)
rc=$?
api GET "/v1/cameras/${keys% *}/keyring" "$(cat "$OWNER/session")"
[ $rc = 1 ] && grep -q "cannot prove it holds the pairing secret" <<<"$out" && [ "$API_STATUS" = 404 ] &&
	[ -z "$(ls -A "$OWNER/pairings")" ] && ! sc "$OWNER" camera list | grep -q "^Porch " &&
	ok "a camera key swapped during pairing fails the proof: no keyring for it, removed" ||
	not_ok "swapped key ($rc, keyring $API_STATUS)" "$out"

lib_done; }
DB=$D/s/data/sealcamd.db BLOBS=$D/s/data/blobs
cli_signup "$OWNER" owner@example.com || { not_ok "signup"; # A camera key swapped during pairing (what a malicious server would do):
# registered with a key whose proof was not made with the pairing secret.
sc "$OWNER" camera add --name "Porch" --no-wait >/dev/null
pid=$(basename "$(ls "$OWNER"/pairings/*.json)" .json)
keys=$("$SEALTOOL" camera "$D/fake") && api POST "/v1/pairings/$pid/register" "" \
	"{\"camera_id\":\"${keys% *}\",\"camera_pk\":\"${keys#* }\",\"proof\":\"$(printf '%064d' 0)\"}"
[ "$API_STATUS" = 201 ] || not_ok "registering a swapped key" "$API_STATUS $API_BODY"
out=$(sc "$OWNER" camera pending 2>&1)
rc=$?
api GET "/v1/cameras/${keys% *}/keyring" "$(cat "$OWNER/session")"
[ $rc = 1 ] && grep -q "cannot prove it holds the pairing secret" <<<"$out" && [ "$API_STATUS" = 404 ] &&
	[ -z "$(ls -A "$OWNER/pairings")" ] && ! sc "$OWNER" camera list | grep -q "^Porch " &&
	ok "a camera key swapped during pairing fails the proof: no keyring for it, removed" ||
	not_ok "swapped key ($rc, keyring $API_STATUS)" "$out"

lib_done; }
cli_pair "$OWNER" "Front door" "$D/a" "${SRC[@]}" || { not_ok "camera A"; # A camera key swapped during pairing (what a malicious server would do):
# registered with a key whose proof was not made with the pairing secret.
sc "$OWNER" camera add --name "Porch" --no-wait >/dev/null
pid=$(basename "$(ls "$OWNER"/pairings/*.json)" .json)
keys=$("$SEALTOOL" camera "$D/fake") && api POST "/v1/pairings/$pid/register" "" \
	"{\"camera_id\":\"${keys% *}\",\"camera_pk\":\"${keys#* }\",\"proof\":\"$(printf '%064d' 0)\"}"
[ "$API_STATUS" = 201 ] || not_ok "registering a swapped key" "$API_STATUS $API_BODY"
out=$(sc "$OWNER" camera pending 2>&1)
rc=$?
api GET "/v1/cameras/${keys% *}/keyring" "$(cat "$OWNER/session")"
[ $rc = 1 ] && grep -q "cannot prove it holds the pairing secret" <<<"$out" && [ "$API_STATUS" = 404 ] &&
	[ -z "$(ls -A "$OWNER/pairings")" ] && ! sc "$OWNER" camera list | grep -q "^Porch " &&
	ok "a camera key swapped during pairing fails the proof: no keyring for it, removed" ||
	not_ok "swapped key ($rc, keyring $API_STATUS)" "$out"

lib_done; }
A=$CAMERA_ID AGENT_A=$AGENT_PID
# Camera B the interactive way: 'camera add' waits for the agent itself.
sc "$OWNER" camera add --name "Garden" --timeout 60 >"$D/add.out" 2>&1 &
ADD=$!
wait_until 20 grep -q "^Pairing string: " "$D/add.out"
"$SEALCAM_AGENT" pair "$(sed -n 's/^Pairing string: *//p' "$D/add.out")" --name Garden \
	--state "$D/b" "${SRC[@]}" >>"$D/b.log" 2>&1 &
AGENT_B=$!
track_pid $AGENT_B
wait $ADD
rc=$?
B=$(sed -n 's/.* is paired: id \([0-9a-f]*\),.*/\1/p' "$D/add.out")
[ $rc = 0 ] && [ -n "$B" ] && grep -q "Waiting for the camera to register" "$D/add.out" &&
	ok "camera add waits for the agent, checks its proof and publishes the keyring" ||
	not_ok "camera add (waiting)" "$(cat "$D/add.out")"
enough() { [ "$(wc -w <<<"$(seqs "$OWNER" "$1")")" -ge "$2" ]; }
wait_until 60 enough "Front door" 5 && wait_until 60 enough "Garden" 1 ||
	not_ok "both cameras recorded" "$(tail -3 "$D/a.log" "$D/b.log")"
stop_pid "$AGENT_A"
stop_pid "$AGENT_B"

# Reads and replaces what the server stores for (camera, seq): the row in
# the objects table and the blob file named by its key (wherever the blob
# store fans it out). The script is a file: stdin carries the bytes.
cat >"$D/store.py" <<'PY'
import os, sqlite3, sys
db, blobs, op, cam, seq = sys.argv[1:6]
c = sqlite3.connect(db, timeout=30)
row = c.execute("SELECT start_ms, duration_ms, lower(hex(blob_key)) FROM objects "
                "WHERE camera_id = ? AND kind = 1 AND seq = ?",
                (bytes.fromhex(cam), int(seq))).fetchone()
path = [os.path.join(d, row[2]) for d, _, files in os.walk(blobs) if row[2] in files][0]
if op == "times":          # start and end, in seconds with ms
    print("%.3f %.3f" % (row[0] / 1000, (row[0] + row[1]) / 1000))
elif op == "get":          # the sealed bytes to stdout
    sys.stdout.buffer.write(open(path, "rb").read())
elif op == "plant":        # new bytes in the blob, the row's size to match
    data = sys.stdin.buffer.read()
    open(path, "wb").write(data)
    c.execute("UPDATE objects SET size = ? WHERE camera_id = ? AND kind = 1 "
              "AND seq = ?", (len(data), bytes.fromhex(cam), int(seq)))
    c.commit()
PY
store() { python3 "$D/store.py" "$DB" "$BLOBS" "$@"; }

# The whole range first: everything verifies.
sc "$OWNER" clips get --camera "Front door" --since 1h --until +1h -o "$D/before.mp4" 2>/dev/null &&
	ok "before planting, the camera's footage verifies and decrypts" || not_ok "baseline"

# a) Signed by another key: A's segment 1, header and body intact, its
#    trailer replaced by a valid Ed25519 signature of another key over the
#    same message (prefix, header hash, body hash; docs/FORMAT.md).
store get "$A" 1 >"$D/a1"
python3 - "$D/a1" "$D/msg" <<'PY'
import hashlib, sys
d = open(sys.argv[1], "rb").read()
n = d[7]
hlen = 72 + 88 * n
msg = b"sealcam-seal-v1\0" + hashlib.blake2b(d[:hlen], digest_size=32).digest() + \
      hashlib.blake2b(d[hlen:-64], digest_size=32).digest()
open(sys.argv[2], "wb").write(msg)
PY
openssl genpkey -algorithm ed25519 -out "$D/other.pem" 2>/dev/null
openssl pkeyutl -sign -inkey "$D/other.pem" -rawin -in "$D/msg" -out "$D/sig"
{ head -c -64 "$D/a1"; cat "$D/sig"; } | store plant "$A" 1
# b) Another camera's valid segment, as A's segment 2.
store get "$B" 1 | store plant "$A" 2
# c) A's segment 3 truncated at a record boundary (its tail and trailer
#    gone: every byte left authenticates, the end is missing).
store get "$A" 3 >"$D/a3"
keep=$(python3 -c 'import sys; d = open(sys.argv[1], "rb").read(); h = 72 + 88 * d[7]
print(h + 65553 * (1 if len(d) - h - 64 > 2 * 65553 else 0))' "$D/a3")
head -c "$keep" "$D/a3" | store plant "$A" 3
# d) A's segment 5 cut in the middle of a record.
store get "$A" 5 >"$D/a5"
head -c $(($(stat -c %s "$D/a5") - 1000)) "$D/a5" | store plant "$A" 5
# e) A's genuine segment 1 replayed as segment 4.
store plant "$A" 4 <"$D/a1"

refused() { # SEQ WHAT EXPECTED-REASON
	local t from to out rc
	t=$(store times "$A" "$1"); from=${t% *}; to=${t#* }
	# A range inside that one segment only.
	out=$(sc "$OWNER" clips get --camera "Front door" --since "@$from" --until "@$to" \
		-o "$D/out/seg$1.mp4" 2>&1)
	rc=$?
	if [ $rc = 1 ] && grep -q "segment $1 .* failed verification: $3" <<<"$out" &&
		grep -q "nothing written" <<<"$out" && [ -z "$(ls -A "$D/out")" ]; then
		ok "$2: refused ('$3'), exit 1, no file"
	else
		not_ok "$2 (exit $rc)" "$out"$'\n'"$(ls -A "$D/out")"
	fi
}
mkdir -p "$D/out"
refused 1 "a segment signed by another key" "bad camera signature"
refused 2 "another camera's valid segment" "it belongs to another camera"
refused 3 "a truncated segment" "truncated"
refused 4 "a valid segment replayed under another sequence number" "it is another segment than the one requested"
refused 5 "a segment cut in the middle of a record" "a record failed authentication"

out=$(sc "$OWNER" clips get --camera "Front door" --since 1h --until +1h -o "$D/out/all.mp4" 2>&1)
[ $? = 1 ] && [ "$(wc -l <<<"$out")" = 1 ] && [ -z "$(ls -A "$D/out")" ] &&
	ok "a range with a planted segment in it fails as a whole: one line, nothing written" ||
	not_ok "whole range" "$out"
out=$(sc "$OWNER" clips get --camera "Front door" --since 1h --until +1h -o - 2>&1 >"$D/stdout.bin")
[ $? = 1 ] && ! grep -q "ftyp\|mdat" "$D/stdout.bin" &&
	ok "to stdout, nothing of an unverified segment is written" || not_ok "stdout" "$out"
# The other camera is untouched.
sc "$OWNER" clips get --camera "Garden" --since 1h --until +1h -o "$D/garden.mp4" 2>/dev/null &&
	ok "the other camera's footage still verifies" || not_ok "garden"

# A camera key swapped during pairing (what a malicious server would do):
# registered with a key whose proof was not made with the pairing secret.
sc "$OWNER" camera add --name "Porch" --no-wait >/dev/null
pid=$(basename "$(ls "$OWNER"/pairings/*.json)" .json)
keys=$("$SEALTOOL" camera "$D/fake") && api POST "/v1/pairings/$pid/register" "" \
	"{\"camera_id\":\"${keys% *}\",\"camera_pk\":\"${keys#* }\",\"proof\":\"$(printf '%064d' 0)\"}"
[ "$API_STATUS" = 201 ] || not_ok "registering a swapped key" "$API_STATUS $API_BODY"
out=$(sc "$OWNER" camera pending 2>&1)
rc=$?
api GET "/v1/cameras/${keys% *}/keyring" "$(cat "$OWNER/session")"
[ $rc = 1 ] && grep -q "cannot prove it holds the pairing secret" <<<"$out" && [ "$API_STATUS" = 404 ] &&
	[ -z "$(ls -A "$OWNER/pairings")" ] && ! sc "$OWNER" camera list | grep -q "^Porch " &&
	ok "a camera key swapped during pairing fails the proof: no keyring for it, removed" ||
	not_ok "swapped key ($rc, keyring $API_STATUS)" "$out"

lib_done
