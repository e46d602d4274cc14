#!/bin/bash
# sealcam-agent survives crashes on both sides: kill -9 of sealcamd while
# the agent records and uploads (down 10 s, restarted on the same port and
# data), then kill -9 of the agent (restarted with 'sealcam-agent run').
#
# Checks: while the server is down the agent keeps recording into its spool;
# afterwards every segment the agent ever sealed is on the server, once
# (none lost, none duplicated); the whole range verifies and decrypts with
# `sealcam clips get`; the restarted agent goes on with the next sequence
# numbers and the keyring it had accepted before.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agent_lib.sh"

T=$(tmp_dir)
start_sealcamd "$T/server" || { not_ok "sealcamd starts"; lib_done; }
# 24 s of 720p in real time, 2 s segments. Real time (not --speed) so the
# restarted run's wall-clock times follow the first run's without overlap.
agent_clip "$T/clip.mp4" 24 1280x720 25 || { not_ok "make the clip"; lib_done; }

agent_owner "$T" crash@example.com || { not_ok "owner signs up"; lib_done; }
agent_pair "$T" Yard "$T/clip.mp4" --segment-seconds 2 ||
	{ not_ok "camera pairs" "$(tail -20 "$AGENT_LOG")"; lib_done; }
agent_wait_log "status=201" 20 || { not_ok "first upload"; lib_done; }

# Server down 10 s, killed while uploads go on.
kill -KILL "$SEALCAMD_PID"
wait "$SEALCAMD_PID" 2>/dev/null
before=$(agent_sealed_seqs | wc -w)
sleep 10
during=$(agent_sealed_seqs | wc -w)
spooled=$(ls "$AGENT_STATE"/cameras/*/spool/*.sc 2>/dev/null | wc -l)
if [ "$during" -ge $((before + 4)) ] && [ "$spooled" -ge 3 ]; then
	ok "server down: the agent keeps recording into its spool ($((during - before)) segments, $spooled spooled)"
else
	not_ok "server down: the agent keeps recording into its spool" \
		"sealed before $before, after 10 s $during, spooled $spooled"
fi
agent_restart_sealcamd "$T/server" || { not_ok "sealcamd restarts"; lib_done; }

# Agent killed while it records and catches up, then restarted.
sleep 2
kill -KILL "$AGENT_PID"
wait "$AGENT_PID" 2>/dev/null
last=$(agent_sealed_seqs | awk '{print $NF}')
agent_run "$T"
if agent_wait_log "comp=seal camera=$CAM_ID seq=$((last + 1)) " 20; then
	ok "restarted agent records with its saved keyring, next seq $((last + 1))"
elif agent_wait_log "comp=seal camera=$CAM_ID seq=$((last + 2)) " 5; then
	ok "restarted agent records with its saved keyring (seq $((last + 1)) was reserved when killed)"
else
	not_ok "restarted agent records with its saved keyring" "$(tail -20 "$AGENT_LOG")"
fi
if agent_wait_log "source ended" 40 && agent_wait_spool_empty 40; then
	ok "after both crashes the spool drains"
else
	not_ok "after both crashes the spool drains" "$(tail -20 "$AGENT_LOG")"
fi

sealed=$(agent_sealed_seqs)
stored=$(agent_server_seqs)
if [ -n "$sealed" ] && [ "$sealed" = "$stored" ]; then
	ok "no segment lost, none duplicated: $(echo "$sealed" | wc -w) sealed = stored"
else
	not_ok "no segment lost, none duplicated" "sealed: $sealed"$'\n'"stored: $stored"
fi
if "${SC[@]}" clips get --camera Yard --since 1h --until +10m -o "$T/all.mp4" >"$T/get.log" 2>&1 &&
	ffmpeg -nostdin -v error -i "$T/all.mp4" -f null - 2>"$T/dec.log" &&
	[ ! -s "$T/dec.log" ]; then
	ok "every stored segment verifies, decrypts and decodes"
else
	not_ok "every stored segment verifies, decrypts and decodes" \
		"$(cat "$T/get.log" "$T/dec.log" | tail -20)"
fi
check "SIGTERM: the restarted agent exits 0" stop_pid "$AGENT_PID" 20
lib_done
