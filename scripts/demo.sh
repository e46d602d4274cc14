#!/bin/bash
# make demo — the whole of sealcam on this machine, on 127.0.0.1:
#
#   sealcamd        SQLite + filesystem blobs under demo-data/server
#   sealcam-agent   one camera, "Street", playing a real street clip
#                   (vtest.avi from Debian's opencv-doc, re-encoded once to
#                   H.264) in a loop in real time — or the ffmpeg test
#                   pattern if that clip is not installed
#   sealcam         a demo account whose keys live in demo-data/client
#
# It prints the viewer's address and what to log in with, and what to type
# to list and fetch the recordings with the CLI. Ctrl-C stops
# everything (agent first, so it seals and uploads what it holds). Running
# it again reuses demo-data: same account, same camera, footage kept.
#
# Environment (for tests): BUILD, SEALCAM_DEMO_DATA (default ./demo-data),
# SEALCAM_DEMO_PORT (default 8443), SEALCAM_DEMO_EMAIL.
set -u
cd "$(dirname "$0")/.."
ROOT=$PWD
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
DATA=$(realpath -m "${SEALCAM_DEMO_DATA:-$ROOT/demo-data}")
PORT=${SEALCAM_DEMO_PORT:-8443}
EMAIL=${SEALCAM_DEMO_EMAIL:-demo@sealcam.example}
CAMERA=Street
URL=http://127.0.0.1:$PORT
CLIP=/usr/share/doc/opencv-doc/examples/data/vtest.avi

say() { printf 'demo: %s\n' "$*"; }
die() { printf 'demo: %s\n' "$*" >&2; stop; exit 1; }

# Paths as the user should type them: relative to the repository if inside.
rel() { case $1 in "$ROOT"/*) printf '%s' "${1#"$ROOT"/}" ;; *) printf '%s' "$1" ;; esac; }

SERVER_PID='' AGENT_PID=''
stop() {
	trap - INT TERM
	# The agent first: on SIGTERM it finishes its segment and uploads.
	if [ -n "$AGENT_PID" ] && kill -0 "$AGENT_PID" 2>/dev/null; then
		kill -TERM "$AGENT_PID" 2>/dev/null
		for _ in $(seq 150); do kill -0 "$AGENT_PID" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$AGENT_PID" 2>/dev/null
	fi
	if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
		kill -TERM "$SERVER_PID" 2>/dev/null
		for _ in $(seq 150); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$SERVER_PID" 2>/dev/null
	fi
	wait 2>/dev/null
	AGENT_PID='' SERVER_PID=''
}
trap 'echo; say "stopping..."; stop; say "stopped. Run make demo again to continue with the same data."; exit 0' INT TERM

for p in sealcamd sealcam-agent sealcam; do
	[ -x "$BUILD/$p" ] || { echo "demo: $BUILD/$p was not built (run 'make demo', which builds first; are its sources in this checkout?)" >&2; exit 1; }
done
command -v ffmpeg >/dev/null || { echo "demo: ffmpeg is missing; run 'make demo' (it installs it)" >&2; exit 1; }
mkdir -p "$DATA/server" "$DATA/client" "$DATA/agent" && chmod 700 "$DATA" "$DATA/client" "$DATA/agent" ||
	{ echo "demo: cannot create $DATA" >&2; exit 1; }
SC=("$BUILD/sealcam" --home "$DATA/client" --server "$URL")

# 1. The camera's picture: a real street clip, made H.264 once.
if [ -s "$DATA/street.mp4" ]; then
	SOURCE=$DATA/street.mp4 SOURCE_TEXT="vtest.avi (OpenCV's street sample), looped"
elif [ -r "$CLIP" ]; then
	say "re-encoding $CLIP to H.264 (once) ..."
	if ffmpeg -nostdin -loglevel error -y -i "$CLIP" -an -c:v libx264 -preset veryfast \
		-pix_fmt yuv420p -g 20 -movflags +faststart "$DATA/street.tmp.mp4" &&
		mv "$DATA/street.tmp.mp4" "$DATA/street.mp4"; then
		SOURCE=$DATA/street.mp4 SOURCE_TEXT="vtest.avi (OpenCV's street sample), looped"
	else
		rm -f "$DATA/street.tmp.mp4"
		SOURCE=testsrc SOURCE_TEXT="the ffmpeg test pattern (re-encoding vtest.avi failed)"
	fi
else
	SOURCE=testsrc SOURCE_TEXT="the ffmpeg test pattern (install opencv-doc for a street clip)"
fi

# 2. The server.
if curl -fsS -m 2 "$URL/healthz" >/dev/null 2>&1; then
	echo "demo: something already answers on $URL — another demo? Stop it, or set SEALCAM_DEMO_PORT." >&2
	exit 1
fi
setsid "$BUILD/sealcamd" --listen 127.0.0.1 --port "$PORT" --data-dir "$DATA/server" \
	>>"$DATA/sealcamd.log" 2>&1 </dev/null &
SERVER_PID=$!
up=''
for _ in $(seq 200); do
	kill -0 "$SERVER_PID" 2>/dev/null || break
	if curl -fsS -m 2 "$URL/healthz" >/dev/null 2>&1; then up=1; break; fi
	sleep 0.1
done
[ -n "$up" ] || { tail -n 20 "$DATA/sealcamd.log" >&2; die "sealcamd did not come up on $URL (log: $DATA/sealcamd.log)"; }
say "sealcamd is up on $URL"

# 3. The demo account: reuse this device's keys, or log in again with the
#    saved password and recovery code, or sign up once.
if [ -s "$DATA/client/vault" ] && "${SC[@]}" whoami >/dev/null 2>&1; then
	say "reusing the account $EMAIL"
elif [ -s "$DATA/demo-password" ] && [ -s "$DATA/recovery-code.txt" ]; then
	say "logging in again as $EMAIL"
	{ cat "$DATA/demo-password"; cat "$DATA/recovery-code.txt"; } |
		"${SC[@]}" login --email "$EMAIL" --password-stdin --recovery-code-stdin >/dev/null ||
		die "login as $EMAIL failed (to start over: stop, remove $DATA, run again)"
else
	say "creating the demo account $EMAIL"
	( umask 077; head -c 18 /dev/urandom | base64 | tr '+/' 'xy' >"$DATA/demo-password" )
	out=$("${SC[@]}" signup --email "$EMAIL" --password-stdin <"$DATA/demo-password") ||
		die "signup failed: $out"
	code=$(printf '%s\n' "$out" | sed -n 's/^Recovery code: *//p')
	[ -n "$code" ] || die "signup printed no recovery code"
	( umask 077; printf '%s\n' "$code" >"$DATA/recovery-code.txt" )
fi

# 4. The camera: an agent that is already paired just runs; otherwise pair
#    one now. A pairing left half-done by an interrupted run is finished.
if ls "$DATA"/agent/cameras/*/camera.json >/dev/null 2>&1; then
	say "reusing the camera \"$CAMERA\""
	setsid "$BUILD/sealcam-agent" run --state "$DATA/agent" >>"$DATA/agent.log" 2>&1 </dev/null &
	AGENT_PID=$!
else
	say "pairing the camera \"$CAMERA\" ($SOURCE_TEXT)"
	out=$("${SC[@]}" camera add --name "$CAMERA" --no-wait) || die "camera add failed: $out"
	pairing=$(printf '%s\n' "$out" | sed -n 's/^Pairing string: *//p')
	[ -n "$pairing" ] || die "camera add printed no pairing string"
	loop=(); [ "$SOURCE" = testsrc ] || loop=(--loop)
	setsid "$BUILD/sealcam-agent" pair "$pairing" --source "$SOURCE" "${loop[@]}" \
		--name "$CAMERA" --state "$DATA/agent" >>"$DATA/agent.log" 2>&1 </dev/null &
	AGENT_PID=$!
fi
"${SC[@]}" camera pending --wait --timeout 60 >/dev/null ||
	{ tail -n 20 "$DATA/agent.log" >&2; die "the camera did not finish pairing (log: $DATA/agent.log)"; }
kill -0 "$AGENT_PID" 2>/dev/null || { tail -n 20 "$DATA/agent.log" >&2; die "sealcam-agent stopped (log: $DATA/agent.log)"; }

# 5. What to type.
B=$(rel "$BUILD") H=$(rel "$DATA/client")
cat <<EOF

sealcam demo is running — Ctrl-C stops it; 'make demo' again continues with the same data.

  server   $URL   (data: $(rel "$DATA/server"), log: $(rel "$DATA/sealcamd.log"))
  camera   "$CAMERA" playing $SOURCE_TEXT (log: $(rel "$DATA/agent.log"))
  account  $EMAIL — this device's keys are in $H

The server holds only ciphertext. Watch in a browser (decrypted on your device):

  $URL/
      e-mail:        $EMAIL
      password:      $(cat "$DATA/demo-password" 2>/dev/null || echo "(see $(rel "$DATA/demo-password"))")
      recovery code: $(cat "$DATA/recovery-code.txt" 2>/dev/null || echo "(see $(rel "$DATA/recovery-code.txt"))")  (asked once per browser)

Or in another terminal:

  $B/sealcam --home $H camera list
  $B/sealcam --home $H clips list --camera $CAMERA --since 10m
  $B/sealcam --home $H clips get --camera $CAMERA --since 1m -o street.mp4
  ffplay street.mp4        (or any video player)
  $B/sealcam --home $H clips thumb --camera $CAMERA -o street.jpg

Log in as another device (a fresh home; same password and recovery code):

  $B/sealcam --home /tmp/sealcam-phone --server $URL login --email $EMAIL
EOF
curl -fsS -m 2 "$URL/" 2>/dev/null | grep -qi '<html' ||
	printf '\n(note: %s/ did not serve the viewer; see %s)\n' "$URL" "$(rel "$DATA/sealcamd.log")"
echo

# 6. Run until Ctrl-C, or until a part stops by itself.
while kill -0 "$SERVER_PID" 2>/dev/null && kill -0 "$AGENT_PID" 2>/dev/null; do
	sleep 1 &
	wait $! 2>/dev/null
done
if ! kill -0 "$SERVER_PID" 2>/dev/null; then
	tail -n 20 "$DATA/sealcamd.log" >&2
	die "sealcamd stopped unexpectedly (log: $DATA/sealcamd.log)"
fi
tail -n 20 "$DATA/agent.log" >&2
die "sealcam-agent stopped unexpectedly (log: $DATA/agent.log)"
