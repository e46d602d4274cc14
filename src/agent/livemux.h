/*
 * livemux — the live view's fragmented MP4: the same demuxed H.264
 * packets the recorder segments, muxed again (stream copy, no re-encode)
 * into an init segment and short fragments, each handed out as soon as it
 * is complete (docs/FORMAT.md "Live stream plaintext").
 *
 * A fragment is closed once it holds frag_ms of video (0: every frame is
 * its own fragment, the lowest latency), and always before a keyframe, so
 * every keyframe begins a fragment: those fragments are where a viewer can
 * start. Video only.
 */
#ifndef SEALCAM_AGENT_LIVEMUX_H
#define SEALCAM_AGENT_LIVEMUX_H

#include <stddef.h>
#include <stdint.h>

#include <libavcodec/avcodec.h>

#define LIVEMUX_FRAG_MS_MAX 500
#define LIVEMUX_MAX_BYTES (4u << 20)	/* = LIVE_MAX_PLAINTEXT */

struct livemux;

/* What comes out: the init (is_init; wall_ms = the first keyframe's), or one fragment (moof + mdat) whose
 * first frame was captured at wall_ms; key = it starts with a keyframe.
 * data is valid only during the call. Non-zero return stops the mux. */
typedef int livemux_out_fn(void *cookie, int is_init, int key, int64_t wall_ms,
    const uint8_t *data, size_t len);

/* A muxer for H.264 video in time base vtb. NULL on failure (logged). */
struct livemux *livemux_new(const AVCodecParameters *video, AVRational vtb,
    uint32_t frag_ms, livemux_out_fn *out, void *cookie);

/*
 * Feed one video packet (decode order) captured at wall_ms. Packets before
 * the first keyframe are dropped; the init goes out with the first
 * keyframe. 0, or -1 on a muxer or output failure (the mux is over).
 */
int livemux_push(struct livemux *m, const AVPacket *pkt, int64_t wall_ms);

void livemux_free(struct livemux *m);

#endif
