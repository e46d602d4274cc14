#!/bin/bash
# sealcamd accounts over real HTTP: signup, login, sessions that expire,
# logout, rate limiting, vault backup, lookup; logs never hold secrets.
. "$(dirname "$0")/lib.sh"

D=$(tmp_dir)
start_sealcamd "$D/s" --login-burst 3 --login-per-min 1 ||
	{ not_ok "sealcamd starts"; lib_done; }
ok "sealcamd starts on a free port and answers /healthz"

PW='correct horse battery'
api POST /v1/signup "" "{\"email\":\" Alice@Example.COM \",\"password\":\"$PW\"}"; r=$API_BODY
T1=$(jget token <<<"$r")
AID=$(jget account_id <<<"$r")
if [ "$API_STATUS" = 201 ] && [[ $T1 == u.* ]] && [[ $AID =~ ^[0-9a-f]{32}$ ]]; then
	ok "signup answers 201 with a session token and a 32-hex account id"
else not_ok "signup answers 201 with a session token" "$API_STATUS $r"; fi

api POST /v1/signup "" "{\"email\":\"alice@example.com\",\"password\":\"$PW\"}"; r=$API_BODY
[ "$API_STATUS" = 409 ] && [ "$(jget error.code <<<"$r")" = email_taken ] &&
	ok "the same e-mail (normalised) again is 409 email_taken" ||
	not_ok "duplicate e-mail refused" "$API_STATUS $r"

api POST /v1/signup "" '{"email":"bob@example.com","password":"short"}'; r=$API_BODY
[ "$API_STATUS" = 400 ] && [ "$(jget error.code <<<"$r")" = weak_password ] &&
	ok "a short password is 400 weak_password" || not_ok "weak password refused" "$API_STATUS $r"

api POST /v1/signup "" '{"email":"not-an-address","password":"long enough pw"}'; r=$API_BODY
[ "$API_STATUS" = 400 ] && ok "a malformed e-mail is 400" || not_ok "malformed e-mail refused" "$API_STATUS $r"

api POST /v1/signup "" '{"email":"bob@example.com","password":"bob password 1"}'; r=$API_BODY
BID=$(jget account_id <<<"$r")
[ "$API_STATUS" = 201 ] && [ "$BID" != "$AID" ] && ok "a second account gets another random id" ||
	not_ok "second account" "$API_STATUS $r"

api GET /v1/me "$T1"; r=$API_BODY
[ "$API_STATUS" = 200 ] && [ "$(jget email <<<"$r")" = alice@example.com ] &&
	[ "$(jget vault <<<"$r")" = "" ] && [ "$(jget role <<<"$r")" = user ] &&
	ok "GET /v1/me shows the account, role user, no vault yet" || not_ok "me" "$API_STATUS $r"

# Wrong password and unknown e-mail: the same answer.
api POST /v1/login "" '{"email":"alice@example.com","password":"wrong password"}'; r1=$API_BODY; s1=$API_STATUS
api POST /v1/login "" '{"email":"nobody@example.com","password":"wrong password"}'; r2=$API_BODY; s2=$API_STATUS
[ "$s1" = 401 ] && [ "$s2" = 401 ] && [ "$r1" = "$r2" ] &&
	[ "$(jget error.code <<<"$r1")" = bad_credentials ] &&
	ok "wrong password and unknown e-mail give the same 401 bad_credentials" ||
	not_ok "bad credentials" "$s1 $r1 / $s2 $r2"

api POST /v1/login "" "{\"email\":\"alice@example.com\",\"password\":\"$PW\"}"; r=$API_BODY
T2=$(jget token <<<"$r")
[ "$API_STATUS" = 200 ] && [ "$T2" != "$T1" ] && [ "$(jget role <<<"$r")" = user ] &&
	ok "login answers a new session token" || not_ok "login" "$API_STATUS $r"

# Vault backup: opaque to the server, only for its owner.
BOX=$(printf 'b%.0s' {1..64}); SIGN=$(printf 'c%.0s' {1..64})
BACKUP=$(head -c 300 /dev/urandom | base64 -w0)
api PUT /v1/me/vault "$T2" "{\"box_pk\":\"$BOX\",\"sign_pk\":\"$SIGN\",\"backup\":\"$BACKUP\"}"
s=$API_STATUS
api GET /v1/me/vault "$T1"; r=$API_BODY
[ "$s" = 204 ] && [ "$(jget backup <<<"$r")" = "$BACKUP" ] && [ "$(jget box_pk <<<"$r")" = "$BOX" ] &&
	ok "vault backup round-trips byte for byte (any session of the account)" ||
	not_ok "vault round trip" "$s $API_STATUS $r"
api PUT /v1/me/vault "$T2" "{\"box_pk\":\"XYZ\",\"sign_pk\":\"$SIGN\",\"backup\":\"$BACKUP\"}"; r=$API_BODY
[ "$API_STATUS" = 400 ] && ok "a vault with a malformed key is 400" || not_ok "bad vault key" "$API_STATUS $r"

api POST /v1/login "" '{"email":"bob@example.com","password":"bob password 1"}'; TB=$(jget token <<<"$API_BODY")
api GET "/v1/users/lookup?email=ALICE@example.com" "$TB"; r=$API_BODY
[ "$API_STATUS" = 200 ] && [ "$(jget account_id <<<"$r")" = "$AID" ] && [ "$(jget box_pk <<<"$r")" = "$BOX" ] &&
	[ "$(jget email <<<"$r")" = "" ] && [ "$(jget backup <<<"$r")" = "" ] &&
	ok "lookup by e-mail gives public keys only (no backup, no e-mail)" || not_ok "lookup" "$API_STATUS $r"
api GET "/v1/users/lookup?email=bob@example.com" "$T1"; r=$API_BODY
[ "$API_STATUS" = 404 ] && ok "lookup of an account without a vault is 404" || not_ok "lookup no vault" "$API_STATUS $r"
api GET /v1/me/vault "$TB"; r=$API_BODY
[ "$API_STATUS" = 404 ] && ok "another account's vault is not reachable (own: none yet, 404)" ||
	not_ok "bob vault" "$API_STATUS $r"

# Logout ends exactly that session.
api POST /v1/logout "$T2"; s=$API_STATUS
api GET /v1/me "$T2"; r=$API_BODY; s2=$API_STATUS
api GET /v1/me "$T1"
[ "$s" = 204 ] && [ "$s2" = 401 ] && [ "$(jget error.code <<<"$r")" = unauthorized ] && [ "$API_STATUS" = 200 ] &&
	ok "logout ends that session only" || not_ok "logout" "$s $s2 $API_STATUS $r"

# Expiry: a second server whose sessions last 5 s (long enough that the
# first request still falls inside it on a loaded machine under ASan).
MAIN_URL=$SEALCAMD_URL MAIN_PID=$SEALCAMD_PID MAIN_LOG=$SEALCAMD_LOG
start_sealcamd "$D/ttl" --session-ttl 5s || not_ok "second sealcamd starts"
api POST /v1/signup "" '{"email":"dave@example.com","password":"dave password"}'; TD=$(jget token <<<"$API_BODY")
api GET /v1/me "$TD"; s=$API_STATUS
code=
for _ in $(seq 300); do
	api GET /v1/me "$TD"; r=$API_BODY; code=$(jget error.code <<<"$r" 2>/dev/null)
	[ "$API_STATUS" = 401 ] && break
	sleep 0.1
done
[ "$s" = 200 ] && [ "$code" = session_expired ] && ok "a session past --session-ttl is 401 session_expired" ||
	not_ok "session expiry" "$s $API_STATUS $r"
stop_pid "$SEALCAMD_PID"
SEALCAMD_URL=$MAIN_URL SEALCAMD_PID=$MAIN_PID SEALCAMD_LOG=$MAIN_LOG

# Rate limit: burst 3 per e-mail, then 429 with Retry-After, even with the right password.
for i in 1 2 3; do api POST /v1/login "" '{"email":"carol@example.com","password":"wrong password"}'; done
hdrs=$(curl -s -D - -o /dev/null -H 'Content-Type: application/json' \
	--data '{"email":"carol@example.com","password":"wrong password"}' "$SEALCAMD_URL/v1/login")
if grep -q '^HTTP/1.1 429' <<<"$hdrs" && grep -qi '^Retry-After: [1-9]' <<<"$hdrs"; then
	ok "the 4th quick login for one e-mail is 429 with Retry-After"
else not_ok "login rate limit" "$hdrs"; fi
api POST /v1/login "" "{\"email\":\"alice@example.com\",\"password\":\"$PW\"}"; r=$API_BODY
[ "$API_STATUS" = 200 ] && ok "another e-mail from the same address still logs in" ||
	not_ok "rate limit is per e-mail" "$API_STATUS $r"

# What the logs must never contain.
stop_pid "$SEALCAMD_PID"; rc=$?
[ $rc = 0 ] && ok "SIGTERM stops sealcamd cleanly (exit 0)" || not_ok "clean stop" "exit $rc"
leak=$(grep -F -e "$PW" -e "${T1#u.}" -e "${T2#u.}" -e "${TB#u.}" -e alice@example.com -e "$BACKUP" "$SEALCAMD_LOG")
[ -z "$leak" ] && grep -q 'route=/v1/login status=200' "$SEALCAMD_LOG" &&
	ok "logs have one line per request and no password, token, e-mail or backup" ||
	not_ok "logs leak secrets" "$leak"
lib_done
