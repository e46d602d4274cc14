/*
 * segmenter — cut a camera's compressed stream into self-contained
 * fragmented-MP4 segments, in memory, without re-encoding.
 *
 * One recording run (from opening the source until it ends, breaks or the
 * agent stops) is one libavformat mp4 muxer in fragmented mode: its init
 * (ftyp + moov) is written once, and each segment is a fragment (moof +
 * mdat) flushed at a cut point. Every segment handed out is init + its
 * fragment, so it decodes on its own, and because one muxer makes all of
 * them the tfdt decode times of segment N+1 start exactly where segment N
 * ended (docs/FORMAT.md, "Segment plaintext").
 *
 * Cuts: at the first video keyframe once a segment is at least target_ms
 * long; forced at max_ms (or near max_bytes) even without a keyframe — the
 * next segment then starts mid-GOP, which only happens when the camera's
 * keyframe interval exceeds max_ms.
 */
#ifndef SEALCAM_AGENT_SEGMENTER_H
#define SEALCAM_AGENT_SEGMENTER_H

#include <stddef.h>
#include <stdint.h>

#include <libavcodec/avcodec.h>

#define SEGMENTER_TARGET_MS_MIN 1000
#define SEGMENTER_MAX_MS_MAX 60000
#define SEGMENTER_MAX_BYTES_DEFAULT (48u << 20)	/* below the server's 64 MiB */

struct segmenter;

struct segmenter_opts {
	uint32_t target_ms;	/* cut at the first keyframe after this */
	uint32_t max_ms;	/* forced cut */
	size_t max_bytes;	/* forced cut before a segment grows past this */
};

/* A finished segment; data is malloc'd and owned by the receiver. */
struct segment {
	uint8_t *data;		/* complete fMP4: ftyp moov moof mdat */
	size_t len;
	int64_t start_ms;	/* wall-clock time of the first frame */
	uint32_t duration_ms;
	int starts_with_keyframe;
	uint32_t frames;	/* video frames in the segment */
};

/*
 * A segmenter for one recording run. video is H.264 or H.265 in time base
 * vtb; audio (AAC) may be NULL. Parameters are copied. NULL on failure.
 */
struct segmenter *segmenter_new(const AVCodecParameters *video, AVRational vtb,
    const AVCodecParameters *audio, AVRational atb,
    const struct segmenter_opts *o);

/* Free the run; an unfinished segment is lost. NULL is a no-op. */
void segmenter_free(struct segmenter *s);

/*
 * Feed one packet of stream 0 (video) or 1 (audio), timestamps in that
 * stream's time base, in decode order per stream. wall_ms is the wall-clock
 * time the packet was captured. Packets before the first video keyframe are
 * dropped. Returns 1 when this packet closed a segment (*out filled; the
 * packet itself begins the next), 0 when not, -1 on a muxer error (the run
 * is broken: free it and start another).
 */
int segmenter_push(struct segmenter *s, int stream, const AVPacket *pkt,
    int64_t wall_ms, struct segment *out);

/* End of run: close the segment in progress. 1 with *out, 0 if empty. */
int segmenter_finish(struct segmenter *s, struct segment *out);

/* Free out->data and zero *out. */
void segment_clear(struct segment *out);

#endif
