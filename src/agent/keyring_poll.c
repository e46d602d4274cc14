/*
 * keyring_poll — the camera side of keyrings (PROTOCOL.md "Pairing", step 4).
 *
 * Long-polls GET /v1/camera/keyring?after_epoch=N&wait=25 (also the camera's
 * heartbeat). A keyring is accepted only if keyring_verify passes: signed by
 * the owner key pinned at pairing, naming this camera, epoch greater than
 * the last accepted one; and if its log receipt shows it in the
 * transparency log (logcheck.c). The server relays keyrings but cannot make one.
 * Accepted keyrings are persisted, so after a restart the camera records at
 * once with the keyring it had; new segments seal to the new recipients.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "backoff.h"
#include "camera_int.h"
#include "fsutil.h"
#include "httpc.h"
#include "keyring.h"
#include "log.h"
#include "logcheck.h"

#define KP_WAIT_S 25			/* server holds the poll this long */
#define KP_TIMEOUT_S (KP_WAIT_S + 15)
#define KP_KEYRING_MAX KEYRING_MAX_BYTES	/* raw keyring bytes */
#define KP_UNAUTH_WAIT_MS 60000

struct keyring_poll {
	pthread_t thread;
	struct camera *c;
	struct httpc *http;
	atomic_int cancel;
	struct backoff bo;
};

int
keyring_poll_accept(const struct camera *c, const uint8_t *buf, size_t len,
    uint32_t last_epoch, struct camera_recipients *out)
{
	struct keyring kr;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = keyring_verify(buf, len, c->conf.owner_sign_pk, c->camera_id,
	    last_epoch, &kr);
	if (rc != KEYRING_OK) {
		log_warn("keyring", "camera=%s msg=\"keyring refused\" err=\"%s\"",
		    c->conf.id_hex, keyring_strerror(rc));
		return -1;
	}
	if (kr.n == 0 || kr.n > SEG_MAX_RECIPIENTS)
		return -1;
	out->epoch = kr.epoch;
	out->n = kr.n;
	for (unsigned i = 0; i < kr.n; i++)
		memcpy(out->pk[i], kr.r[i].pk, SEG_PK_BYTES);
	return 0;
}

static void
install(struct camera *c, const struct camera_recipients *r)
{
	pthread_mutex_lock(&c->mu);
	c->rcpt = *r;
	pthread_cond_broadcast(&c->cv);
	pthread_mutex_unlock(&c->mu);
	log_info("keyring", "camera=%s msg=\"keyring accepted\" epoch=%u "
	    "recipients=%u", c->conf.id_hex, r->epoch, r->n);
}

static int
callback_abort(void *cookie)
{
	struct keyring_poll *kp = cookie;

	return atomic_load(&kp->cancel) || atomic_load(kp->c->stop);
}

static void
pause_ms(struct keyring_poll *kp, uint32_t ms)
{
	for (uint32_t t = 0; t < ms && !callback_abort(kp); t += 50)
		usleep(50000);
}

/* Handle a 200 answer; 0 if a keyring was accepted. */
static int
take(struct keyring_poll *kp, json_t *resp)
{
	struct camera *c = kp->c;
	struct camera_recipients r;
	const char *b64 = json_string_value(json_object_get(resp, "keyring"));
	uint8_t *buf;
	size_t len;
	char path[CONFIG_PATH_MAX + 16];
	uint32_t last;
	int rc = -1;

	if (b64 == NULL || (buf = malloc(KP_KEYRING_MAX)) == NULL)
		return -1;
	if (sodium_base642bin(buf, KP_KEYRING_MAX, b64, strlen(b64), NULL, &len,
	    NULL, sodium_base64_VARIANT_ORIGINAL) != 0) {
		log_warn("keyring", "camera=%s msg=\"keyring is not base64\"",
		    c->conf.id_hex);
		goto out;
	}
	pthread_mutex_lock(&c->mu);
	last = c->rcpt.epoch;
	pthread_mutex_unlock(&c->mu);
	if (keyring_poll_accept(c, buf, len, last, &r) != 0)
		goto out;
	/* Signed by the owner is not enough: it must be in the log the owner
	 * verifies, or an owner whose device was abused would never see it. */
	if (logcheck_keyring(c->conf.dir, c->conf.id_hex, c->camera_id, kp->http,
	    json_object_get(resp, "log"), buf, len, r.epoch) != 0)
		goto out;
	/* Persist first: after a restart we must not fall back to an older
	 * keyring (it may still name a removed member). */
	snprintf(path, sizeof(path), "%s/keyring", c->conf.dir);
	if (fsutil_write_durable(path, buf, len, 0600) != 0) {
		log_err("keyring", "camera=%s msg=\"cannot persist keyring\"",
		    c->conf.id_hex);
		goto out;
	}
	install(c, &r);
	rc = 0;
out:
	free(buf);
	return rc;
}

static void *
poll_main(void *cookie)
{
	struct keyring_poll *kp = cookie;
	struct camera *c = kp->c;
	char path[128];
	json_t *resp;
	uint32_t epoch;
	int st;

	while (!callback_abort(kp)) {
		pthread_mutex_lock(&c->mu);
		epoch = c->rcpt.epoch;
		pthread_mutex_unlock(&c->mu);
		snprintf(path, sizeof(path), "/v1/camera/keyring?after_epoch=%u"
		    "&wait=%d&log_size=%llu", epoch, KP_WAIT_S,
		    (unsigned long long)logcheck_size(c->conf.dir));
		st = httpc_json(kp->http, "GET", path, NULL, &resp);
		if (st == 200) {
			if (take(kp, resp) == 0)
				backoff_reset(&kp->bo);
			else
				pause_ms(kp, backoff_next(&kp->bo));
		} else if (st == 204) {
			backoff_reset(&kp->bo);
		} else if (st == 401) {
			log_err("keyring", "camera=%s msg=\"server refused the camera "
			    "token\"", c->conf.id_hex);
			pause_ms(kp, KP_UNAUTH_WAIT_MS);
		} else if (!callback_abort(kp)) {
			log_warn("keyring", "camera=%s msg=\"keyring poll failed\" "
			    "status=%d err=\"%s\"", c->conf.id_hex, st,
			    st < 0 ? httpc_errmsg(kp->http) : httpc_error_code(resp));
			pause_ms(kp, backoff_next(&kp->bo));
		}
		json_decref(resp);
	}
	return NULL;
}

struct keyring_poll *
keyring_poll_start(struct camera *c)
{
	struct keyring_poll *kp;
	struct camera_recipients r;
	uint8_t *buf;
	size_t len;

	if ((kp = calloc(1, sizeof(*kp))) == NULL)
		return NULL;
	kp->c = c;
	backoff_init(&kp->bo, BACKOFF_BASE_MS, BACKOFF_CAP_MS);
	/* The keyring accepted before a restart, verified again. */
	if ((buf = malloc(KP_KEYRING_MAX)) != NULL &&
	    config_file_load(c->conf.dir, "keyring", 0, buf, KP_KEYRING_MAX,
	    &len) == 0 && keyring_poll_accept(c, buf, len, 0, &r) == 0)
		install(c, &r);
	free(buf);
	if ((kp->http = httpc_new(c->conf.server, KP_TIMEOUT_S)) == NULL ||
	    httpc_set_token(kp->http, c->token) != 0) {
		log_err("keyring", "camera=%s msg=\"bad server URL or token\"",
		    c->conf.id_hex);
		goto fail;
	}
	httpc_set_abort(kp->http, callback_abort, kp);
	if (pthread_create(&kp->thread, NULL, poll_main, kp) != 0)
		goto fail;
	return kp;
fail:
	httpc_free(kp->http);
	free(kp);
	return NULL;
}

void
keyring_poll_stop(struct keyring_poll *kp)
{
	if (kp == NULL)
		return;
	atomic_store(&kp->cancel, 1);
	pthread_join(kp->thread, NULL);
	httpc_free(kp->http);
	free(kp);
}
