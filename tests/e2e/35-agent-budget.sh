#!/bin/bash
# The agent's spool budget during a long server outage: with the server
# down, sealed segments pile up in the spool; past --spool-budget the oldest
# are evicted (logged), the spool stays within the budget and recording
# goes on; when the server is back, exactly the segments that were not
# evicted are delivered.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agent_lib.sh"

T=$(tmp_dir)
start_sealcamd "$T/server" || { not_ok "sealcamd starts"; lib_done; }
agent_clip "$T/clip.mp4" 40 1280x720 25 || { not_ok "make the clip"; lib_done; }
agent_owner "$T" budget@example.com || { not_ok "owner signs up"; lib_done; }
# 720p test pattern: about 1.5 MB per 2 s segment, so 4 MiB holds ~2.
agent_pair "$T" Shed "$T/clip.mp4" --segment-seconds 2 --spool-budget 4M ||
	{ not_ok "camera pairs" "$(tail -20 "$AGENT_LOG")"; lib_done; }
agent_wait_log "status=201" 20 || { not_ok "first upload"; lib_done; }

kill -KILL "$SEALCAMD_PID"
wait "$SEALCAMD_PID" 2>/dev/null
before=$(agent_sealed_seqs | wc -w)
max=0
for _ in $(seq 24); do	# 12 s of outage, spool size sampled twice a second
	b=$(cat "$AGENT_STATE"/cameras/*/spool/*.sc 2>/dev/null | wc -c)
	[ "$b" -gt "$max" ] && max=$b
	sleep 0.5
done
during=$(agent_sealed_seqs | wc -w)
evicted=$(sed -n "s/.*budget exceeded, evicted.* kind=segment seq=\([0-9]*\) .*/\1/p" "$AGENT_LOG" |
	sort -n | tr '\n' ' ' | sed 's/ $//')
if [ "$during" -ge $((before + 4)) ] && [ -n "$evicted" ] && [ "$max" -le $((4 << 20)) ]; then
	ok "server down: recording goes on, oldest segments evicted ($evicted), spool <= 4 MiB (max $max bytes)"
else
	not_ok "server down: budget holds" \
		"sealed $before -> $during, evicted '$evicted', max spool $max bytes"
fi

agent_restart_sealcamd "$T/server" || { not_ok "sealcamd restarts"; lib_done; }
# The uploader may sit in a backoff of up to 30 s before it sees the server.
agent_wait_spool_empty 45 || not_ok "the spool drains after the outage"
stop_pid "$AGENT_PID" 30
sealed=$(agent_sealed_seqs)
stored=$(agent_server_seqs)
# Evictions go on until the uploader's backoff lets it see the server.
evicted=$(sed -n "s/.*budget exceeded, evicted.* kind=segment seq=\([0-9]*\) .*/\1/p" "$AGENT_LOG" |
	sort -n | tr '\n' ' ' | sed 's/ $//')
# The spool may evict the object the uploader is sending at that moment
# (spool.c: it holds the fd; the upload still completes): one such segment
# can reach the server although it was logged as evicted.
verdict=$(python3 -c 'import sys
s, e, d = (set(a.split()) for a in sys.argv[1:4])
print("ok" if s - e <= d and d <= s and len(d & e) <= 1 else "bad")' "$sealed" "$evicted" "$stored")
if [ "$verdict" = ok ]; then
	ok "server back: every segment not evicted is delivered ($(echo "$stored" | wc -w)), no evicted one (but one in flight)"
else
	not_ok "server back: delivered = sealed - evicted" \
		"sealed: $sealed"$'\n'"evicted: $evicted"$'\n'"stored: $stored"
fi
lib_done
