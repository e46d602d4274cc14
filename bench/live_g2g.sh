#!/bin/bash
# bench/live_g2g.sh — camera to viewer through the whole system: a real
# agent (a 720p25 H.264 clip looped in real time, keyframe every second),
# sealcamd's relay and `sealcam live --stats`, which reports how far behind
# the camera each fragment was when it had been verified, decrypted and
# written (the camera's capture clock vs the viewer's; one machine, one
# clock). With 500 ms fragments a fragment is complete only when its last
# frame is captured, so the figure includes up to 500 ms of fragment
# length; with one frame per fragment (--live-fragment-ms 0) it is the
# pipeline itself. Figures in docs/BENCHMARKS.md ("Live view").
#
#   bench/live_g2g.sh [SECONDS]        (default 20)
set -u
cd "$(dirname "$0")/.."
export BUILD=${BUILD:-build}
SECS=${1:-20}
make --no-print-directory -s all >/dev/null
. tests/e2e/lib.sh
. tests/e2e/agent_lib.sh

T=$(tmp_dir)
start_sealcamd "$T/s" --log-level warn || exit 1
agent_owner "$T" g2g@example.com || exit 1
agent_clip "$T/clip.mp4" 8 1280x720 25 || exit 1
agent_pair "$T" "Bench" "$T/clip.mp4" --loop --live-fragment-ms 500 || exit 1
for frag in 500 200 0; do
	if [ "$frag" != 500 ]; then
		stop_pid "$AGENT_PID"
		agent_run "$T" --loop --live-fragment-ms "$frag"
		sleep 3
	fi
	printf 'fragment_ms=%s  ' "$frag"
	"${SC[@]}" live --camera Bench -o /dev/null --duration "$SECS" --stats 2>&1 |
		sed -n 's/.*behind the camera[^:]*: //p'
done
