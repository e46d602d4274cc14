#!/bin/bash
# A second device: logging in with the recovery code gives the same access;
# the password alone decrypts nothing; a wrong code and a one-character typo
# are told apart; logout ends the session (and --forget-keys the keys).
. "$(dirname "$0")/lib.sh"

D=$(tmp_dir)
OWNER=$D/owner PW='correct horse battery'
start_sealcamd "$D/s" || { not_ok "sealcamd starts"; lib_done; }
cli_signup "$OWNER" owner@example.com "$PW" || { not_ok "signup"; lib_done; }
CODE=$RECOVERY_CODE
cli_signup "$D/other" other@example.com || { not_ok "second account"; lib_done; }
OTHER_CODE=$RECOVERY_CODE
cli_pair "$OWNER" "Front door" "$D/agent" --source lavfi:testsrc2=size=320x180:rate=10 --speed 4 ||
	{ not_ok "pairing"; lib_done; }
three() { [ "$(wc -w <<<"$(seqs "$OWNER" "Front door")")" -ge 3 ]; }
wait_until 90 three || not_ok "three segments recorded" "$(tail -3 "$D/agent.log")"
stop_pid "$AGENT_PID"
sc "$OWNER" clips get --camera "Front door" --since 1h --until +1h -o "$D/owner.mp4" 2>/dev/null ||
	not_ok "the owner fetches the footage"

login() { # HOME [stdin text] -> $out, $rc (no terminal: setsid)
	out=$(printf '%s' "$2" | setsid -w "$SEALCAM" --home "$1" --server "$SEALCAMD_URL" login \
		--email owner@example.com --password-stdin ${3:+"$3"} 2>&1)
	rc=$?
}
nothing_in() { [ ! -e "$1/vault" ] && [ ! -e "$1/session" ] && [ ! -e "$1/config.json" ]; }

# 1. The password alone: a session is possible, keys are not.
login "$D/pw-only" "$PW"$'\n'
[ $rc = 1 ] && grep -q "recovery code from signup is needed" <<<"$out" && nothing_in "$D/pw-only" &&
	ok "the password alone unlocks nothing: login asks for the recovery code, writes nothing" ||
	not_ok "password only ($rc)" "$out"
out=$(sc "$D/pw-only" clips get --camera "Front door" --since 1h --until +1h -o "$D/x.mp4" 2>&1)
[ $? = 1 ] && [ ! -e "$D/x.mp4" ] && ok "...and that device cannot fetch footage" || not_ok "pw-only get" "$out"

# 2. A one-character typo is caught by the code's checksum, before any KDF.
i=10; c=${CODE:$i:1}; [ "$c" = A ] && r=B || r=A
typo=${CODE:0:$i}$r${CODE:$((i + 1))}
login "$D/typo" "$PW"$'\n'"$typo"$'\n' --recovery-code-stdin
[ $rc = 1 ] && grep -q "recovery code has a typo" <<<"$out" && nothing_in "$D/typo" &&
	ok "a one-character typo in the code: a checksum error, nothing written" || not_ok "typo ($rc)" "$out"

# 3. A well-formed but wrong code (another account's) does not open the backup.
login "$D/wrong" "$PW"$'\n'"$OTHER_CODE"$'\n' --recovery-code-stdin
[ $rc = 1 ] && grep -q "wrong recovery code" <<<"$out" && nothing_in "$D/wrong" &&
	ok "a wrong recovery code: 'wrong recovery code', nothing written" || not_ok "wrong code ($rc)" "$out"

# 4. A wrong password with the right code: no login at all.
login "$D/badpw" "not the password"$'\n'"$CODE"$'\n' --recovery-code-stdin
[ $rc = 1 ] && grep -q "wrong e-mail address or password" <<<"$out" && nothing_in "$D/badpw" &&
	ok "a wrong password: refused, nothing written" || not_ok "bad password ($rc)" "$out"

# 5. Password + recovery code: the same keys, the same access.
printf '%s\n' "$CODE" >"$D/code.txt"
login "$D/dev2" "$PW"$'\n' --recovery-code-file="$D/code.txt"
[ $rc = 0 ] && grep -q "This device now holds your keys" <<<"$out" &&
	ok "login on a fresh device with password and recovery code" || not_ok "login ($rc)" "$out"
[ "$(sc "$OWNER" whoami | grep fingerprint)" = "$(sc "$D/dev2" whoami | grep fingerprint)" ] &&
	ok "both devices show the same key fingerprint" || not_ok "fingerprints"
sc "$D/dev2" clips get --camera "Front door" --since 1h --until +1h -o "$D/dev2.mp4" 2>/dev/null
[ -s "$D/dev2.mp4" ] && cmp -s "$D/owner.mp4" "$D/dev2.mp4" &&
	ok "the second device fetches and decrypts the same footage, byte for byte" ||
	not_ok "dev2 footage" "$(ls -la "$D"/*.mp4)"

# 6. logout ends the session; the keys stay unless --forget-keys.
tok=$(cat "$D/dev2/session")
out=$(sc "$D/dev2" logout)
err=$(sc "$D/dev2" camera list 2>&1)
api GET /v1/me "$tok"
[ ! -e "$D/dev2/session" ] && [ -e "$D/dev2/vault" ] && grep -q "not logged in" <<<"$err" &&
	[ "$API_STATUS" = 401 ] &&
	ok "logout removes the session and the server forgets it; the keys stay" || not_ok "logout" "$out $err"
login "$D/dev2" "$PW"$'\n'
[ $rc = 0 ] && grep -q "already holds your keys" <<<"$out" &&
	ok "logging in again on that device needs only the password" || not_ok "relogin ($rc)" "$out"
sc "$D/dev2" logout --forget-keys >/dev/null
[ ! -e "$D/dev2/vault" ] && [ ! -e "$D/dev2/session" ] && ok "logout --forget-keys removes the keys" ||
	not_ok "forget keys" "$(ls "$D/dev2")"

lib_done
