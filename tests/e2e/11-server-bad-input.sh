#!/bin/bash
# sealcamd and bad input: malformed JSON, wrong types, oversized bodies and
# headers, wrong content types, slow clients (slowloris): clear 4xx errors
# and other clients keep being served promptly.
. "$(dirname "$0")/lib.sh"

D=$(tmp_dir)
start_sealcamd "$D/s" --header-timeout 3 --min-upload-rate 1K --threads 4 ||
	{ not_ok "sealcamd starts"; lib_done; }

expect() { # what status code body-json...
	local what=$1 st=$2 code=$3
	if [ "$API_STATUS" = "$st" ] && [ "$(jget error.code <<<"$API_BODY" 2>/dev/null)" = "$code" ]; then
		ok "$what: $st $code"
	else not_ok "$what: expected $st $code" "got $API_STATUS $API_BODY"; fi
}
raw() { # curl args... : sets API_STATUS / API_BODY
	local out; out=$(mktemp)
	API_STATUS=$(curl -s -o "$out" -w '%{http_code}' --max-time 20 "$@")
	API_BODY=$(cat "$out"); rm -f "$out"
}

api POST /v1/signup "" '{"email":"a@example.com","password":"long enough password"}'
T=$(jget token <<<"$API_BODY")

api POST /v1/login "" '{"email": "a@example.com", "password":'
expect "truncated JSON" 400 invalid_json
api POST /v1/login "" '["a@example.com", "pw"]'
expect "a JSON array where an object is expected" 400 invalid_json
api POST /v1/login "" '{"email":"a@example.com","email":"b@example.com","password":"x"}'
expect "duplicate keys" 400 invalid_json
api POST /v1/login "" '{"email":42,"password":"long enough password"}'
expect "a number where a string is expected" 400 bad_request
api POST /v1/pairings "$T" '{"pairing_id":"00","name":"x"}'
[ "$API_STATUS" = 400 ] && ok "a short hex id is 400" || not_ok "short hex id" "$API_STATUS $API_BODY"
raw -X POST -H 'Content-Type: text/plain' --data '{}' "$SEALCAMD_URL/v1/login"
expect "text/plain on a JSON route" 415 unsupported_media_type
raw -X POST --data-binary '{}' -H 'Content-Type:' "$SEALCAMD_URL/v1/login"
expect "no Content-Type on a JSON route" 415 unsupported_media_type

head -c 100000 /dev/zero | tr '\0' ' ' >"$D/big.json"
raw -X POST -H 'Content-Type: application/json' --data-binary @"$D/big.json" "$SEALCAMD_URL/v1/login"
expect "a 100 kB JSON body (Content-Length)" 413 too_large
raw -X POST -H 'Content-Type: application/json' -H 'Transfer-Encoding: chunked' \
	--data-binary @"$D/big.json" "$SEALCAMD_URL/v1/login"
expect "a 100 kB JSON body (chunked, no length)" 413 too_large
raw -H "X-Big: $(head -c 20000 /dev/zero | tr '\0' a)" "$SEALCAMD_URL/healthz"
expect "20 kB of headers" 431 too_large
{ printf 'X-Big: '; head -c 200000 /dev/zero | tr '\0' a; echo; } >"$D/hdr"
raw -H @"$D/hdr" "$SEALCAMD_URL/healthz"
[[ $API_STATUS == 4* ]] && ok "200 kB of headers: refused by the HTTP layer ($API_STATUS)" ||
	not_ok "huge headers refused" "$API_STATUS"
raw "$SEALCAMD_URL/v1/nothing-here"
expect "an unknown path" 404 not_found
raw -X PATCH "$SEALCAMD_URL/v1/me"
expect "a wrong method" 405 method_not_allowed
curl -s -D - -o /dev/null -X DELETE "$SEALCAMD_URL/v1/me" | grep -qi '^Allow: GET' &&
	ok "405 names the allowed methods in Allow" || not_ok "Allow header"
raw -H 'Authorization: Bearer u.tooshort' "$SEALCAMD_URL/v1/me"
expect "a malformed token" 401 unauthorized
raw -H "Authorization: Bearer u.$(head -c 32 /dev/urandom | base64 -w0 | tr '+/' '-_' | tr -d =)" "$SEALCAMD_URL/v1/me"
expect "a well-formed unknown token" 401 unauthorized
wait_healthz "$SEALCAMD_URL" 2 && ok "still serving after all of the above" || not_ok "server alive"

# Slow headers: 300 connections dripping a request head; --header-timeout 3.
r=$(python3 "$(dirname "$0")/slowclients.py" "$SEALCAMD_PORT" headers 300 6)
echo "# slow headers: $r"
cut=$(jget cut <<<"$r"); worst=$(jget worst_ms <<<"$r"); failed=$(jget failed <<<"$r")
[ "$failed" = 0 ] && python3 -c "import sys; sys.exit(0 if $worst < 1000 else 1)" &&
	ok "during a 300-connection slow-header attack, /healthz answers (worst ${worst} ms)" ||
	not_ok "served during slow-header attack" "$r"
[ "$cut" = 300 ] && ok "every slow-header connection is cut after the header timeout" ||
	not_ok "slow-header connections cut" "$r"

# Slow bodies: complete heads, then one byte a second; min rate 1 KiB/s after 10 s.
r=$(python3 "$(dirname "$0")/slowclients.py" "$SEALCAMD_PORT" body 100 14)
echo "# slow bodies: $r"
cut=$(jget cut <<<"$r"); worst=$(jget worst_ms <<<"$r"); failed=$(jget failed <<<"$r")
[ "$failed" = 0 ] && python3 -c "import sys; sys.exit(0 if $worst < 1000 else 1)" &&
	ok "during a 100-connection slow-body attack, /healthz answers (worst ${worst} ms)" ||
	not_ok "served during slow-body attack" "$r"
[ "$cut" = 100 ] && ok "every slow-body connection is cut below the minimum rate" ||
	not_ok "slow-body connections cut" "$r"

api GET /v1/me "$T"
[ "$API_STATUS" = 200 ] && ok "a normal session request works after the attacks" || not_ok "after attacks" "$API_STATUS"
stop_pid "$SEALCAMD_PID" && ok "sealcamd stops cleanly" || not_ok "clean stop"
lib_done
