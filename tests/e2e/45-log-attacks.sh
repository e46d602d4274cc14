#!/bin/bash
# The transparency log against a misbehaving server. The server binary has
# no "evil" mode: each attack alters the data directory while sealcamd is
# stopped (tests/tools/tlogtool, sqlite3), and the restarted server serves
# the altered state. After each one the owner's 'sealcam log verify' must
# fail and say what is wrong; undoing it must make verify pass again (so the
# failure was the attack's). Last, a keyring the server puts in force
# without a log entry: the agent refuses it and keeps sealing to the old
# recipients, and the owner's verify names the camera.
. "$(dirname "$0")/lib.sh"

TLOGTOOL=$BIN/tools/tlogtool
D=$(tmp_dir)
OWNER=$D/owner ANNA=$D/anna DATA=$D/s/data
start_sealcamd "$D/s" || { not_ok "sealcamd starts"; lib_done; }
cli_signup "$OWNER" owner@example.com || { not_ok "owner signup"; lib_done; }
cli_signup "$ANNA" anna@example.com || { not_ok "anna signup"; lib_done; }
cli_pair "$OWNER" "Front door" "$D/agent" --source lavfi:testsrc2=size=320x180:rate=10 \
	--speed 2 --segment-seconds 1 || { not_ok "pairing"; lib_done; }
AGENT_LOG=$D/agent.log
sc "$OWNER" camera share --camera "Front door" --with anna@example.com --yes >/dev/null ||
	not_ok "share with anna"

# A live view: logged (owner's chain) before any footage flows.
sc "$OWNER" live --camera "Front door" -o "$D/live.mp4" --duration 2 2>"$D/live.err" ||
	not_ok "live view" "$(cat "$D/live.err")"

restart() {
	stop_pid "$SEALCAMD_PID"
	"$@"
	"$SEALCAMD" --listen 127.0.0.1 --port "$SEALCAMD_PORT" --data-dir "$DATA" \
		>>"$SEALCAMD_LOG" 2>&1 &
	SEALCAMD_PID=$!
	track_pid "$SEALCAMD_PID"
	wait_healthz "$SEALCAMD_URL" 20
}
verify() { VOUT=$(sc "$OWNER" log verify 2>&1); VRC=$?; }

# --- the honest server ------------------------------------------------------
key=$("$SEALCAMD" log-key --data-dir "$DATA")
sc "$OWNER" log key | grep -qF "Key:         $key" &&
	ok "the key pinned at signup is the one 'sealcamd log-key' prints" ||
	not_ok "pinned key" "$key / $(sc "$OWNER" log key)"
verify
[ $VRC = 0 ] && grep -q "Log verified: 4 entries of yours" <<<"$VOUT" &&
	grep -q "Keyrings in force in the log: 1 camera" <<<"$VOUT" &&
	ok "log verify passes against the honest server (4 entries, keyring in force logged)" ||
	not_ok "honest verify ($VRC)" "$VOUT"
out=$(TZ=UTC sc "$OWNER" log show)
grep -Eq '^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}  account keys published \(fingerprint [0-9A-Z-]{19}\)$' <<<"$out" &&
	grep -q "keyring of Front door → epoch 1 (camera paired)" <<<"$out" &&
	grep -q "keyring of Front door → epoch 2 (added anna@example.com)" <<<"$out" &&
	grep -q "live view of Front door started by you" <<<"$out" &&
	ok "log show tells the history in plain words (epoch 2 added anna@example.com, a live view)" ||
	not_ok "log show" "$out"
LOG_ID=$(jget log_id <"$OWNER/log/chain.json" | tr a-f A-F)
db() { sqlite3 "$DATA/sealcamd.db" "$@"; }

# --- 1. an entry left out of the account's index ---------------------------------
omit() {
	cp "$DATA/sealcamd.db" "$D/db.bak" &&
		db "DELETE FROM log_entries WHERE hex(log_id) = '$LOG_ID' AND seq = 1"
}
restart omit
verify
[ $VRC = 1 ] && grep -q "your log has a gap: entry 1 is missing" <<<"$VOUT" &&
	ok "an entry left out of the index: verify fails, 'gap: entry 1 is missing'" ||
	not_ok "omission detected ($VRC)" "$VOUT"
restart cp "$D/db.bak" "$DATA/sealcamd.db"
verify
[ $VRC = 0 ] && ok "...and passes again once the entry is back" || not_ok "restored index" "$VOUT"

# --- 2. checkpoint signed by another key -------------------------------------------
resign() {
	cp "$DATA/log.key" "$D/key.bak" && cp "$DATA/log/checkpoint" "$D/cp.bak" &&
		"$TLOGTOOL" resign "$DATA" >/dev/null
}
unresign() { cp "$D/key.bak" "$DATA/log.key" && cp "$D/cp.bak" "$DATA/log/checkpoint"; }
restart resign
verify
[ $VRC = 1 ] && grep -q "not signed by the log key pinned on this device" <<<"$VOUT" &&
	ok "a checkpoint signed by another key is refused" || not_ok "foreign key ($VRC)" "$VOUT"
restart unresign
verify
[ $VRC = 0 ] && ok "...and the real key's checkpoint verifies again" || not_ok "restored key" "$VOUT"

# --- 3. history rewritten ------------------------------------------------------------
restart eval '"$TLOGTOOL" fork "$DATA" 2 >/dev/null'
verify
[ $VRC = 1 ] && grep -q "the log's history was rewritten" <<<"$VOUT" &&
	ok "a rewritten history (fork, same key, same size) fails the owner's next verify" ||
	not_ok "fork detected ($VRC)" "$VOUT"
unfork() { rm -rf "$DATA/log" && mv "$DATA/log.orig" "$DATA/log"; }
restart unfork
verify
[ $VRC = 0 ] && ok "...and the real history verifies again" || not_ok "restored log" "$VOUT"

# --- 4. a keyring in force that is not in the log --------------------------------------
api GET /v1/me "$(cat "$OWNER/session")"
OBOX=$(jget vault.box_pk <<<"$API_BODY")
INTRUDER=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
CAM=$CAMERA_ID
restart "$TLOGTOOL" keyring "$DATA" "$OWNER" "$CAM" 3 "$OBOX" "$INTRUDER" >/dev/null
refused() { grep -q 'epoch=3 msg="keyring refused: not proven to be in the transparency log' "$AGENT_LOG"; }
wait_until 60 refused && grep -q 'err="the server sent no log receipt"' "$AGENT_LOG" &&
	ok "the agent refuses a keyring the log does not hold (no receipt)" ||
	not_ok "agent refusal" "$(tail -5 "$AGENT_LOG")"
! grep -q 'msg="keyring accepted" epoch=3' "$AGENT_LOG" &&
	ok "...and keeps the keyring in force (epoch 3 never accepted)" || not_ok "epoch 3 accepted"
# Footage sealed after the refusal still goes to epoch 2's recipients.
newest() {
	api GET "/v1/cameras/$CAM/objects?limit=1000" "$(cat "$OWNER/session")"
	python3 -c 'import json,sys; o=json.load(sys.stdin)["objects"]; print(o[-1]["seq"], o[-1]["epoch"]) if o else print(0, 0)' <<<"$API_BODY"
}
read -r s0 _ < <(newest)
later() { read -r s e < <(newest); [ "$s" -gt $((s0 + 1)) ]; }
wait_until 60 later
read -r s e < <(newest)
[ "$s" -gt $((s0 + 1)) ] && [ "$e" = 2 ] &&
	ok "segments sealed after the refusal (seq $s) still use epoch 2's recipients" ||
	not_ok "sealing after refusal" "seq $s0 -> $s epoch $e"
verify
[ $VRC = 1 ] && grep -q "the keyring in force for Front door (epoch 3) is not in your log" <<<"$VOUT" &&
	ok "the owner's verify names the camera whose keyring in force is not in the log" ||
	not_ok "unlogged keyring in verify ($VRC)" "$VOUT"

# A receipt of another entry passed off as this keyring's (the index row of
# epoch 2 made to look like epoch 3): the agent checks the entry itself.
KRHASH=$(db "SELECT hex(keyring) FROM keyrings WHERE epoch = 3" |
	python3 -c 'import sys,hashlib; b=bytes.fromhex(sys.stdin.read().strip()); print(hashlib.blake2b(b"sealcam-krhash".ljust(16, b"\0") + b, digest_size=32).hexdigest())')
restart db "UPDATE log_entries SET number = 3, commitment = X'$KRHASH'
	WHERE hex(log_id) = '$LOG_ID' AND type = 1 AND number = 2"
forged() { grep -q 'err="the log entry is not this keyring.s"' "$AGENT_LOG"; }
wait_until 90 forged && ! grep -q 'msg="keyring accepted" epoch=3' "$AGENT_LOG" &&
	ok "a receipt for another entry is refused too (the entry is not this keyring's)" ||
	not_ok "forged receipt" "$(tail -5 "$AGENT_LOG")"

stop_pid "$AGENT_PID"
stop_pid "$SEALCAMD_PID" && ok "sealcamd stops cleanly" || not_ok "clean stop"
lib_done
