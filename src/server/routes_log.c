/*
 * routes_log — the transparency log over HTTP (PROTOCOL.md "Transparency
 * log").
 *
 * Public, as C2SP tlog-tiles lays it out under the prefix /v1/log:
 * the signed checkpoint, tiles and entry bundles (files of a published tree
 * never change: full tiles are served immutable, partial ones briefly
 * cacheable), the verifier key, and two conveniences anyone could compute
 * from the tiles: inclusion and consistency proofs. For an account: its
 * own chain (/v1/me/log) with inclusion proofs against a checkpoint size
 * the client chose, so one call verifies "all my entries are in the tree I
 * was shown".
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "jsonv.h"
#include "log.h"
#include "server.h"
#include "store.h"
#include "tlog_store.h"
#include "tlogsrv.h"

#define ME_LOG_MAX 1000          /* entries per page */
#define CACHE_IMMUTABLE "public, max-age=31536000, immutable"
#define CACHE_PARTIAL "public, max-age=60"
#define CACHE_NONE "no-cache"

/* The published tree size. */
static uint64_t
published(struct server *srv)
{
	struct tlog_store_stats st;

	tlog_store_stats(tlogsrv_store(srv->tlog), &st);
	return st.size;
}

static void
reply_public_json(struct req *rq, json_t *body, const char *cache)
{
	char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;

	json_decref(body);
	if (text == NULL) {
		http_error(rq, 500, "internal", "out of memory");
		return;
	}
	http_reply_public(rq, 200, "application/json", cache, text, strlen(text));
	free(text);
}

/* GET /v1/log/checkpoint — the signed tree head (text/plain, C2SP). */
void
h_log_checkpoint(struct req *rq)
{
	char note[TLOGSRV_NOTE_MAX];
	uint64_t size;
	size_t len;

	if (tlog_store_checkpoint(tlogsrv_store(rq->srv->tlog), note, sizeof(note),
	    &len, &size) != 0) {
		http_error(rq, 500, "internal", "no checkpoint");
		return;
	}
	/* Always the newest: clients check consistency with what they saw. */
	http_reply_public(rq, 200, "text/plain; charset=utf-8", CACHE_NONE, note, len);
}

/* GET /v1/log/key — what clients pin (compare with `sealcamd log-key`). */
void
h_log_key(struct req *rq)
{
	struct tlogsrv *t = rq->srv->tlog;

	reply_public_json(rq, json_pack("{s:s, s:s}", "key", tlogsrv_vkey(t),
	    "origin", tlogsrv_origin(t)), CACHE_NONE);
}

/* GET /v1/log/tile/... — a hash tile or entry bundle of the published tree. */
void
h_log_tile(struct req *rq)
{
	uint64_t size;
	int fd, r;

	/* The matcher checked the one C2SP spelling; the store checks that
	 * the file belongs to the published tree. */
	r = tlog_store_open_file(tlogsrv_store(rq->srv->tlog), rq->params.tile, &fd, &size);
	if (r == -1) {
		http_error(rq, 404, "not_found", "no such tile in the published tree");
		return;
	}
	if (r != 0) {
		http_error(rq, 500, "internal", "cannot read the tile");
		return;
	}
	http_reply_public_fd(rq, 200, fd, size, "application/octet-stream",
	    strstr(rq->params.tile, ".p/") != NULL ? CACHE_PARTIAL : CACHE_IMMUTABLE);
}

/* GET /v1/log/proof?index=I[&size=N] — inclusion of entry I in tree N. */
void
h_log_proof(struct req *rq)
{
	struct tlog_proof p;
	uint64_t pub = published(rq->srv);
	int64_t index, size;

	if (jv_query_int(rq, "index", 0, INT64_MAX, -1, &index) != 0 ||
	    jv_query_int(rq, "size", 1, INT64_MAX, (int64_t)pub, &size) != 0)
		return;
	if (index < 0) {
		http_error(rq, 400, "bad_request", "query 'index' is required");
		return;
	}
	if ((uint64_t)size > pub || index >= size) {
		http_error(rq, 400, "bad_request", "need index < size <= %" PRIu64
		    " (the published size)", pub);
		return;
	}
	if (tlog_store_prove_inclusion(tlogsrv_store(rq->srv->tlog), (uint64_t)index,
	    (uint64_t)size, &p) != 0) {
		http_error(rq, 500, "internal", "cannot prove");
		return;
	}
	/* A proof for a published size never changes. */
	reply_public_json(rq, json_pack("{s:I, s:I, s:o}", "index", (json_int_t)index,
	    "size", (json_int_t)size, "proof", tlogsrv_proof_json(&p)),
	    http_query(rq, "size") != NULL ? CACHE_IMMUTABLE : CACHE_NONE);
}

/* GET /v1/log/consistency?from=M[&to=N] — tree N extends tree M. */
void
h_log_consistency(struct req *rq)
{
	struct tlog_proof p;
	uint64_t pub = published(rq->srv);
	int64_t from, to;

	if (jv_query_int(rq, "from", 1, INT64_MAX, 0, &from) != 0 ||
	    jv_query_int(rq, "to", 1, INT64_MAX, (int64_t)pub, &to) != 0)
		return;
	if (from == 0 || from > to || (uint64_t)to > pub) {
		http_error(rq, 400, "bad_request", "need 1 <= from <= to <= %" PRIu64
		    " (the published size)", pub);
		return;
	}
	if (tlog_store_prove_consistency(tlogsrv_store(rq->srv->tlog), (uint64_t)from,
	    (uint64_t)to, &p) != 0) {
		http_error(rq, 500, "internal", "cannot prove");
		return;
	}
	reply_public_json(rq, json_pack("{s:I, s:I, s:o}", "from", (json_int_t)from,
	    "to", (json_int_t)to, "proof", tlogsrv_proof_json(&p)),
	    http_query(rq, "to") != NULL ? CACHE_IMMUTABLE : CACHE_NONE);
}

/* --- the caller's own chain ----------------------------------------------------- */

struct mine {
	struct tlog_store *log;
	json_t *arr;
	uint64_t size;
	int64_t last_seq;
	unsigned n;
	int failed;
	int beyond;               /* an entry after the checkpoint was seen */
};

static int
callback_mine(void *cookie, const struct store_log_entry *e)
{
	struct mine *m = cookie;
	struct tlog_proof p;
	json_t *o;

	if (e->index >= m->size) {
		m->beyond = 1;        /* logged after that checkpoint: next time */
		return -1;
	}
	if (tlog_store_prove_inclusion(m->log, e->index, m->size, &p) != 0) {
		m->failed = 1;
		return -1;
	}
	o = json_pack("{s:I, s:I, s:o, s:o}", "seq", (json_int_t)e->seq,
	    "index", (json_int_t)e->index, "entry", jv_b64str(e->entry, sizeof(e->entry)),
	    "proof", tlogsrv_proof_json(&p));
	if (o == NULL || json_array_append_new(m->arr, o) != 0) {
		m->failed = 1;
		return -1;
	}
	m->last_seq = (int64_t)e->seq;
	m->n++;
	return 0;
}

/*
 * The chain of log_id as GET /v1/me/log answers it (PROTOCOL.md): entries
 * with seq > after_seq (all: -1) in tree `size` (default: the published
 * tree, whose checkpoint is then included), each with its inclusion
 * proof. NULL after answering an error.
 */
json_t *
routes_log_chain(struct req *rq, const uint8_t log_id[STORE_ID_LEN])
{
	struct server *srv = rq->srv;
	struct mine m;
	char note[TLOGSRV_NOTE_MAX];
	size_t note_len = 0;
	int64_t size, after, limit;
	uint64_t pub;
	int with_checkpoint = http_query(rq, "size") == NULL;
	json_t *o;

	memset(&m, 0, sizeof(m));
	m.log = tlogsrv_store(srv->tlog);
	if (tlog_store_checkpoint(m.log, note, sizeof(note), &note_len, &pub) != 0) {
		http_error(rq, 500, "internal", "no checkpoint");
		return NULL;
	}
	if (jv_query_int(rq, "size", 1, INT64_MAX, (int64_t)pub, &size) != 0 ||
	    jv_query_int(rq, "after_seq", -1, INT64_MAX, -1, &after) != 0 ||
	    jv_query_int(rq, "limit", 1, ME_LOG_MAX, ME_LOG_MAX, &limit) != 0)
		return NULL;
	if ((uint64_t)size > pub) {
		http_error(rq, 400, "bad_request", "query 'size': at most %" PRIu64
		    " (the published size)", pub);
		return NULL;
	}
	m.size = (uint64_t)size;
	m.last_seq = after;
	if ((m.arr = json_array()) == NULL ||
	    store_log_list(srv->store, log_id, after, (unsigned)limit, callback_mine, &m) != 0 ||
	    m.failed) {
		json_decref(m.arr);
		http_error(rq, 500, "internal", "cannot list the log");
		return NULL;
	}
	o = json_pack("{s:o, s:I, s:o, s:o}", "log_id", jv_hexstr(log_id, STORE_ID_LEN),
	    "size", (json_int_t)size, "entries", m.arr,
	    "next_after_seq", !m.beyond && m.n == (unsigned)limit ?
	    json_integer(m.last_seq) : json_null());
	if (o != NULL && with_checkpoint)
		json_object_set_new(o, "checkpoint", json_stringn(note, note_len));
	if (o == NULL)
		http_error(rq, 500, "internal", "out of memory");
	return o;
}

/* GET /v1/me/log?size=N&after_seq=S&limit=L — the caller's chain. */
void
h_me_log(struct req *rq)
{
	uint8_t log_id[STORE_ID_LEN];
	json_t *o;

	if (store_log_id(rq->srv->store, rq->who.account_id, log_id) != 0) {
		http_error(rq, 500, "internal", "store unavailable");
		return;
	}
	if ((o = routes_log_chain(rq, log_id)) != NULL)
		http_reply_json(rq, 200, o);
}
