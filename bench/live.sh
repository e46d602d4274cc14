#!/bin/bash
# bench/live.sh — live view: crypto costs, and the relay's added latency,
# CPU per viewer and throughput with 1, 10 and 100 viewers, against
# nginx-rtmp relaying the same frames to the same number of RTMP readers,
# in the same run (docs/BENCHMARKS.md "Live view").
#
#   bench/live.sh [SECONDS]     (default 20 s measured per point)
#   VIEWERS="1 10 100" REPEAT=2 bench/live.sh
#   SEALCAMD_ARGS="--threads 2" bench/live.sh     (extra sealcamd flags)
#   SEALCAMD=/path/to/sealcamd bench/live.sh  (another build of sealcamd, for
#       A/B runs; the bench clients stay this tree's)
#   FRAG_MS="0 200 500" bench/live.sh   (our records: 0 = one frame each, the
#       lowest-latency setting; 500 = the agent's default, 200 = the
#       browser test's. nginx-rtmp always gets one RTMP message per frame.)
#
# Installs the peer if missing (scripts/deps.sh bench: libnginx-mod-rtmp,
# librtmp-dev). Everything runs on 127.0.0.1 with free ports and a temp dir.
set -eu
cd "$(dirname "$0")/.."
ROOT=$PWD
BUILD=${BUILD:-build}
SECS=${1:-20}
VIEWERS=${VIEWERS:-"1 10 100"}
REPEAT=${REPEAT:-1}
FRAG_MS=${FRAG_MS:-0}
scripts/deps.sh bench
make --no-print-directory -s "$BUILD/sealcamd" "$BUILD/bench/live" "$BUILD/tools/sealtool"
T=$(mktemp -d /tmp/sealcam-bench-live.XXXXXX)
PIDS=()
cleanup() {
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	[ -n "${KEEP:-}" ] || rm -rf "$T"
}
trap cleanup EXIT

cc -O2 -o "$T/live_rtmp" bench/rtmp/live_rtmp.c -I bench $(pkg-config --cflags --libs librtmp) -lpthread

echo "# machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "# live record crypto (C, libsodium):"
"$BUILD/bench/live" crypto | sed 's/^/#   /'

# The same video for both relays: 720p25 H.264, ~2 Mbit/s, keyframe every 2 s.
ffmpeg -nostdin -hide_banner -loglevel error -f lavfi -i testsrc2=size=1280x720:rate=25 \
	-t 8 -c:v libx264 -preset veryfast -b:v 2M -maxrate 2M -bufsize 1M -g 50 \
	-pix_fmt yuv420p -f flv "$T/v.flv"

# sealcamd, an owner, a camera with a keyring.
SEALCAMD=${SEALCAMD:-$BUILD/sealcamd}
echo "# sealcamd: $SEALCAMD"
"$SEALCAMD" --listen 127.0.0.1 --port 0 --port-file "$T/port" --data-dir "$T/data" \
	--log-level warn --live-grace 1s --max-connections 4096 ${SEALCAMD_ARGS:-} >"$T/sealcamd.log" 2>&1 &
SPID=$!
PIDS+=("$SPID")
for _ in $(seq 100); do [ -s "$T/port" ] && break; sleep 0.05; done
URL=http://127.0.0.1:$(cat "$T/port")
read -r CAMTOK VTOK CAMID BOX < <(python3 - "$URL" "$BUILD/tools/sealtool" "$T" <<'EOF'
import json, os, subprocess, sys, urllib.request
url, tool, work = sys.argv[1:4]
def call(m, p, tok=None, body=None):
    h = {"Content-Type": "application/json"}
    if tok: h["Authorization"] = "Bearer " + tok
    r = urllib.request.Request(url + p, method=m, headers=h,
                               data=json.dumps(body).encode() if body is not None else None)
    with urllib.request.urlopen(r) as f:
        d = f.read()
        return json.loads(d) if d else None
u = call("POST", "/v1/signup", body={"email": "bench@example.com", "password": "bench password 1"})
box, sign = subprocess.run([tool, "vault", work + "/v"], capture_output=True, check=True).stdout.decode().split()
call("PUT", "/v1/me/vault", u["token"], {"box_pk": box, "sign_pk": sign, "backup": "AAAA"})
pid = os.urandom(16).hex()
call("POST", "/v1/pairings", u["token"], {"pairing_id": pid, "name": "bench"})
cid, cpk = subprocess.run([tool, "camera", work + "/cam"], capture_output=True, check=True).stdout.decode().split()
r = call("POST", "/v1/pairings/%s/register" % pid, None, {"camera_id": cid, "camera_pk": cpk, "proof": "00" * 32})
kr = subprocess.run([tool, "keyring", work + "/v", cid, "1", box], capture_output=True, check=True).stdout.decode().strip()
call("PUT", "/v1/cameras/%s/keyring" % cid, u["token"], {"keyring": kr, "members": []})
print(r["camera_token"], u["token"], cid, box)
EOF
)

# nginx with the RTMP module, one worker (the module's live fan-out is
# per worker), on a free port.
RPORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mkdir -p "$T/nginx/logs"
cat >"$T/nginx/nginx.conf" <<EOF
load_module /usr/lib/nginx/modules/ngx_rtmp_module.so;
worker_processes 1;
pid $T/nginx/nginx.pid;
error_log $T/nginx/logs/error.log warn;
events { worker_connections 4096; }
rtmp {
    server {
        listen 127.0.0.1:$RPORT;
        chunk_size 4096;
        application live { live on; wait_key off; wait_video off; }
    }
}
EOF
nginx -c "$T/nginx/nginx.conf" -p "$T/nginx" -g 'daemon off;' &
NPID=$!
PIDS+=("$NPID")
sleep 0.5
NWORKER=$(pgrep -P "$NPID" | head -1)

# What each relay costs with nothing to relay (sealcamd's timers and
# background threads, nginx's timers), over the same window as a point:
# the per-viewer figures include it, and it weighs most at 1 viewer.
task_ns() { cat "${@/#//proc/}"/task/*/schedstat 2>/dev/null | awk '{s += $1} END {printf "%d", s}'; }
s0=$(task_ns "$SPID"); n0=$(task_ns "$NPID" "$NWORKER")
sleep "$SECS"
s1=$(task_ns "$SPID"); n1=$(task_ns "$NPID" "$NWORKER")
echo "idle sealcamd_cpu_core_pct=$(awk -v d=$((s1 - s0)) -v t="$SECS" 'BEGIN {printf "%.3f", d / t / 1e7}') nginx_cpu_core_pct=$(awk -v d=$((n1 - n0)) -v t="$SECS" 'BEGIN {printf "%.3f", d / t / 1e7}')"
echo "# ${SECS} s measured per point once every viewer streams (+1 s); 25 fps; p50/p99 = record (RTMP: frame) sent -> viewer has it"
for n in $VIEWERS; do
	for r in $(seq "$REPEAT"); do
		for f in $FRAG_MS; do
			echo "# load $(cut -d' ' -f1-3 /proc/loadavg)"
			"$BUILD/bench/live" relay "$URL" "$T/cam" "$CAMTOK" "$VTOK" "$CAMID" "$BOX" \
				"$T/v.flv" "$n" "$SECS" "$SPID" "$f"
			sleep 2   # the session ends (grace 1 s)
			"$T/live_rtmp" "rtmp://127.0.0.1:$RPORT/live/s$n$r$f" "$T/v.flv" "$n" "$SECS" "$NPID" "$NWORKER"
		done
	done
done
