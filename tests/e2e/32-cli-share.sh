#!/bin/bash
# Sharing with a household member and taking it back. While shared, the
# member fetches footage with their own key; after unshare, footage recorded
# under the new keyring is not decryptable with the member's key — shown
# cryptographically (the member's vault key opening the sealed segments:
# "not a recipient"), not only by the server's 404.
. "$(dirname "$0")/lib.sh"

D=$(tmp_dir)
OWNER=$D/owner MEM=$D/sam
start_sealcamd "$D/s" || { not_ok "sealcamd starts"; lib_done; }
cli_signup "$OWNER" owner@example.com || { not_ok "owner signup"; lib_done; }
cli_signup "$MEM" sam@example.com || { not_ok "member signup"; lib_done; }
cli_pair "$OWNER" "Front door" "$D/agent" --source lavfi:testsrc2=size=320x180:rate=10 --speed 2 --segment-seconds 2 ||
	{ not_ok "pairing"; lib_done; }

# seq -> epoch, as the owner lists them.
epochs() { sc "$1" clips list --camera "Front door" --since 1h --until +1h |
	awk '$1 ~ /^[0-9]+$/ && $2 ~ /^[0-9][0-9][0-9][0-9]-/ {print $1, $NF}'; }
has_epoch() { epochs "$OWNER" | awk -v e="$1" '$2 == e {f = 1} END {exit !f}'; }
first_of() { epochs "$OWNER" | awk -v e="$1" '$2 == e {print $1; exit}'; }
wait_until 60 has_epoch 1 || not_ok "footage under epoch 1" "$(tail -3 "$D/agent.log")"

# Share: the member's fingerprint is shown; no terminal and no --yes: no.
mfpr=$(sc "$MEM" whoami | sed -n 's/^Key fingerprint: *\([^ ]*\).*/\1/p')
ofpr=$(sc "$OWNER" whoami | sed -n 's/^Key fingerprint: *\([^ ]*\).*/\1/p')
out=$(setsid -w "$SEALCAM" --home "$OWNER" --server "$SEALCAMD_URL" camera share \
	--camera "Front door" --with sam@example.com 2>&1 </dev/null)
[ $? = 1 ] && grep -q "sam@example.com's key fingerprint: $mfpr" <<<"$out" && grep -q -- "--yes" <<<"$out" &&
	ok "share shows the member's key fingerprint and wants a confirmation" || not_ok "share unconfirmed" "$out"
out=$(sc "$OWNER" camera share --camera "Front door" --with sam@example.com --yes)
[ $? = 0 ] && grep -q "$mfpr" <<<"$out" && grep -q "keyring epoch 2 published" <<<"$out" &&
	ok "share --yes (after printing the fingerprint) publishes keyring epoch 2" || not_ok "share" "$out"

# The member: sees the camera, pins the owner key once (and says so).
out=$(sc "$MEM" camera list)
grep -q "owner's key fingerprint is $ofpr" <<<"$out" && grep -q "Pinned on this device" <<<"$out" &&
	grep -Eq "^Front door .* 2  member$" <<<"$out" &&
	ok "the member's camera list shows the owner's fingerprint the first time and pins it" ||
	not_ok "member list" "$out"
out=$(sc "$MEM" camera list)
! grep -q "Pinned" <<<"$out" && ok "...and does not ask again" || not_ok "pinned twice" "$out"

# What the member pinned is enforced: another owner key, or an older
# keyring than one seen, and the camera is refused.
TF=$(ls "$MEM"/trust/*.json)
cp "$TF" "$D/trust.bak"
cp "$TF" "$TF.orig"
python3 - "$TF" <<'PY'
import json, sys; t = json.load(open(sys.argv[1])); t["owner_sign_pk"] = "ab" * 32
json.dump(t, open(sys.argv[1], "w"))
PY
out=$(sc "$MEM" clips list --camera "Front door" --since 1h 2>&1)
[ $? = 1 ] && grep -q "not signed by the owner key pinned on this device" <<<"$out" &&
	ok "a keyring not signed by the pinned owner key is refused" || not_ok "pinned owner" "$out"
python3 - "$TF" <<'PY'
import json, sys; t = json.load(open(sys.argv[1])); t["owner_sign_pk"] = json.load(open(sys.argv[1] + ".orig"))["owner_sign_pk"]; t["epoch"] = 99
json.dump(t, open(sys.argv[1], "w"))
PY
out=$(sc "$MEM" clips list --camera "Front door" --since 1h 2>&1)
[ $? = 1 ] && grep -q "has seen epoch 99: refusing an older keyring" <<<"$out" &&
	ok "a keyring older than one this device saw (rollback) is refused" || not_ok "rollback" "$out"
cp "$D/trust.bak" "$TF"
rm -f "$TF.orig"

# Retention: the owner sets it, anyone sees it, a member cannot change it.
out=$(sc "$OWNER" camera retention --camera "Front door" --days 30 --max-bytes 50G)
[ $? = 0 ] && grep -q "footage kept for 30 days, up to 50.0 GiB" <<<"$out" &&
	sc "$MEM" camera retention --camera "Front door" | grep -q "for 30 days, up to 50.0 GiB" &&
	ok "retention --days 30 --max-bytes 50G is set and shown" || not_ok "retention" "$out"
out=$(sc "$MEM" camera retention --camera "Front door" --days 1 2>&1)
[ $? = 1 ] && grep -q "only the owner" <<<"$out" && ok "a member cannot change retention" ||
	not_ok "member retention" "$out"
out=$(sc "$OWNER" camera retention --camera "Front door" --max-bytes 12Q 2>&1)
[ $? = 2 ] && grep -q -- "--max-bytes '12Q': expected a size" <<<"$out" && ok "a bad size is named and explained" ||
	not_ok "bad size" "$out"

wait_until 60 has_epoch 2 || not_ok "footage under epoch 2"
E2=$(first_of 2)
sc "$MEM" clips get --camera "Front door" --since 1h --until +1h -o "$D/sam.mp4" 2>"$D/sam.err"
rc=$?
f=$(frames "$D/sam.mp4")
[ $rc = 0 ] && [ -n "$f" ] && [ "$f" -gt 0 ] && grep -q "recorded while the camera was not shared with you" "$D/sam.err" &&
	ok "the member fetches footage recorded while shared ($f frames); earlier footage is skipped, said so" ||
	not_ok "member get ($rc)" "$(cat "$D/sam.err")"
errs=$(ffmpeg -nostdin -v error -i "$D/sam.mp4" -f null - 2>&1)
[ -z "$errs" ] && ok "the member's MP4 decodes without error" || not_ok "member decode" "$errs"

# Unshare: epoch 3 without the member.
out=$(sc "$OWNER" camera unshare --camera "Front door" --with sam@example.com)
grep -q "keyring epoch 3 published" <<<"$out" && ok "unshare publishes keyring epoch 3" || not_ok "unshare" "$out"
wait_until 60 has_epoch 3 || not_ok "footage under epoch 3"
E3=$(first_of 3)

# The server's side: the member is no longer a viewer.
out=$(sc "$MEM" clips get --camera "Front door" --since 1h --until +1h -o "$D/after.mp4" 2>&1)
[ $? = 1 ] && [ ! -e "$D/after.mp4" ] && ok "after unshare the member's clips get is refused by the server" ||
	not_ok "member after unshare" "$out"

# The cryptographic side: the sealed segments themselves.
mkdir -p "$D/sealed"
sc "$OWNER" clips get --camera "Front door" --since 1h --until +1h --sealed-dir "$D/sealed" 2>/dev/null ||
	not_ok "owner keeps the sealed segments"
f2=$(ls "$D"/sealed/*-$(printf '%08d' "$E2").seal) f3=$(ls "$D"/sealed/*-$(printf '%08d' "$E3").seal)
n2=$(od -An -tu1 -j7 -N1 "$f2" | tr -d ' ') n3=$(od -An -tu1 -j7 -N1 "$f3" | tr -d ' ')
[ "$n2" = 2 ] && [ "$n3" = 1 ] &&
	ok "segment $E2 (epoch 2) is sealed to 2 recipients, segment $E3 (epoch 3) to 1" || not_ok "stanzas: $n2 $n3"
out=$(sc "$MEM" clips open --camera "Front door" "$f3" 2>&1)
[ $? = 1 ] && grep -q "REFUSED: not a recipient" <<<"$out" &&
	ok "the member's own key cannot open footage recorded after unshare: not a recipient" ||
	not_ok "member opens epoch 3" "$out"
out=$(sc "$MEM" clips open --camera "Front door" "$f2" 2>&1)
[ $? = 0 ] && grep -q ": ok: seq $E2" <<<"$out" &&
	ok "...while the same key still opens a segment sealed while shared (epoch 2)" || not_ok "member opens epoch 2" "$out"
out=$(sc "$OWNER" clips open --camera "Front door" "$f3" 2>&1)
[ $? = 0 ] && ok "the owner opens the epoch 3 segment" || not_ok "owner opens epoch 3" "$out"

# Sharing with someone without an account, or unsharing a non-member.
out=$(sc "$OWNER" camera share --camera "Front door" --with nobody@example.com --yes 2>&1)
[ $? = 1 ] && grep -q "no account with keys" <<<"$out" && ok "sharing with an unknown address is refused clearly" ||
	not_ok "share unknown" "$out"
out=$(sc "$OWNER" camera unshare --camera "Front door" --with sam@example.com 2>&1)
[ $? = 1 ] && grep -q "is not shared with sam@example.com" <<<"$out" && ok "unsharing twice says it is not shared" ||
	not_ok "unshare twice" "$out"

lib_done
