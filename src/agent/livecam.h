/*
 * livecam — a camera's live view on the agent (docs/PROTOCOL.md "Live view").
 *
 * Two threads per camera:
 *   channel  keeps GET /v1/camera/live/commands open (reconnecting with
 *            backoff; a silent link is dropped after LIVECAM_SILENCE_MS) and
 *            acts on its "start"/"stop" lines;
 *   upload   streams a session's sealed bytes as one chunked
 *            POST /v1/camera/live/{session}; when the server closes it
 *            (nobody watches any more) the session ends.
 * The recorder thread feeds every demuxed packet (video, and AAC audio
 * when the source has it) to livecam_feed():
 * with no session running that is one atomic load; with one, the packet is
 * muxed into a live fragment (livemux), sealed (core live.h: fresh live
 * key sealed to the current keyring, record AEAD + camera signature) and
 * queued for the upload. Recording to segments goes on unchanged: the live
 * stream is a second output of the same packets.
 */
#ifndef SEALCAM_AGENT_LIVECAM_H
#define SEALCAM_AGENT_LIVECAM_H

#include <stdint.h>

#include <libavcodec/avcodec.h>

struct camera;
struct livecam;

#define LIVECAM_SILENCE_MS 45000		/* no line (pings come every 15 s) */
#define LIVECAM_QUEUE_MAX (16u << 20)	/* sealed bytes waiting for the upload */

/* Start the channel and upload threads (token copied). NULL on failure. */
struct livecam *livecam_start(struct camera *c, const char *token);

/* End any session (END record sent if possible) and stop. NULL: no-op. */
void livecam_stop(struct livecam *l);

/* Recorder: a new recording run begins with these video (and audio, or
 * NULL) parameters (copied), or ends (vpar NULL: a running session ends
 * with END). */
void livecam_run(struct livecam *l, const AVCodecParameters *vpar, AVRational vtb,
    const AVCodecParameters *apar, AVRational atb);

/* Recorder: one packet of stream 0 (video) or 1 (audio) captured at wall_ms. */
void livecam_feed(struct livecam *l, int stream, const AVPacket *pkt, int64_t wall_ms);

#endif
