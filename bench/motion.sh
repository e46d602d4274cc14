#!/bin/bash
# bench/motion.sh — sealcam motion detection against its limit and its peer,
# measured in one run on this machine.
#
#   1. pipeline frames/s at 320x180, with a bare frame difference (the
#      limit) timed in the same process            (build/bench/motion)
#   2. CPU of decode + motion on a 60 s 640x360 H.264 substream at 25 fps,
#      as % of one core in real time, next to Motion 4.5 (Debian package
#      `motion`) reading the same file at the same frame rate
#   3. events found by both on the same clips (synthetic scenes with a
#      known number of events, and vtest.avi spliced with still spans),
#      turned into H.264 with ffmpeg
#
# Usage: bench/motion.sh            (BUILD=build by default)
# Installs Motion if missing (scripts/deps.sh bench). Takes ~7 minutes:
# Motion reads files in real time.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
B=$BUILD/bench/motion
VTEST=/usr/share/doc/opencv-doc/examples/data/vtest.avi

scripts/deps.sh bench
[ -x "$B" ] || make --no-print-directory "$B" >/dev/null
command -v motion >/dev/null || { echo "motion not installed" >&2; exit 1; }

tmp=$(mktemp -d)
# Every Motion started is listed in $tmp/pids (some run in a background
# subshell), and stopped by its id on exit.
cleanup() {
	if [ -f "$tmp/pids" ]; then
		while read -r p; do kill "$p" 2>/dev/null || true; done <"$tmp/pids"
	fi
	wait 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT
tck=$(getconf CLK_TCK)

echo "# machine: $(nproc) cores,$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2)," \
	"load $(cut -d' ' -f1-3 /proc/loadavg), $(date -u +%Y-%m-%dT%H:%MZ)"
echo "# motion: $(motion -h 2>&1 | head -1 | cut -d, -f1)"

# A Motion config comparable to sealcam's defaults: Motion's own default
# threshold (1500 changed pixels at 640x480, i.e. 0.49 % of the frame)
# scaled to the frame, its noise tuning and default despeckle, and
# sealcam's event rules: 3 motion frames to start, 5 s quiet to end,
# light switch at 35 % of the frame. No pictures, movies or streams.
motion_conf() { # dir clip fps w h
	local dir=$1 clip=$2 fps=$3 w=$4 h=$5
	cat >"$dir/motion.conf" <<-EOF
	daemon off
	setup_mode off
	log_level 6
	target_dir $dir
	netcam_url file://$clip
	width $w
	height $h
	framerate $fps
	threshold $((1500 * w * h / (640 * 480)))
	noise_tune on
	despeckle_filter EedDl
	lightswitch_percent 35
	minimum_motion_frames 3
	event_gap 5
	pre_capture 0
	post_capture 0
	picture_output off
	movie_output off
	stream_port 0
	webcontrol_port 0
	on_event_start echo start >> $dir/events
	on_event_end echo end >> $dir/events
	EOF
}

# Run Motion on a clip for `secs` seconds; with cpu=1 print its CPU over
# [5 s, secs - 5 s] as % of one core (from /proc/PID/stat utime+stime:
# all of its threads, decoding included). Extra arguments go to motion
# (-m: start with detection off, to measure its decoding alone).
run_motion() { # name clip fps w h secs cpu [motion args]
	local dir=$tmp/m-$1 pid t0 t1 c0 c1
	mkdir -p "$dir"
	motion_conf "$dir" "$2" "$3" "$4" "$5"
	motion -n "${@:8}" -c "$dir/motion.conf" -l "$dir/log" >/dev/null 2>&1 &
	pid=$!
	echo "$pid" >>"$tmp/pids"
	if [ "$7" = 1 ]; then
		sleep 5
		c0=$(awk '{print $14 + $15}' "/proc/$pid/stat")
		t0=$(date +%s.%N)
		sleep $(($6 - 10))
		c1=$(awk '{print $14 + $15}' "/proc/$pid/stat")
		t1=$(date +%s.%N)
		sleep 5
		echo "$c0 $c1 $t0 $t1 $tck" |
			awk '{ printf "%.2f\n", 100 * ($2 - $1) / $5 / ($4 - $3) }' \
			>"$dir/cpu"
	else
		sleep "$6"
	fi
	kill "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	grep -c '^start' "$dir/events" 2>/dev/null >"$dir/count" || echo 0 >"$dir/count"
}

echo
echo "## 1. pipeline speed (one thread)"
"$B" | grep -v '^[a-z_0-9]*='

echo
echo "## 2. decode + motion CPU, 60 s of 640x360 H.264 at 25 fps"
# vtest.avi scaled and looped, encoded like a camera substream: main
# profile, no B-frames, 2 s GOP, 600 kb/s.
ffmpeg -hide_banner -loglevel error -y -stream_loop 1 -i "$VTEST" -t 60 \
	-vf scale=640:360,fps=25 -c:v libx264 -preset veryfast -profile:v main \
	-bf 0 -g 50 -b:v 600k -pix_fmt yuv420p "$tmp/sub.mp4"
"$B" decode "$tmp/sub.mp4" | tee "$tmp/ours"
# The agent's default (detect.json "decode": "fast"): no deblocking, the
# decoder's fast flag.
MOTION_DECODE=fast "$B" decode "$tmp/sub.mp4" | tee "$tmp/ours-fast"
run_motion cpu "$tmp/sub.mp4" 25 640 360 60 1
run_motion cpu-m "$tmp/sub.mp4" 25 640 360 60 1 -m
ours=$(sed -n 's/^decode_motion_pct=//p' "$tmp/ours")
ourdec=$(sed -n 's/^decode_pct=//p' "$tmp/ours")
oursf=$(sed -n 's/^decode_motion_pct=//p' "$tmp/ours-fast")
ourdecf=$(sed -n 's/^decode_pct=//p' "$tmp/ours-fast")
peer=$(cat "$tmp/m-cpu/cpu")
peerdec=$(cat "$tmp/m-cpu-m/cpu")
echo "Motion 4.5 on the same file: $peer % of one core;" \
	"with detection off (decoding, capture): $peerdec %"
awk -v o="$ours" -v od="$ourdec" -v of="$oursf" -v odf="$ourdecf" \
	-v p="$peer" -v pd="$peerdec" 'BEGIN {
	printf "ratio sealcam / Motion, decode + detection: %.3f\n", o / p
	printf "agent default (fast decode): %.2f %% (decoding %.2f %%), ratio %.3f\n",
	    of, odf, of / p
	printf "detection alone: sealcam %.2f %%, Motion %.2f %%, ratio %.3f\n",
	    o - od, p - pd, (o - od) / (p - pd)
}'

echo
echo "## 3. events on the same clips (expected = what a person counts)"
# Make every clip first, then let Motion read them: the long vtest one in
# the background while the others run one after another.
"$B" scenes >"$tmp/scenes"
while read -r n w h fps frames ev what; do
	"$B" gen "$n" | ffmpeg -hide_banner -loglevel error -y -f rawvideo \
		-pix_fmt gray -s "${w}x$h" -r "$fps" -i - -vf format=yuv420p \
		-c:v libx264 -preset veryfast -g $((fps * 2)) "$tmp/$n.mp4"
	"$B" events "$tmp/$n.mp4" 5000 | sed -n 's/^events=\([0-9]*\).*/\1/p' \
		>"$tmp/$n.ours"
done <"$tmp/scenes"
secs() { echo $((($2 + $1 - 1) / $1 + 1)); } # fps frames -> s, +1
while read -r n w h fps frames ev what; do
	[ "$n" = vtest ] || continue
	run_motion "$n" "$tmp/$n.mp4" "$fps" "$w" "$h" "$(secs "$fps" "$frames")" 0 &
done <"$tmp/scenes"
bg=$!
while read -r n w h fps frames ev what; do
	[ "$n" = vtest ] && continue
	run_motion "$n" "$tmp/$n.mp4" "$fps" "$w" "$h" "$(secs "$fps" "$frames")" 0
done <"$tmp/scenes"
wait "$bg"

printf '%-9s %8s %8s %8s  %s\n' clip expected sealcam Motion what
tot_e=0 miss_o=0 false_o=0 miss_p=0 false_p=0
while read -r n w h fps frames ev what; do
	o=$(cat "$tmp/$n.ours")
	p=$(cat "$tmp/m-$n/count")
	printf '%-9s %8d %8d %8d  %s\n' "$n" "$ev" "$o" "$p" "$what"
	tot_e=$((tot_e + ev))
	[ "$o" -lt "$ev" ] && miss_o=$((miss_o + ev - o))
	[ "$o" -gt "$ev" ] && false_o=$((false_o + o - ev))
	[ "$p" -lt "$ev" ] && miss_p=$((miss_p + ev - p))
	[ "$p" -gt "$ev" ] && false_p=$((false_p + p - ev))
done <"$tmp/scenes"
echo "expected events: $tot_e; sealcam missed $miss_o, extra $false_o;" \
	"Motion missed $miss_p, extra $false_p"
