/*
 * join — turn verified, decrypted fMP4 segments into ONE playable MP4.
 *
 * Each segment plaintext is a complete fragmented MP4 (init + fragments,
 * docs/FORMAT.md "Segment plaintext"). join demuxes them in order with
 * libavformat and remuxes every packet (no re-encode) into one output,
 * trimmed to the requested wall-clock range: it starts at the last video
 * keyframe at or before `from` (so the requested start is in the file) and
 * stops at the first video packet whose presentation time reaches `until`.
 * Timestamps continue across segments; a jump in the source timeline (agent
 * restart, missing segment) is closed up so the output plays without a hole.
 *
 * join only ever sees plaintext the caller has verified; it never reads
 * sealed data. Output goes to a temporary file next to the destination and
 * is renamed into place by join_finish(), so a failed run leaves nothing
 * behind; "-" writes fragmented MP4 to stdout (a pipe cannot seek back).
 */
#ifndef SEALCAM_CLI_JOIN_H
#define SEALCAM_CLI_JOIN_H

#include <stddef.h>
#include <stdint.h>

struct join;

/* Most packets accepted from one segment (10 s at 240 fps is 2400). */
#define JOIN_PACKETS_MAX 100000
/* Most streams per segment (video, audio, maybe one more). */
#define JOIN_STREAMS_MAX 4

/*
 * Start an output at path ("-" = stdout) for the range [from_ms, to_ms).
 * Nothing is created until the first segment with footage in the range.
 * Returns NULL on allocation failure.
 */
struct join *join_new(const char *path, int64_t from_ms, int64_t to_ms);

/*
 * Add the next segment (in sequence order): buf/len is its verified
 * plaintext, start_ms its start time from the (signed) container header.
 * Segments wholly outside the range add nothing. Returns 0, or -1 with
 * join_errmsg() set (unreadable fMP4, stream parameters that differ from
 * the first segment's, output write error). Not owned: buf.
 */
int join_add(struct join *j, const uint8_t *buf, size_t len, int64_t start_ms);

/* Packets from the range written so far, and segments that contributed. */
uint64_t join_packets(const struct join *j);
uint64_t join_segments(const struct join *j);

/* 1 once a packet at or beyond to_ms was seen: later segments add nothing. */
int join_reached_end(const struct join *j);

/*
 * Write the trailer and move the file into place. Returns 0, or -1 (no
 * footage in the range at all, or a write error) with join_errmsg() set;
 * on -1 the temporary file is removed.
 */
int join_finish(struct join *j);

/* Remove an unfinished temporary file and free. join_free(NULL): no-op. */
void join_free(struct join *j);

/* Why the last call failed (valid until the next call). */
const char *join_errmsg(const struct join *j);

#endif
