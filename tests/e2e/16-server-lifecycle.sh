#!/bin/bash
# sealcamd's settings and lifecycle: config file + flags, --help, and a
# graceful SIGTERM (stop accepting, answer parked long-polls, let an upload
# in flight finish, exit 0, data intact after restart).
. "$(dirname "$0")/lib.sh"

D=$(tmp_dir)
cat >"$D/sealcamd.conf" <<'CONF'
# a comment
max_upload = 1M
session_ttl = 2h        # trailing comment
threads = 3
CONF
out=$("$SEALCAMD" --config "$D/sealcamd.conf" --max-upload 2M --print-config)
grep -qx 'max_upload = 2097152' <<<"$out" && grep -qx 'session_ttl = 2h' <<<"$out" &&
	grep -qx 'threads = 3' <<<"$out" && ok "config file values apply and flags override them" ||
	not_ok "config file and flags" "$out"
echo 'no_such_key = 1' >"$D/bad.conf"
err=$("$SEALCAMD" --config "$D/bad.conf" --print-config 2>&1); rc=$?
[ $rc = 2 ] && grep -q "bad.conf:1: unknown setting 'no_such_key'" <<<"$err" &&
	ok "an unknown key names the file and line (exit 2)" || not_ok "bad config" "$rc $err"
err=$("$SEALCAMD" --max-upload lots --print-config 2>&1); rc=$?
[ $rc = 2 ] && grep -q 'max_upload: expected a number' <<<"$err" && ok "a malformed value says what was expected" ||
	not_ok "bad value" "$rc $err"
help=$("$SEALCAMD" --help); rc=$?
[ $rc = 0 ] && grep -q -- '--session-ttl' <<<"$help" && grep -q -- '--data-dir' <<<"$help" &&
	grep -q 'sealcamd routes' <<<"$help" && ok "--help lists every setting and the subcommands" || not_ok "--help" "$rc"

start_sealcamd "$D/s" --shutdown-grace 20 || { not_ok "sealcamd starts"; lib_done; }
new_user alice@example.com "$D/alice" || { not_ok "alice"; lib_done; }
TA=$USER_TOKEN
new_camera "$TA" "$D/alice" "$D/cam" "Door" || { not_ok "camera"; lib_done; }
CAM=$CAM_ID CT=$CAM_TOKEN
seal "$D/cam" 1 1 1795000000000 4000 1000000 >"$D/seg"

# A camera waits for a newer keyring (20 s); an upload is half sent.
( s=$(date +%s%N); curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $CT" \
	"$SEALCAMD_URL/v1/camera/keyring?after_epoch=1&wait=20" >"$D/poll"
  echo $(( ($(date +%s%N) - s) / 1000000 )) >"$D/poll.ms" ) &
POLL=$!
python3 - "$SEALCAMD_PORT" "$CT" "$D/seg" "$D/go" "$D/half" >"$D/upload" <<'PY' &
import os, socket, sys, time
port, tok, path, go, half = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]
data = open(path, "rb").read()
s = socket.create_connection(("127.0.0.1", port))
s.sendall(("PUT /v1/camera/objects/segment/1 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"
           "Content-Type: application/octet-stream\r\nContent-Length: %d\r\n\r\n" % (tok, len(data))).encode())
s.sendall(data[: len(data) // 2])
open(half, "w").close()
while not os.path.exists(go):
    time.sleep(0.05)
s.sendall(data[len(data) // 2:])
print(s.recv(4096).split(b"\r\n")[0].decode())
PY
UP=$!
# SIGTERM only once the upload is half sent and the long-poll is parked
# (poll for the marker: a fixed sleep races a loaded machine).
for ((i = 0; i < 400; i++)); do [ -e "$D/half" ] && break; sleep 0.05; done
sleep 0.5
kill -TERM "$SEALCAMD_PID"
wait "$POLL"
ms=$(cat "$D/poll.ms")
[ "$(cat "$D/poll")" = 204 ] && [ "$ms" -lt 8000 ] &&
	ok "SIGTERM answers a parked long-poll at once (204 after ${ms} ms, not 20 s)" ||
	not_ok "long-poll on shutdown" "$(cat "$D/poll") $ms ms"
s=$(curl -s -o /dev/null -w '%{http_code}' --max-time 3 "$SEALCAMD_URL/healthz")
[ "$s" = 000 ] && ok "after SIGTERM no new connection is accepted" || not_ok "stop accepting" "$s"
kill -0 "$SEALCAMD_PID" 2>/dev/null && ok "sealcamd waits for the upload in flight" || not_ok "waits for in-flight"
touch "$D/go"
wait "$UP"
grep -q '^HTTP/1.1 201' "$D/upload" && ok "the upload in flight completes: $(cat "$D/upload")" ||
	not_ok "in-flight upload" "$(cat "$D/upload")"
stop_pid "$SEALCAMD_PID" 20; rc=$?
[ $rc = 0 ] && ok "sealcamd then exits 0" || not_ok "exit status" "$rc"
start_sealcamd "$D/s" || { not_ok "restart"; lib_done; }
curl -s -o "$D/got" -H "Authorization: Bearer $TA" "$SEALCAMD_URL/v1/cameras/$CAM/objects/segment/1"
cmp -s "$D/got" "$D/seg" && ok "after restart the object is there, intact" || not_ok "object after restart"
stop_pid "$SEALCAMD_PID" && ok "sealcamd stops cleanly" || not_ok "clean stop"
lib_done
