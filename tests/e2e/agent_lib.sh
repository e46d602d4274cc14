# Agent helpers for end-to-end tests (after lib.sh). An owner account made
# with the real CLI, a camera paired through `sealcam camera add` +
# `sealcam-agent pair` + `sealcam camera pending --wait`, and what the agent
# sealed versus what the server stores.
#
#   agent_clip OUT SECS WxH GOP  H.264 clip of SECS seconds at 25 fps with a
#                                keyframe every GOP frames (a 4 s piece
#                                encoded once and stream-copied in a loop)
#   agent_owner DIR EMAIL        sign up with the CLI (home DIR/client);
#                                sets SC (CLI command array), OWNER_TOKEN
#   agent_pair DIR NAME SOURCE [agent options...]
#                                pair a camera and wait for the keyring;
#                                sets AGENT_PID, AGENT_LOG, CAM_ID, AGENT_STATE
#   agent_run DIR [options...]   restart the agent ('run'), same state/log
#   agent_wait_log TEXT [secs]   wait for TEXT in the agent log
#   agent_wait_spool_empty [secs]
#   agent_sealed_seqs            sequence numbers the agent sealed (logs)
#   agent_server_objects         GET .../objects?kind=segment (JSON)
#   agent_server_seqs            sequence numbers the server stores
AGENT=$BIN/sealcam-agent
SEALCAM=$BIN/sealcam

agent_clip() { # out secs WxH gop [aac: with a 440 Hz AAC sound track]
	local out=$1 secs=$2 size=$3 gop=$4 audio=()
	[ "${5:-}" = aac ] && audio=(-f lavfi -i "sine=frequency=440:sample_rate=48000" -c:a aac -b:a 64k)
	ffmpeg -nostdin -hide_banner -loglevel error -f lavfi \
		-i "testsrc2=size=$size:rate=25" "${audio[@]}" -t 4 -c:v libx264 -preset ultrafast \
		-g "$gop" -keyint_min "$gop" -sc_threshold 0 -pix_fmt yuv420p \
		"$out.part.mp4" &&
	ffmpeg -nostdin -hide_banner -loglevel error -stream_loop $((secs / 4 - 1)) \
		-i "$out.part.mp4" -c copy -t "$secs" "$out" &&
	rm -f "$out.part.mp4"
}

agent_owner() {
	local dir=$1 email=$2 pw
	pw=$(head -c 18 /dev/urandom | base64 | tr '+/' 'xy')
	SC=("$SEALCAM" --home "$dir/client" --server "$SEALCAMD_URL")
	printf '%s\n' "$pw" | "${SC[@]}" signup --email "$email" --password-stdin \
		>"$dir/signup.log" 2>&1 || return 1
	api POST /v1/login '' "{\"email\":\"$email\",\"password\":\"$pw\"}"
	OWNER_TOKEN=$(jget token <<<"$API_BODY")
	[ -n "$OWNER_TOKEN" ]
}

agent_pair() {
	local dir=$1 name=$2 source=$3 out pairing i; shift 3
	out=$("${SC[@]}" camera add --name "$name" --no-wait 2>&1) || return 1
	pairing=$(printf '%s\n' "$out" | sed -n 's/^Pairing string: *//p')
	[ -n "$pairing" ] || return 1
	AGENT_STATE=$dir/agent
	AGENT_LOG=$dir/agent.log
	"$AGENT" pair "$pairing" --source "$source" --name "$name" \
		--state "$AGENT_STATE" "$@" >>"$AGENT_LOG" 2>&1 &
	AGENT_PID=$!
	track_pid "$AGENT_PID"
	"${SC[@]}" camera pending --wait --timeout 60 >>"$dir/pending.log" 2>&1 ||
		return 1
	CAM_ID=$(sed -n 's/^paired camera \([0-9a-f]*\).*/\1/p' "$AGENT_LOG" | tail -1)
	[ -n "$CAM_ID" ] && agent_wait_log "keyring accepted" 30
}

agent_run() {
	local dir=$1; shift
	"$AGENT" run --state "$dir/agent" "$@" >>"$dir/agent.log" 2>&1 &
	AGENT_PID=$!
	track_pid "$AGENT_PID"
}

agent_wait_log() {
	local text=$1 secs=${2:-30} i
	for ((i = 0; i < secs * 10; i++)); do
		grep -q -- "$text" "$AGENT_LOG" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

agent_wait_spool_empty() {
	local secs=${1:-30} i
	for ((i = 0; i < secs * 10; i++)); do
		# compgen matches names only: ls would also fail (and "empty"
		# would be wrongly seen) when a listed object is evicted or
		# uploaded between the glob and its stat.
		compgen -G "$AGENT_STATE/cameras/*/spool/*.sc" >/dev/null || return 0
		sleep 0.1
	done
	return 1
}

agent_sealed_seqs() {
	sed -n "s/.*comp=seal camera=${CAM_ID:-x} seq=\([0-9]*\) .*/\1/p" \
		"$AGENT_LOG" | sort -n | tr '\n' ' ' | sed 's/ $//'
}

agent_server_objects() {
	api GET "/v1/cameras/$CAM_ID/objects?kind=segment&limit=1000" "$OWNER_TOKEN"
	printf '%s\n' "$API_BODY"
}

agent_server_seqs() {
	agent_server_objects | python3 -c '
import json, sys
print(" ".join(str(o["seq"]) for o in sorted(json.load(sys.stdin)["objects"],
    key=lambda o: o["seq"])))'
}

# agent_restart_sealcamd DIR: start sealcamd again on the same port and data
# (after kill -9), so the agent's stored server URL still points at it.
agent_restart_sealcamd() {
	local dir=$1 i
	"$SEALCAMD" --listen 127.0.0.1 --port "$SEALCAMD_PORT" \
		--data-dir "$dir/data" >>"$SEALCAMD_LOG" 2>&1 &
	SEALCAMD_PID=$!
	track_pid "$SEALCAMD_PID"
	wait_healthz "$SEALCAMD_URL" 20
}
