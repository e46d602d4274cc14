#!/bin/bash
# kill -9 of sealcamd during a burst of log appends: 8 clients at once
# publish keyrings (4 owners, epochs 2, 3, ...) and rotate vault keys (4
# other accounts). After the restart every chain verifies (checkpoint under
# the log key, every entry included, no gap) and every acknowledged
# publication is in its owner's chain; then the burst goes on and the
# chains continue from where the log was, without a fork.
. "$(dirname "$0")/lib.sh"

TLOGTOOL=$BIN/tools/tlogtool
D=$(tmp_dir)
start_sealcamd "$D/s" --threads 4 || { not_ok "sealcamd starts"; lib_done; }
KEY=$("$SEALCAMD" log-key --data-dir "$D/s/data")
NK=18
for u in 1 2 3 4; do
	new_user "k$u@example.com" "$D/k$u" || { not_ok "user k$u"; lib_done; }
	echo "$USER_TOKEN" >"$D/k$u/token"
	new_camera "$USER_TOKEN" "$D/k$u" "$D/cam$u" "Door $u" || { not_ok "camera $u"; lib_done; }
	echo "$CAM_ID" >"$D/k$u/cam"
	for e in $(seq 2 $NK); do
		"$SEALTOOL" keyring "$D/k$u" "$CAM_ID" "$e" "$USER_BOX" >"$D/k$u/kr.$e"
	done
	new_user "v$u@example.com" "$D/v$u" || { not_ok "user v$u"; lib_done; }
	echo "$USER_TOKEN" >"$D/v$u/token"
done
ok "8 accounts, 4 cameras, keyrings for epochs 2..$NK ready"

cat >"$D/w.py" <<'PY'
# writer PORT KIND DIR FIRST LAST: publish and record what was acknowledged
import base64, hashlib, http.client, json, os, sys
port, kind, d, first, last = int(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
tok = open(d + "/token").read().strip()
ack = open(d + "/acked", "a")
def lh(label, b):
    return hashlib.blake2b(label.encode().ljust(16, b"\0") + b, digest_size=32).hexdigest()
def put(path, body):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
    c.request("PUT", path, body=json.dumps(body),
              headers={"Authorization": "Bearer " + tok, "Content-Type": "application/json"})
    st = c.getresponse().status
    c.close()
    return st
for i in range(first, last + 1):
    try:
        if kind == "keyring":
            cam = open(d + "/cam").read().strip()
            kr = open("%s/kr.%d" % (d, i)).read().strip()
            if put("/v1/cameras/%s/keyring" % cam, {"keyring": kr, "members": []}) == 204:
                ack.write("keyring %s %d %s\n" % (cam, i, lh("sealcam-krhash", base64.b64decode(kr))))
        else:
            sign, box = os.urandom(32), os.urandom(32)
            if put("/v1/me/vault", {"sign_pk": sign.hex(), "box_pk": box.hex(),
                    "backup": base64.b64encode(os.urandom(147)).decode()}) == 204:
                ack.write("vault_key %s\n" % lh("sealcam-fpr-acct", sign + box))
        ack.flush()
    except Exception:
        break                          # the server died under us
PY

# Every acknowledged line of account dir $1 is in its verified chain.
check() {
	local d=$1 what=$2 missing=0 n
	if ! "$TLOGTOOL" chain "$SEALCAMD_URL" "$(cat "$d/token")" "$KEY" >"$d/chain" 2>"$d/chain.err"; then
		not_ok "$what: $(basename "$d")'s chain verifies" "$(cat "$d/chain.err")"
		return
	fi
	touch "$d/acked"
	while read -r kind a b c; do
		if [ "$kind" = keyring ]; then
			grep -q " keyring $a $b $c\$" "$d/chain" || missing=$((missing + 1))
		else
			grep -q " vault_key 0\{32\} 0 $a\$" "$d/chain" || missing=$((missing + 1))
		fi
	done <"$d/acked"
	n=$(wc -l <"$d/acked")
	[ $missing = 0 ] && ok "$what: $(basename "$d")'s chain verifies, all $n acknowledged publications in it" ||
		not_ok "$what: $(basename "$d") acknowledged entries present" "$missing of $n missing"
}
total() { cat "$D"/*/acked 2>/dev/null | wc -l; }

# Round 1: the burst, killed in the middle.
pids=()
for u in 1 2 3 4; do
	python3 "$D/w.py" "$SEALCAMD_PORT" keyring "$D/k$u" 2 $((NK / 2)) & pids+=($!)
	python3 "$D/w.py" "$SEALCAMD_PORT" vault "$D/v$u" 1 20 & pids+=($!)
done
for _ in $(seq 300); do [ "$(total)" -ge 40 ] && break; sleep 0.02; done
kill -KILL "$SEALCAMD_PID"
wait "$SEALCAMD_PID" 2>/dev/null
for p in "${pids[@]}"; do wait "$p"; done
echo "# killed with $(total) publications acknowledged"
"$SEALCAMD" --listen 127.0.0.1 --port "$SEALCAMD_PORT" --data-dir "$D/s/data" --threads 4 \
	>>"$SEALCAMD_LOG" 2>&1 &
SEALCAMD_PID=$!
track_pid "$SEALCAMD_PID"
wait_healthz "$SEALCAMD_URL" 30 && ok "sealcamd restarts after kill -9 with $(total) acknowledged" ||
	{ not_ok "restart"; lib_done; }
for u in 1 2 3 4; do check "$D/k$u" "after kill -9"; check "$D/v$u" "after kill -9"; done

# Round 2: the burst goes on; the chains continue (no fork, no reused seq).
pids=()
for u in 1 2 3 4; do
	api GET "/v1/cameras/$(cat "$D/k$u/cam")" "$(cat "$D/k$u/token")"
	e=$(jget keyring_epoch <<<"$API_BODY")
	python3 "$D/w.py" "$SEALCAMD_PORT" keyring "$D/k$u" $((e + 1)) $((e + 5)) & pids+=($!)
	python3 "$D/w.py" "$SEALCAMD_PORT" vault "$D/v$u" 1 5 & pids+=($!)
done
for p in "${pids[@]}"; do wait "$p"; done
for u in 1 2 3 4; do check "$D/k$u" "after the restart"; check "$D/v$u" "after the restart"; done
# What is in force is what the log says last, for every camera.
bad=0
for u in 1 2 3 4; do
	api GET "/v1/cameras/$(cat "$D/k$u/cam")/keyring" "$(cat "$D/k$u/token")"
	e=$(jget epoch <<<"$API_BODY")
	last=$(awk '$3 == "keyring" {e = $5} END {print e}' "$D/k$u/chain")
	[ "$e" = "$last" ] || { bad=1; echo "# camera $u: epoch $e in force, $last last logged"; }
done
[ $bad = 0 ] && ok "each camera's keyring in force is the last one its owner's chain logged" ||
	not_ok "keyrings in force logged"
stop_pid "$SEALCAMD_PID" && ok "sealcamd stops cleanly" || not_ok "clean stop"
lib_done
