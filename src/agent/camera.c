#include "camera.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libavformat/avformat.h>
#include <sodium.h>

#include "backoff.h"
#include "camera_int.h"
#include "livecam.h"
#include "log.h"
#include "segmenter.h"
#include "source.h"
#include "spool.h"
#include "uploader.h"

int64_t
camera_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Sleep up to ms, returning early when the agent stops. */
static void
pause_ms(struct camera *c, uint32_t ms)
{
	int64_t end = camera_now_ms() + ms;

	while (!atomic_load(c->stop) && camera_now_ms() < end)
		usleep(50000);
}

/* Seal a finished segment (and free it). */
static void
seal(struct camera *c, struct segment *sg)
{
	/* A failure is logged there; the recording goes on. */
	(void)sealer_seal_segment(c, sg, 0);
	segment_clear(sg);
}

/*
 * One recording run: packets from src through a new segmenter until the
 * source ends, breaks or the agent stops; the segment in progress is then
 * finished and sealed. Returns the source_read result that ended the run.
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
	livecam_run(c->live, vpar, vtb);
	if ((pkt = av_packet_alloc()) == NULL) {
		segmenter_free(sgm);
		return SOURCE_ERR;
	}
	for (;;) {
		r = source_read(src, pkt, &stream, &wall);
		if (r != SOURCE_OK)
			break;
		got = segmenter_push(sgm, stream, pkt, wall, &sg);
		/* Live view, if anyone watches: the same packets, muxed again. */
		if (stream == 0)
			livecam_feed(c->live, pkt, wall);
		av_packet_unref(pkt);
		if (got < 0) {
			r = SOURCE_ERR;
			break;
		}
		if (got == 1)
			seal(c, &sg);
	}
	/* Stop, end of file or a broken source: keep what was recorded. */
	if (segmenter_finish(sgm, &sg) == 1)
		seal(c, &sg);
	livecam_run(c->live, NULL, vtb);
	av_packet_free(&pkt);
	segmenter_free(sgm);
	return r;
}

static void *
recorder_main(void *cookie)
{
	struct camera *c = cookie;
	struct source_opts so = { .loop = c->conf.loop, .speed = c->conf.speed,
	    .stop = c->stop };
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
	return NULL;
}

/* Read the camera key and token; check the key matches the camera id. */
static int
load_secrets(struct camera *c)
{
	uint8_t id[SEG_CAMERA_ID_BYTES];
	char hex[CONFIG_ID_HEX];
	size_t len;

	if (config_file_load(c->conf.dir, "camera.key", 1, c->sk, sizeof(c->sk),
	    &len) != 0 || len != sizeof(c->sk)) {
		log_err("camera", "camera=%s msg=\"missing or bad camera.key\"",
		    c->conf.id_hex);
		return -1;
	}
	seg_camera_id(c->sk + 32, id);
	sodium_bin2hex(hex, sizeof(hex), id, sizeof(id));
	if (strcmp(hex, c->conf.id_hex) != 0) {
		log_err("camera", "camera=%s msg=\"camera.key does not belong to "
		    "this camera\"", c->conf.id_hex);
		return -1;
	}
	memcpy(c->camera_id, id, sizeof(id));
	if (config_file_load(c->conf.dir, "token", 1, (uint8_t *)c->token,
	    CONFIG_TOKEN_MAX, &len) != 0) {
		log_err("camera", "camera=%s msg=\"missing camera token\"",
		    c->conf.id_hex);
		return -1;
	}
	c->token[len] = '\0';
	while (len > 0 && (c->token[len - 1] == '\n' || c->token[len - 1] == '\r'))
		c->token[--len] = '\0';
	return 0;
}

struct camera *
camera_start(const struct camera_conf *conf, atomic_int *stop)
{
	struct camera *c;
	char path[CONFIG_PATH_MAX + 16];

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	c->conf = *conf;
	c->stop = stop;
	c->lock_fd = -1;
	pthread_mutex_init(&c->mu, NULL);
	pthread_cond_init(&c->cv, NULL);
	if ((c->lock_fd = config_lock(conf->dir)) < 0) {
		log_err("camera", "camera=%s msg=\"recorded by another agent "
		    "process (lock held)\"", conf->id_hex);
		goto fail;
	}
	if (load_secrets(c) != 0)
		goto fail;
	snprintf(path, sizeof(path), "%s/spool", conf->dir);
	if ((c->spool = spool_open(path, conf->spool_budget)) == NULL)
		goto fail;
	if ((c->up = uploader_start(conf->server, c->token, c->spool,
	    conf->id_hex)) == NULL)
		goto fail;
	if ((c->kp = keyring_poll_start(c)) == NULL)
		goto fail;
	if ((c->live = livecam_start(c, c->token)) == NULL)
		goto fail;
	/* The pollers have their own copies of the token now. */
	sodium_memzero(c->token, sizeof(c->token));
	if (pthread_create(&c->recorder, NULL, recorder_main, c) != 0)
		goto fail;
	c->recorder_started = 1;
	log_info("camera", "camera=%s name=\"%s\" msg=started segment_s=%u "
	    "max_segment_s=%u spool_budget=%llu", conf->id_hex, conf->name,
	    conf->segment_s, conf->max_segment_s,
	    (unsigned long long)conf->spool_budget);
	return c;
fail:
	camera_stop(c, camera_now_ms());
	return NULL;
}

void
camera_stop(struct camera *c, int64_t deadline_ms)
{
	int64_t left;

	if (c == NULL)
		return;
	pthread_mutex_lock(&c->mu);
	pthread_cond_broadcast(&c->cv);
	pthread_mutex_unlock(&c->mu);
	/* The recorder seals its last segment before it returns. */
	if (c->recorder_started)
		pthread_join(c->recorder, NULL);
	/* After the recorder: its last packets (and END) are in the session. */
	livecam_stop(c->live);
	keyring_poll_stop(c->kp);
	left = deadline_ms - camera_now_ms();
	uploader_stop(c->up, left > 0 ? (int)left : 0);
	spool_free(c->spool);
	if (c->lock_fd >= 0)
		close(c->lock_fd);
	sodium_memzero(c->sk, sizeof(c->sk));
	sodium_memzero(c->token, sizeof(c->token));
	pthread_mutex_destroy(&c->mu);
	pthread_cond_destroy(&c->cv);
	free(c);
}
