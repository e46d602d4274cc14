/*
 * routes_cameras — pairing a camera, cameras, keyrings, retention, and the
 * cameras' keyring long-poll.
 *
 * The server cannot make a keyring: it checks the owner's signature (under
 * the owner's published vault signing key) and that the epoch grows, and
 * stores the bytes; agents and clients verify again with keys they pinned.
 */
#include <sodium.h>
#include <string.h>

#include "auth.h"
#include "http.h"
#include "jsonv.h"
#include "keyring.h"
#include "log.h"
#include "pairing.h"
#include "seg.h"
#include "server.h"
#include "store.h"
#include "sweeper.h"
#include "tlog_store.h"
#include "tlogsrv.h"
#include "wait.h"

#define PAIRINGS_PENDING_MAX 20
#define ONLINE_MS 30000          /* "online" = seen within 30 s */
#define TOUCH_MS 5000            /* write last_seen at most this often */
#define LONGPOLL_MAX_S 30

/* A camera name: 1..64 bytes of UTF-8 without control characters. */
static int
name_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > PAIRING_NAME_MAX)
		return 0;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return 0;
	/* Valid UTF-8: let jansson's decoder have checked it (JSON input is
	 * UTF-8 by the time it is a string). */
	return 1;
}

void
h_pairing_create(struct req *rq)
{
	struct store_pairing p;
	const char *name;
	int64_t now = http_now_ms();
	int r;

	memset(&p, 0, sizeof(p));
	if (jv_hex(rq, rq->json, "pairing_id", p.id, sizeof(p.id)) != 0 ||
	    jv_string(rq, rq->json, "name", 1, PAIRING_NAME_MAX, &name) != 0)
		return;
	if (!name_ok(name)) {
		http_error(rq, 400, "bad_request", "field 'name': 1 to 64 bytes, no control characters");
		return;
	}
	memcpy(p.owner, rq->who.account_id, STORE_ID_LEN);
	memcpy(p.name, name, strlen(name) + 1);
	p.expires_ms = now + rq->srv->cfg->pairing_ttl_ms;
	r = store_pairing_create(rq->srv->store, &p, PAIRINGS_PENDING_MAX, now);
	if (r == STORE_EXISTS) {
		http_error(rq, 409, "conflict", "this pairing id is already in use");
		return;
	}
	if (r == STORE_CONFLICT) {
		http_error(rq, 409, "conflict", "too many pending pairings (at most %d)",
		    PAIRINGS_PENDING_MAX);
		return;
	}
	if (r != STORE_OK) {
		http_error(rq, 500, "internal", "store unavailable");
		return;
	}
	http_reply_json(rq, 201, json_pack("{s:I}", "expires_ms", (json_int_t)p.expires_ms));
}

void
h_pairing_get(struct req *rq)
{
	struct store_pairing p;
	json_t *o;

	/* auth.c checked that this user created it. */
	if (store_pairing_get(rq->srv->store, rq->params.pairing_id, &p) != STORE_OK) {
		http_error(rq, 404, "not_found", "no such pairing");
		return;
	}
	o = json_pack("{s:s, s:s, s:I}", "status", p.registered ? "registered" : "pending",
	    "name", p.name, "expires_ms", (json_int_t)p.expires_ms);
	if (o != NULL && p.registered) {
		json_object_set_new(o, "camera_id", jv_hexstr(p.camera_id, STORE_ID_LEN));
		json_object_set_new(o, "camera_pk", jv_hexstr(p.camera_pk, STORE_PK_LEN));
		json_object_set_new(o, "proof", jv_hexstr(p.proof, p.proof_len));
	} else if (o != NULL) {
		json_object_set_new(o, "camera_id", json_null());
		json_object_set_new(o, "camera_pk", json_null());
		json_object_set_new(o, "proof", json_null());
	}
	http_reply_json(rq, 200, o);
}

void
h_pairing_register(struct req *rq)
{
	uint8_t cam[STORE_ID_LEN], pk[STORE_PK_LEN], proof[PAIRING_PROOF_BYTES];
	uint8_t expect[SEG_CAMERA_ID_BYTES], hash[STORE_HASH_LEN];
	char token[AUTH_TOKEN_STRLEN];
	int r;

	if (jv_hex(rq, rq->json, "camera_id", cam, sizeof(cam)) != 0 ||
	    jv_hex(rq, rq->json, "camera_pk", pk, sizeof(pk)) != 0 ||
	    jv_hex(rq, rq->json, "proof", proof, sizeof(proof)) != 0)
		return;
	/* The id must be the key's: ids name keys, never the other way. */
	seg_camera_id(pk, expect);
	if (sodium_memcmp(expect, cam, sizeof(cam)) != 0) {
		http_error(rq, 400, "bad_request", "camera_id is not the hash of camera_pk");
		return;
	}
	/* The proof is the owner's to check (it needs the pairing secret);
	 * the server keeps it for them. */
	auth_token_new('c', token, hash);
	r = store_pairing_register(rq->srv->store, rq->params.pairing_id, cam, pk,
	    proof, sizeof(proof), hash, http_now_ms());
	switch (r) {
	case STORE_OK:
		log_info("camera", "action=registered");
		http_reply_json(rq, 201, json_pack("{s:o, s:s, s:s}", "camera_id",
		    jv_hexstr(cam, sizeof(cam)), "camera_token", token,
		    "log_key", tlogsrv_vkey(rq->srv->tlog)));
		break;
	case STORE_NOTFOUND:
		http_error(rq, 404, "not_found", "no such pairing");
		break;
	case STORE_EXPIRED:
		http_error(rq, 410, "pairing_expired", "this pairing expired: start a new one");
		break;
	case STORE_CONFLICT:
		http_error(rq, 409, "conflict", "this pairing was already used");
		break;
	case STORE_EXISTS:
		http_error(rq, 409, "conflict", "this camera key is already paired");
		break;
	default:
		http_error(rq, 500, "internal", "store unavailable");
	}
	sodium_memzero(token, sizeof(token));
}

/* --- cameras ---------------------------------------------------------------- */

static json_t *
camera_json(const struct store_camera *c, int is_owner, const uint8_t *owner_sign_pk)
{
	int64_t now = http_now_ms();
	json_t *latest = json_pack("{s:o, s:o}",
	    "segment_seq", c->latest_segment >= 0 ? json_integer(c->latest_segment) : json_null(),
	    "thumbnail_seq", c->latest_thumbnail >= 0 ? json_integer(c->latest_thumbnail) : json_null());

	return json_pack("{s:o, s:s, s:s, s:o, s:o, s:b, s:I, s:I, s:{s:I, s:I}, s:I, s:o}",
	    "camera_id", jv_hexstr(c->id, STORE_ID_LEN),
	    "name", c->name,
	    "role", is_owner ? "owner" : "member",
	    "camera_pk", jv_hexstr(c->pk, STORE_PK_LEN),
	    "owner_sign_pk", owner_sign_pk ? jv_hexstr(owner_sign_pk, STORE_PK_LEN) : json_null(),
	    "online", c->last_seen_ms > 0 && now - c->last_seen_ms < ONLINE_MS,
	    "last_seen_ms", (json_int_t)c->last_seen_ms,
	    "keyring_epoch", (json_int_t)c->keyring_epoch,
	    "retention", "days", (json_int_t)c->ret_days, "max_bytes", (json_int_t)c->ret_max_bytes,
	    "bytes", (json_int_t)c->bytes,
	    "latest", latest);
}

static int
callback_camera(void *cookie, const struct store_camera *c)
{
	json_t *arr = cookie;

	return json_array_append_new(arr, camera_json(c, c->is_owner,
	    c->owner_has_vault ? c->owner_sign_pk : NULL));
}

void
h_cameras(struct req *rq)
{
	json_t *arr = json_array();

	if (arr == NULL || store_camera_list(rq->srv->store, rq->who.account_id,
	    callback_camera, arr) != 0) {
		json_decref(arr);
		http_error(rq, 500, "internal", "store unavailable");
		return;
	}
	http_reply_json(rq, 200, json_pack("{s:o}", "cameras", arr));
}

void
h_camera_get(struct req *rq)
{
	struct store_camera c;
	struct store_account owner;

	if (store_camera_get(rq->srv->store, rq->params.cam, &c) != STORE_OK ||
	    store_account_get(rq->srv->store, c.owner, &owner) != STORE_OK) {
		http_error(rq, 404, "not_found", "no such resource");
		return;
	}
	http_reply_json(rq, 200, camera_json(&c, rq->who.cam_is_owner,
	    owner.has_vault ? owner.sign_pk : NULL));
}

void
h_camera_delete(struct req *rq)
{
	int r = store_camera_delete(rq->srv->store, rq->params.cam);

	if (r == STORE_NOTFOUND) {
		http_error(rq, 404, "not_found", "no such resource");
		return;
	}
	if (r != STORE_OK) {
		http_error(rq, 500, "internal", "store unavailable");
		return;
	}
	/* Its objects' blobs are in the trash now; the sweeper deletes them. */
	sweeper_kick(rq->srv->sweeper);
	log_info("camera", "action=deleted");
	http_reply_empty(rq, 204);
}

void
h_retention_put(struct req *rq)
{
	uint64_t days, max_bytes;

	if (jv_uint(rq, rq->json, "days", 36500, 1, 0, &days) != 0 ||
	    jv_uint(rq, rq->json, "max_bytes", INT64_MAX, 1, 0, &max_bytes) != 0)
		return;
	if (store_retention_set(rq->srv->store, rq->params.cam, (uint32_t)days,
	    max_bytes) != STORE_OK) {
		http_error(rq, 500, "internal", "store unavailable");
		return;
	}
	sweeper_kick(rq->srv->sweeper);
	http_reply_empty(rq, 204);
}

/* --- keyrings ------------------------------------------------------------------ */

/* Is box_pk one of the keyring's recipients? */
static int
recipient(const struct keyring *kr, const uint8_t box_pk[32])
{
	for (unsigned i = 0; i < kr->n; i++)
		if (sodium_memcmp(kr->r[i].pk, box_pk, 32) == 0)
			return 1;
	return 0;
}

/* A keyring publication waiting for its log entry (tlogsrv_defer). */
struct kr_put {
	uint8_t owner[STORE_ID_LEN];
	uint8_t cam[STORE_ID_LEN];
	uint32_t epoch;
	uint8_t *buf;
	size_t len;
	uint8_t (*members)[STORE_ID_LEN];
	size_t nm;
	int done;
	unsigned status;          /* the answer: 204, or an error below */
	const char *code, *msg;
};

static void
kr_put_free(struct req *rq)
{
	struct kr_put *k = rq->state;

	if (k != NULL) {
		free(k->members);
		free(k->buf);
		free(k);
	}
	rq->state = NULL;
}

/* On a log worker: log first (durable), then make it the camera's keyring.
 * An agent accepts only logged keyrings, and a crash between the two
 * leaves a logged keyring that was never in force -- harmless -- never a
 * keyring in force that is not in the log. */
static void
job_keyring(struct req *rq)
{
	struct server *srv = rq->srv;
	struct kr_put *k = rq->state;
	struct store_camera cam;
	int r;

	k->done = 1;
	k->status = 500;
	k->code = "internal";
	k->msg = "store unavailable";
	/* Another publication may have won meanwhile: do not log a loser. */
	if (store_camera_get(srv->store, k->cam, &cam) != STORE_OK)
		return;
	if (cam.keyring_epoch >= k->epoch) {
		k->status = 409;
		k->code = "epoch_not_greater";
		k->msg = "a newer keyring was published meanwhile";
		return;
	}
	if (tlogsrv_log_keyring(srv->tlog, k->owner, k->cam, k->epoch, k->buf, k->len,
	    NULL) != 0) {
		k->status = 503;
		k->msg = "the transparency log cannot take the keyring now; nothing was published";
		return;
	}
	r = store_keyring_put(srv->store, k->cam, k->epoch, k->buf, k->len,
	    (const uint8_t (*)[STORE_ID_LEN])k->members, k->nm, http_now_ms());
	if (r == STORE_CONFLICT) {
		k->status = 409;
		k->code = "epoch_not_greater";
		k->msg = "a newer keyring was published meanwhile";
		return;
	}
	if (r != STORE_OK)
		return;
	/* Agents long-polling for this camera hear of it now. */
	wait_notify(srv->waits, k->cam);
	log_info("camera", "action=keyring epoch=%u members=%zu", k->epoch, k->nm);
	k->status = 204;
}

void
h_keyring_put(struct req *rq)
{
	struct server *srv = rq->srv;
	struct store_account owner, m;
	struct store_camera cam;
	struct keyring kr;
	struct kr_put *k = rq->state;
	const json_t *jm, *v;
	size_t i;
	int r;

	if (k != NULL && k->done) {             /* resumed: the log has answered */
		if (k->status == 204)
			http_reply_empty(rq, 204);
		else
			http_error(rq, k->status, k->code, "%s", k->msg);
		return;
	}
	if ((k = calloc(1, sizeof(*k))) == NULL) {
		http_error(rq, 500, "internal", "out of memory");
		return;
	}
	rq->state = k;
	rq->state_free = kr_put_free;
	if ((k->buf = malloc(KEYRING_MAX_BYTES)) == NULL ||
	    (k->members = calloc(STORE_MEMBERS_MAX, STORE_ID_LEN)) == NULL) {
		http_error(rq, 500, "internal", "out of memory");
		return;
	}
	if (jv_base64(rq, rq->json, "keyring", k->buf, KEYRING_MAX_BYTES, &k->len) != 0)
		return;
	jm = json_object_get(rq->json, "members");
	if (jm != NULL && (!json_is_array(jm) || json_array_size(jm) > STORE_MEMBERS_MAX)) {
		http_error(rq, 400, "bad_request", "field 'members': an array of at most %d"
		    " account ids", STORE_MEMBERS_MAX);
		return;
	}
	if (store_camera_get(srv->store, rq->params.cam, &cam) != STORE_OK ||
	    store_account_get(srv->store, rq->who.account_id, &owner) != STORE_OK) {
		http_error(rq, 500, "internal", "store unavailable");
		return;
	}
	if (!owner.has_vault) {
		http_error(rq, 400, "bad_keyring", "publish your vault keys first (PUT /v1/me/vault)");
		return;
	}
	/* Signed by the owner's published key, for this camera, newer. */
	r = keyring_verify(k->buf, k->len, owner.sign_pk, cam.id,
	    cam.keyring_epoch > UINT32_MAX ? UINT32_MAX : (uint32_t)cam.keyring_epoch, &kr);
	if (r == KEYRING_EEPOCH) {
		http_error(rq, 409, "epoch_not_greater", "keyring epoch must be greater than %llu",
		    (unsigned long long)cam.keyring_epoch);
		return;
	}
	if (r != KEYRING_OK) {
		http_error(rq, 400, "bad_keyring", "%s", keyring_strerror(r));
		return;
	}
	/* Members: accounts whose published box key the keyring names. */
	json_array_foreach(jm, i, v) {
		uint8_t id[STORE_ID_LEN];
		char hex[2 * STORE_ID_LEN + 1];
		const char *s = json_string_value(v);

		if (s == NULL || strlen(s) != 2 * STORE_ID_LEN ||
		    sodium_hex2bin(id, sizeof(id), s, strlen(s), NULL, NULL, NULL) != 0) {
			http_error(rq, 400, "bad_request", "field 'members': expected 32-hex account ids");
			return;
		}
		auth_hex(id, sizeof(id), hex);
		if (strcmp(hex, s) != 0) {
			http_error(rq, 400, "bad_request", "field 'members': lowercase hex only");
			return;
		}
		if (sodium_memcmp(id, owner.id, STORE_ID_LEN) == 0)
			continue;     /* the owner is not a member of their own camera */
		r = store_account_get(srv->store, id, &m);
		if (r == STORE_NOTFOUND || (r == STORE_OK && (!m.has_vault ||
		    m.role != STORE_ROLE_USER || !recipient(&kr, m.box_pk)))) {
			http_error(rq, 400, "bad_keyring", "member %s has no published key in this"
			    " keyring", s);
			return;
		}
		if (r != STORE_OK) {
			http_error(rq, 500, "internal", "store unavailable");
			return;
		}
		memcpy(k->members[k->nm++], id, STORE_ID_LEN);
	}
	/* Into the log (durable) before it is published: off this thread. */
	memcpy(k->owner, owner.id, STORE_ID_LEN);
	memcpy(k->cam, cam.id, STORE_ID_LEN);
	k->epoch = kr.epoch;
	tlogsrv_defer(srv->tlog, rq, job_keyring);
}

static int
callback_keyring(void *cookie, uint64_t epoch, const uint8_t *kr, size_t len)
{
	return json_array_append_new(cookie, json_pack("{s:I, s:o}", "epoch",
	    (json_int_t)epoch, "keyring", jv_b64str(kr, len)));
}

/*
 * The log receipt of a keyring (PROTOCOL.md "Log receipts"), or NULL if it
 * is not in the log. With ?log_size=M (the last tree size the caller saw),
 * also a consistency proof from M to the receipt's checkpoint ("consistency":
 * null when M is beyond it: the caller must refuse).
 */
static json_t *
keyring_log_json(struct req *rq, const struct store_camera *c, uint64_t epoch,
    const uint8_t *buf, size_t len)
{
	struct tlogsrv_receipt *rc = malloc(sizeof(*rc));
	struct tlog_proof cp;
	const char *ls = http_query(rq, "log_size");
	json_t *o = NULL;
	int64_t m = 0;

	if (rc == NULL || tlogsrv_keyring_receipt(rq->srv->tlog, c->owner, c->id, epoch,
	    buf, len, rc) != 1)
		goto out;
	o = tlogsrv_receipt_json(rc);
	if (o != NULL && ls != NULL) {
		char *end;
		m = strtoll(ls, &end, 10);
		if (*ls == '\0' || *end != '\0' || m < 0)
			m = -1;
		if (m > 0 && (uint64_t)m <= rc->size &&
		    tlog_store_prove_consistency(tlogsrv_store(rq->srv->tlog),
		    (uint64_t)m, rc->size, &cp) == 0)
			json_object_set_new(o, "consistency", tlogsrv_proof_json(&cp));
		else if (m != 0)
			json_object_set_new(o, "consistency", json_null());
	}
out:
	free(rc);
	return o;
}

/* Answer the camera's current keyring: 200 {"epoch", "keyring", "log"}. */
static void
reply_keyring(struct req *rq, const struct store_camera *c)
{
	uint8_t *buf = malloc(KEYRING_MAX_BYTES);
	uint64_t epoch = 0;
	size_t len = 0;
	json_t *o, *lg;
	int r;

	if (buf == NULL) {
		http_error(rq, 500, "internal", "out of memory");
		return;
	}
	r = store_keyring_get(rq->srv->store, c->id, 0, &epoch, buf, KEYRING_MAX_BYTES, &len);
	if (r == STORE_NOTFOUND)
		http_error(rq, 404, "not_found", "no keyring published yet");
	else if (r != STORE_OK)
		http_error(rq, 500, "internal", "store unavailable");
	else {
		o = json_pack("{s:I, s:o}", "epoch", (json_int_t)epoch,
		    "keyring", jv_b64str(buf, len));
		lg = keyring_log_json(rq, c, epoch, buf, len);
		if (o != NULL)
			json_object_set_new(o, "log", lg ? lg : json_null());
		else
			json_decref(lg);
		http_reply_json(rq, 200, o);
	}
	free(buf);
}

void
h_keyring_get(struct req *rq)
{
	const char *all = http_query(rq, "all");
	json_t *arr;

	if (all == NULL || strcmp(all, "1") != 0) {
		struct store_camera c;
		if (store_camera_get(rq->srv->store, rq->params.cam, &c) != STORE_OK) {
			http_error(rq, 404, "not_found", "no such resource");
			return;
		}
		reply_keyring(rq, &c);
		return;
	}
	if ((arr = json_array()) == NULL ||
	    store_keyring_list(rq->srv->store, rq->params.cam, callback_keyring, arr) != 0) {
		json_decref(arr);
		http_error(rq, 500, "internal", "store unavailable");
		return;
	}
	http_reply_json(rq, 200, json_pack("{s:o}", "keyrings", arr));
}

/* GET /v1/camera/keyring?after_epoch=N&wait=S — the agent's heartbeat too. */
void
h_camera_keyring_poll(struct req *rq)
{
	struct server *srv = rq->srv;
	struct store_camera c;
	int64_t after, wait_s, now = http_now_ms();
	uint64_t gen;

	if (jv_query_int(rq, "after_epoch", 0, UINT32_MAX, 0, &after) != 0 ||
	    jv_query_int(rq, "wait", 0, LONGPOLL_MAX_S, 0, &wait_s) != 0)
		return;
	if (!rq->resumed) {
		/* First pass: mark seen (at most every few seconds) and set the
		 * deadline, which stays fixed across spurious wake-ups. */
		if (now - rq->who.camera.last_seen_ms >= TOUCH_MS)
			(void)store_camera_touch(srv->store, rq->who.camera.id, now);
		rq->wdeadline_ms = now + wait_s * 1000;
	}
	for (;;) {
		gen = wait_gen(srv->waits);
		if (store_camera_get(srv->store, rq->who.camera.id, &c) != STORE_OK) {
			http_error(rq, 401, "unauthorized", "camera no longer exists");
			return;
		}
		if (c.keyring_epoch > (uint64_t)after) {
			reply_keyring(rq, &c);
			return;
		}
		if (atomic_load(&srv->stopping) || http_now_ms() >= rq->wdeadline_ms) {
			http_reply_empty(rq, 204);
			return;
		}
		if (wait_park(srv->waits, rq, c.id, rq->wdeadline_ms, gen) == 0)
			return;       /* parked: called again when woken */
	}
}
