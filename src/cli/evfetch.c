#include "evfetch.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "acct.h"
#include "cams.h"
#include "cli.h"
#include "timespec.h"

int
evcam_open(struct cli *cli, const struct acct *me, const json_t *cam,
    struct evcam *ec)
{
	memset(ec, 0, sizeof(*ec));
	snprintf(ec->cam_id, sizeof(ec->cam_id), "%s", cams_str(cam, "camera_id"));
	snprintf(ec->name, sizeof(ec->name), "%s", cams_str(cam, "name"));
	if (trust_camera(cli, me->v.sign_pk, cam, stderr, &ec->tc) != 0 ||
	    trust_epochs_for(cli, &ec->tc, acct_box_pk(me), &ec->mine,
	    &ec->nmine) != 0) {
		evcam_close(ec);
		return -1;
	}
	ec->rd.camera_pk = ec->tc.camera_pk;
	ec->rd.box_pk = acct_box_pk(me);
	ec->rd.box_sk = acct_box_sk(me);
	return 0;
}

void
evcam_close(struct evcam *ec)
{
	free(ec->mine);
	memset(ec, 0, sizeof(*ec));
}

static int
mine(const struct evcam *ec, uint32_t epoch)
{
	for (size_t i = 0; i < ec->nmine; i++)
		if (ec->mine[i] == epoch)
			return 1;
	return 0;
}

int
evfetch_record(struct cli *cli, struct evcam *ec, uint64_t seq,
    uint32_t epoch, struct evrec *r, uint8_t **jpeg, size_t *jlen,
    char *why, size_t whylen)
{
	struct seg_header h;
	const uint8_t *j;
	uint8_t *pt = NULL;
	size_t ptlen = 0, n;
	char err[128];
	int rc = -1;

	*jpeg = NULL;
	*jlen = 0;
	if (epoch != 0 && !mine(ec, epoch))
		return 1;
	if (objs_fetch_open(cli, ec->cam_id, SEG_KIND_EVENT, "event", seq, &ec->rd,
	    -1, &pt, &ptlen, &h, why, whylen) != 0)
		return -1;
	if (evrec_parse(pt, ptlen, r, &j, &n, err, sizeof(err)) != 0) {
		snprintf(why, whylen, "a verified record that does not parse: %s", err);
		goto out;
	}
	if (n > 0) {
		if ((*jpeg = malloc(n)) == NULL) {
			snprintf(why, whylen, "out of memory");
			goto out;
		}
		memcpy(*jpeg, j, n);
		*jlen = n;
	}
	rc = 0;
out:
	sodium_memzero(pt, ptlen);
	free(pt);
	return rc;
}

int
evfetch_merge(struct evview **v, size_t *n, const struct evrec *r,
    uint64_t seq, uint8_t *jpeg, size_t jlen)
{
	struct evview *e = NULL;

	for (size_t i = 0; i < *n; i++)
		if ((*v)[i].rec.event == r->event) {
			e = &(*v)[i];
			break;
		}
	if (e == NULL) {
		struct evview *nv;

		if (*n == EVFETCH_MAX ||
		    (nv = realloc(*v, (*n + 1) * sizeof(**v))) == NULL) {
			free(jpeg);
			return -1;
		}
		*v = nv;
		e = &nv[(*n)++];
		memset(e, 0, sizeof(*e));
		e->rec = *r;
		e->last_seq = seq;
	} else if (seq > e->last_seq) {
		evrec_merge(&e->rec, r);
		e->last_seq = seq;
	} else {
		/* An older record arriving late: only its labels count. */
		struct evrec later = e->rec;

		e->rec = *r;
		evrec_merge(&e->rec, &later);
	}
	e->nrecords++;
	if (jpeg != NULL) {
		free(e->jpeg);
		e->jpeg = jpeg;
		e->jlen = jlen;
	}
	return 0;
}

static int
cmp_view(const void *a, const void *b)
{
	const struct evview *x = a, *y = b;

	if (x->rec.start_ms != y->rec.start_ms)
		return x->rec.start_ms < y->rec.start_ms ? -1 : 1;
	return x->rec.event < y->rec.event ? -1 : x->rec.event > y->rec.event;
}

int
evfetch_range(struct cli *cli, struct evcam *ec, int64_t from_ms,
    int64_t to_ms, struct evview **out, size_t *n, size_t *skipped)
{
	json_t *objs, *o;
	struct evrec r;
	uint8_t *jpeg;
	size_t i, jlen;
	char why[256];
	int rc;

	*out = NULL;
	*n = 0;
	*skipped = 0;
	if ((objs = objs_list(cli, ec->cam_id, "event", from_ms, to_ms)) == NULL)
		return -1;
	json_array_foreach(objs, i, o) {
		uint64_t seq = (uint64_t)json_integer_value(json_object_get(o, "seq"));
		uint32_t epoch = (uint32_t)json_integer_value(json_object_get(o, "epoch"));

		rc = evfetch_record(cli, ec, seq, epoch, &r, &jpeg, &jlen, why,
		    sizeof(why));
		if (rc == 1) {
			(*skipped)++;
			continue;
		}
		if (rc != 0) {
			cli_err(cli, "event record %" PRIu64 " of %s failed "
			    "verification: %s", seq, ec->name, why);
			goto fail;
		}
		if (evfetch_merge(out, n, &r, seq, jpeg, jlen) != 0) {
			cli_err(cli, "too many events; ask for a shorter range");
			goto fail;
		}
	}
	json_decref(objs);
	if (*n > 1)
		qsort(*out, *n, sizeof(**out), cmp_view);
	return 0;
fail:
	json_decref(objs);
	evfetch_free(*out, *n);
	*out = NULL;
	*n = 0;
	return -1;
}

void
evfetch_free(struct evview *v, size_t n)
{
	for (size_t i = 0; v != NULL && i < n; i++)
		free(v[i].jpeg);
	free(v);
}

void
evfetch_print(const struct evview *v, int64_t now_ms, char *out, size_t n)
{
	const struct evrec *r = &v->rec;
	char t1[TIMESPEC_TEXT_MAX], t2[TIMESPEC_TEXT_MAX], labels[128] = "",
	    zones[160] = "";
	size_t off = 0;

	for (int i = 0; i < r->nlabels && off < sizeof(labels); i++)
		off += (size_t)snprintf(labels + off, sizeof(labels) - off, "%s%s %.2f",
		    i ? ", " : "", r->labels[i].label, (double)r->labels[i].score);
	off = 0;
	for (int i = 0; i < r->nzones && off < sizeof(zones); i++)
		off += (size_t)snprintf(zones + off, sizeof(zones) - off, "%s%s",
		    i ? "," : "", r->zones[i]);
	if (r->end_ms >= 0)
		timespec_format_duration(r->end_ms - r->start_ms, t2);
	else
		snprintf(t2, sizeof(t2), "%s", "going on");
	(void)now_ms;
	snprintf(out, n, "%-8" PRIu64 " %-19s  %-6s  %9s  %-24s  %s", r->event,
	    timespec_format_time(r->start_ms, t1), evrec_kind_name(r->kind), t2,
	    labels[0] ? labels : r->kind == EVREC_RING ? "-" : "motion",
	    zones[0] ? zones : "-");
}

json_t *
evfetch_json(const struct evview *v, const char *cam_id)
{
	const struct evrec *r = &v->rec;
	json_t *o, *labels = json_array(), *zones = json_array(), *boxes = json_array();

	for (int i = 0; i < r->nlabels; i++)
		json_array_append_new(labels, json_pack("{s:s, s:f}", "label",
		    r->labels[i].label, "score", (double)r->labels[i].score));
	for (int i = 0; i < r->nzones; i++)
		json_array_append_new(zones, json_string(r->zones[i]));
	for (int i = 0; i < r->nboxes; i++) {
		json_t *b = json_pack("{s:f, s:f, s:f, s:f}", "x", (double)r->boxes[i].x,
		    "y", (double)r->boxes[i].y, "w", (double)r->boxes[i].w,
		    "h", (double)r->boxes[i].h);

		if (b != NULL && r->boxes[i].label[0]) {
			json_object_set_new(b, "label", json_string(r->boxes[i].label));
			json_object_set_new(b, "score", json_real(r->boxes[i].score));
		}
		json_array_append_new(boxes, b);
	}
	o = json_pack("{s:I, s:s, s:s, s:s, s:I, s:o, s:I, s:o, s:f, s:I, s:o, "
	    "s:o, s:o, s:o, s:I, s:i, s:b}",
	    "id", (json_int_t)r->event, "camera_id", cam_id,
	    "kind", evrec_kind_name(r->kind), "state", evrec_state_name(r->state),
	    "start_ms", (json_int_t)r->start_ms,
	    "end_ms", r->end_ms >= 0 ? json_integer(r->end_ms) : json_null(),
	    "clip_start_ms", (json_int_t)r->clip_start_ms,
	    "clip_end_ms", r->clip_end_ms >= 0 ? json_integer(r->clip_end_ms) :
	    json_null(), "score", (double)r->score, "frames", (json_int_t)r->frames,
	    "labels", labels, "zones", zones, "boxes", boxes,
	    "segments", r->have_segments ? json_pack("[I, I]",
	    (json_int_t)r->seg_first, (json_int_t)r->seg_last) : json_null(),
	    "last_record", (json_int_t)v->last_seq, "records", v->nrecords,
	    "thumbnail", v->jpeg != NULL);
	return o;
}
