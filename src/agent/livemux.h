/*
 * livemux — the live view's fragmented MP4: the same demuxed H.264 (or H.265)
 * packets the recorder segments, muxed again (stream copy, no re-encode)
 * into an init segment and short fragments, each handed out as soon as it
 * is complete (docs/FORMAT.md "Live stream plaintext").
 *
 * A fragment is closed once it holds frag_ms of video (0: every frame is
 * its own fragment, the lowest latency), and always before a keyframe, so
 * every keyframe begins a fragment: those fragments are where a viewer can
 * start. AAC audio, when the source has it, rides in the same fragments
 * (a second track); fragments are cut on the video's clock only.
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

/*
 * A muxer for H.264 or H.265 video in time base vtb and, if audio is not NULL and is
 * AAC, that audio in time base atb (other audio codecs: video only, as the
 * recorder's segmenter). NULL on failure (logged).
 */
struct livemux *livemux_new(const AVCodecParameters *video, AVRational vtb,
    const AVCodecParameters *audio, AVRational atb, uint32_t frag_ms,
    livemux_out_fn *out, void *cookie);

/* 1 if the muxer carries an audio track. */
int livemux_has_audio(const struct livemux *m);

/*
 * Feed one packet (decode order) of stream 0 (video) or 1 (audio) captured
 * at wall_ms. Packets before the first video keyframe are dropped (audio
 * too: it starts with the picture); the init goes out with the first
 * keyframe. Audio is ignored when the muxer has no audio track. 0, or -1
 * on a muxer or output failure (the mux is over).
 */
int livemux_push(struct livemux *m, int stream, const AVPacket *pkt, int64_t wall_ms);

void livemux_free(struct livemux *m);

#endif
