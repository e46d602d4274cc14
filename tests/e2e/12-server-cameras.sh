#!/bin/bash
# sealcamd cameras over real HTTP: pairing (one-time, expiring), owner-signed
# keyrings (signature, epoch), members, the agent's keyring long-poll,
# retention settings, camera deletion.
. "$(dirname "$0")/lib.sh"

D=$(tmp_dir)
start_sealcamd "$D/s" || { not_ok "sealcamd starts"; lib_done; }
new_user alice@example.com "$D/alice" || { not_ok "alice"; lib_done; }
TA=$USER_TOKEN AID=$USER_ID ABOX=$USER_BOX
new_user bob@example.com "$D/bob" || { not_ok "bob"; lib_done; }
TB=$USER_TOKEN BID=$USER_ID BBOX=$USER_BOX
api POST /v1/signup "" '{"email":"carol@example.com","password":"carol password"}'
TC=$(jget token <<<"$API_BODY") CID=$(jget account_id <<<"$API_BODY")

# --- pairing --------------------------------------------------------------
PID=$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
api POST /v1/pairings "$TA" "{\"pairing_id\":\"$PID\",\"name\":\"Front door\"}"
[ "$API_STATUS" = 201 ] && [ -n "$(jget expires_ms <<<"$API_BODY")" ] &&
	ok "owner announces a pairing: 201 with expiry" || not_ok "pairing create" "$API_STATUS $API_BODY"
api POST /v1/pairings "$TB" "{\"pairing_id\":\"$PID\",\"name\":\"Mine\"}"
[ "$API_STATUS" = 409 ] && ok "the same pairing id cannot be taken twice" || not_ok "pairing id reuse" "$API_STATUS"
api GET "/v1/pairings/$PID" "$TA"
[ "$API_STATUS" = 200 ] && [ "$(jget status <<<"$API_BODY")" = pending ] &&
	ok "the creator sees it pending" || not_ok "pairing pending" "$API_STATUS $API_BODY"
api GET "/v1/pairings/$PID" "$TB"
[ "$API_STATUS" = 404 ] && ok "another user gets 404 for it" || not_ok "pairing hidden" "$API_STATUS"

keys=$("$SEALTOOL" camera "$D/cam1"); CAM=${keys% *}; CPK=${keys#* }
keys2=$("$SEALTOOL" camera "$D/other"); OTHERCAM=${keys2% *}
PROOF=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
api POST "/v1/pairings/$PID/register" "" "{\"camera_id\":\"$OTHERCAM\",\"camera_pk\":\"$CPK\",\"proof\":\"$PROOF\"}"
[ "$API_STATUS" = 400 ] && ok "register with a camera id that is not hash(camera_pk) is 400" ||
	not_ok "camera id check" "$API_STATUS $API_BODY"
api POST "/v1/pairings/$PID/register" "" "{\"camera_id\":\"$CAM\",\"camera_pk\":\"$CPK\",\"proof\":\"$PROOF\"}"
CT=$(jget camera_token <<<"$API_BODY")
[ "$API_STATUS" = 201 ] && [[ $CT == c.* ]] && [ "$(jget camera_id <<<"$API_BODY")" = "$CAM" ] &&
	ok "the agent registers: 201 with a camera token" || not_ok "register" "$API_STATUS $API_BODY"
api POST "/v1/pairings/$PID/register" "" "{\"camera_id\":\"$CAM\",\"camera_pk\":\"$CPK\",\"proof\":\"$PROOF\"}"
[ "$API_STATUS" = 409 ] && [ "$(jget error.code <<<"$API_BODY")" = conflict ] &&
	ok "a second register is 409 conflict (one-time)" || not_ok "one-time" "$API_STATUS $API_BODY"
api GET "/v1/pairings/$PID" "$TA"
[ "$(jget status <<<"$API_BODY")" = registered ] && [ "$(jget camera_pk <<<"$API_BODY")" = "$CPK" ] &&
	[ "$(jget proof <<<"$API_BODY")" = "$PROOF" ] && [ "$(jget camera_id <<<"$API_BODY")" = "$CAM" ] &&
	ok "the creator reads back the camera key and its proof to verify" || not_ok "pairing registered" "$API_BODY"

# Expiry: a second server whose pairings last 1 s.
MAIN=("$SEALCAMD_URL" "$SEALCAMD_PID")
start_sealcamd "$D/s2" --pairing-ttl 1s
api POST /v1/signup "" '{"email":"x@example.com","password":"x password 12"}'; TX=$(jget token <<<"$API_BODY")
api POST /v1/pairings "$TX" "{\"pairing_id\":\"$PID\",\"name\":\"x\"}"
sleep 1.2
api POST "/v1/pairings/$PID/register" "" "{\"camera_id\":\"$CAM\",\"camera_pk\":\"$CPK\",\"proof\":\"$PROOF\"}"
[ "$API_STATUS" = 410 ] && [ "$(jget error.code <<<"$API_BODY")" = pairing_expired ] &&
	ok "register after the pairing expired is 410 pairing_expired" || not_ok "pairing expiry" "$API_STATUS $API_BODY"
stop_pid "$SEALCAMD_PID"
SEALCAMD_URL=${MAIN[0]} SEALCAMD_PID=${MAIN[1]}

# --- keyrings -------------------------------------------------------------
api GET /v1/cameras "$TA"
[ "$(jget cameras.0.camera_id <<<"$API_BODY")" = "$CAM" ] && [ "$(jget cameras.0.role <<<"$API_BODY")" = owner ] &&
	[ "$(jget cameras.0.keyring_epoch <<<"$API_BODY")" = 0 ] && [ "$(jget cameras.0.name <<<"$API_BODY")" = "Front door" ] &&
	[ "$(jget cameras.0.owner_sign_pk <<<"$API_BODY")" = "$(cat "$D/alice/sign.pk")" ] &&
	ok "the owner lists the camera (name, owner key, no keyring yet)" || not_ok "camera list" "$API_BODY"

api GET "/v1/camera/keyring?after_epoch=0&wait=1" "$CT"
[ "$API_STATUS" = 204 ] && ok "long-poll with no keyring yet ends with 204 after the wait" ||
	not_ok "long-poll empty" "$API_STATUS $API_BODY"

KR_BOB=$("$SEALTOOL" keyring "$D/bob" "$CAM" 1 "$ABOX")
api PUT "/v1/cameras/$CAM/keyring" "$TA" "{\"keyring\":\"$KR_BOB\"}"
[ "$API_STATUS" = 400 ] && [ "$(jget error.code <<<"$API_BODY")" = bad_keyring ] &&
	ok "a keyring signed by another account's key is 400 bad_keyring" || not_ok "foreign keyring" "$API_STATUS $API_BODY"
KR_OTHER=$("$SEALTOOL" keyring "$D/alice" "$OTHERCAM" 1 "$ABOX")
api PUT "/v1/cameras/$CAM/keyring" "$TA" "{\"keyring\":\"$KR_OTHER\"}"
[ "$API_STATUS" = 400 ] && ok "a keyring for another camera is 400" || not_ok "wrong camera keyring" "$API_STATUS"
api PUT "/v1/cameras/$CAM/keyring" "$TA" '{"keyring":"AAAA"}'
[ "$API_STATUS" = 400 ] && ok "garbage keyring bytes are 400" || not_ok "garbage keyring" "$API_STATUS"

# The agent waits for a keyring; publishing wakes it at once.
out=$D/poll.out
( s=$(date +%s%N); curl -s -o "$out.body" -w '%{http_code}' -H "Authorization: Bearer $CT" \
	"$SEALCAMD_URL/v1/camera/keyring?after_epoch=0&wait=20" >"$out"; echo $(( ($(date +%s%N) - s) / 1000000 )) >"$out.ms" ) &
POLLER=$!
sleep 0.5
KR1=$("$SEALTOOL" keyring "$D/alice" "$CAM" 1 "$ABOX")
api PUT "/v1/cameras/$CAM/keyring" "$TA" "{\"keyring\":\"$KR1\",\"members\":[]}"
s=$API_STATUS
wait $POLLER
[ "$s" = 204 ] && ok "the owner publishes keyring epoch 1: 204" || not_ok "keyring 1" "$s"
ms=$(cat "$out.ms")
[ "$(cat "$out")" = 200 ] && [ "$(jget epoch <"$out.body")" = 1 ] && [ "$(jget keyring <"$out.body")" = "$KR1" ] &&
	[ "$ms" -lt 3000 ] && ok "the waiting agent gets it at once (${ms} ms, not after the 20 s wait)" ||
	not_ok "long-poll wake-up" "$(cat "$out") $ms ms $(cat "$out.body")"
api PUT "/v1/cameras/$CAM/keyring" "$TA" "{\"keyring\":\"$KR1\"}"
[ "$API_STATUS" = 409 ] && [ "$(jget error.code <<<"$API_BODY")" = epoch_not_greater ] &&
	ok "the same epoch again is 409 epoch_not_greater" || not_ok "epoch replay" "$API_STATUS $API_BODY"
api GET "/v1/camera/keyring?after_epoch=0" "$CT"
[ "$API_STATUS" = 200 ] && [ "$(jget epoch <<<"$API_BODY")" = 1 ] && ok "a poll behind the current epoch answers at once" ||
	not_ok "immediate poll" "$API_STATUS"
api GET /v1/cameras "$TA"
[ "$(jget cameras.0.online <<<"$API_BODY")" = true ] && [ "$(jget cameras.0.keyring_epoch <<<"$API_BODY")" = 1 ] &&
	ok "polling marks the camera online" || not_ok "online" "$API_BODY"

# Sharing: members must be named by the keyring.
KR2=$("$SEALTOOL" keyring "$D/alice" "$CAM" 2 "$ABOX")
api PUT "/v1/cameras/$CAM/keyring" "$TA" "{\"keyring\":\"$KR2\",\"members\":[\"$BID\"]}"
[ "$API_STATUS" = 400 ] && [ "$(jget error.code <<<"$API_BODY")" = bad_keyring ] &&
	ok "a member whose key is not in the keyring is 400 bad_keyring" || not_ok "member not in keyring" "$API_STATUS $API_BODY"
KR2=$("$SEALTOOL" keyring "$D/alice" "$CAM" 2 "$ABOX" "$BBOX")
api PUT "/v1/cameras/$CAM/keyring" "$TA" "{\"keyring\":\"$KR2\",\"members\":[\"$CID\"]}"
[ "$API_STATUS" = 400 ] && ok "a member without a published vault is 400" || not_ok "member no vault" "$API_STATUS"
api PUT "/v1/cameras/$CAM/keyring" "$TA" "{\"keyring\":\"$KR2\",\"members\":[\"$BID\"]}"
[ "$API_STATUS" = 204 ] && ok "sharing with bob: keyring epoch 2 naming his key" || not_ok "share" "$API_STATUS $API_BODY"
api GET /v1/cameras "$TB"
[ "$(jget cameras.0.camera_id <<<"$API_BODY")" = "$CAM" ] && [ "$(jget cameras.0.role <<<"$API_BODY")" = member ] &&
	ok "bob lists the camera as a member" || not_ok "member list" "$API_BODY"
api GET "/v1/cameras/$CAM/keyring" "$TB"
[ "$(jget epoch <<<"$API_BODY")" = 2 ] && ok "bob reads the current keyring" || not_ok "member keyring" "$API_STATUS"
api PUT "/v1/cameras/$CAM/retention" "$TB" '{"days":1}'
[ "$API_STATUS" = 403 ] && ok "a member may not change retention (403)" || not_ok "member retention" "$API_STATUS"
api DELETE "/v1/cameras/$CAM" "$TB"
[ "$API_STATUS" = 403 ] && ok "a member may not delete the camera (403)" || not_ok "member delete" "$API_STATUS"
api GET "/v1/cameras/$CAM" "$TC"
[ "$API_STATUS" = 404 ] && ok "a stranger gets 404 for the camera" || not_ok "stranger" "$API_STATUS"

KR3=$("$SEALTOOL" keyring "$D/alice" "$CAM" 3 "$ABOX")
api PUT "/v1/cameras/$CAM/keyring" "$TA" "{\"keyring\":\"$KR3\",\"members\":[]}"
api GET "/v1/cameras/$CAM" "$TB"
[ "$API_STATUS" = 404 ] && ok "after unsharing (epoch 3) bob gets 404" || not_ok "unshare" "$API_STATUS"
api GET "/v1/cameras/$CAM/keyring?all=1" "$TA"
[ "$(jget keyrings.0.epoch <<<"$API_BODY")" = 1 ] && [ "$(jget keyrings.2.epoch <<<"$API_BODY")" = 3 ] &&
	[ "$(jget keyrings.1.keyring <<<"$API_BODY")" = "$KR2" ] &&
	ok "the keyring history is kept, oldest first" || not_ok "history" "$API_BODY"

# Retention settings.
api PUT "/v1/cameras/$CAM/retention" "$TA" '{"days":30,"max_bytes":53687091200}'
s=$API_STATUS
api GET "/v1/cameras/$CAM" "$TA"
[ "$s" = 204 ] && [ "$(jget retention.days <<<"$API_BODY")" = 30 ] &&
	[ "$(jget retention.max_bytes <<<"$API_BODY")" = 53687091200 ] &&
	ok "the owner sets retention (30 days, 50 GiB)" || not_ok "retention" "$s $API_BODY"
api PUT "/v1/cameras/$CAM/retention" "$TA" '{"days":-1}'
[ "$API_STATUS" = 400 ] && ok "negative retention is 400" || not_ok "bad retention" "$API_STATUS"

# Deleting the camera revokes its token.
api DELETE "/v1/cameras/$CAM" "$TA"
s=$API_STATUS
api GET "/v1/camera/keyring" "$CT"
s2=$API_STATUS
api GET /v1/cameras "$TA"
[ "$s" = 204 ] && [ "$s2" = 401 ] && [ "$(jget cameras <<<"$API_BODY")" = "[]" ] &&
	ok "deleting the camera removes it and its token (401)" || not_ok "delete camera" "$s $s2 $API_BODY"

stop_pid "$SEALCAMD_PID" && ok "sealcamd stops cleanly" || not_ok "clean stop"
lib_done
