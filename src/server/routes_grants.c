/*
 * routes_grants — consent grants (PROTOCOL.md "Consent grants"): the staff
 * directory, creating a grant, listing and reading grants, revoking.
 * Accesses under a grant are in routes_access.c.
 *
 * PUT /v1/grants/{grant}, in data-flow order:
 *   begin   the owner's published signing key (the grant must verify under it)
 *   data    4-byte length, the signed grant document (bounded, verified as
 *           soon as it is complete), then -- anonymized grants only -- the
 *           sealed derivative, streamed to a blob temp file through the
 *           core library's verify-only opener (signer = the owner's key)
 *   end     the grant's rules against the store: the caller's camera and
 *           its key, an active grantee principal with the keys the grant
 *           names, times, every original object present with the header
 *           hash the grant names; a PENDING row; then on a log worker:
 *           derivative made durable, grant_created appended to the owner's
 *           chain (durable), row ACTIVE -> 201 with the log receipt.
 * A grant is never served before its log entry exists, and a failure at
 * any step leaves nothing usable (the row is deleted, the temp file gone).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "auth.h"
#include "blob.h"
#include "codec.h"
#include "fsutil.h"
#include "grant.h"
#include "http.h"
#include "jsonv.h"
#include "log.h"
#include "seg.h"
#include "server.h"
#include "staff.h"
#include "store.h"
#include "tlogsrv.h"

/* How far a grant's creation time may be from the server's clock. */
#define CREATED_SKEW_MS (15 * 60 * 1000)

/* --- the staff directory ------------------------------------------------------ */

struct dir {
	json_t *arr;
};

static int
callback_principal(void *cookie, const struct store_staff *p)
{
	struct dir *d = cookie;

	/* Only logged states: the record shown is the one in the log. */
	if (p->state != STORE_STAFF_ACTIVE && p->state != STORE_STAFF_REMOVED)
		return 0;
	return json_array_append_new(d->arr, json_pack("{s:o, s:s, s:s, s:o, s:o, s:s, s:o}",
	    "principal_id", jv_hexstr(p->principal_id, STORE_ID_LEN),
	    "role", staff_role_name((unsigned)p->role), "name", p->name,
	    "box_pk", jv_hexstr(p->box_pk, STORE_PK_LEN),
	    "sign_pk", jv_hexstr(p->sign_pk, STORE_PK_LEN),
	    "state", p->state == STORE_STAFF_ACTIVE ? "active" : "removed",
	    "record", jv_b64str(p->record, p->record_len))) == 0 ? 0 : -1;
}

/*
 * GET /v1/staff — every principal's latest directory record, and the
 * directory's chain in the log with proofs (as /v1/me/log), so a client
 * checks that each record is the latest logged one for its principal.
 */
void
h_staff_dir(struct req *rq)
{
	struct dir d = { json_array() };
	json_t *o;

	if (d.arr == NULL || store_staff_list(rq->srv->store, 0, callback_principal, &d) != 0) {
		json_decref(d.arr);
		http_error(rq, 500, "internal", "store unavailable");
		return;
	}
	if ((o = routes_log_chain(rq, TLOG_STAFF_DIRECTORY)) == NULL) {
		json_decref(d.arr);
		return;
	}
	json_object_set_new(o, "principals", d.arr);
	http_reply_json(rq, 200, o);
}

/* --- creating a grant ------------------------------------------------------------ */

struct gcreate {
	uint8_t owner_pk[STORE_PK_LEN];  /* the caller's published signing key */
	uint8_t lenbuf[4];
	size_t lengot;
	uint8_t *doc;
	size_t doclen, docgot;
	struct grant g;                  /* verified document (once complete) */
	int have_grant;
	struct seg_opener *op;           /* anonymized: the derivative */
	int fd;
	char tmp[BLOB_TMP_PATH_MAX];     /* "" once put or discarded */
	uint64_t dgot;
	/* filled by the log job */
	int done;
	unsigned status;
	const char *code, *msg;
	struct tlogsrv_receipt rc;
};

static void
gcreate_free(struct req *rq)
{
	struct gcreate *c = rq->state;

	if (c == NULL)
		return;
	seg_opener_free(c->op);
	if (c->fd >= 0)
		close(c->fd);
	if (c->tmp[0] != '\0')
		blob_tmp_discard(rq->srv->blob, c->tmp);
	grant_clear(&c->g);
	free(c->doc);
	free(c);
	rq->state = NULL;
}

int
h_grant_create_begin(struct req *rq)
{
	struct store_account a;
	struct gcreate *c;

	if (rq->content_length < 4 + GRANT_FIXED_BYTES + GRANT_SIG_BYTES)
		return http_fail(rq, 400, "bad_grant", "too short to be a grant");
	if (store_account_get(rq->srv->store, rq->who.account_id, &a) != STORE_OK)
		return http_fail(rq, 500, "internal", "store unavailable");
	if (!a.has_vault)
		return http_fail(rq, 400, "bad_grant", "publish your vault keys first"
		    " (PUT /v1/me/vault): grants are signed with them");
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return http_fail(rq, 500, "internal", "out of memory");
	c->fd = -1;
	memcpy(c->owner_pk, a.sign_pk, STORE_PK_LEN);
	rq->state = c;
	rq->state_free = gcreate_free;
	return 0;
}

/* The document is complete: verify it, and prepare for a derivative. */
static int
doc_complete(struct req *rq, struct gcreate *c)
{
	struct seg_expect e;
	int r = grant_verify(c->doc, c->doclen, c->owner_pk, &c->g);

	if (r == GRANT_EWRONGOWNER || r == GRANT_EBADSIG)
		return http_fail(rq, 400, "bad_signature", "the grant is not signed by your"
		    " published signing key");
	if (r != GRANT_OK)
		return http_fail(rq, 400, "bad_grant", "%s", grant_strerror(r));
	if (sodium_memcmp(c->g.grant_id, rq->params.grant, GRANT_ID_BYTES) != 0)
		return http_fail(rq, 400, "bad_grant", "the grant's id is not the one in the path");
	c->have_grant = 1;
	if (c->g.mode != GRANT_MODE_ANONYMIZED)
		return 0;
	/* The derivative is signed by the owner's key, as its "camera". */
	memset(&e, 0, sizeof(e));
	e.camera_pk = c->owner_pk;
	e.kind = SEG_KIND_DERIVATIVE;
	e.check_seq = 1;
	e.seq = c->g.obj[0].seq;
	if ((c->op = seg_opener_new(&e, NULL, NULL, NULL, NULL)) == NULL)
		return http_fail(rq, 500, "internal", "cannot start verification");
	if ((c->fd = blob_tmp(rq->srv->blob, c->tmp)) < 0) {
		c->tmp[0] = '\0';
		return http_fail(rq, 503, "internal", "blob store unavailable");
	}
	return 0;
}

int
h_grant_create_data(struct req *rq, const uint8_t *buf, size_t len)
{
	struct gcreate *c = rq->state;
	size_t take;
	int r;

	/* 1. The document's length. */
	if (c->lengot < 4) {
		take = len < 4 - c->lengot ? len : 4 - c->lengot;
		memcpy(c->lenbuf + c->lengot, buf, take);
		c->lengot += take;
		buf += take;
		len -= take;
		if (c->lengot < 4)
			return 0;
		c->doclen = codec_get_be32(c->lenbuf);
		if (c->doclen < GRANT_FIXED_BYTES + GRANT_SIG_BYTES ||
		    c->doclen > GRANT_MAX_BYTES || 4 + c->doclen > rq->content_length)
			return http_fail(rq, 400, "bad_grant", "the grant document's length"
			    " is out of bounds");
		if ((c->doc = malloc(c->doclen)) == NULL)
			return http_fail(rq, 500, "internal", "out of memory");
	}
	/* 2. The document. */
	if (c->docgot < c->doclen) {
		take = len < c->doclen - c->docgot ? len : c->doclen - c->docgot;
		memcpy(c->doc + c->docgot, buf, take);
		c->docgot += take;
		buf += take;
		len -= take;
		if (c->docgot < c->doclen)
			return 0;
		if (doc_complete(rq, c) != 0)
			return -1;
	}
	if (len == 0)
		return 0;
	/* 3. The derivative (anonymized grants only). */
	if (c->op == NULL)
		return http_fail(rq, 400, "bad_request", "an original grant carries no"
		    " derivative: nothing may follow the document");
	c->dgot += len;
	if ((r = seg_opener_write(c->op, buf, len)) != SEG_OK)
		return http_fail(rq, 400, "bad_container", "the derivative is not a well-formed"
		    " sealed object signed by your key: %s", seg_strerror(r));
	if (fsutil_write_all(c->fd, buf, len) != 0)
		return http_fail(rq, 503, "internal", "cannot store the derivative now");
	return 0;
}

/* Does the stored object's header hash to what the grant names? */
static int
header_matches(struct server *srv, const struct store_object *o, const uint8_t want[32])
{
	uint8_t buf[SEG_HEADER_MAX];
	struct seg_header h;
	uint64_t size;
	ssize_t n;
	int fd = -1, ok = 0;

	if (blob_get(srv->blob, o->blob_key, &fd, &size) != 0)
		return 0;
	n = pread(fd, buf, sizeof(buf), 0);
	if (n > 0 && seg_header_parse(buf, (size_t)n, &h) == SEG_OK)
		ok = sodium_memcmp(h.hash, want, 32) == 0;
	close(fd);
	return ok;
}

/* The grant's rules against what the server knows; 0, or -1 answered. */
static int
check_grant(struct req *rq, const struct grant *g)
{
	struct server *srv = rq->srv;
	struct store_camera cam;
	struct store_staff sp;
	struct store_object o;
	int64_t now = http_now_ms();
	int r, is_owner = 0;

	r = store_camera_access(srv->store, g->camera_id, rq->who.account_id, &is_owner);
	if (r == STORE_NOTFOUND || (r == STORE_OK && !is_owner)) {
		http_error(rq, 404, "not_found", "no such camera of yours");
		return -1;
	}
	if (r != STORE_OK || store_camera_get(srv->store, g->camera_id, &cam) != STORE_OK)
		goto internal;
	if (sodium_memcmp(cam.pk, g->camera_pk, 32) != 0) {
		http_error(rq, 400, "bad_grant", "the grant names another key for this camera");
		return -1;
	}
	r = store_staff_get(srv->store, g->grantee_id, &sp);
	if (r != STORE_OK && r != STORE_NOTFOUND)
		goto internal;
	if (r == STORE_NOTFOUND || sp.state != STORE_STAFF_ACTIVE ||
	    sodium_memcmp(sp.box_pk, g->grantee_box_pk, 32) != 0 ||
	    sodium_memcmp(sp.sign_pk, g->grantee_sign_pk, 32) != 0) {
		http_error(rq, 400, "bad_grant", "the grantee is not an active staff principal"
		    " of this server's directory");
		return -1;
	}
	if ((int64_t)g->expires_ms <= now) {
		http_error(rq, 400, "bad_grant", "the grant has already expired");
		return -1;
	}
	if ((int64_t)g->created_ms > now + CREATED_SKEW_MS ||
	    (int64_t)g->created_ms < now - CREATED_SKEW_MS) {
		http_error(rq, 400, "bad_grant", "the grant's creation time is more than 15"
		    " minutes from the server's clock");
		return -1;
	}
	if (g->until_ms - g->from_ms > (uint64_t)srv->cfg->grant_max_range_ms) {
		http_error(rq, 400, "bad_grant", "the grant covers more than this server's"
		    " maximum of %" PRId64 " s of footage (grants are clip-sized)",
		    srv->cfg->grant_max_range_ms / 1000);
		return -1;
	}
	if (g->expires_ms - g->created_ms > (uint64_t)srv->cfg->grant_max_expiry_ms) {
		http_error(rq, 400, "bad_grant", "the grant stays valid longer than this"
		    " server's maximum of %" PRId64 " days", srv->cfg->grant_max_expiry_ms / 86400000);
		return -1;
	}
	if (g->mode != GRANT_MODE_ORIGINAL)
		return 0;
	for (unsigned i = 0; i < g->n; i++) {
		r = store_object_get(srv->store, g->camera_id, g->obj[i].kind, g->obj[i].seq, &o);
		if (r != STORE_OK && r != STORE_NOTFOUND)
			goto internal;
		if (r == STORE_NOTFOUND || !header_matches(srv, &o, g->obj[i].header_hash)) {
			http_error(rq, 400, "bad_grant", "segment %" PRIu64 " is not stored as"
			    " the grant names it", g->obj[i].seq);
			return -1;
		}
		if (o.start_ms >= (int64_t)g->until_ms ||
		    o.start_ms + o.duration_ms <= (int64_t)g->from_ms) {
			http_error(rq, 400, "bad_grant", "segment %" PRIu64 " lies outside the"
			    " grant's range", g->obj[i].seq);
			return -1;
		}
	}
	return 0;
internal:
	http_error(rq, 500, "internal", "store unavailable");
	return -1;
}

/* On a log worker: derivative durable, then the log, then the grant usable. */
static void
job_grant(struct req *rq)
{
	struct server *srv = rq->srv;
	struct gcreate *c = rq->state;
	uint8_t key[BLOB_KEY_LEN];
	int have_blob = 0;

	c->done = 1;
	c->status = 503;
	c->code = "internal";
	c->msg = "cannot store the grant now; nothing was granted";
	if (c->op != NULL) {
		blob_key_new(key);
		if (blob_put(srv->blob, key, c->fd, c->tmp) != 0) {
			c->tmp[0] = '\0';
			goto fail;
		}
		c->tmp[0] = '\0';
		have_blob = 1;
	}
	if (tlogsrv_log_grant(srv->tlog, rq->who.account_id, 0, c->g.grant_id,
	    c->g.grantee_id, c->doc, c->doclen, &c->rc) != 0) {
		c->msg = "the transparency log cannot take the grant now; nothing was granted";
		goto fail;
	}
	/* Logged: from here the grant exists; a crash before the row is
	 * activated leaves a logged grant nobody can use (never the reverse). */
	if (store_grant_activate(srv->store, c->g.grant_id, have_blob ? key : NULL,
	    c->dgot) != STORE_OK) {
		c->status = 500;
		c->msg = "the grant is logged but could not be activated";
		return;
	}
	c->status = 201;
	return;
fail:
	(void)store_grant_delete_pending(srv->store, c->g.grant_id);
	if (have_blob)
		(void)blob_delete(srv->blob, key);
}

void
h_grant_create(struct req *rq)
{
	struct gcreate *c = rq->state;
	const struct seg_header *h;
	struct store_grant row;
	int r;

	if (c->done) {
		if (c->status == 201)
			http_reply_json(rq, 201, json_pack("{s:o, s:o}", "grant_id",
			    jv_hexstr(c->g.grant_id, GRANT_ID_BYTES), "log",
			    tlogsrv_receipt_json(&c->rc)));
		else
			http_error(rq, c->status, c->code, "%s", c->msg);
		return;
	}
	if (!c->have_grant) {
		http_error(rq, 400, "bad_grant", "the body ends inside the grant document");
		return;
	}
	if (c->op != NULL) {
		if ((r = seg_opener_finish(c->op)) != SEG_OK) {
			http_error(rq, 400, r == SEG_EBADSIG ? "bad_signature" : "bad_container",
			    "the derivative does not verify under your key: %s", seg_strerror(r));
			return;
		}
		h = seg_opener_header(c->op);
		if (sodium_memcmp(h->hash, c->g.obj[0].header_hash, 32) != 0) {
			http_error(rq, 400, "bad_grant", "the derivative is not the one the grant names");
			return;
		}
	} else if (c->g.mode == GRANT_MODE_ANONYMIZED || c->dgot > 0) {
		http_error(rq, 400, "bad_grant", "an anonymized grant needs its derivative");
		return;
	}
	if (check_grant(rq, &c->g) != 0)
		return;
	memset(&row, 0, sizeof(row));
	memcpy(row.id, c->g.grant_id, STORE_ID_LEN);
	memcpy(row.owner, rq->who.account_id, STORE_ID_LEN);
	memcpy(row.camera_id, c->g.camera_id, STORE_ID_LEN);
	memcpy(row.grantee, c->g.grantee_id, STORE_ID_LEN);
	row.mode = c->g.mode;
	row.from_ms = (int64_t)c->g.from_ms;
	row.until_ms = (int64_t)c->g.until_ms;
	row.created_ms = (int64_t)c->g.created_ms;
	row.expires_ms = (int64_t)c->g.expires_ms;
	row.doc = c->doc;
	row.doc_len = c->doclen;
	r = store_grant_create(rq->srv->store, &row);
	if (r == STORE_EXISTS) {
		http_error(rq, 409, "conflict", "a grant with this id exists");
		return;
	}
	if (r != STORE_OK) {
		http_error(rq, 500, "internal", "store unavailable");
		return;
	}
	tlogsrv_defer(rq->srv->tlog, rq, job_grant);
}

/* --- reading grants ------------------------------------------------------------- */

static const char *
state_name(const struct store_grant *g, int64_t now)
{
	if (g->state == STORE_GRANT_REVOKED)
		return "revoked";
	return g->expires_ms <= now ? "expired" : "active";
}

static json_t *
grant_json(struct server *srv, const struct store_grant *g)
{
	uint64_t n = 0;

	(void)store_access_count(srv->store, g->id, &n);
	return json_pack("{s:o, s:o, s:o, s:s, s:I, s:I, s:I, s:I, s:s, s:I, s:o, s:o}",
	    "grant_id", jv_hexstr(g->id, STORE_ID_LEN),
	    "camera_id", jv_hexstr(g->camera_id, STORE_ID_LEN),
	    "grantee", jv_hexstr(g->grantee, STORE_ID_LEN),
	    "mode", grant_mode_name((unsigned)g->mode),
	    "from_ms", (json_int_t)g->from_ms, "until_ms", (json_int_t)g->until_ms,
	    "created_ms", (json_int_t)g->created_ms, "expires_ms", (json_int_t)g->expires_ms,
	    "state", state_name(g, http_now_ms()), "accesses", (json_int_t)n,
	    "grant", jv_b64str(g->doc, g->doc_len),
	    "revocation", g->has_revocation ?
	    jv_b64str(g->revocation, STORE_REVOCATION_LEN) : json_null());
}

struct glist {
	struct server *srv;
	json_t *arr;
};

static int
callback_grant(void *cookie, const struct store_grant *g)
{
	struct glist *l = cookie;

	return json_array_append_new(l->arr, grant_json(l->srv, g)) == 0 ? 0 : -1;
}

/* GET /v1/grants — an owner's grants, or a staff principal's. */
void
h_grants_list(struct req *rq)
{
	struct glist l = { rq->srv, json_array() };
	int r = 0;

	if (l.arr == NULL) {
		http_error(rq, 500, "internal", "out of memory");
		return;
	}
	if (rq->who.kind == PRINCIPAL_USER)
		r = store_grant_list(rq->srv->store, rq->who.account_id, NULL, callback_grant, &l);
	else if (rq->who.has_principal)
		r = store_grant_list(rq->srv->store, NULL, rq->who.principal_id, callback_grant, &l);
	if (r != 0) {
		json_decref(l.arr);
		http_error(rq, 500, "internal", "store unavailable");
		return;
	}
	http_reply_json(rq, 200, json_pack("{s:o}", "grants", l.arr));
}

/* The receipt of one of the owner's grant entries, as JSON (null if none). */
static json_t *
receipt_of(struct server *srv, const struct store_grant *g, int type,
    const uint8_t *doc, size_t len)
{
	struct tlogsrv_receipt *rc = malloc(sizeof(*rc));
	uint8_t log_id[STORE_ID_LEN], c[32];
	json_t *j = NULL;

	grant_commitment(doc, len, c);
	if (rc != NULL && store_log_id(srv->store, g->owner, log_id) == 0 &&
	    tlogsrv_find_receipt(srv->tlog, log_id, type, g->id, 0, c, rc) == 1)
		j = tlogsrv_receipt_json(rc);
	free(rc);
	return j != NULL ? j : json_null();
}

/* GET /v1/grants/{grant} — the grant with the receipts of its log entries. */
void
h_grant_get(struct req *rq)
{
	struct server *srv = rq->srv;
	struct store_grant g;
	json_t *o;

	if (store_grant_get(srv->store, rq->params.grant, &g) != STORE_OK) {
		http_error(rq, 500, "internal", "store unavailable");
		return;
	}
	o = grant_json(srv, &g);
	if (o != NULL) {
		json_object_set_new(o, "log", receipt_of(srv, &g, TLOG_E_GRANT_CREATED,
		    g.doc, g.doc_len));
		json_object_set_new(o, "revocation_log", g.has_revocation ?
		    receipt_of(srv, &g, TLOG_E_GRANT_REVOKED, g.revocation,
		    STORE_REVOCATION_LEN) : json_null());
		json_object_set_new(o, "derivative_size", json_integer((json_int_t)g.blob_size));
	}
	store_grant_clear(&g);
	http_reply_json(rq, 200, o);
}

/* --- revoking -------------------------------------------------------------------- */

struct grevoke {
	uint8_t rev[GRANT_REVOCATION_BYTES];
	struct grant_revocation r;
	uint8_t grantee[STORE_ID_LEN];
	int done;
	unsigned status;
	const char *code, *msg;
	struct tlogsrv_receipt rc;
};

static void
grevoke_free(struct req *rq)
{
	free(rq->state);
	rq->state = NULL;
}

static void
job_revoke(struct req *rq)
{
	struct server *srv = rq->srv;
	struct grevoke *v = rq->state;
	int r;

	v->done = 1;
	v->status = 503;
	v->code = "internal";
	v->msg = "the transparency log cannot take the revocation now; the grant stays active";
	if (tlogsrv_log_grant(srv->tlog, rq->who.account_id, 1, v->r.grant_id, v->grantee,
	    v->rev, sizeof(v->rev), &v->rc) != 0)
		return;
	r = store_grant_revoke(srv->store, v->r.grant_id, v->rev, (int64_t)v->r.revoked_ms);
	if (r == STORE_CONFLICT) {
		v->status = 409;
		v->code = "conflict";
		v->msg = "the grant was revoked meanwhile";
		return;
	}
	if (r != STORE_OK) {
		v->status = 500;
		v->msg = "the revocation is logged but could not be recorded";
		return;
	}
	v->status = 200;
}

/* POST /v1/grants/{grant}/revoke {"revocation": base64} */
void
h_grant_revoke(struct req *rq)
{
	struct server *srv = rq->srv;
	struct grevoke *v = rq->state;
	struct store_account a;
	struct store_grant g;
	size_t len = 0;
	int r;

	if (v != NULL && v->done) {
		if (v->status == 200)
			http_reply_json(rq, 200, json_pack("{s:s, s:o}", "state", "revoked",
			    "log", tlogsrv_receipt_json(&v->rc)));
		else
			http_error(rq, v->status, v->code, "%s", v->msg);
		return;
	}
	if ((v = calloc(1, sizeof(*v))) == NULL) {
		http_error(rq, 500, "internal", "out of memory");
		return;
	}
	rq->state = v;
	rq->state_free = grevoke_free;
	if (jv_base64(rq, rq->json, "revocation", v->rev, sizeof(v->rev), &len) != 0)
		return;
	if (store_account_get(srv->store, rq->who.account_id, &a) != STORE_OK ||
	    store_grant_get(srv->store, rq->params.grant, &g) != STORE_OK) {
		http_error(rq, 500, "internal", "store unavailable");
		return;
	}
	memcpy(v->grantee, g.grantee, STORE_ID_LEN);
	r = !a.has_vault ? GRANT_EWRONGOWNER :
	    grant_revocation_verify(v->rev, len, a.sign_pk, &v->r);
	if (r == GRANT_OK && sodium_memcmp(v->r.grant_id, g.id, STORE_ID_LEN) != 0)
		r = GRANT_EMALFORMED;
	if (r != GRANT_OK) {
		store_grant_clear(&g);
		if (r == GRANT_EMALFORMED)
			http_error(rq, 400, "bad_request", "field 'revocation': not a revocation"
			    " of this grant");
		else
			http_error(rq, 400, "bad_signature", "the revocation is not signed by your"
			    " published signing key");
		return;
	}
	if (g.state == STORE_GRANT_REVOKED) {
		store_grant_clear(&g);
		http_error(rq, 409, "conflict", "the grant is already revoked");
		return;
	}
	store_grant_clear(&g);
	tlogsrv_defer(srv->tlog, rq, job_revoke);
}
