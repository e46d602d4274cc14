/*
 * detect — a camera's detection thread, the "detect" role beside the
 * recorder's "record" role (as Frigate splits them):
 *
 *	substream (--detect-source) ─┐
 *	  or the recorder's packets ─┴─> decode (cheap) -> motion_feed
 *	                                   -> label (persondet on the moving
 *	                                      regions, bounded rate)
 *	                                   -> events_frame
 *
 * Only this stream is decoded; the main stream is recorded by stream copy.
 * Decoding is made cheap where quality allows: one thread, no deblocking
 * filter (skip_loop_filter), AV_CODEC_FLAG2_FAST; motion works on a ~320
 * pixel wide box-downscaled luma plane anyway (docs/BENCHMARKS.md has the
 * measured effect on CPU and on events). Without a substream the main
 * stream's packets are handed over by the recorder (referenced, not
 * copied) through a bounded queue; when detection falls behind, packets
 * are dropped up to the next keyframe rather than holding the recorder.
 *
 * Settings come from <camera dir>/detect.json (detconf.h), re-read on
 * detect_reload (the control socket's "reload").
 */
#ifndef SEALCAM_AGENT_DETECT_H
#define SEALCAM_AGENT_DETECT_H

#include <stdint.h>

#include <libavcodec/avcodec.h>

struct camera;
struct events;
struct detect;

#define DETECT_QUEUE_MAX 128	/* main-stream packets waiting for the decoder */

/* Start the thread (it reads detect.json first). NULL on failure. */
struct detect *detect_start(struct camera *c, struct events *ev);

/* Stop (after the camera's stop flag is set): the thread closes an open
 * event at its last motion and exits. NULL is a no-op. */
void detect_stop(struct detect *d);

/* Re-read detect.json (and apply the command line's overrides). */
void detect_reload(struct detect *d);

/* --- the main stream, when there is no substream (recorder thread) --------- */

/* A recording run starts with these video parameters (copied; the
 * recorder calls this and the two below whatever detection runs on:
 * packets are dropped here when it does not want them). */
void detect_main_begin(struct detect *d, const AVCodecParameters *par,
    AVRational tb);

/* One video packet (referenced) captured at wall_ms. */
void detect_main_packet(struct detect *d, const AVPacket *pkt, int64_t wall_ms);

/* The run ended (end of file, broken source, stop). */
void detect_main_end(struct detect *d);

/*
 * Wait until detection has analysed frames up to t_ms, or has nothing
 * more to analyse (its input ended or broke), or the camera stops, or
 * timeout_ms passed. Used before the recorder decides its last segments.
 */
void detect_sync(struct detect *d, int64_t t_ms, int timeout_ms);

#endif
