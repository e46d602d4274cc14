#include "objs.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "cli.h"
#include "httpc.h"

/* One page of the listing (the protocol's maximum). */
#define OBJS_PAGE 1000

json_t *
objs_list(struct cli *cli, const char *cam_id, const char *kind,
    int64_t from_ms, int64_t to_ms)
{
	char path[512], after[32] = "";
	json_t *all, *resp = NULL, *page, *next;
	struct httpc *h;
	int st;

	if ((h = cli_http(cli, 1)) == NULL || (all = json_array()) == NULL)
		return NULL;
	for (;;) {
		snprintf(path, sizeof(path), "/v1/cameras/%s/objects?kind=%s"
		    "&from_ms=%" PRId64 "&to_ms=%" PRId64 "&limit=%d%s%s", cam_id,
		    kind, from_ms, to_ms, OBJS_PAGE, after[0] ? "&after_seq=" : "",
		    after);
		st = httpc_json(h, "GET", path, NULL, &resp);
		if (st != 200) {
			cli_api_fail(cli, "listing recordings", st, resp);
			goto err;
		}
		page = json_object_get(resp, "objects");
		if (!json_is_array(page)) {
			cli_err(cli, "listing recordings: the server's answer has no "
			    "\"objects\" list");
			goto err;
		}
		if (json_array_extend(all, page) != 0)
			goto err;
		if (json_array_size(all) > OBJS_LIST_MAX) {
			cli_err(cli, "more than %d recordings in that range; ask for "
			    "a shorter one", OBJS_LIST_MAX);
			goto err;
		}
		next = json_object_get(resp, "next_after_seq");
		if (!json_is_integer(next) || json_array_size(page) == 0)
			break;
		snprintf(after, sizeof(after), "%" JSON_INTEGER_FORMAT,
		    json_integer_value(next));
		json_decref(resp);
		resp = NULL;
	}
	json_decref(resp);
	return all;
err:
	json_decref(resp);
	json_decref(all);
	return NULL;
}

const char *
objs_reason(int e)
{
	switch (e) {
	case SEG_EBADSIG:
		return "bad camera signature (not recorded by this camera, or altered)";
	case SEG_EWRONGCAMERA:
		return "it belongs to another camera";
	case SEG_EWRONGSEQ:
		return "it is another segment than the one requested (sequence number differs)";
	case SEG_EWRONGKIND:
		return "it is another kind of object than requested";
	case SEG_ETRUNCATED:
		return "truncated (the recording is incomplete)";
	case SEG_ENOFINAL:
		return "truncated (the final record is missing)";
	case SEG_EAUTH:
		return "a record failed authentication (altered)";
	case SEG_ENOTRECIPIENT:
		return "not a recipient: this device's key was not given this "
		    "segment's key (sealed before you were added or after you were removed)";
	case SEG_EKEY:
		return "this device's key does not open the segment's key";
	default:
		return seg_strerror(e);
	}
}

/* Plaintext collected until the opener's verdict. */
struct objs_pt {
	uint8_t *buf;
	size_t len, cap;
};

static int
callback_plaintext(void *cookie, const uint8_t *buf, size_t len)
{
	struct objs_pt *p = cookie;
	uint8_t *nb;
	size_t ncap;

	if (len > SEG_MAX_PLAINTEXT - p->len)
		return -1;
	if (p->len + len > p->cap) {
		ncap = p->cap ? p->cap : 1u << 20;
		while (ncap < p->len + len)
			ncap *= 2;
		/* Grow by copy so the old plaintext can be wiped, not leaked. */
		if ((nb = malloc(ncap)) == NULL)
			return -1;
		if (p->len)
			memcpy(nb, p->buf, p->len);
		if (p->buf != NULL) {
			sodium_memzero(p->buf, p->cap);
			free(p->buf);
		}
		p->buf = nb;
		p->cap = ncap;
	}
	memcpy(p->buf + p->len, buf, len);
	p->len += len;
	return 0;
}

static void
pt_wipe(struct objs_pt *p)
{
	if (p->buf != NULL) {
		sodium_memzero(p->buf, p->cap);
		free(p->buf);
	}
	memset(p, 0, sizeof(*p));
}

/* Ciphertext from the download goes to the opener (and the sealed copy). */
struct objs_dl {
	struct seg_opener *o;
	int sealed_fd;
	uint64_t got;
	int seg_err;		/* first opener error */
	int io_err;		/* errno of a failed sealed-copy write */
};

static int
callback_download(void *cookie, const uint8_t *buf, size_t len)
{
	struct objs_dl *d = cookie;
	size_t off = 0;
	ssize_t w;

	if (len > SEG_MAX_SEALED - d->got)
		return d->seg_err = SEG_ETOOBIG, -1;
	d->got += len;
	if ((d->seg_err = seg_opener_write(d->o, buf, len)) != SEG_OK)
		return -1;	/* no use downloading the rest */
	while (d->sealed_fd >= 0 && off < len) {
		w = write(d->sealed_fd, buf + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return d->io_err = errno ? errno : EIO, -1;
		off += (size_t)w;
	}
	return 0;
}

/* Download path into an opener for (kind, seq) as r reads it. */
static int
fetch_open(struct cli *cli, const char *path, uint8_t kind, uint64_t seq,
    const struct objs_reader *r, int sealed_fd, uint8_t **pt, size_t *ptlen,
    struct seg_header *h, char *why, size_t whylen)
{
	struct seg_expect e = { .camera_pk = r->camera_pk, .kind = kind,
	    .check_seq = 1, .seq = seq };
	struct objs_pt p = { NULL, 0, 0 };
	struct objs_dl d = { NULL, sealed_fd, 0, SEG_OK, 0 };
	json_t *err = NULL;
	struct httpc *c;
	int st, e2;

	*pt = NULL;
	*ptlen = 0;
	if ((c = cli_http(cli, 1)) == NULL) {
		snprintf(why, whylen, "not logged in");
		return -1;
	}
	d.o = r->data_key != NULL ?
	    seg_opener_new_with_key(&e, r->data_key, callback_plaintext, &p) :
	    seg_opener_new(&e, r->box_pk, r->box_sk, callback_plaintext, &p);
	if (d.o == NULL) {
		snprintf(why, whylen, "%s", objs_reason(seg_last_error()));
		return -1;
	}
	/* Downloads may be long: no overall timeout, the transfer streams. */
	st = httpc_get_stream(c, path, callback_download, &d, &err);
	if (d.seg_err != SEG_OK) {
		snprintf(why, whylen, "%s", objs_reason(d.seg_err));
		goto fail;
	}
	if (d.io_err != 0) {
		snprintf(why, whylen, "writing the sealed copy: %s", strerror(d.io_err));
		goto fail;
	}
	if (st < 200 || st > 299) {
		if (st < 0)
			snprintf(why, whylen, "download failed: %s", httpc_errmsg(c));
		else
			snprintf(why, whylen, "the server refused (HTTP %d%s%s)", st,
			    httpc_error_code(err)[0] ? ", " : "", httpc_error_code(err));
		goto fail;
	}
	/* The verdict: final tag seen and camera signature verified. */
	if ((e2 = seg_opener_finish(d.o)) != SEG_OK) {
		snprintf(why, whylen, "%s", objs_reason(e2));
		goto fail;
	}
	if (h != NULL)
		*h = *seg_opener_header(d.o);
	seg_opener_free(d.o);
	json_decref(err);
	/* An empty plaintext still gets a buffer, so *pt != NULL means ok. */
	if (p.buf == NULL && (p.buf = malloc(1)) == NULL) {
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	*pt = p.buf;
	*ptlen = p.len;
	return 0;
fail:
	seg_opener_free(d.o);
	json_decref(err);
	pt_wipe(&p);
	return -1;
}

int
objs_fetch_open(struct cli *cli, const char *cam_id, uint8_t kind,
    const char *kind_name, uint64_t seq, const struct objs_reader *r,
    int sealed_fd, uint8_t **pt, size_t *ptlen, struct seg_header *h,
    char *why, size_t whylen)
{
	char path[512];

	snprintf(path, sizeof(path), "/v1/cameras/%s/objects/%s/%" PRIu64,
	    cam_id, kind_name, seq);
	return fetch_open(cli, path, kind, seq, r, sealed_fd, pt, ptlen, h, why, whylen);
}

int
objs_fetch_open_path(struct cli *cli, const char *path, uint8_t kind, uint64_t seq,
    const struct objs_reader *r, uint8_t **pt, size_t *ptlen, struct seg_header *h,
    char *why, size_t whylen)
{
	return fetch_open(cli, path, kind, seq, r, -1, pt, ptlen, h, why, whylen);
}

int
objs_open_buf(const uint8_t *buf, size_t len, uint8_t kind, int check_seq,
    uint64_t seq, const struct objs_reader *r, uint8_t **pt, size_t *ptlen,
    struct seg_header *h, char *why, size_t whylen)
{
	struct seg_expect e = { .camera_pk = r->camera_pk, .kind = kind,
	    .check_seq = check_seq, .seq = seq };
	int rc;

	rc = seg_open_buf(&e, r->box_pk, r->box_sk, buf, len, pt, ptlen, h);
	if (rc != SEG_OK) {
		snprintf(why, whylen, "%s", objs_reason(rc));
		return -1;
	}
	return 0;
}
