/*
 * routes_access — a grantee's access under a grant, and the owner's list
 * of accesses (PROTOCOL.md "Consent grants").
 *
 *   POST /v1/grants/{grant}/access   the grant must be active, unexpired,
 *        and name every object asked for; the access record (which
 *        objects, to whom, when) is appended to the OWNER's log chain and
 *        durable before the answer, which carries the record and its log
 *        receipt (entry + inclusion proof + signed checkpoint): the staff
 *        client decrypts nothing without verifying it.
 *   GET  /v1/grants/{grant}/objects/{kind}/{seq}?access=ID   the sealed
 *        bytes, only for an object of a logged access of this grantee made
 *        in the last ACCESS_TTL, while the grant is still valid.
 *   GET  /v1/me/accesses             every access under the caller's grants,
 *        with its record (the owner's client checks each against the log).
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "accesswatch.h"
#include "auth.h"
#include "blob.h"
#include "grant.h"
#include "http.h"
#include "jsonv.h"
#include "log.h"
#include "seg.h"
#include "server.h"
#include "store.h"
#include "tlogsrv.h"

/* A logged access lets its objects be downloaded for this long. */
#define ACCESS_TTL_MS (15 * 60 * 1000)
#define ACCESS_LIST_MAX 1000

static const char *const kind_names[] = { "", "segment", "event", "thumbnail", "live",
	"derivative" };

/* 0 if the grant may be used now; else answered with the reason. */
static int
usable(struct req *rq, const struct store_grant *g)
{
	if (g->state == STORE_GRANT_REVOKED) {
		http_error(rq, 403, "grant_revoked", "the owner revoked this grant");
		return -1;
	}
	if (g->expires_ms <= http_now_ms()) {
		http_error(rq, 403, "grant_expired", "this grant has expired");
		return -1;
	}
	return 0;
}

struct gaccess {
	struct grant_access a;
	uint8_t owner[STORE_ID_LEN];
	uint8_t record[GRANT_ACCESS_MAX];
	size_t len;
	int done;
	unsigned status;
	const char *msg;
	struct tlogsrv_receipt rc;
};

static void
gaccess_free(struct req *rq)
{
	free(rq->state);
	rq->state = NULL;
}

static int
cmp_obj(const void *x, const void *y)
{
	const struct grant_access_obj *a = x, *b = y;

	if (a->kind != b->kind)
		return a->kind < b->kind ? -1 : 1;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

/* On a log worker: the owner's chain first, then the row, then the owner hears. */
static void
job_access(struct req *rq)
{
	struct server *srv = rq->srv;
	struct gaccess *x = rq->state;
	struct store_access *row = malloc(sizeof(*row));

	x->done = 1;
	x->status = 503;
	x->msg = "the transparency log cannot take the access now; nothing is served";
	if (row == NULL)
		return;
	if (tlogsrv_log_staff_access(srv->tlog, x->owner, x->a.grant_id, x->a.principal_id,
	    x->record, x->len, &x->rc) != 0)
		goto out;
	memset(row, 0, sizeof(*row));
	memcpy(row->id, x->a.access_id, STORE_ID_LEN);
	memcpy(row->grant_id, x->a.grant_id, STORE_ID_LEN);
	memcpy(row->owner, x->owner, STORE_ID_LEN);
	memcpy(row->principal, x->a.principal_id, STORE_ID_LEN);
	row->time_ms = (int64_t)x->a.time_ms;
	row->log_index = x->rc.index;
	memcpy(row->record, x->record, x->len);
	row->record_len = x->len;
	if (store_access_put(srv->store, row) != STORE_OK) {
		x->status = 500;
		x->msg = "the access is logged but could not be recorded; nothing is served";
		goto out;
	}
	accesswatch_notify(srv->watch, x->owner, row->seq);
	x->status = 201;
out:
	free(row);
}

/*
 * POST /v1/grants/{grant}/access {"objects": [{"kind": "segment", "seq": 7}...]}
 * (absent: every object of the grant).
 */
void
h_grant_access(struct req *rq)
{
	struct server *srv = rq->srv;
	struct gaccess *x = rq->state;
	struct store_grant sg;
	struct grant g;
	const json_t *objs, *o;
	size_t i;

	if (x != NULL && x->done) {
		if (x->status == 201)
			http_reply_json(rq, 201, json_pack("{s:o, s:o, s:o}",
			    "access_id", jv_hexstr(x->a.access_id, 16),
			    "record", jv_b64str(x->record, x->len),
			    "log", tlogsrv_receipt_json(&x->rc)));
		else
			http_error(rq, x->status, "internal", "%s", x->msg);
		return;
	}
	if ((x = calloc(1, sizeof(*x))) == NULL) {
		http_error(rq, 500, "internal", "out of memory");
		return;
	}
	rq->state = x;
	rq->state_free = gaccess_free;
	memset(&sg, 0, sizeof(sg));
	if (store_grant_get(srv->store, rq->params.grant, &sg) != STORE_OK) {
		http_error(rq, 500, "internal", "store unavailable");
		return;
	}
	if (usable(rq, &sg) != 0)
		goto out;
	/* The stored document was verified when it was made. */
	if (grant_verify(sg.doc, sg.doc_len, NULL, &g) != GRANT_OK) {
		http_error(rq, 500, "internal", "the stored grant does not verify");
		goto out;
	}
	objs = json_object_get(rq->json, "objects");
	if (objs != NULL && (!json_is_array(objs) || json_array_size(objs) == 0 ||
	    json_array_size(objs) > GRANT_OBJECTS_MAX)) {
		http_error(rq, 400, "bad_request", "field 'objects': 1 to %d objects",
		    GRANT_OBJECTS_MAX);
		goto done;
	}
	if (objs == NULL) {
		for (i = 0; i < g.n; i++)
			x->a.obj[i] = (struct grant_access_obj){ g.obj[i].kind, g.obj[i].seq };
		x->a.n = g.n;
	} else {
		json_array_foreach(objs, i, o) {
			const char *k = json_string_value(json_object_get(o, "kind"));
			const json_t *s = json_object_get(o, "seq");
			uint8_t kind = 0;

			for (uint8_t j = 1; k != NULL && j < 6; j++)
				if (strcmp(k, kind_names[j]) == 0)
					kind = j;
			if (kind == 0 || !json_is_integer(s) || json_integer_value(s) < 0) {
				http_error(rq, 400, "bad_request", "field 'objects': each"
				    " {\"kind\": \"segment\"|\"derivative\", \"seq\": N}");
				goto done;
			}
			x->a.obj[i] = (struct grant_access_obj){ kind,
			    (uint64_t)json_integer_value(s) };
			if (grant_find(&g, kind, x->a.obj[i].seq) == NULL) {
				http_error(rq, 403, "not_granted", "%s %" PRIu64 " is not part"
				    " of this grant", kind_names[kind], x->a.obj[i].seq);
				goto done;
			}
		}
		x->a.n = (unsigned)json_array_size(objs);
		qsort(x->a.obj, x->a.n, sizeof(x->a.obj[0]), cmp_obj);
	}
	randombytes_buf(x->a.access_id, sizeof(x->a.access_id));
	memcpy(x->a.grant_id, g.grant_id, GRANT_ID_BYTES);
	memcpy(x->a.principal_id, rq->who.principal_id, STORE_ID_LEN);
	memcpy(x->a.camera_id, g.camera_id, 16);
	x->a.time_ms = (uint64_t)http_now_ms();
	memcpy(x->owner, sg.owner, STORE_ID_LEN);
	if (grant_access_encode(&x->a, x->record, sizeof(x->record), &x->len) != GRANT_OK) {
		http_error(rq, 400, "bad_request", "field 'objects': an object is listed twice");
		goto done;
	}
	tlogsrv_defer(srv->tlog, rq, job_access);
done:
	grant_clear(&g);
out:
	store_grant_clear(&sg);
}

/* Does a logged, recent access of this grantee cover (kind, seq)? */
static int
covered(struct req *rq, const uint8_t id[16], int kind, uint64_t seq)
{
	struct store_access *row = malloc(sizeof(*row));
	struct grant_access *a = malloc(sizeof(*a));
	int r, ok = 0;

	if (row == NULL || a == NULL)
		goto out;
	r = store_access_get(rq->srv->store, id, row);
	if (r != STORE_OK ||
	    sodium_memcmp(row->grant_id, rq->params.grant, STORE_ID_LEN) != 0 ||
	    sodium_memcmp(row->principal, rq->who.principal_id, STORE_ID_LEN) != 0 ||
	    row->time_ms + ACCESS_TTL_MS < http_now_ms() ||
	    grant_access_parse(row->record, row->record_len, a) != GRANT_OK)
		goto out;
	for (unsigned i = 0; i < a->n && !ok; i++)
		ok = a->obj[i].kind == kind && a->obj[i].seq == seq;
out:
	free(row);
	free(a);
	return ok;
}

/* GET /v1/grants/{grant}/objects/{kind}/{seq}?access=ID */
void
h_grant_object(struct req *rq)
{
	struct server *srv = rq->srv;
	struct store_grant g;
	struct store_object o;
	const char *acc = http_query(rq, "access");
	uint8_t id[16], key[BLOB_KEY_LEN];
	uint64_t size, want;
	int fd = -1, r;

	if (acc == NULL || strlen(acc) != 32 ||
	    sodium_hex2bin(id, sizeof(id), acc, 32, NULL, NULL, NULL) != 0) {
		http_error(rq, 400, "bad_request", "query 'access': the access id (32 hex)"
		    " from POST .../access");
		return;
	}
	memset(&g, 0, sizeof(g));
	if (store_grant_get(srv->store, rq->params.grant, &g) != STORE_OK) {
		http_error(rq, 500, "internal", "store unavailable");
		return;
	}
	if (usable(rq, &g) != 0)
		goto out;
	/* Nothing is served that was not logged as accessed first. */
	if (!covered(rq, id, rq->params.kind, rq->params.seq)) {
		http_error(rq, 403, "not_granted", "no recent logged access of yours covers"
		    " this object (POST .../access first)");
		goto out;
	}
	if (g.mode == GRANT_MODE_ANONYMIZED) {
		if (!g.has_blob) {
			http_error(rq, 404, "not_found", "the derivative is gone");
			goto out;
		}
		memcpy(key, g.blob_key, sizeof(key));
		want = g.blob_size;
	} else {
		r = store_object_get(srv->store, g.camera_id, rq->params.kind, rq->params.seq, &o);
		if (r == STORE_NOTFOUND) {
			http_error(rq, 404, "not_found", "the object is gone (retention or deletion)");
			goto out;
		}
		if (r != STORE_OK) {
			http_error(rq, 500, "internal", "store unavailable");
			goto out;
		}
		memcpy(key, o.blob_key, sizeof(key));
		want = o.size;
	}
	r = blob_get(srv->blob, key, &fd, &size);
	if (r != 0 || size != want) {
		if (fd >= 0)
			close(fd);
		http_error(rq, 500, "internal", "the object's bytes are unavailable");
		goto out;
	}
	http_reply_fd(rq, 200, fd, size, "application/octet-stream", NULL);
out:
	store_grant_clear(&g);
}

/* --- the owner's list ------------------------------------------------------------ */

struct alist {
	json_t *arr;
	int64_t last;
	unsigned n;
};

static int
callback_access(void *cookie, const struct store_access *a)
{
	struct alist *l = cookie;

	l->last = a->seq;
	l->n++;
	return json_array_append_new(l->arr, json_pack("{s:I, s:o, s:o, s:o, s:I, s:I, s:o}",
	    "seq", (json_int_t)a->seq, "access_id", jv_hexstr(a->id, 16),
	    "grant_id", jv_hexstr(a->grant_id, 16),
	    "principal_id", jv_hexstr(a->principal, 16),
	    "time_ms", (json_int_t)a->time_ms, "index", (json_int_t)a->log_index,
	    "record", jv_b64str(a->record, a->record_len))) == 0 ? 0 : -1;
}

/* GET /v1/me/accesses?after_seq=S&limit=L */
void
h_me_accesses(struct req *rq)
{
	struct alist l = { NULL, -1, 0 };
	int64_t after, limit;

	if (jv_query_int(rq, "after_seq", -1, INT64_MAX, -1, &after) != 0 ||
	    jv_query_int(rq, "limit", 1, ACCESS_LIST_MAX, ACCESS_LIST_MAX, &limit) != 0)
		return;
	if ((l.arr = json_array()) == NULL ||
	    store_access_list(rq->srv->store, rq->who.account_id, after, (unsigned)limit,
	    callback_access, &l) != 0) {
		json_decref(l.arr);
		http_error(rq, 500, "internal", "store unavailable");
		return;
	}
	http_reply_json(rq, 200, json_pack("{s:o, s:o}", "accesses", l.arr, "next_after_seq",
	    l.n == (unsigned)limit ? json_integer(l.last) : json_null()));
}
