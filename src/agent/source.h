/*
 * source — where a camera's video comes from, as compressed packets.
 *
 *	rtsp://... (rtsps://)   IP camera, RTSP over TCP, stream copy (H.264
 *	                        or H.265)
 *	/dev/videoN             V4L2 device: H.264 is copied, anything else
 *	                        (MJPEG, raw) is encoded to H.264 here
 *	testsrc                 lavfi testsrc2 1280x720 at 25 fps, encoded to
 *	                        H.264 in-process (libx264 via libavcodec)
 *	lavfi:<graph>           any lavfi graph, encoded likewise
 *	anything else           a media file, stream copy (H.264 or H.265),
 *	                        paced in real time by its timestamps
 *	                        (optionally looped)
 *
 * A source hands out H.264 or H.265 video as stream 0 (H.265 only from
 * cameras and files that deliver it: it is never made here), and, when the input has AAC
 * audio, that audio as stream 1, with timestamps that only increase
 * (looping keeps counting). Reconnecting is the caller's job: a live source
 * that fails returns SOURCE_ERR and is reopened (camera.c, with backoff).
 */
#ifndef SEALCAM_AGENT_SOURCE_H
#define SEALCAM_AGENT_SOURCE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include <libavcodec/avcodec.h>

#define SOURCE_SPEC_MAX 1024

enum source_type { SOURCE_FILE, SOURCE_RTSP, SOURCE_V4L2, SOURCE_LAVFI };

/* source_read results */
enum {
	SOURCE_OK = 0,
	SOURCE_EOF = 1,		/* a file ended (not looping) */
	SOURCE_STOPPED = 2,	/* *stop became non-zero */
	SOURCE_ERR = -1,	/* broken: free and reopen */
};

struct source;

/*
 * A clock shared by a camera's two inputs (main stream and detection
 * substream). Live sources stamp packets with the wall clock as they
 * arrive, so their times agree; paced files derive times from a start
 * instant of their own, so two files opened a moment apart would disagree
 * by that moment. The first paced source to start publishes its start
 * instant here and the other paces from the same one: frame N of both
 * files gets the same wall time.
 */
struct source_clock {
	pthread_mutex_t mu;
	int set;
	int64_t mono0_us;	/* monotonic clock at media time 0 */
	int64_t wall0_ms;	/* wall clock at media time 0 */
};

struct source_opts {
	int loop;		/* files: start over at the end */
	double speed;		/* pacing of files/lavfi: 1 = real time,
				 * 4 = four times faster, 0 = unpaced */
	atomic_int *stop;	/* non-zero interrupts reads */
	struct source_clock *clock;	/* shared start instant, or NULL */
};

/* What kind of source a --source string names. */
enum source_type source_type_of(const char *spec);

/* Open and probe a source. NULL on failure (logged). */
struct source *source_open(const char *spec, const struct source_opts *o);

/* Close. source_free(NULL) is a no-op. */
void source_free(struct source *s);

/* The video (H.264 or H.265) parameters and their time base (valid until free). */
const AVCodecParameters *source_video(const struct source *s, AVRational *tb);

/* The AAC audio parameters, or NULL when there is no usable audio. */
const AVCodecParameters *source_audio(const struct source *s, AVRational *tb);

/*
 * Next packet into pkt (caller unrefs): *stream is 0 (video) or 1 (audio),
 * *wall_ms the wall-clock capture time. Files and lavfi are paced here.
 * Returns SOURCE_OK, SOURCE_EOF, SOURCE_STOPPED or SOURCE_ERR.
 */
int source_read(struct source *s, AVPacket *pkt, int *stream,
    int64_t *wall_ms);

#endif
