/*
 * source_enc — internal to source.c: turn decoded frames of a source that
 * does not deliver H.264 (lavfi test patterns, MJPEG/raw webcams) into
 * H.264 with libx264, so the rest of the agent only ever sees H.264.
 */
#ifndef SEALCAM_AGENT_SOURCE_ENC_H
#define SEALCAM_AGENT_SOURCE_ENC_H

#include <libavcodec/avcodec.h>

struct source_enc;

/*
 * An encoder for the input stream described by par (time base tb, frame
 * rate fps), keyframe every gop_s seconds. NULL on failure (logged).
 */
struct source_enc *source_enc_new(const AVCodecParameters *par, AVRational tb,
    AVRational fps, int gop_s);

void source_enc_free(struct source_enc *e);

/* The encoder's output parameters (H.264 with SPS/PPS) and time base. */
const AVCodecParameters *source_enc_par(const struct source_enc *e,
    AVRational *tb);

/* Feed one input packet (NULL = drain). 0, or -1 on error. */
int source_enc_send(struct source_enc *e, const AVPacket *in);

/* Take one encoded packet: 0 got one, 1 none for now, -1 error. */
int source_enc_receive(struct source_enc *e, AVPacket *out);

#endif
