#!/bin/sh
# Install whatever sealcam needs that is missing: Debian packages and npm
# packages. Idempotent; prints nothing when everything is already there.
set -eu
cd "$(dirname "$0")/.."

# One group per purpose; add a package to the group that needs it.
BUILD_PKGS="build-essential pkg-config clang libclang-rt-14-dev"
LIB_PKGS="libsodium-dev libavformat-dev libavcodec-dev libavutil-dev libavdevice-dev
  libswscale-dev libmicrohttpd-dev libjansson-dev libcurl4-openssl-dev
  libsqlite3-dev libpq-dev libssl-dev"
TOOL_PKGS="ffmpeg python3 curl ca-certificates procps psmisc"
# The agent's RTSP test: a camera-like RTSP server (GStreamer, Debian python3).
RTSP_PKGS="gir1.2-gst-rtsp-server-1.0 python3-gi gstreamer1.0-plugins-good
  gstreamer1.0-plugins-bad"
CLIP_PKGS="opencv-doc"
BROWSER_PKGS="nodejs npm chromium"
# Only for benchmarks (`scripts/deps.sh bench`): peers measured in the same
# run — nginx (server), OpenCV Haar/HOG via Python (bench/vision.sh),
# Motion 4.5 (bench/motion.sh), nginx-rtmp and librtmp (bench/live.sh).
BENCH_PKGS="nginx-core python3-opencv opencv-data motion libnginx-mod-rtmp
  librtmp-dev"

missing=""
want="$BUILD_PKGS $LIB_PKGS $TOOL_PKGS $RTSP_PKGS $CLIP_PKGS $BROWSER_PKGS"
[ "${1:-}" = bench ] && want="$want $BENCH_PKGS"
for p in $want; do
	# nodejs/npm may come from elsewhere (nodesource); a working binary counts.
	case $p in
	nodejs) command -v node >/dev/null 2>&1 && continue ;;
	npm) command -v npm >/dev/null 2>&1 && continue ;;
	esac
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed'; then
		missing="$missing $p"
	fi
done

if [ -n "$missing" ]; then
	echo "deps: installing:$missing"
	SUDO=""
	[ "$(id -u)" -eq 0 ] || SUDO="sudo"
	export DEBIAN_FRONTEND=noninteractive
	$SUDO apt-get update -qq
	# shellcheck disable=SC2086
	$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
	# The motion package enables a system service that would grab
	# /dev/video0 and ports 8080/8081; bench/motion.sh only runs the binary.
	case " $missing " in
	*" motion "*) $SUDO systemctl disable --now motion.service \
		>/dev/null 2>&1 || true ;;
	esac
fi

# npm packages (package-lock.json pins them); reinstall only when the lock
# file's content differs from what was last installed (content, not mtime:
# a fresh checkout or a merge touches the file without changing it).
if [ -f package-lock.json ]; then
	stamp=node_modules/.sealcam-lock-sha256
	want=$(sha256sum package-lock.json | cut -d' ' -f1)
	if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
		echo "deps: npm ci"
		npm ci --no-audit --no-fund --loglevel=error >/dev/null
		echo "$want" >"$stamp"
	fi
fi
