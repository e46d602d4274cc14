#!/bin/bash
# Shared helpers for end-to-end tests (source it: . "$(dirname "$0")/lib.sh").
#
#   ok "what"                  print "ok - what"
#   not_ok "what" [detail]     print "not ok - what" and "# detail"
#   check "what" cmd...        ok if cmd exits 0, else not ok
#   tmp_dir                    new temp dir, removed at exit (path on stdout)
#   free_port                  a TCP port free on 127.0.0.1 right now
#   start_sealcamd DIR [flags] start build/sealcamd on 127.0.0.1, any free port,
#                              data under DIR; sets SEALCAMD_PID, SEALCAMD_PORT,
#                              SEALCAMD_URL, SEALCAMD_LOG; waits for /healthz
#   stop_pid PID [secs]        SIGTERM, wait (then SIGKILL); returns its exit code
#   track_pid PID              kill PID at exit (processes started by hand)
#   wait_healthz URL [secs]    poll GET URL/healthz until 200
#   api METHOD PATH [TOKEN] [JSON]
#                              call sealcamd (not in a subshell): sets
#                              $API_STATUS and $API_BODY
#   jget FIELD                 read a field (a.b.c) from JSON on stdin
#   metric NAME                a value from sealcamd's /metrics
#   sessions_zero              true when no live session is left
#   uploads_zero               true when no agent's live upload is open
#   live_counts                "sessions=N uploads=N" (for a failure's detail)
#
# Everything started here is killed by PID (never by name) when the test exits.
set -u
SEALCAM_ROOT=${SEALCAM_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
BUILD=${BUILD:-build}
case $BUILD in /*) BIN=$BUILD ;; *) BIN=$SEALCAM_ROOT/$BUILD ;; esac
SEALCAMD=$BIN/sealcamd
# Sanitizer builds: report leaks, abort on the first error.
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}

_LIB_PIDS=()
_LIB_DIRS=()
_LIB_FAILED=0

ok() { echo "ok - $1"; }
not_ok() {
	echo "not ok - $1"
	[ $# -gt 1 ] && printf '%s\n' "$2" | head -20 | sed 's/^/# /'
	_LIB_FAILED=1
	return 0
}
check() {
	local what=$1; shift
	if "$@"; then ok "$what"; else not_ok "$what" "command failed: $*"; fi
}

_lib_cleanup() {
	local p
	for p in "${_LIB_PIDS[@]}"; do
		kill -0 "$p" 2>/dev/null && kill -TERM "$p" 2>/dev/null
	done
	for p in "${_LIB_PIDS[@]}"; do
		for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		kill -0 "$p" 2>/dev/null && kill -KILL "$p" 2>/dev/null
	done
	for p in "${_LIB_DIRS[@]}"; do
		chmod -R u+w "$p" 2>/dev/null
		rm -rf "$p"
	done
}
trap _lib_cleanup EXIT
trap 'exit 130' INT TERM

tmp_dir() {
	local d
	d=$(mktemp -d "${TMPDIR:-/tmp}/sealcam-e2e.XXXXXX") || return 1
	_LIB_DIRS+=("$d")
	echo "$d"
}

track_pid() { _LIB_PIDS+=("$1"); }

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

wait_healthz() {
	local url=$1 secs=${2:-20} i
	for ((i = 0; i < secs * 20; i++)); do
		curl -sf -o /dev/null --max-time 2 "$url/healthz" && return 0
		sleep 0.05
	done
	return 1
}

# start_sealcamd DIR [extra flags...]
start_sealcamd() {
	local dir=$1 i; shift
	mkdir -p "$dir"
	rm -f "$dir/port"
	SEALCAMD_LOG=$dir/sealcamd.log
	"$SEALCAMD" --listen 127.0.0.1 --port 0 --port-file "$dir/port" \
		--data-dir "$dir/data" "$@" >>"$SEALCAMD_LOG" 2>&1 &
	SEALCAMD_PID=$!
	track_pid "$SEALCAMD_PID"
	for ((i = 0; i < 400; i++)); do
		[ -s "$dir/port" ] && break
		kill -0 "$SEALCAMD_PID" 2>/dev/null || break
		sleep 0.05
	done
	if [ ! -s "$dir/port" ]; then
		echo "# sealcamd did not start:" >&2
		tail -20 "$SEALCAMD_LOG" | sed 's/^/# /' >&2
		return 1
	fi
	SEALCAMD_PORT=$(cat "$dir/port")
	SEALCAMD_URL=http://127.0.0.1:$SEALCAMD_PORT
	wait_healthz "$SEALCAMD_URL"
}

stop_pid() {
	local pid=$1 secs=${2:-15} i rc
	kill -TERM "$pid" 2>/dev/null || return 0
	for ((i = 0; i < secs * 10; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	rc=$?
	return $rc
}

# api METHOD PATH [TOKEN] [JSON-BODY]
API_STATUS=
API_BODY=
api() {
	local method=$1 path=$2 token=${3:-} body=${4:-} out args=()
	out=$(mktemp)
	args=(-s -o "$out" -w '%{http_code}' -X "$method" --max-time 30)
	[ -n "$token" ] && args+=(-H "Authorization: Bearer $token")
	[ -n "$body" ] && args+=(-H 'Content-Type: application/json' --data-binary "$body")
	API_STATUS=$(curl "${args[@]}" "$SEALCAMD_URL$path")
	API_BODY=$(cat "$out")
	rm -f "$out"
}

jget() {
	python3 -c '
import json, sys
v = json.load(sys.stdin)
for k in sys.argv[1].split("."):
    v = v[int(k)] if isinstance(v, list) else v.get(k) if isinstance(v, dict) else None
print("" if v is None else (json.dumps(v) if isinstance(v, (dict, list, bool)) else v))' "$1"
}

# Exit status for the end of a test script.
lib_done() { exit $_LIB_FAILED; }

# --- sealcamd API helpers (raw HTTP; keys made by build/tools/sealtool) -----
#
#   new_user EMAIL DIR        sign up, make a vault in DIR, publish it;
#                             sets USER_TOKEN USER_ID USER_BOX USER_SIGN
#   new_camera TOKEN VAULTDIR CAMDIR NAME
#                             pair a camera (key in CAMDIR) for the user with
#                             TOKEN, publish keyring epoch 1 signed with and
#                             naming VAULTDIR's keys; sets CAM_ID CAM_PK
#                             CAM_TOKEN PAIRING_ID
#   seal DIR KIND SEQ START DUR SIZE [PATTERN] [BOXPK] [FLAGS]
#                             sealed object from camera DIR on stdout
SEALTOOL=$BIN/tools/sealtool

new_user() {
	local email=$1 dir=$2 keys backup
	mkdir -p "$dir"
	api POST /v1/signup "" "{\"email\":\"$email\",\"password\":\"password of $email\"}"
	[ "$API_STATUS" = 201 ] || { echo "# signup $email: $API_STATUS $API_BODY" >&2; return 1; }
	USER_TOKEN=$(jget token <<<"$API_BODY")
	USER_ID=$(jget account_id <<<"$API_BODY")
	keys=$("$SEALTOOL" vault "$dir") || return 1
	USER_BOX=${keys% *}
	USER_SIGN=${keys#* }
	backup=$(head -c 147 /dev/urandom | base64 -w0)
	api PUT /v1/me/vault "$USER_TOKEN" \
		"{\"box_pk\":\"$USER_BOX\",\"sign_pk\":\"$USER_SIGN\",\"backup\":\"$backup\"}"
	[ "$API_STATUS" = 204 ] || { echo "# vault $email: $API_STATUS $API_BODY" >&2; return 1; }
}

new_camera() {
	local token=$1 vault=$2 dir=$3 name=$4 pid keys kr box
	mkdir -p "$dir"
	pid=$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
	api POST /v1/pairings "$token" "{\"pairing_id\":\"$pid\",\"name\":\"$name\"}"
	[ "$API_STATUS" = 201 ] || { echo "# pairing: $API_STATUS $API_BODY" >&2; return 1; }
	keys=$("$SEALTOOL" camera "$dir") || return 1
	CAM_ID=${keys% *}
	CAM_PK=${keys#* }
	api POST "/v1/pairings/$pid/register" "" \
		"{\"camera_id\":\"$CAM_ID\",\"camera_pk\":\"$CAM_PK\",\"proof\":\"$(printf '%064d' 0)\"}"
	[ "$API_STATUS" = 201 ] || { echo "# register: $API_STATUS $API_BODY" >&2; return 1; }
	CAM_TOKEN=$(jget camera_token <<<"$API_BODY")
	PAIRING_ID=$pid
	box=$(cat "$vault/box.pk")
	kr=$("$SEALTOOL" keyring "$vault" "$CAM_ID" 1 "$box") || return 1
	api PUT "/v1/cameras/$CAM_ID/keyring" "$token" "{\"keyring\":\"$kr\",\"members\":[]}"
	[ "$API_STATUS" = 204 ] || { echo "# keyring: $API_STATUS $API_BODY" >&2; return 1; }
}

seal() {
	local dir=$1 kind=$2 seq=$3 start=$4 dur=$5 size=$6 pattern=${7:-random} box=${8:-$USER_BOX} flags=${9:-0}
	"$SEALTOOL" seal "$dir" "$kind" "$seq" "$start" "$dur" 1 "$flags" "$size" "$pattern" "$box"
}

# --- the sealcam CLI and sealcam-agent: user flows ---------------------------
#
#   sc HOME ARGS...           run build/sealcam with --home HOME and
#                             --server $SEALCAMD_URL
#   cli_signup HOME EMAIL [PASSWORD]
#                             sign up with the CLI; sets RECOVERY_CODE
#   cli_pair HOME NAME STATE AGENT-ARGS...
#                             camera add --no-wait, sealcam-agent pair with
#                             that string (state in STATE, log STATE.log),
#                             camera pending --wait: the owner's client checks
#                             the proof and publishes keyring epoch 1; sets
#                             AGENT_PID (tracked) and CAMERA_ID
#   wait_until SECS CMD...    run CMD every 0.2 s until it succeeds (1 if not)
#   seqs HOME CAMERA [SINCE] [UNTIL]
#                             the sequence numbers 'clips list' shows, one line
#   frames FILE               video frames ffprobe decodes in FILE
SEALCAM=$BIN/sealcam
SEALCAM_AGENT=$BIN/sealcam-agent

sc() { local home=$1; shift; "$SEALCAM" --home "$home" --server "$SEALCAMD_URL" "$@"; }

cli_signup() {
	local home=$1 email=$2 pw=${3:-"password of $2"} out
	out=$(printf '%s\n' "$pw" | sc "$home" signup --email "$email" --password-stdin) ||
		{ echo "# signup $email failed" >&2; return 1; }
	RECOVERY_CODE=$(sed -n 's/^Recovery code: *//p' <<<"$out")
	[ -n "$RECOVERY_CODE" ]
}

cli_pair() {
	local home=$1 name=$2 state=$3 out pairing; shift 3
	out=$(sc "$home" camera add --name "$name" --no-wait) || return 1
	pairing=$(sed -n 's/^Pairing string: *//p' <<<"$out")
	[ -n "$pairing" ] || { echo "# camera add printed no pairing string" >&2; return 1; }
	"$SEALCAM_AGENT" pair "$pairing" --name "$name" --state "$state" "$@" \
		>>"$state.log" 2>&1 &
	AGENT_PID=$!
	track_pid "$AGENT_PID"
	out=$(sc "$home" camera pending --wait --timeout 60) ||
		{ echo "# pairing did not finish: $out" >&2; tail -5 "$state.log" >&2; return 1; }
	CAMERA_ID=$(sed -n 's/.* is paired: id \([0-9a-f]*\),.*/\1/p' <<<"$out")
	[ -n "$CAMERA_ID" ] || { echo "# no camera id in: $out" >&2; return 1; }
}

# metric NAME: its value in sealcamd's /metrics (empty if absent).
metric() { curl -s "$SEALCAMD_URL/metrics" | awk -v m="$1" '$1 == m {print $2}'; }
# No live session left (starting, streaming or closing).
sessions_zero() { [ "$(metric sealcamd_live_sessions)" = 0 ]; }
uploads_zero() { [ "$(metric sealcamd_live_uploads)" = 0 ]; }
live_counts() { echo "sessions=$(metric sealcamd_live_sessions) uploads=$(metric sealcamd_live_uploads)"; }

wait_until() {
	local secs=$1 i; shift
	for ((i = 0; i < secs * 5; i++)); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.2
	done
	return 1
}

seqs() {
	sc "$1" clips list --camera "$2" --since "${3:-1h}" --until "${4:-+1h}" |
		awk '/^[0-9]+ +[0-9][0-9][0-9][0-9]-/{printf "%s ", $1}'
}

frames() {
	ffprobe -v error -count_frames -select_streams v:0 \
		-show_entries stream=nb_read_frames -of csv=p=0 "$1"
}
