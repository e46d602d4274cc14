#include "camera.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libavformat/avformat.h>
#include <sodium.h>

#include "camera_int.h"
#include "detect.h"
#include "events.h"
#include "livecam.h"
#include "log.h"
#include "segmenter.h"
#include "spool.h"
#include "uploader.h"

int64_t
camera_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
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
	pthread_mutex_init(&c->clock.mu, NULL);
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
	/* Events before detection (which feeds them), both before the
	 * recorder (which asks them what to keep). */
	if ((c->ev = events_new(c, c->token)) == NULL ||
	    (c->det = detect_start(c, c->ev)) == NULL)
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
	/* Detection closes an open event; then the remaining records are
	 * sealed (and notified until the deadline) before the uploads drain. */
	detect_stop(c->det);
	if (c->ev != NULL)
		events_close(c->ev);
	events_free(c->ev, deadline_ms);
	for (size_t i = 0; i < c->nheld; i++)
		segment_clear(&c->held[i]);
	keyring_poll_stop(c->kp);
	left = deadline_ms - camera_now_ms();
	uploader_stop(c->up, left > 0 ? (int)left : 0);
	spool_free(c->spool);
	if (c->lock_fd >= 0)
		close(c->lock_fd);
	sodium_memzero(c->sk, sizeof(c->sk));
	sodium_memzero(c->token, sizeof(c->token));
	pthread_mutex_destroy(&c->mu);
	pthread_mutex_destroy(&c->clock.mu);
	pthread_cond_destroy(&c->cv);
	free(c);
}

int
camera_press(struct camera *c, uint64_t *id)
{
	return events_ring(c->ev, CAMERA_PRESS_WAIT_MS, id);
}

void
camera_reload(struct camera *c)
{
	detect_reload(c->det);
}

const char *
camera_id_hex(const struct camera *c)
{
	return c->conf.id_hex;
}

const char *
camera_name(const struct camera *c)
{
	return c->conf.name;
}
