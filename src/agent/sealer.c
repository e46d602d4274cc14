/*
 * sealer — the glue between the segmenter and the core sealed container:
 * a finished fMP4 segment is sealed (seg_sealer, streaming) straight into a
 * spool temp file, then committed durably under its sequence number.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "camera_int.h"
#include "log.h"
#include "seg.h"
#include "segmenter.h"
#include "spool.h"

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

int
sealer_seal_segment(struct camera *c, const struct segment *sg, uint32_t flags)
{
	struct camera_recipients r;
	struct seg_seal_params p = { 0 };
	struct seg_sealer *s = NULL;
	struct spool_item it = { 0 };
	struct spool_tmp *t;
	uint64_t seq;
	int fd, rc;

	/* The keyring in force now: a member removed while this segment was
	 * recorded cannot read it (DESIGN.md threat model). */
	pthread_mutex_lock(&c->mu);
	r = c->rcpt;
	pthread_mutex_unlock(&c->mu);
	if (r.epoch == 0 || r.n == 0) {
		log_err("seal", "camera=%s msg=\"no keyring; segment dropped\"",
		    c->conf.id_hex);
		return -1;
	}
	/* Durably reserved before use: never two contents under one seq. */
	if (config_seq_reserve(c->conf.dir, "segment", &seq) != 0)
		return -1;
	p.kind = SEG_KIND_SEGMENT;
	p.flags = (uint8_t)(flags & SEG_FLAGS_KNOWN);
	p.seq = seq;
	p.start_ms = (uint64_t)sg->start_ms;
	p.duration_ms = sg->duration_ms;
	p.epoch = r.epoch;
	p.recipients = (const uint8_t (*)[SEG_PK_BYTES])r.pk;
	p.nrecipients = r.n;
	it.start_ms = sg->start_ms;
	snprintf(it.kind, sizeof(it.kind), "segment");
	it.seq = seq;
	it.flags = p.flags;
	if ((t = spool_begin(c->spool, &it)) == NULL)
		return -1;
	fd = spool_tmp_fd(t);
	if ((s = seg_sealer_new(&p, c->sk, callback_write_fd, &fd)) == NULL) {
		log_err("seal", "camera=%s seq=%llu msg=\"cannot seal\" err=\"%s\"",
		    c->conf.id_hex, (unsigned long long)seq,
		    seg_strerror(seg_last_error()));
		goto fail;
	}
	if ((rc = seg_sealer_write(s, sg->data, sg->len)) != SEG_OK ||
	    (rc = seg_sealer_finish(s)) != SEG_OK) {
		log_err("seal", "camera=%s seq=%llu msg=\"cannot seal\" err=\"%s\"",
		    c->conf.id_hex, (unsigned long long)seq, seg_strerror(rc));
		goto fail;
	}
	seg_sealer_free(s);
	if (spool_commit(c->spool, t) != 0)
		return -1;
	c->sealed++;
	log_info("seal", "camera=%s seq=%llu start_ms=%lld duration_ms=%u "
	    "bytes=%zu epoch=%u recipients=%u", c->conf.id_hex,
	    (unsigned long long)seq, (long long)sg->start_ms, sg->duration_ms,
	    sg->len, r.epoch, r.n);
	return 0;
fail:
	seg_sealer_free(s);
	spool_abort(c->spool, t);
	return -1;
}
