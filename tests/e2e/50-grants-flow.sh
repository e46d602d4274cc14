#!/bin/bash
# Consent-gated staff access, end to end with the real CLI, agent and server:
# staff keys and the logged directory, a grant, the staff fetch (logged and
# proven first) writing an MP4 of exactly the granted range, the owner
# seeing the access verified within 2 s; then every refusal (no grant,
# another staff member, a range outside, expired, revoked, a bad grant
# signature, data without an inclusion proof or with another entry's, a
# grant's footage swapped for another camera's); last, a copy of the whole
# database and blob store with every staff key opens only what was granted.
. "$(dirname "$0")/lib.sh"

D=$(tmp_dir)
OWNER=$D/owner JO=$D/jo ANA=$D/ana SAM=$D/sam DATA=$D/s/data
KEYTRY=$BIN/tools/keytry
start_sealcamd "$D/s" || { not_ok "sealcamd starts"; lib_done; }
cli_signup "$OWNER" owner@example.com >/dev/null || { not_ok "owner signup"; lib_done; }
cli_pair "$OWNER" "Front door" "$D/agent" --source lavfi:testsrc2=size=320x180:rate=10 \
	--speed 2 --segment-seconds 1 >/dev/null || { not_ok "pairing Front door"; lib_done; }
CAM_A=$CAMERA_ID AGENT_A=$AGENT_PID
cli_pair "$OWNER" "Back yard" "$D/agentb" --source lavfi:testsrc=size=160x90:rate=5 \
	--speed 2 --segment-seconds 1 >/dev/null || { not_ok "pairing Back yard"; lib_done; }
CAM_B=$CAMERA_ID AGENT_B=$AGENT_PID
OTOK=$(cat "$OWNER/session")

# --- staff keys, the directory ------------------------------------------------
staff_add() { # home email role name
	local key t0
	key=$(sc "$1" staff init | sed -n 's/^Public key: *//p')
	t0=$SECONDS
	printf 'password of %s\n' "$2" | "$SEALCAMD" admin staff add "$2" --role "$3" \
		--key "$key" --name "$4" --password-stdin --data-dir "$DATA" >"$1.add" 2>&1 &&
		echo $((SECONDS - t0)) >"$1.addsecs" &&
		printf 'password of %s\n' "$2" | sc "$1" staff login --email "$2" --password-stdin \
		>"$1.login" 2>&1
}
staff_add "$JO" jo@vendor.example support "Support (Jo)" &&
	staff_add "$ANA" ana@vendor.example research "Research (Ana)" &&
	staff_add "$SAM" sam@vendor.example support "Support (Sam)" &&
	grep -q "is in the staff directory, logged" "$JO.add" &&
	grep -q "principal [0-9a-f]\{32\} (support, active)" "$JO.login" &&
	ok "three staff members made keys on their machines; the admin registered them (logged) while sealcamd ran; they logged in" ||
	not_ok "staff registration" "$(cat "$JO.add" "$JO.login")"
# The tool wakes the running server (the wake file, inotify); sealcamd's
# own look without a wake-up comes only every 20 s.
[ "$(cat "$JO.addsecs")" -le 8 ] && [ "$(cat "$ANA.addsecs")" -le 8 ] &&
	grep -q "sealcamd is running: waiting" "$JO.add" &&
	ok "the running sealcamd logged each change at once when the admin tool woke it (<= 8 s, not its 20 s fallback)" ||
	not_ok "staff change picked up at once" "$(cat "$JO.addsecs" "$ANA.addsecs") s: $(cat "$JO.add")"
stat -c %a "$JO/staff/key" | grep -qx 600 && ok "the staff key is readable only by its owner (0600)" ||
	not_ok "staff key mode" "$(stat -c %a "$JO/staff/key")"

# Footage: segments of both cameras, and an event and a thumbnail of Front door.
segs() { # camera -> "seq start_ms duration_ms" lines
	api GET "/v1/cameras/$1/objects?kind=segment" "$OTOK"
	python3 -c 'import json,sys
for o in json.loads(sys.argv[1])["objects"]: print(o["seq"], o["start_ms"], o["duration_ms"])' "$API_BODY"
}
wait_until 60 bash -c "[ \$(curl -s -H 'Authorization: Bearer $OTOK' $SEALCAMD_URL/v1/cameras/$CAM_A/objects | grep -o '\"seq\"' | wc -l) -ge 7 ]" &&
	wait_until 30 bash -c "[ \$(curl -s -H 'Authorization: Bearer $OTOK' $SEALCAMD_URL/v1/cameras/$CAM_B/objects | grep -o '\"seq\"' | wc -l) -ge 2 ]" ||
	not_ok "segments uploaded"
stop_pid "$AGENT_B"
mkdir -p "$D/camkey"
xxd -p -c 64 "$D/agent/cameras/$CAM_A/camera.key" >"$D/camkey/cam.sk"
api GET /v1/me "$OTOK"
OBOX=$(jget vault.box_pk <<<"$API_BODY")
CTOK=$(cat "$D/agent/cameras/$CAM_A/token")
for kind in event thumbnail; do
	k=2; [ $kind = thumbnail ] && k=3
	"$SEALTOOL" seal "$D/camkey" $k 9000001 "$(date +%s000)" 0 1 0 3000 random "$OBOX" >"$D/$kind.seal" &&
		curl -s -o /dev/null -w '%{http_code}' -X PUT -H "Authorization: Bearer $CTOK" \
		-H 'Content-Type: application/octet-stream' --data-binary "@$D/$kind.seal" \
		"$SEALCAMD_URL/v1/camera/objects/$kind/9000001" | grep -q 201 || not_ok "upload $kind"
done

mapfile -t SEGS < <(segs "$CAM_A")
read -r S2 T2 _ <<<"${SEGS[1]}"
read -r S4 T4 U4 <<<"${SEGS[3]}"
FROM=$(python3 -c "print('@%.3f' % ($T2 / 1000))")
UNTIL=$(python3 -c "print('@%.3f' % (($T4 + $U4) / 1000))")
RANGE_MS=$((T4 + U4 - T2))

# --- the happy path ------------------------------------------------------------
grant() { # home args... -> GRANT_ID
	GOUT=$(sc "$@" 2>&1)
	GRANT_ID=$(sed -n 's/^Grant \([0-9a-f]\{32\}\) created.*/\1/p' <<<"$GOUT")
	[ -n "$GRANT_ID" ]
}
out=$(sc "$OWNER" grant create --to "Nobody" --camera "Front door" --from "$FROM" \
	--until "$UNTIL" --purpose x 2>&1) && not_ok "a grant to someone not in the directory" "$out" ||
	ok "a grant to someone outside the logged staff directory is refused"
out=$(sc "$OWNER" grant create --to "Support (Jo)" --camera "Front door" --from 1h \
	--until now --purpose x --max-range 5s 2>&1)
[ $? -ne 0 ] && grep -q "above the maximum of 5.0s for one grant: grants are clip-sized" <<<"$out" &&
	ok "a range above the maximum is refused (grants are clip-sized)" || not_ok "max range" "$out"

# Each line of the owner's watch gets the time it appeared (ms).
stamp() { while IFS= read -r l; do echo "$(date +%s%3N) $l"; done; }
sc "$OWNER" access --watch --count 1 > >(stamp >"$D/watch.out") 2>&1 &
WATCH=$!
track_pid "$WATCH"
grant "$OWNER" grant create --to "Support (Jo)" --camera "Front door" --from "$FROM" \
	--until "$UNTIL" --purpose "Ticket 4711: evening rings" --expires 7d &&
	grep -q "3 segments: the range rounded out to whole segments" <<<"$GOUT" &&
	grep -q "cannot be un-seen" <<<"$GOUT" &&
	ok "the owner grants Jo 3 segments (logged, receipt verified; the output says fetched footage cannot be un-seen)" ||
	not_ok "grant create" "$GOUT"
G1=$GRANT_ID
out=$(sc "$JO" staff grants)
grep -q "^$G1 .* original .* active" <<<"$out" && grep -q "purpose: Ticket 4711" <<<"$out" &&
	ok "Jo's client lists the grant, its owner signature checked" || not_ok "staff grants" "$out"
mkdir -p "$D/out1"
out=$(sc "$JO" staff fetch "$G1" -o "$D/out1" 2>&1)
MP4=$D/out1/$G1-original.mp4
grep -q "Access logged in the owner's transparency log (entry [0-9]*, proven): 3 objects" <<<"$out" &&
	[ -s "$MP4" ] && ok "Jo fetches the grant: the access is logged and proven before anything is decrypted" ||
	not_ok "staff fetch" "$out"
read -r DUR NF < <(ffprobe -v error -select_streams v:0 -count_frames -show_entries \
	stream=duration,nb_read_frames -of csv=p=0 "$MP4" | tr ',' ' ')
python3 -c "import sys; d, n, r = float('$DUR'), int('$NF'), $RANGE_MS / 1000
sys.exit(0 if abs(d - r) <= 0.11 and abs(n - round(r * 10)) <= 1 else 1)" 2>/dev/null &&
	ok "the MP4 is exactly the granted range: ${DUR}s and $NF frames for $((RANGE_MS / 1000))s of segments at 10 fps" ||
	not_ok "granted range" "duration $DUR frames $NF, range ${RANGE_MS}ms"
for ((i = 0; i < 100; i++)); do grep -q "NEW ACCESS" "$D/watch.out" && break; sleep 0.05; done
SEEN_MS=$(awk '/NEW ACCESS/{print $1; exit}' "$D/watch.out")
api GET /v1/me/accesses "$OTOK"
AT_MS=$(jget accesses.0.time_ms <<<"$API_BODY")
LAT=$((${SEEN_MS:-0} - AT_MS))
grep -q "NEW ACCESS: .* Support (Jo) \[support, .*Front door  3 segments, .* grant ${G1:0:8}  verified" "$D/watch.out" &&
	[ "$LAT" -ge 0 ] && [ "$LAT" -le 2000 ] &&
	ok "the owner's 'access --watch' showed the access, verified against the log, ${LAT} ms after it was logged (<= 2 s)" ||
	not_ok "watch within 2 s" "latency ${LAT} ms; $(cat "$D/watch.out")"
T0=$(date +%s%3N)
out=$(sc "$OWNER" access)
rc=$?
T1=$(date +%s%3N)
[ $rc = 0 ] && [ "$(grep -c 'verified (log entry' <<<"$out")" = 1 ] &&
	ok "'sealcam access' lists the one access, verified, in $((T1 - T0)) ms" || not_ok "access list" "$out"
out=$(sc "$OWNER" log show)
grep -q "grant ${G1:0:8} created for staff principal" <<<"$out" &&
	grep -q "opened a recording under grant ${G1:0:8}" <<<"$out" &&
	ok "the grant and the access are in the owner's verified log history" || not_ok "log show" "$out"

# --- refusals --------------------------------------------------------------------
JTOK=$(cat "$JO/session")
api GET "/v1/cameras/$CAM_A/objects/segment/2" "$JTOK"
s1=$API_STATUS
api GET "/v1/cameras/$CAM_A/objects" "$JTOK"
[ "$s1" = 403 ] && [ "$API_STATUS" = 403 ] &&
	ok "no grant path: staff get 403 on the camera's objects (listing and download)" ||
	not_ok "staff on camera routes" "$s1 $API_STATUS"
NOGRANT=$(head -c 16 /dev/urandom | xxd -p)
out=$(sc "$JO" staff fetch "$NOGRANT" -o "$D/out1" 2>&1) && not_ok "fetch without a grant" "$out" ||
	ok "no grant: staff fetch of an unknown grant is refused (404)"
out=$(sc "$SAM" staff fetch "$G1" -o "$D/out1" 2>&1)
STOK=$(cat "$SAM/session")
api POST "/v1/grants/$G1/access" "$STOK" '{}'
[ "$API_STATUS" = 404 ] && grep -q "HTTP 404" <<<"$out" &&
	ok "another staff member cannot use Jo's grant (404 for client and raw access)" ||
	not_ok "other staff" "$API_STATUS $out"

# A range outside the grant: the client refuses; the server too.
n0=$(curl -s -H "Authorization: Bearer $OTOK" "$SEALCAMD_URL/v1/me/accesses" | grep -o '"seq"' | wc -l)
out=$(sc "$JO" staff fetch "$G1" -o "$D/out1" --from "@$(python3 -c "print(($T2 - 4000) / 1000)")" 2>&1)
n1=$(curl -s -H "Authorization: Bearer $OTOK" "$SEALCAMD_URL/v1/me/accesses" | grep -o '"seq"' | wc -l)
[ $? ] && grep -q "outside the grant's range; refusing" <<<"$out" && [ "$n0" = "$n1" ] &&
	ok "a range outside the grant is refused by the staff client (nothing asked, nothing logged)" ||
	not_ok "client range" "$out"
read -r S7 _ <<<"${SEGS[6]}"
api POST "/v1/grants/$G1/access" "$JTOK" "{\"objects\":[{\"kind\":\"segment\",\"seq\":$S7}]}"
s1=$API_STATUS c1=$(jget error.code <<<"$API_BODY")
api POST "/v1/grants/$G1/access" "$JTOK" "{\"objects\":[{\"kind\":\"segment\",\"seq\":$S2}]}"
ACC=$(jget access_id <<<"$API_BODY")
api GET "/v1/grants/$G1/objects/segment/$S4?access=$ACC" "$JTOK"
s3=$API_STATUS
api GET "/v1/grants/$G1/objects/thumbnail/9000001?access=$ACC" "$JTOK"
[ "$s1" = 403 ] && [ "$c1" = not_granted ] && [ "$s3" = 403 ] && [ "$API_STATUS" = 403 ] &&
	ok "the server refuses objects outside the grant, and objects outside the logged access (403 not_granted)" ||
	not_ok "server range" "$s1 $c1 $s3 $API_STATUS"

# Expired.
grant "$OWNER" grant create --to "Support (Jo)" --camera "Front door" --from "$FROM" \
	--until "$UNTIL" --purpose "short" --expires 2s || not_ok "expiring grant" "$GOUT"
G2=$GRANT_ID
sleep 2.2
out=$(sc "$JO" staff fetch "$G2" -o "$D/out1" 2>&1)
api POST "/v1/grants/$G2/access" "$JTOK" '{}'
grep -q "grant $G2 expired at .*; refusing" <<<"$out" && [ "$API_STATUS" = 403 ] &&
	[ "$(jget error.code <<<"$API_BODY")" = grant_expired ] &&
	ok "an expired grant is refused by the staff client and by the server (403 grant_expired)" ||
	not_ok "expired" "$API_STATUS $API_BODY $out"

# Revoked, after one fetch: what was fetched stays (honest), nothing more.
grant "$OWNER" grant create --to "Support (Jo)" --camera "Front door" --from "$FROM" \
	--until "$UNTIL" --purpose "revoke me" || not_ok "grant to revoke" "$GOUT"
G3=$GRANT_ID
mkdir -p "$D/out3"
sc "$JO" staff fetch "$G3" -o "$D/out3" >/dev/null 2>&1 || not_ok "fetch before revocation"
out=$(sc "$OWNER" grant revoke "$G3" 2>&1)
grep -q "revoked, logged (entry [0-9]*); 1 access had been made under it" <<<"$out" &&
	grep -q "footage already fetched under it" <<<"$out" && grep -q "cannot be un-seen" <<<"$out" &&
	ok "revocation is logged and says honestly that the 1 fetch made cannot be un-seen" ||
	not_ok "revoke" "$out"
out=$(sc "$JO" staff fetch "$G3" -o "$D/out3" 2>&1)
api POST "/v1/grants/$G3/access" "$JTOK" '{}'
grep -q "the owner revoked grant $G3 on .*; refusing" <<<"$out" && [ "$API_STATUS" = 403 ] &&
	[ "$(jget error.code <<<"$API_BODY")" = grant_revoked ] && [ -s "$D/out3/$G3-original.mp4" ] &&
	ok "a revoked grant is refused by the staff client and the server (403 grant_revoked); the earlier copy is still on Jo's disk" ||
	not_ok "revoked" "$API_STATUS $out"
out=$(sc "$OWNER" grant list)
grep -q "^$G3 .* revoked *1$" <<<"$out" && grep -q "^$G2 .* expired *0$" <<<"$out" &&
	grep -q "cannot be un-seen" <<<"$out" &&
	ok "grant list shows active, expired and revoked grants with their access counts" ||
	not_ok "grant list" "$out"

# --- a misbehaving server (grantproxy.py in front of sealcamd) ---------------------
CTL=$D/proxy.mode PLOG=$D/proxy.log
python3 "$(dirname "$0")/grantproxy.py" "$SEALCAMD_PORT" "$D/proxy.port" "$CTL" "$PLOG" &
track_pid $!
wait_until 10 test -s "$D/proxy.port" || not_ok "proxy starts"
PURL=http://127.0.0.1:$(cat "$D/proxy.port")
via() { local home=$1; shift; "$SEALCAM" --home "$home" --server "$PURL" "$@"; }
attack() { # mode words... ; then run the fetch; sets OUT, RC, OBJGETS
	echo "$*" >"$CTL"
	: >"$PLOG"
	rm -rf "$D/outx"
	mkdir -p "$D/outx"
	OUT=$(via "$JO" staff fetch "$G1" -o "$D/outx" 2>&1)
	RC=$?
	OBJGETS=$(grep -c "^GET /v1/grants/$G1/objects/" "$PLOG")
	: >"$CTL"
}
echo flip_put_grant_sig >"$CTL"
out=$(via "$OWNER" grant create --to "Support (Jo)" --camera "Front door" --from "$FROM" \
	--until "$UNTIL" --purpose "tampered" 2>&1)
: >"$CTL"
grep -q "HTTP 400, bad_signature" <<<"$out" && ! sc "$OWNER" grant list | grep -q "purpose: tampered" &&
	ok "a grant document with a bad signature is refused by the server (400 bad_signature), nothing granted" ||
	not_ok "server bad signature" "$out"
attack flip_grant_sig
[ $RC != 0 ] && grep -q "the grant document does not verify: its signature is not the owner's" <<<"$OUT" &&
	! grep -q "/access" "$PLOG" && [ -z "$(ls "$D/outx")" ] &&
	ok "a grant document with a bad signature is refused by the staff client (nothing asked, nothing written)" ||
	not_ok "client bad signature" "$OUT"
attack strip_access_proof
[ $RC != 0 ] && grep -q "no log receipt" <<<"$OUT" && [ "$OBJGETS" = 0 ] && [ -z "$(ls "$D/outx")" ] &&
	ok "an access without an inclusion proof: the staff client downloads and decrypts nothing" ||
	not_ok "no proof" "$OUT ($OBJGETS object requests)"
attack other_entry_proof
[ $RC != 0 ] && grep -q "the log proof is for another entry than this access; refusing" <<<"$OUT" &&
	[ "$OBJGETS" = 0 ] && [ -z "$(ls "$D/outx")" ] &&
	ok "an access with a valid proof of another entry (the grant's): refused, nothing downloaded" ||
	not_ok "other entry proof" "$OUT ($OBJGETS object requests)"
read -r SB _ <<<"$(segs "$CAM_B" | head -1)"
curl -s -o "$D/camb.seal" -H "Authorization: Bearer $OTOK" "$SEALCAMD_URL/v1/cameras/$CAM_B/objects/segment/$SB"
attack swap_object "$D/camb.seal"
[ $RC != 0 ] && grep -q "failed verification: it belongs to another camera; nothing written" <<<"$OUT" &&
	[ -z "$(ls "$D/outx")" ] &&
	ok "camera B's footage served under a grant for camera A: refused (another camera), nothing written" ||
	not_ok "camera swap" "$OUT"
out=$(via "$JO" staff fetch "$G1" -o "$D/outx" 2>&1) && [ -s "$D/outx/$G1-original.mp4" ] &&
	ok "the same proxy, honest again: the fetch works (the refusals above were the attacks')" ||
	not_ok "honest proxy" "$out"

# --- by construction: a copy of everything plus every staff key --------------------
stop_pid "$WATCH"
stop_pid "$AGENT_A"
stop_pid "$SEALCAMD_PID" || not_ok "sealcamd stops cleanly"
cp -a "$DATA" "$D/copy"
"$KEYTRY" "$D/copy" "$JO/staff/key" "$ANA/staff/key" "$SAM/staff/key" "$OWNER/vault" >"$D/keytry.out" ||
	not_ok "keytry runs" "$(cat "$D/keytry.out")"
NOBJ=$(sed -n 's/^tried \([0-9]*\) objects.*/\1/p' "$D/keytry.out")
want=$(for s in "${SEGS[@]:1:3}"; do read -r q _ <<<"$s"; echo "open 0 1 $q $CAM_A"; done | sort -u)
got=$(grep '^open [012] ' "$D/keytry.out" | awk '{print $1, $2, $3, $4, $5}' | sort -u)
[ "$got" = "$want" ] && ! grep -q '^open [012] .* via stanza' "$D/keytry.out" &&
	ok "a copy of the database and blob store ($NOBJ objects) with all 3 staff keys opens only the 3 granted segments, for Jo alone, only through grants" ||
	not_ok "by construction" "want: $want; got: $got"
! grep -q '^open [012] [23] ' "$D/keytry.out" && grep -q "^open 3 2 9000001 $CAM_A via stanza" "$D/keytry.out" &&
	grep -q "^open 3 3 9000001 $CAM_A via stanza" "$D/keytry.out" &&
	[ "$(grep -c '^open 3 1 ' "$D/keytry.out")" -ge 9 ] &&
	ok "no staff key opens any event or thumbnail; the owner's key opens them all (the check can open what is openable)" ||
	not_ok "events and thumbnails" "$(grep '^open' "$D/keytry.out" | head -20)"
lib_done
