#!/bin/bash
# kill -9 of sealcamd during uploads: after a restart every acknowledged
# object is present and byte-identical, no partial blob is visible, and the
# uploads that were cut off go through on retry (201, or 200 when the
# object had in fact been committed).
. "$(dirname "$0")/lib.sh"

D=$(tmp_dir)
start_sealcamd "$D/s" --threads 4 || { not_ok "sealcamd starts"; lib_done; }
new_user alice@example.com "$D/alice" || { not_ok "alice"; lib_done; }
new_camera "$USER_TOKEN" "$D/alice" "$D/cam" "Door" || { not_ok "camera"; lib_done; }
TA=$USER_TOKEN CAM=$CAM_ID CT=$CAM_TOKEN
N=60
mkdir -p "$D/objs"
for i in $(seq 1 $N); do
	seal "$D/cam" 1 "$i" $((1795000000000 + i * 4000)) 4000 $(( (i % 4 + 1) * 400000 )) >"$D/objs/$i"
done

# Four uploaders in parallel, each recording what the server acknowledged.
cat >"$D/up.py" <<'PY'
import http.client, sys
port, tok, d, first, step, n, ack = int(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6]), sys.argv[7]
try:
    done = {int(x) for x in open(ack).read().split()}
except OSError:
    done = set()
out = open(ack, "a")
for i in range(first, n + 1, step):
    if i in done:
        continue
    data = open("%s/%d" % (d, i), "rb").read()
    try:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        c.request("PUT", "/v1/camera/objects/segment/%d" % i, body=data,
                  headers={"Authorization": "Bearer " + tok, "Content-Type": "application/octet-stream"})
        st = c.getresponse().status
        c.close()
    except Exception:
        continue                      # the server died under us: not acknowledged
    if st in (200, 201):
        out.write("%d\n" % i)
        out.flush()
PY
acked=$D/acked
: >"$acked"
round=0
while [ $round -lt 3 ]; do
	round=$((round + 1))
	pids=()
	for k in 1 2 3 4; do
		python3 "$D/up.py" "$SEALCAMD_PORT" "$CT" "$D/objs" "$k" 4 "$N" "$acked" & pids+=($!)
	done
	# Let some uploads land, then kill -9 in the middle of the others.
	for _ in $(seq 100); do [ "$(wc -l <"$acked")" -ge $((round * 8)) ] && break; sleep 0.02; done
	kill -KILL "$SEALCAMD_PID"
	wait "$SEALCAMD_PID" 2>/dev/null
	for p in "${pids[@]}"; do wait "$p"; done
	n_acked=$(sort -un "$acked" | wc -l)
	echo "# round $round: killed with $n_acked acknowledged so far"
	# Restart on the same data.
	start_sealcamd "$D/s" --threads 4 || { not_ok "sealcamd restarts after kill -9"; lib_done; }
	ok "round $round: sealcamd restarts after kill -9 with $n_acked objects acknowledged"

	# Every acknowledged object is there, byte for byte.
	bad=0
	for i in $(sort -un "$acked"); do
		curl -s -o "$D/got" -H "Authorization: Bearer $TA" "$SEALCAMD_URL/v1/cameras/$CAM/objects/segment/$i"
		cmp -s "$D/got" "$D/objs/$i" || { bad=$((bad + 1)); echo "# seq $i differs or is missing"; }
	done
	[ $bad = 0 ] && ok "round $round: all $n_acked acknowledged objects are present and intact" ||
		not_ok "round $round: acknowledged objects intact" "$bad bad"

	# No partial blob is visible: every blob file is a whole uploaded object.
	partial=0 nfiles=0
	while IFS= read -r f; do
		nfiles=$((nfiles + 1))
		sz=$(stat -c %s "$f") match=0
		for i in $(seq 1 $N); do
			[ "$(stat -c %s "$D/objs/$i")" = "$sz" ] && cmp -s "$f" "$D/objs/$i" && { match=1; break; }
		done
		[ $match = 1 ] || partial=$((partial + 1))
	done < <(find "$D/s/data/blobs" -path "$D/s/data/blobs/tmp" -prune -o -type f -print)
	ntmp=$(find "$D/s/data/blobs/tmp" -type f | wc -l)
	[ $partial = 0 ] && [ "$ntmp" = 0 ] &&
		ok "round $round: all $nfiles blob files are complete objects; temp files cleared" ||
		not_ok "round $round: no partial blobs" "$partial partial, $ntmp temp"
done

# Retrying everything now completes the set, and nothing is stored twice.
python3 "$D/up.py" "$SEALCAMD_PORT" "$CT" "$D/objs" 1 1 "$N" "$D/final"
api GET "/v1/cameras/$CAM/objects?limit=1000" "$TA"
n=$(python3 -c 'import json,sys; print(len(json.load(sys.stdin)["objects"]))' <<<"$API_BODY")
[ "$(sort -un "$D/final" | wc -l)" = $N ] && [ "$n" = $N ] &&
	ok "after retries all $N objects are stored exactly once" || not_ok "retry completes" "$n listed"
stop_pid "$SEALCAMD_PID" && ok "sealcamd stops cleanly" || not_ok "clean stop"
lib_done
