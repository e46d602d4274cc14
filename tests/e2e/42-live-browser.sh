#!/bin/bash
# Live view in Chromium: a real agent streams, sealcamd relays, and the web
# viewer's live player (web/liveplayer.js + web/live.js) fetches the stream,
# verifies and decrypts each record in the page and plays it through Media
# Source Extensions; currentTime must advance for 10 s, near the live edge
# (tests/e2e/live_browser.mjs drives the browser).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agent_lib.sh"

T=$(tmp_dir)
start_sealcamd "$T/s" --live-grace 1s || { not_ok "sealcamd starts"; lib_done; }
agent_owner "$T" browser@example.com || { not_ok "owner signs up"; lib_done; }
agent_clip "$T/clip.mp4" 8 640x360 25 || { not_ok "test clip"; lib_done; }
agent_pair "$T" "Garden" "$T/clip.mp4" --loop --live-fragment-ms 200 ||
	{ not_ok "camera pairs"; lib_done; }
agent_wait_log "live command channel open" 20 || not_ok "agent channel open"
node "$(dirname "$0")/live_browser.mjs" "$SEALCAMD_URL" "$OWNER_TOKEN" \
	"$T/client/vault" "$CAM_ID" 10 || _LIB_FAILED=1
curl -s "$SEALCAMD_URL/metrics" | grep -q '^sealcamd_live_viewers_cut_total 0' &&
	ok "the browser kept up (never cut off as a slow viewer)" || not_ok "browser not cut"
stop_pid "$AGENT_PID" && ok "agent stops cleanly" || not_ok "agent clean stop"
stop_pid "$SEALCAMD_PID" && ok "sealcamd stops cleanly" || not_ok "sealcamd clean stop"
lib_done
