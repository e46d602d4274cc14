/*
 * routes_objects — sealed objects: the camera's streaming upload, and the
 * viewers' listing and streaming download.
 *
 * Upload, in data-flow order:
 *   begin   kind/seq from the path, the camera's key from its token; a temp
 *           file in the blob store; the core library's verify-only opener
 *   data    each chunk is fed to the opener, which parses the header
 *           (camera, kind, seq checked as soon as it is complete) and hashes
 *           the body in place, then copied into an aligned buffer (upbuf.c)
 *           that goes to the temp file with O_DIRECT: no copy into the page
 *           cache and no writeback to start or wait for at fsync. An object
 *           whose declared size fits a whole-object buffer (a segment does)
 *           is written in one request by the commit thread, so the HTTP
 *           thread never waits for the disk; others (and all uploads while
 *           the few whole buffers are taken) stream through a 256 KiB buffer
 *           written each time it fills. The last partial block is written
 *           through the page cache. Where the filesystem has no O_DIRECT,
 *           chunks are written as they come and writeback is started every
 *           512 KiB. Memory is bounded whatever the size
 *   end     opener finish (final record, camera signature); then either an
 *           identical object exists (200), a different one does (409), or
 *           the request is suspended while a commit thread (workq.c) runs
 *           fsync + rename + fsync dir (blob_put) and commits the row, then
 *           resumes it: 201. The disk waits never stall an HTTP thread.
 * A refused upload leaves nothing: the temp file is removed.
 */
#define _GNU_SOURCE /* sync_file_range */
#include <fcntl.h>
#include <inttypes.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <errno.h>

#include "auth.h"
#include "blob.h"
#include "evnotes.h"
#include "fsutil.h"
#include "http.h"
#include "jsonv.h"
#include "log.h"
#include "metrics.h"
#include "seg.h"
#include "server.h"
#include "store.h"
#include "rowbatch.h"
#include "upbuf.h"
#include "workq.h"

#define LIST_MAX 1000
#define UPLOAD_FLUSH_BYTES (512u << 10)

static const char *const kind_names[] = { "", "segment", "event", "thumbnail" };

enum commit_outcome { C_STORED, C_DUPLICATE, C_CONFLICT, C_GONE, C_BLOB_FAILED, C_STORE_FAILED };

struct upload {
	struct server *srv;
	struct req *rq;
	struct store_object o;           /* what is being committed */
	int committed;                   /* the commit job has run */
	enum commit_outcome outcome;
	struct seg_opener *op;
	int fd;
	char tmp[BLOB_TMP_PATH_MAX];     /* "" once put or discarded */
	uint64_t got;
	uint64_t flushed;                /* bytes handed to writeback so far */
	uint8_t *dio;                    /* O_DIRECT buffer, NULL: page cache path */
	size_t diolen, diocap;
	uint8_t tail[SEG_TRAILER_BYTES]; /* the last bytes seen: the signature */
	size_t taillen;
};

/* Map the opener's verdict to PROTOCOL.md errors. */
static int
fail_seg(struct req *rq, int err)
{
	switch (err) {
	case SEG_EWRONGCAMERA:
		return http_fail(rq, 403, "wrong_camera", "the object is not this camera's");
	case SEG_EWRONGSEQ:
	case SEG_EWRONGKIND:
		return http_fail(rq, 400, "wrong_sequence", "the object's kind or sequence"
		    " number is not the one in the path");
	case SEG_EBADSIG:
		return http_fail(rq, 400, "bad_signature", "the camera signature does not verify");
	case SEG_ENOMEM:
		return http_fail(rq, 500, "internal", "out of memory");
	default:
		return http_fail(rq, 400, "bad_container", "not a well-formed sealed object: %s",
		    seg_strerror(err));
	}
}

static void
callback_upload_free(struct req *rq)
{
	struct upload *u = rq->state;

	if (u == NULL)
		return;
	seg_opener_free(u->op);
	if (u->fd >= 0)
		close(u->fd);
	upbuf_put(u->dio, u->diocap);
	/* Refused or interrupted (client gone): nothing of it stays. */
	if (u->tmp[0] != '\0')
		blob_tmp_discard(rq->srv->blob, u->tmp);
	free(u);
	rq->state = NULL;
}

static int
dio_off(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	return fl < 0 ? -1 : fcntl(fd, F_SETFL, fl & ~O_DIRECT);
}

/* O_DIRECT on the temp file if its filesystem has it (else the page cache
 * path: dio stays NULL). */
static void
dio_start(struct upload *u, uint64_t want)
{
	int fl = fcntl(u->fd, F_GETFL);

	if (fl < 0 || fcntl(u->fd, F_SETFL, fl | O_DIRECT) != 0)
		return;
	if ((u->dio = upbuf_get(want, &u->diocap)) == NULL) {
		(void)dio_off(u->fd);
		return;
	}
	u->diolen = 0;
}

/* Write the buffer out: whole blocks with O_DIRECT; the last partial block
 * (only at the end) through the page cache, which fsync then writes. A
 * filesystem that takes O_DIRECT at open but not at write (EINVAL) gets the
 * same bytes through the page cache. */
static int
dio_flush(struct upload *u)
{
	size_t whole = u->diolen & ~(size_t)(UPBUF_ALIGN - 1);
	int r = 0;

	if (whole > 0 && fsutil_write_all(u->fd, u->dio, whole) != 0) {
		if (errno != EINVAL || dio_off(u->fd) != 0 ||
		    fsutil_write_all(u->fd, u->dio, whole) != 0)
			return -1;
	}
	if (whole < u->diolen)
		r = dio_off(u->fd) == 0 ? fsutil_write_all(u->fd, u->dio + whole, u->diolen - whole) : -1;
	u->diolen = 0;
	return r;
}

static int
store_chunk(struct upload *u, const uint8_t *buf, size_t len)
{
	if (u->dio == NULL) {
		if (fsutil_write_all(u->fd, buf, len) != 0)
			return -1;
		/* Start writeback as the body arrives (asynchronously), so the
		 * final fsync has little left to wait for. */
		if (u->got - u->flushed >= UPLOAD_FLUSH_BYTES) {
			(void)sync_file_range(u->fd, (off_t)u->flushed,
			    (off_t)(u->got - u->flushed), SYNC_FILE_RANGE_WRITE);
			u->flushed = u->got;
		}
		return 0;
	}
	while (len > 0) {
		size_t take = u->diocap - u->diolen;

		if (take > len)
			take = len;
		memcpy(u->dio + u->diolen, buf, take);
		u->diolen += take;
		buf += take;
		len -= take;
		if (u->diolen == u->diocap && dio_flush(u) != 0)
			return -1;
	}
	return 0;
}

int
h_object_put_begin(struct req *rq)
{
	struct seg_expect e;
	struct upload *u;

	if (rq->params.kind < SEG_KIND_SEGMENT || rq->params.kind > SEG_KIND_THUMBNAIL)
		return http_fail(rq, 400, "bad_request", "unknown kind");
	/* Anything shorter cannot be a container: refuse before reading it. */
	if (rq->content_length < SEG_HEADER_FIXED + SEG_STANZA_BYTES +
	    SEG_RECORD_ABYTES + SEG_TRAILER_BYTES)
		return http_fail(rq, 400, "bad_container", "too short to be a sealed object");
	if ((u = calloc(1, sizeof(*u))) == NULL)
		return http_fail(rq, 500, "internal", "out of memory");
	u->fd = -1;
	rq->state = u;
	rq->state_free = callback_upload_free;
	memset(&e, 0, sizeof(e));
	e.camera_pk = rq->who.camera.pk;
	e.kind = (uint8_t)rq->params.kind;
	e.check_seq = 1;
	e.seq = rq->params.seq;
	/* Verify-only: no recipient keys (the server has none). */
	if ((u->op = seg_opener_new(&e, NULL, NULL, NULL, NULL)) == NULL)
		return http_fail(rq, 500, "internal", "cannot start verification");
	if ((u->fd = blob_tmp(rq->srv->blob, u->tmp)) < 0) {
		u->tmp[0] = '\0';
		return http_fail(rq, 503, "internal", "blob store unavailable");
	}
	dio_start(u, rq->has_length ? rq->content_length : 0);
	return 0;
}

int
h_object_put_data(struct req *rq, const uint8_t *buf, size_t len)
{
	struct upload *u = rq->state;
	int r;

	u->got += len;
	/* Hash first, while the chunk is in cache from the socket read. */
	if ((r = seg_opener_write(u->op, buf, len)) != SEG_OK)
		return fail_seg(rq, r);
	if (store_chunk(u, buf, len) != 0) {
		log_err("upload", "err=\"temp write: %s\"", strerror(errno));
		return http_fail(rq, 503, "internal", "cannot store the object now");
	}
	/* Keep the last 64 bytes: after finish they are the signature. */
	if (len >= SEG_TRAILER_BYTES) {
		memcpy(u->tail, buf + len - SEG_TRAILER_BYTES, SEG_TRAILER_BYTES);
		u->taillen = SEG_TRAILER_BYTES;
	} else {
		size_t keep = u->taillen + len > SEG_TRAILER_BYTES ?
		    SEG_TRAILER_BYTES - len : u->taillen;
		memmove(u->tail, u->tail + u->taillen - keep, keep);
		memcpy(u->tail + keep, buf, len);
		u->taillen = keep + len;
	}
	return 0;
}

static void
reply_stored(struct req *rq, unsigned status, const struct store_object *o)
{
	http_reply_json(rq, status, json_pack("{s:I, s:I}", "seq", (json_int_t)o->seq,
	    "size", (json_int_t)o->size));
}

/* An object exists under (camera, kind, seq): same bytes or not? */
static enum commit_outcome
compare_existing(struct server *srv, const struct store_object *mine)
{
	struct store_object old;

	if (store_object_get(srv->store, mine->camera_id, mine->kind, mine->seq,
	    &old) != STORE_OK)
		return C_STORE_FAILED;
	return sodium_memcmp(old.content_id, mine->content_id, STORE_HASH_LEN) == 0 ?
	    C_DUPLICATE : C_CONFLICT;
}

static void
reply_outcome(struct req *rq, const struct store_object *o, enum commit_outcome c)
{
	switch (c) {
	case C_STORED:
		metrics_add(M_UPLOADS_STORED, 1);
		metrics_add(M_UPLOAD_BYTES, o->size);
		reply_stored(rq, 201, o);
		return;
	case C_DUPLICATE:
		metrics_add(M_UPLOADS_DUPLICATE, 1);
		reply_stored(rq, 200, o);
		return;
	case C_CONFLICT:
		metrics_add(M_UPLOADS_REFUSED, 1);
		http_error(rq, 409, "conflict", "a different object is stored under this %s"
		    " sequence number", kind_names[o->kind]);
		return;
	case C_GONE:
		http_error(rq, 401, "unauthorized", "camera no longer exists");
		return;
	case C_BLOB_FAILED:
		http_error(rq, 503, "internal", "cannot store the object now");
		return;
	case C_STORE_FAILED:
		http_error(rq, 500, "internal", "store unavailable");
		return;
	}
}

/* On a commit thread: durable before acknowledged -- bytes, name,
 * directory, then the row. Resumes the request when done. */
static void
job_commit(void *arg)
{
	struct upload *u = arg;
	struct server *srv = u->srv;
	int r;

	blob_key_new(u->o.blob_key);
	/* The buffer's rest (a whole object: all of it, one request) here, not
	 * on the HTTP thread: it waits for the disk. The buffer is free for the
	 * next upload as soon as it is written. */
	r = u->dio != NULL && u->diolen > 0 ? dio_flush(u) : 0;
	upbuf_put(u->dio, u->diocap);
	u->dio = NULL;
	if (r != 0 || blob_put(srv->blob, u->o.blob_key, u->fd, u->tmp) != 0) {
		u->outcome = C_BLOB_FAILED;
	} else {
		/* Together with the uploads committing right now (one WAL fsync). */
		r = rowbatch_put(srv->rows, &u->o, http_now_ms());
		if (r == STORE_OK)
			u->outcome = C_STORED;
		else if (r == STORE_EXISTS)          /* a concurrent upload won */
			u->outcome = compare_existing(srv, &u->o);
		else
			u->outcome = r == STORE_NOTFOUND ? C_GONE : C_STORE_FAILED;
		if (r != STORE_OK)
			(void)blob_delete(srv->blob, u->o.blob_key);   /* never referenced */
	}
	u->tmp[0] = '\0';                            /* renamed or removed */
	/* A stored event record: its watchers fetch it now. */
	if (u->outcome == C_STORED && u->o.kind == STORE_KIND_EVENT)
		routes_camevents_note(srv, u->o.camera_id, EVNOTE_RECORD, u->o.seq,
		    u->o.start_ms);
	u->committed = 1;
	http_resume(u->rq);
}

void
h_object_put(struct req *rq)
{
	struct server *srv = rq->srv;
	struct upload *u = rq->state;
	const struct seg_header *h;
	struct store_object *o = &u->o, old;
	crypto_generichash_state hs;
	int r;

	if (u->committed) {                         /* resumed by job_commit */
		reply_outcome(rq, o, u->outcome);
		return;
	}
	if ((r = seg_opener_finish(u->op)) != SEG_OK) {
		fail_seg(rq, r);
		metrics_add(M_UPLOADS_REFUSED, 1);
		http_error(rq, rq->fail_status, rq->fail_code, "%s", rq->fail_msg);
		return;
	}
	h = seg_opener_header(u->op);
	memcpy(o->camera_id, rq->who.camera.id, STORE_ID_LEN);
	o->kind = h->kind;
	o->seq = h->seq;
	o->start_ms = h->start_ms > INT64_MAX ? INT64_MAX : (int64_t)h->start_ms;
	o->duration_ms = h->duration_ms;
	o->epoch = h->epoch;
	o->flags = (h->flags & SEG_FLAG_EVENT) ? STORE_FLAG_EVENT : 0;
	o->size = u->got;
	/*
	 * Content id: BLAKE2b(header hash || signature). The signature covers
	 * the header hash and the body hash, and the format is canonical, so
	 * equal ids mean equal bytes -- without hashing the body a second time.
	 */
	crypto_generichash_init(&hs, NULL, 0, STORE_HASH_LEN);
	crypto_generichash_update(&hs, h->hash, sizeof(h->hash));
	crypto_generichash_update(&hs, u->tail, u->taillen);
	crypto_generichash_final(&hs, o->content_id, STORE_HASH_LEN);

	r = store_object_get(srv->store, o->camera_id, o->kind, o->seq, &old);
	if (r == STORE_OK) {                        /* nothing new is written */
		reply_outcome(rq, o, compare_existing(srv, o));
		return;
	}
	if (r != STORE_NOTFOUND) {
		http_error(rq, 500, "internal", "store unavailable");
		return;
	}
	/* Suspend first, so the job's resume always follows it. */
	u->srv = srv;
	u->rq = rq;
	http_suspend(rq);
	if (workq_submit(srv->commits, job_commit, u) != 0)
		job_commit(u);                          /* stopping: commit here */
}

/* --- listing and download ------------------------------------------------------ */

struct listing {
	json_t *arr;
	int64_t last;
	unsigned n;
};

static int
callback_object(void *cookie, const struct store_object *o)
{
	struct listing *l = cookie;

	l->last = (int64_t)o->seq;
	l->n++;
	return json_array_append_new(l->arr, json_pack("{s:s, s:I, s:I, s:I, s:I, s:I, s:I}",
	    "kind", kind_names[o->kind], "seq", (json_int_t)o->seq,
	    "start_ms", (json_int_t)o->start_ms, "duration_ms", (json_int_t)o->duration_ms,
	    "epoch", (json_int_t)o->epoch, "flags", (json_int_t)o->flags,
	    "size", (json_int_t)o->size));
}

void
h_objects_list(struct req *rq)
{
	const char *k = http_query(rq, "kind");
	struct listing l = { NULL, -1, 0 };
	int64_t from, to, after, limit;
	int kind = 0;

	for (int i = 1; i <= 3; i++)
		if (k == NULL ? i == 1 : strcmp(k, kind_names[i]) == 0)
			kind = i;
	if (kind == 0) {
		http_error(rq, 400, "bad_request", "query 'kind': segment, event or thumbnail");
		return;
	}
	if (jv_query_int(rq, "from_ms", 0, INT64_MAX, 0, &from) != 0 ||
	    jv_query_int(rq, "to_ms", 0, INT64_MAX, INT64_MAX, &to) != 0 ||
	    jv_query_int(rq, "after_seq", -1, INT64_MAX, -1, &after) != 0 ||
	    jv_query_int(rq, "limit", 1, LIST_MAX, LIST_MAX, &limit) != 0)
		return;
	if ((l.arr = json_array()) == NULL ||
	    store_object_list(rq->srv->store, rq->params.cam, kind, from, to, after,
	    (unsigned)limit, callback_object, &l) != 0) {
		json_decref(l.arr);
		http_error(rq, 500, "internal", "store unavailable");
		return;
	}
	/* A full page may have more behind it. */
	http_reply_json(rq, 200, json_pack("{s:o, s:o}", "objects", l.arr, "next_after_seq",
	    l.n == (unsigned)limit ? json_integer(l.last) : json_null()));
}

void
h_object_get(struct req *rq)
{
	struct server *srv = rq->srv;
	struct store_object o;
	char etag[2 * 16 + 3];
	const char *inm;
	uint64_t size;
	int fd = -1, r;

	r = store_object_get(srv->store, rq->params.cam, rq->params.kind, rq->params.seq, &o);
	if (r == STORE_NOTFOUND) {
		http_error(rq, 404, "not_found", "no such object");
		return;
	}
	if (r != STORE_OK) {
		http_error(rq, 500, "internal", "store unavailable");
		return;
	}
	etag[0] = '"';
	auth_hex(o.content_id, 16, etag + 1);
	etag[33] = '"';
	etag[34] = '\0';
	if ((inm = http_header(rq, "If-None-Match")) != NULL && strcmp(inm, etag) == 0) {
		http_reply_empty(rq, 304);
		return;
	}
	r = blob_get(srv->blob, o.blob_key, &fd, &size);
	if (r != 0 || size != o.size) {
		if (fd >= 0)
			close(fd);
		log_err("download", "err=\"blob %s\" kind=%s seq=%" PRIu64,
		    r == 1 ? "missing" : r == 0 ? "size differs" : "unreadable",
		    kind_names[o.kind], o.seq);
		http_error(rq, 500, "internal", "the object's bytes are unavailable");
		return;
	}
	/* fd goes to libmicrohttpd (sendfile), which closes it. */
	http_reply_fd(rq, 200, fd, size, "application/octet-stream", etag);
}
