/*
 * recorder — a camera's "record" role: the main stream, stream-copied into
 * segments, held briefly until events say whether each one is event
 * footage (flag), plain footage, or (events-only mode) not wanted; then
 * sealed. The same packets go to live view and, without a substream, to
 * detection (detect.c).
 *
 * The hold is the in-memory pre-roll of events-only recording: a segment
 * is decided only once the detector has looked far enough past its end
 * that no event starting later can reach back into it (events.h). It is
 * bounded in footage time, count and bytes; past a bound the oldest
 * segment is decided with what is known (events_decide force).
 */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libavformat/avformat.h>

#include "backoff.h"
#include "camera.h"
#include "camera_int.h"
#include "detect.h"
#include "events.h"
#include "livecam.h"
#include "log.h"
#include "segmenter.h"
#include "source.h"

#define HOLD_MAX_MS 30000		/* footage held at most */
#define HOLD_MAX_BYTES (96u << 20)	/* and at most this much memory */
#define SYNC_AT_END_MS 15000		/* wait for detection at the end */

/* Sleep up to ms, returning early when the agent stops. */
static void
pause_ms(struct camera *c, uint32_t ms)
{
	int64_t end = camera_now_ms() + ms;

	while (!atomic_load(c->stop) && camera_now_ms() < end)
		usleep(50000);
}

static void
hold_push(struct camera *c, struct segment *sg)
{
	if (c->nheld == CAMERA_HOLD_MAX) {
		/* Never happens with the bounds below; do not lose footage. */
		(void)sealer_seal_segment(c, &c->held[0], 0, NULL);
		segment_clear(&c->held[0]);
		memmove(&c->held[0], &c->held[1], (c->nheld - 1) * sizeof(*c->held));
		c->nheld--;
	}
	c->held[c->nheld++] = *sg;
	c->held_bytes += sg->len;
	memset(sg, 0, sizeof(*sg));
}

/* Decide and seal (or drop) held segments; force decides them all. */
static void
hold_flush(struct camera *c, int force)
{
	while (c->nheld > 0) {
		struct segment *sg = &c->held[0];
		struct segment *last = &c->held[c->nheld - 1];
		int64_t end = sg->start_ms + sg->duration_ms;
		int over = c->held_bytes > HOLD_MAX_BYTES ||
		    last->start_ms + last->duration_ms - sg->start_ms > HOLD_MAX_MS;
		uint32_t flags = 0;
		uint64_t seq = 0;
		enum events_decision d;

		d = events_decide(c->ev, sg->start_ms, end, force || over, &flags);
		if (d == EVENTS_WAIT)
			break;
		if (d == EVENTS_KEEP)
			(void)sealer_seal_segment(c, sg, flags, &seq);
		else
			log_debug("record", "camera=%s msg=\"no event: not recorded\" "
			    "start_ms=%lld duration_ms=%u", c->conf.id_hex,
			    (long long)sg->start_ms, sg->duration_ms);
		events_segment(c->ev, sg->start_ms, end, seq);
		c->held_bytes -= sg->len;
		segment_clear(sg);
		memmove(&c->held[0], &c->held[1], (c->nheld - 1) * sizeof(*c->held));
		c->nheld--;
	}
}

/*
 * One recording run: packets from src through a new segmenter until the
 * source ends, breaks or the agent stops; the segment in progress is then
 * finished and held. Returns the source_read result that ended the run.
 */
static int
record_run(struct camera *c, struct source *src)
{
	struct segmenter_opts so = {
		.target_ms = c->conf.segment_s * 1000,
		.max_ms = c->conf.max_segment_s * 1000,
		.max_bytes = SEGMENTER_MAX_BYTES_DEFAULT,
	};
	const AVCodecParameters *vpar, *apar;
	AVRational vtb, atb = { 1, 1 };
	struct segmenter *sgm;
	struct segment sg;
	AVPacket *pkt;
	int64_t wall;
	int r, stream, got;

	vpar = source_video(src, &vtb);
	apar = source_audio(src, &atb);
	if ((sgm = segmenter_new(vpar, vtb, apar, atb, &so)) == NULL)
		return SOURCE_ERR;
	livecam_run(c->live, vpar, vtb, apar, atb);
	/* Detection may take this stream's packets (it drops them when it
	 * runs on a substream, or not at all). */
	detect_main_begin(c->det, vpar, vtb);
	if ((pkt = av_packet_alloc()) == NULL) {
		segmenter_free(sgm);
		return SOURCE_ERR;
	}
	for (;;) {
		r = source_read(src, pkt, &stream, &wall);
		if (r != SOURCE_OK)
			break;
		if (stream == 0) {
			/* Detection's clock when it runs on this stream, ring
			 * thumbnails from the last keyframe when none runs. */
			events_recorder_packet(c->ev, wall, vpar,
			    (pkt->flags & AV_PKT_FLAG_KEY) ? pkt : NULL);
			detect_main_packet(c->det, pkt, wall);
		}
		got = segmenter_push(sgm, stream, pkt, wall, &sg);
		/* Live view, if anyone watches: the same packets, muxed again. */
		livecam_feed(c->live, stream, pkt, wall);
		av_packet_unref(pkt);
		if (got < 0) {
			r = SOURCE_ERR;
			break;
		}
		if (got == 1)
			hold_push(c, &sg);
		hold_flush(c, 0);
	}
	/* Stop, end of file or a broken source: keep what was recorded. */
	if (segmenter_finish(sgm, &sg) == 1)
		hold_push(c, &sg);
	detect_main_end(c->det);
	livecam_run(c->live, NULL, vtb, NULL, atb);
	av_packet_free(&pkt);
	segmenter_free(sgm);
	return r;
}

/* The recording ends: let detection catch up, then decide what is held. */
static void
record_end(struct camera *c)
{
	if (c->record_ended)
		return;
	c->record_ended = 1;
	if (c->nheld > 0) {
		struct segment *last = &c->held[c->nheld - 1];

		detect_sync(c->det, last->start_ms + last->duration_ms,
		    SYNC_AT_END_MS);
	}
	hold_flush(c, 1);
	events_recorder_done(c->ev);
}

void *
recorder_main(void *cookie)
{
	struct camera *c = cookie;
	struct source_opts so = { .loop = c->conf.loop, .speed = c->conf.speed,
	    .stop = c->stop, .clock = &c->clock };
	enum source_type type = source_type_of(c->conf.source);
	struct backoff bo;
	struct source *src;
	struct timespec dl;
	int r;

	/* No keyring, nobody to seal to: wait, record nothing meanwhile. */
	pthread_mutex_lock(&c->mu);
	if (c->rcpt.epoch == 0)
		log_info("camera", "camera=%s msg=\"waiting for the owner's "
		    "keyring before recording\"", c->conf.id_hex);
	while (c->rcpt.epoch == 0 && !atomic_load(c->stop)) {
		clock_gettime(CLOCK_REALTIME, &dl);
		dl.tv_sec += 1;
		pthread_cond_timedwait(&c->cv, &c->mu, &dl);
	}
	pthread_mutex_unlock(&c->mu);

	backoff_init(&bo, 1000, BACKOFF_CAP_MS);
	while (!atomic_load(c->stop)) {
		log_info("camera", "camera=%s msg=\"opening source\"",
		    c->conf.id_hex);
		if ((src = source_open(c->conf.source, &so)) == NULL) {
			if (type == SOURCE_FILE)
				break;	/* a missing file does not come back */
			pause_ms(c, backoff_next(&bo));
			continue;
		}
		r = record_run(c, src);
		source_free(src);
		if (r == SOURCE_EOF) {
			/* Everything recorded is sealed (or dropped) before we
			 * say so. */
			record_end(c);
			log_info("camera", "camera=%s msg=\"source ended; recording "
			    "stopped, uploads go on\" segments=%llu", c->conf.id_hex,
			    (unsigned long long)c->sealed);
			break;
		}
		if (r == SOURCE_STOPPED || atomic_load(c->stop))
			break;
		if (type == SOURCE_FILE)
			break;
		/* RTSP dropped or the device went away: reconnect. */
		log_warn("camera", "camera=%s msg=\"source broke; reconnecting\"",
		    c->conf.id_hex);
		if (c->sealed > 0)
			backoff_reset(&bo);
		pause_ms(c, backoff_next(&bo));
	}
	record_end(c);
	return NULL;
}
