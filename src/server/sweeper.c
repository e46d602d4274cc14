#include "sweeper.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "blob.h"
#include "http.h"
#include "log.h"
#include "metrics.h"
#include "server.h"
#include "store.h"

#define SWEEP_BATCH 500
#define SESSION_KEEP_MS (7ll * 86400000)   /* expired sessions answer session_expired this long */
#define PAIRING_KEEP_MS (86400000ll)
#define ORPHAN_AGE_S 3600                  /* an upload is never this slow */

struct sweeper {
	struct server *srv;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int stop, kicked;
};

struct ids {
	uint8_t (*v)[STORE_ID_LEN];
	size_t n, cap;
};

static int
callback_camera(void *cookie, const uint8_t id[STORE_ID_LEN])
{
	struct ids *ids = cookie;

	if (ids->n == ids->cap) {
		size_t cap = ids->cap ? ids->cap * 2 : 64;
		void *nv = realloc(ids->v, cap * STORE_ID_LEN);
		if (nv == NULL)
			return -1;
		ids->v = nv;
		ids->cap = cap;
	}
	memcpy(ids->v[ids->n++], id, STORE_ID_LEN);
	return 0;
}

struct keys {
	uint8_t v[SWEEP_BATCH][STORE_HASH_LEN];
	size_t n;
};

static int
callback_key(void *cookie, const uint8_t key[STORE_HASH_LEN])
{
	struct keys *k = cookie;

	if (k->n == SWEEP_BATCH)
		return -1;
	memcpy(k->v[k->n++], key, STORE_HASH_LEN);
	return 0;
}

/* Delete trashed blobs (unless re-referenced), then forget the keys. */
static void
empty_trash(struct server *srv)
{
	struct keys *k = malloc(sizeof(*k));

	if (k == NULL)
		return;
	do {
		k->n = 0;
		if (store_trash_list(srv->store, SWEEP_BATCH, callback_key, k) != 0)
			break;
		for (size_t i = 0; i < k->n; i++) {
			int ref = store_blob_referenced(srv->store, k->v[i]);
			if (ref < 0)
				goto out;
			if (ref == 0) {
				if (blob_delete(srv->blob, k->v[i]) != 0)
					goto out;
				metrics_add(M_BLOBS_DELETED, 1);
			}
			if (store_trash_remove(srv->store, k->v[i]) != 0)
				goto out;
		}
	} while (k->n == SWEEP_BATCH);
out:
	free(k);
}

struct orphans {
	struct server *srv;
	unsigned n;
};

static int
callback_orphan(void *cookie, const uint8_t key[STORE_HASH_LEN])
{
	struct orphans *o = cookie;

	if (store_blob_referenced(o->srv->store, key) == 0 &&
	    blob_delete(o->srv->blob, key) == 0)
		o->n++;
	return 0;
}

void
sweeper_run_once(struct server *srv, int orphans)
{
	int64_t now = http_now_ms();
	struct ids ids = { 0 };
	uint64_t sessions = 0;
	unsigned removed = 0;

	(void)store_session_purge(srv->store, now - SESSION_KEEP_MS, &sessions);
	(void)store_pairing_purge(srv->store, now - PAIRING_KEEP_MS);
	if (store_retention_cameras(srv->store, callback_camera, &ids) == 0) {
		for (size_t i = 0; i < ids.n && !atomic_load(&srv->stopping); i++) {
			unsigned n;
			do {
				if (store_retention_apply(srv->store, ids.v[i], now,
				    SWEEP_BATCH, &n) != 0)
					break;
				removed += n;
			} while (n == SWEEP_BATCH);
		}
	}
	free(ids.v);
	metrics_add(M_SWEEP_DELETED, removed);
	empty_trash(srv);
	if (orphans) {
		struct orphans o = { srv, 0 };
		(void)blob_scan(srv->blob, (int64_t)time(NULL) - ORPHAN_AGE_S,
		    callback_orphan, &o);
		if (o.n > 0)
			log_info("sweeper", "action=orphans deleted=%u", o.n);
	}
	if (removed > 0 || sessions > 0)
		log_info("sweeper", "retention_deleted=%u sessions_purged=%llu", removed,
		    (unsigned long long)sessions);
}

static void *
sweeper_main(void *arg)
{
	struct sweeper *sw = arg;
	time_t last_orphans = time(NULL);

	pthread_mutex_lock(&sw->mu);
	while (!sw->stop) {
		struct timespec until;
		int orphans;

		pthread_mutex_unlock(&sw->mu);
		orphans = time(NULL) - last_orphans >= ORPHAN_AGE_S;
		if (orphans)
			last_orphans = time(NULL);
		sweeper_run_once(sw->srv, orphans);
		pthread_mutex_lock(&sw->mu);
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += sw->srv->cfg->sweep_interval_s ? sw->srv->cfg->sweep_interval_s : 1;
		while (!sw->stop && !sw->kicked &&
		    pthread_cond_timedwait(&sw->cv, &sw->mu, &until) == 0)
			;
		sw->kicked = 0;
	}
	pthread_mutex_unlock(&sw->mu);
	return NULL;
}

struct sweeper *
sweeper_start(struct server *srv)
{
	struct sweeper *sw = calloc(1, sizeof(*sw));

	if (sw == NULL)
		return NULL;
	sw->srv = srv;
	pthread_mutex_init(&sw->mu, NULL);
	pthread_cond_init(&sw->cv, NULL);
	if (pthread_create(&sw->thread, NULL, sweeper_main, sw) != 0) {
		free(sw);
		return NULL;
	}
	return sw;
}

void
sweeper_kick(struct sweeper *sw)
{
	if (sw == NULL)
		return;
	pthread_mutex_lock(&sw->mu);
	sw->kicked = 1;
	pthread_cond_signal(&sw->cv);
	pthread_mutex_unlock(&sw->mu);
}

void
sweeper_stop(struct sweeper *sw)
{
	if (sw == NULL)
		return;
	pthread_mutex_lock(&sw->mu);
	sw->stop = 1;
	pthread_cond_signal(&sw->cv);
	pthread_mutex_unlock(&sw->mu);
	pthread_join(sw->thread, NULL);
	pthread_mutex_destroy(&sw->mu);
	pthread_cond_destroy(&sw->cv);
	free(sw);
}
