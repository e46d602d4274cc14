#include "uploader.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "backoff.h"
#include "httpc.h"
#include "log.h"
#include "spool.h"

#define UPLOADER_TIMEOUT_S 300		/* one 48 MiB object on a slow link */
#define UPLOADER_UNAUTH_WAIT_MS 60000	/* token refused: try again slowly */

struct uploader {
	pthread_t thread;
	struct httpc *http;
	struct spool *spool;
	char camera[40];
	atomic_int draining;		/* stop once the spool is empty */
	atomic_int cancel;		/* stop now, abort the request */
	atomic_uint_fast64_t done;
	struct backoff bo;
};

static int64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int
callback_abort(void *cookie)
{
	struct uploader *u = cookie;

	return atomic_load(&u->cancel);
}

/*
 * Sleep ms, waking early on cancel, and when a shutdown drain begins: the
 * drain window is short, so one more try right away beats sleeping through
 * it in a long backoff.
 */
static void
pause_ms(struct uploader *u, uint32_t ms)
{
	int64_t end = mono_ms() + ms;
	int draining = atomic_load(&u->draining);

	while (!atomic_load(&u->cancel) && mono_ms() < end &&
	    atomic_load(&u->draining) == draining)
		usleep(50000);
}

enum verdict { UP_DONE, UP_RETRY, UP_UNAUTH, UP_REFUSED };

/* Upload one taken object; what to do with it next. */
static enum verdict
upload_one(struct uploader *u, const struct spool_item *it)
{
	char path[128];
	json_t *resp = NULL;
	struct stat st;
	int fd, status;
	int64_t t0 = mono_ms();
	enum verdict v;

	if ((fd = spool_open_item(u->spool, it)) < 0)
		return UP_DONE;	/* evicted meanwhile: nothing to send */
	if (fstat(fd, &st) != 0) {
		close(fd);
		return UP_RETRY;
	}
	snprintf(path, sizeof(path), "/v1/camera/objects/%s/%llu", it->kind,
	    (unsigned long long)it->seq);
	status = httpc_put_fd(u->http, path, "application/octet-stream", fd,
	    st.st_size, &resp);
	close(fd);
	if (status == 201 || status == 200) {
		log_info("upload", "camera=%s kind=%s seq=%llu bytes=%lld status=%d "
		    "ms=%lld", u->camera, it->kind, (unsigned long long)it->seq,
		    (long long)st.st_size, status, (long long)(mono_ms() - t0));
		v = UP_DONE;
	} else if (status < 0 || status >= 500 || status == 408 ||
	    status == 429) {
		log_warn("upload", "camera=%s kind=%s seq=%llu msg=\"will retry\" "
		    "status=%d err=\"%s\"", u->camera, it->kind,
		    (unsigned long long)it->seq, status,
		    status < 0 ? httpc_errmsg(u->http) : httpc_error_code(resp));
		v = UP_RETRY;
	} else if (status == 401) {
		log_err("upload", "camera=%s msg=\"server refused the camera token "
		    "(camera removed?); keeping footage, retrying slowly\"",
		    u->camera);
		v = UP_UNAUTH;
	} else {
		log_err("upload", "camera=%s kind=%s seq=%llu msg=\"refused, "
		    "quarantined\" status=%d code=%s message=\"%.200s\"",
		    u->camera, it->kind, (unsigned long long)it->seq, status,
		    httpc_error_code(resp), httpc_error_message(resp));
		v = UP_REFUSED;
	}
	json_decref(resp);
	return v;
}

static void *
uploader_main(void *cookie)
{
	struct uploader *u = cookie;
	struct spool_item it;
	size_t n;

	while (!atomic_load(&u->cancel)) {
		if (spool_take(u->spool, &it, 500) == 0) {
			spool_stats(u->spool, &n, NULL);
			if (atomic_load(&u->draining) && n == 0)
				break;
			continue;
		}
		switch (upload_one(u, &it)) {
		case UP_DONE:
			spool_ack(u->spool, &it);
			atomic_fetch_add(&u->done, 1);
			backoff_reset(&u->bo);
			break;
		case UP_REFUSED:
			spool_quarantine(u->spool, &it);
			break;
		case UP_RETRY:
			spool_release(u->spool, &it);
			pause_ms(u, backoff_next(&u->bo));
			break;
		case UP_UNAUTH:
			spool_release(u->spool, &it);
			pause_ms(u, UPLOADER_UNAUTH_WAIT_MS);
			break;
		}
	}
	return NULL;
}

struct uploader *
uploader_start(const char *server_url, const char *token, struct spool *spool,
    const char *camera)
{
	struct uploader *u;

	if ((u = calloc(1, sizeof(*u))) == NULL)
		return NULL;
	u->spool = spool;
	snprintf(u->camera, sizeof(u->camera), "%s", camera);
	backoff_init(&u->bo, BACKOFF_BASE_MS, BACKOFF_CAP_MS);
	if ((u->http = httpc_new(server_url, UPLOADER_TIMEOUT_S)) == NULL ||
	    httpc_set_token(u->http, token) != 0) {
		log_err("upload", "camera=%s msg=\"bad server URL or token\"",
		    camera);
		goto fail;
	}
	httpc_set_abort(u->http, callback_abort, u);
	if (pthread_create(&u->thread, NULL, uploader_main, u) != 0)
		goto fail;
	return u;
fail:
	httpc_free(u->http);
	free(u);
	return NULL;
}

void
uploader_stop(struct uploader *u, int deadline_ms)
{
	int64_t end;
	size_t n;

	if (u == NULL)
		return;
	atomic_store(&u->draining, 1);
	end = mono_ms() + deadline_ms;
	/* Let queued objects go out for a bounded time, then cut. */
	for (;;) {
		spool_stats(u->spool, &n, NULL);
		if (n == 0 || mono_ms() >= end)
			break;
		usleep(50000);
	}
	if (n > 0)
		log_warn("upload", "camera=%s msg=\"stopping with objects still "
		    "spooled; they go out at the next start\" objects=%zu",
		    u->camera, n);
	atomic_store(&u->cancel, 1);
	spool_wake(u->spool);
	pthread_join(u->thread, NULL);
	httpc_free(u->http);
	free(u);
}

uint64_t
uploader_count(struct uploader *u)
{
	return atomic_load(&u->done);
}
