/*
 * sealer — the glue between the segmenter and the core sealed container:
 * a finished fMP4 segment is sealed (seg_sealer, streaming) straight into a
 * spool temp file, then committed durably under its sequence number; then
 * its thumbnail (thumb.c) is sealed the same way under the same number.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "camera_int.h"
#include "log.h"
#include "seg.h"
#include "segmenter.h"
#include "spool.h"
#include "thumb.h"

/* The sealer's output goes to the spool temp file as it is produced. */
static int
callback_write_fd(void *cookie, const uint8_t *buf, size_t len)
{
	int fd = *(int *)cookie;

	while (len > 0) {
		ssize_t w = write(fd, buf, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		buf += w;
		len -= (size_t)w;
	}
	return 0;
}

/*
 * Seal one object (kind, seq, times, flags) of plaintext data to the
 * recipients r into the spool. 0 / -1 (logged).
 */
static int
seal_object(struct camera *c, const struct camera_recipients *r, uint8_t kind,
    const char *kind_name, uint64_t seq, int64_t start_ms, uint32_t duration_ms,
    uint32_t flags, const uint8_t *data, size_t len)
{
	struct seg_seal_params p = { 0 };
	struct seg_sealer *s = NULL;
	struct spool_item it = { 0 };
	struct spool_tmp *t;
	int fd, rc;

	p.kind = kind;
	p.flags = (uint8_t)(flags & SEG_FLAGS_KNOWN);
	p.seq = seq;
	p.start_ms = (uint64_t)start_ms;
	p.duration_ms = duration_ms;
	p.epoch = r->epoch;
	p.recipients = (const uint8_t (*)[SEG_PK_BYTES])r->pk;
	p.nrecipients = r->n;
	it.start_ms = start_ms;
	snprintf(it.kind, sizeof(it.kind), "%s", kind_name);
	it.seq = seq;
	it.flags = p.flags;
	if ((t = spool_begin(c->spool, &it)) == NULL)
		return -1;
	fd = spool_tmp_fd(t);
	if ((s = seg_sealer_new(&p, c->sk, callback_write_fd, &fd)) == NULL) {
		log_err("seal", "camera=%s kind=%s seq=%llu msg=\"cannot seal\" err=\"%s\"",
		    c->conf.id_hex, kind_name, (unsigned long long)seq,
		    seg_strerror(seg_last_error()));
		goto fail;
	}
	if ((rc = seg_sealer_write(s, data, len)) != SEG_OK ||
	    (rc = seg_sealer_finish(s)) != SEG_OK) {
		log_err("seal", "camera=%s kind=%s seq=%llu msg=\"cannot seal\" err=\"%s\"",
		    c->conf.id_hex, kind_name, (unsigned long long)seq, seg_strerror(rc));
		goto fail;
	}
	seg_sealer_free(s);
	return spool_commit(c->spool, t);
fail:
	seg_sealer_free(s);
	spool_abort(c->spool, t);
	return -1;
}

/* The keyring in force now: a member removed while this was recorded
 * cannot read it (DESIGN.md threat model). -1 if none yet. */
static int
recipients_now(struct camera *c, struct camera_recipients *r)
{
	pthread_mutex_lock(&c->mu);
	*r = c->rcpt;
	pthread_mutex_unlock(&c->mu);
	return r->epoch == 0 || r->n == 0 ? -1 : 0;
}

int
sealer_seal_segment(struct camera *c, const struct segment *sg, uint32_t flags,
    uint64_t *seq_out)
{
	struct camera_recipients r;
	uint8_t *jpeg = NULL;
	size_t jlen = 0;
	uint64_t seq;

	if (seq_out != NULL)
		*seq_out = 0;
	if (recipients_now(c, &r) != 0) {
		log_err("seal", "camera=%s msg=\"no keyring; segment dropped\"",
		    c->conf.id_hex);
		return -1;
	}
	/* Durably reserved before use: never two contents under one seq. */
	if (config_seq_reserve(c->conf.dir, "segment", &seq) != 0)
		return -1;
	if (seal_object(c, &r, SEG_KIND_SEGMENT, "segment", seq, sg->start_ms,
	    sg->duration_ms, flags, sg->data, sg->len) != 0)
		return -1;
	c->sealed++;
	if (seq_out != NULL)
		*seq_out = seq;
	log_info("seal", "camera=%s seq=%llu start_ms=%lld duration_ms=%u "
	    "bytes=%zu epoch=%u recipients=%u flags=%u", c->conf.id_hex,
	    (unsigned long long)seq, (long long)sg->start_ms, sg->duration_ms,
	    sg->len, r.epoch, r.n, flags);

	/* Its thumbnail: same sequence number, times, flags and recipients
	 * (the viewer fetches thumbnail N for segment N). Best effort: a
	 * segment without one is still complete. */
	if (thumb_make(sg->data, sg->len, &jpeg, &jlen) == 0) {
		if (seal_object(c, &r, SEG_KIND_THUMBNAIL, "thumbnail", seq,
		    sg->start_ms, sg->duration_ms, flags, jpeg, jlen) == 0)
			log_debug("seal", "camera=%s kind=thumbnail seq=%llu bytes=%zu",
			    c->conf.id_hex, (unsigned long long)seq, jlen);
		sodium_memzero(jpeg, jlen);
		free(jpeg);
	}
	return 0;
}

int
sealer_seal_event(struct camera *c, uint64_t seq, int64_t start_ms,
    uint32_t duration_ms, const uint8_t *data, size_t len)
{
	struct camera_recipients r;

	if (recipients_now(c, &r) != 0) {
		log_err("seal", "camera=%s msg=\"no keyring; event record dropped\"",
		    c->conf.id_hex);
		return -1;
	}
	/* Event records are kept with the event footage. */
	return seal_object(c, &r, SEG_KIND_EVENT, "event", seq, start_ms,
	    duration_ms, SEG_FLAG_EVENT, data, len);
}
