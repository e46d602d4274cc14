#include "evrec.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "codec.h"

#define EVREC_TIME_MAX 9007199254740991LL	/* 2^53 - 1: exact in JS too */

static const char *const state_names[] = { NULL, "start", "update", "end" };
static const char *const kind_names[] = { NULL, "motion", "ring" };

void
evrec_init(struct evrec *r)
{
	memset(r, 0, sizeof(*r));
	r->state = EVREC_START;
	r->kind = EVREC_MOTION;
	r->start_ms = r->end_ms = r->clip_start_ms = r->clip_end_ms = -1;
	r->thumb_ms = -1;
}

const char *
evrec_state_name(int state)
{
	return state >= EVREC_START && state <= EVREC_END ? state_names[state] : "?";
}

const char *
evrec_kind_name(int kind)
{
	return kind >= EVREC_MOTION && kind <= EVREC_RING ? kind_names[kind] : "?";
}

/* A zone or label name: 1..EVREC_NAME_MAX-1 bytes, no control characters
 * (jansson has already checked the UTF-8). */
static int
name_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n >= EVREC_NAME_MAX)
		return 0;
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 0;
	return 1;
}

static int
time_ok(int64_t t, int optional)
{
	return (optional && t == -1) || (t >= 0 && t <= EVREC_TIME_MAX);
}

static int
unit_ok(float v)
{
	return isfinite(v) && v >= 0 && v <= 1;
}

static json_t *
time_json(int64_t t)
{
	return t < 0 ? json_null() : json_integer(t);
}

/* Round to 4 decimals so the text stays short and stable. */
static json_t *
unit_json(float v)
{
	return json_real(round((double)v * 10000.0) / 10000.0);
}

static int
check(const struct evrec *r)
{
	if (r->state < EVREC_START || r->state > EVREC_END ||
	    r->kind < EVREC_MOTION || r->kind > EVREC_RING ||
	    r->event > (uint64_t)EVREC_TIME_MAX ||
	    !time_ok(r->start_ms, 0) || !time_ok(r->clip_start_ms, 0) ||
	    !time_ok(r->end_ms, 1) || !time_ok(r->clip_end_ms, 1) ||
	    !time_ok(r->thumb_ms, 1) || !unit_ok(r->score) ||
	    r->nzones < 0 || r->nzones > EVREC_MAX_ZONES ||
	    r->nlabels < 0 || r->nlabels > EVREC_MAX_LABELS ||
	    r->nboxes < 0 || r->nboxes > EVREC_MAX_BOXES ||
	    (r->have_segments && (r->seg_first > r->seg_last ||
	    r->seg_last > (uint64_t)EVREC_TIME_MAX)))
		return -1;
	for (int i = 0; i < r->nzones; i++)
		if (!name_ok(r->zones[i]))
			return -1;
	for (int i = 0; i < r->nlabels; i++)
		if (!name_ok(r->labels[i].label) || !unit_ok(r->labels[i].score))
			return -1;
	for (int i = 0; i < r->nboxes; i++) {
		const struct evrec_box *b = &r->boxes[i];

		if (!unit_ok(b->x) || !unit_ok(b->y) || !unit_ok(b->w) ||
		    !unit_ok(b->h) || !unit_ok(b->score) ||
		    (b->label[0] != '\0' && !name_ok(b->label)))
			return -1;
	}
	return 0;
}

static json_t *
to_json(const struct evrec *r)
{
	json_t *o, *zones, *labels, *boxes, *segs;

	zones = json_array();
	labels = json_array();
	boxes = json_array();
	segs = r->have_segments ? json_pack("[I, I]", (json_int_t)r->seg_first,
	    (json_int_t)r->seg_last) : json_null();
	for (int i = 0; i < r->nzones; i++)
		json_array_append_new(zones, json_string(r->zones[i]));
	for (int i = 0; i < r->nlabels; i++)
		json_array_append_new(labels, json_pack("{s:s, s:o}", "label",
		    r->labels[i].label, "score", unit_json(r->labels[i].score)));
	for (int i = 0; i < r->nboxes; i++) {
		const struct evrec_box *b = &r->boxes[i];
		json_t *jb = json_pack("{s:o, s:o, s:o, s:o}", "x", unit_json(b->x),
		    "y", unit_json(b->y), "w", unit_json(b->w), "h", unit_json(b->h));

		if (jb != NULL && b->label[0] != '\0') {
			json_object_set_new(jb, "label", json_string(b->label));
			json_object_set_new(jb, "score", unit_json(b->score));
		}
		json_array_append_new(boxes, jb);
	}
	o = json_pack("{s:i, s:I, s:s, s:s, s:I, s:o, s:I, s:o, s:o, s:I, s:o, "
	    "s:o, s:o, s:o, s:o}", "v", EVREC_VERSION, "event", (json_int_t)r->event,
	    "state", evrec_state_name(r->state), "kind", evrec_kind_name(r->kind),
	    "start_ms", (json_int_t)r->start_ms, "end_ms", time_json(r->end_ms),
	    "clip_start_ms", (json_int_t)r->clip_start_ms,
	    "clip_end_ms", time_json(r->clip_end_ms), "score", unit_json(r->score),
	    "frames", (json_int_t)r->frames, "zones", zones, "labels", labels,
	    "boxes", boxes, "thumb_ms", time_json(r->thumb_ms), "segments", segs);
	return o;
}

int
evrec_encode(const struct evrec *r, const uint8_t *jpeg, size_t jlen,
    uint8_t **out, size_t *outlen)
{
	json_t *o;
	char *text;
	size_t n;
	uint8_t *buf;

	*out = NULL;
	*outlen = 0;
	if (check(r) != 0 || jlen > EVREC_JPEG_MAX || (jlen > 0 && jpeg == NULL))
		return -1;
	if ((o = to_json(r)) == NULL)
		return -1;
	text = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(o);
	if (text == NULL)
		return -1;
	n = strlen(text);
	if (n > EVREC_JSON_MAX || (buf = malloc(12 + n + jlen)) == NULL) {
		free(text);
		return -1;
	}
	memcpy(buf, EVREC_MAGIC, 4);
	codec_put_be32(buf + 4, (uint32_t)n);
	memcpy(buf + 8, text, n);
	codec_put_be32(buf + 8 + n, (uint32_t)jlen);
	if (jlen > 0)
		memcpy(buf + 12 + n, jpeg, jlen);
	free(text);
	*out = buf;
	*outlen = 12 + n + jlen;
	return 0;
}

/* --- parsing ------------------------------------------------------------- */

static int fail(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int
fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* A time field: an integer 0..2^53-1, or null when optional. */
static int
get_time(json_t *o, const char *key, int optional, int64_t *t)
{
	json_t *v = json_object_get(o, key);

	if (v == NULL)
		return -1;
	if (json_is_null(v) && optional) {
		*t = -1;
		return 0;
	}
	if (!json_is_integer(v) || json_integer_value(v) < 0 ||
	    json_integer_value(v) > EVREC_TIME_MAX)
		return -1;
	*t = json_integer_value(v);
	return 0;
}

static int
get_unit(json_t *o, const char *key, float *f)
{
	json_t *v = json_object_get(o, key);

	if (!json_is_number(v))
		return -1;
	*f = (float)json_number_value(v);
	return unit_ok(*f) ? 0 : -1;
}

static int
get_name(json_t *v, char out[EVREC_NAME_MAX])
{
	if (!json_is_string(v) || !name_ok(json_string_value(v)))
		return -1;
	snprintf(out, EVREC_NAME_MAX, "%s", json_string_value(v));
	return 0;
}

static int
get_enum(json_t *o, const char *key, const char *const *names, int n, int *out)
{
	const char *s = json_string_value(json_object_get(o, key));

	for (int i = 1; s != NULL && i < n; i++)
		if (strcmp(s, names[i]) == 0) {
			*out = i;
			return 0;
		}
	return -1;
}

/* The fields of version 1, all required: a record has one shape. */
static const char *const fields[] = { "v", "event", "state", "kind",
	"start_ms", "end_ms", "clip_start_ms", "clip_end_ms", "score", "frames",
	"zones", "labels", "boxes", "thumb_ms", "segments" };
#define NFIELDS (sizeof(fields) / sizeof(fields[0]))

static int
from_json(json_t *o, struct evrec *r, char *err, size_t errlen)
{
	json_t *v, *a, *e;
	const char *key;
	size_t i;

	json_object_foreach(o, key, v) {
		for (i = 0; i < NFIELDS && strcmp(key, fields[i]) != 0; i++)
			;
		if (i == NFIELDS)
			return fail(err, errlen, "unknown field '%s'", key);
	}
	if (json_object_size(o) != NFIELDS)
		return fail(err, errlen, "fields missing");
	v = json_object_get(o, "v");
	if (!json_is_integer(v) || json_integer_value(v) != EVREC_VERSION)
		return fail(err, errlen, "unknown version");
	v = json_object_get(o, "event");
	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return fail(err, errlen, "field 'event'");
	r->event = (uint64_t)json_integer_value(v);
	if (get_enum(o, "state", state_names, 4, &r->state) != 0)
		return fail(err, errlen, "field 'state'");
	if (get_enum(o, "kind", kind_names, 3, &r->kind) != 0)
		return fail(err, errlen, "field 'kind'");
	if (get_time(o, "start_ms", 0, &r->start_ms) != 0 ||
	    get_time(o, "end_ms", 1, &r->end_ms) != 0 ||
	    get_time(o, "clip_start_ms", 0, &r->clip_start_ms) != 0 ||
	    get_time(o, "clip_end_ms", 1, &r->clip_end_ms) != 0 ||
	    get_time(o, "thumb_ms", 1, &r->thumb_ms) != 0)
		return fail(err, errlen, "a time field");
	if (get_unit(o, "score", &r->score) != 0)
		return fail(err, errlen, "field 'score'");
	v = json_object_get(o, "frames");
	if (!json_is_integer(v) || json_integer_value(v) < 0 ||
	    json_integer_value(v) > UINT32_MAX)
		return fail(err, errlen, "field 'frames'");
	r->frames = (uint32_t)json_integer_value(v);

	a = json_object_get(o, "zones");
	if (!json_is_array(a) || json_array_size(a) > EVREC_MAX_ZONES)
		return fail(err, errlen, "field 'zones'");
	json_array_foreach(a, i, e)
		if (get_name(e, r->zones[r->nzones++]) != 0)
			return fail(err, errlen, "zone %zu", i);
	a = json_object_get(o, "labels");
	if (!json_is_array(a) || json_array_size(a) > EVREC_MAX_LABELS)
		return fail(err, errlen, "field 'labels'");
	json_array_foreach(a, i, e) {
		struct evrec_label *l = &r->labels[r->nlabels++];

		if (!json_is_object(e) || json_object_size(e) != 2 ||
		    get_name(json_object_get(e, "label"), l->label) != 0 ||
		    get_unit(e, "score", &l->score) != 0)
			return fail(err, errlen, "label %zu", i);
	}
	a = json_object_get(o, "boxes");
	if (!json_is_array(a) || json_array_size(a) > EVREC_MAX_BOXES)
		return fail(err, errlen, "field 'boxes'");
	json_array_foreach(a, i, e) {
		struct evrec_box *b = &r->boxes[r->nboxes++];
		json_t *lab = json_object_get(e, "label");

		if (!json_is_object(e) || get_unit(e, "x", &b->x) != 0 ||
		    get_unit(e, "y", &b->y) != 0 || get_unit(e, "w", &b->w) != 0 ||
		    get_unit(e, "h", &b->h) != 0 ||
		    json_object_size(e) != (lab != NULL ? 6u : 4u) ||
		    (lab != NULL && (get_name(lab, b->label) != 0 ||
		    get_unit(e, "score", &b->score) != 0)))
			return fail(err, errlen, "box %zu", i);
	}
	v = json_object_get(o, "segments");
	if (!json_is_null(v)) {
		json_t *f = json_array_get(v, 0), *l = json_array_get(v, 1);

		if (!json_is_array(v) || json_array_size(v) != 2 ||
		    !json_is_integer(f) || !json_is_integer(l) ||
		    json_integer_value(f) < 0 ||
		    json_integer_value(l) < json_integer_value(f))
			return fail(err, errlen, "field 'segments'");
		r->have_segments = 1;
		r->seg_first = (uint64_t)json_integer_value(f);
		r->seg_last = (uint64_t)json_integer_value(l);
	}
	if (check(r) != 0)
		return fail(err, errlen, "a value out of range");
	return 0;
}

int
evrec_parse(const uint8_t *buf, size_t len, struct evrec *r,
    const uint8_t **jpeg, size_t *jlen, char *err, size_t errlen)
{
	json_error_t je;
	json_t *o;
	uint32_t n, m;
	int rc;

	evrec_init(r);
	*jpeg = NULL;
	*jlen = 0;
	if (len < 12 || memcmp(buf, EVREC_MAGIC, 4) != 0)
		return fail(err, errlen, "not an event record");
	n = codec_get_be32(buf + 4);
	if (n < 2 || n > EVREC_JSON_MAX || n > len - 12)
		return fail(err, errlen, "bad JSON length");
	m = codec_get_be32(buf + 8 + n);
	if (m > EVREC_JPEG_MAX || (size_t)m != len - 12 - n)
		return fail(err, errlen, "bad thumbnail length");
	if ((o = json_loadb((const char *)buf + 8, n, JSON_REJECT_DUPLICATES,
	    &je)) == NULL || !json_is_object(o)) {
		json_decref(o);
		return fail(err, errlen, "bad JSON");
	}
	rc = from_json(o, r, err, errlen);
	json_decref(o);
	if (rc != 0) {
		evrec_init(r);
		return -1;
	}
	if (m > 0) {
		const uint8_t *j = buf + 12 + n;

		/* A JPEG: SOI at the start, EOI at the end. */
		if (m < 4 || j[0] != 0xff || j[1] != 0xd8 || j[m - 2] != 0xff ||
		    j[m - 1] != 0xd9) {
			evrec_init(r);
			return fail(err, errlen, "the thumbnail is not a JPEG");
		}
		*jpeg = j;
		*jlen = m;
	}
	return 0;
}

float
evrec_label_score(const struct evrec *r, const char *label)
{
	for (int i = 0; i < r->nlabels; i++)
		if (strcmp(r->labels[i].label, label) == 0)
			return r->labels[i].score;
	return 0;
}

void
evrec_merge(struct evrec *acc, const struct evrec *later)
{
	struct evrec_label labels[EVREC_MAX_LABELS];
	int n = acc->nlabels;

	memcpy(labels, acc->labels, sizeof(labels));
	for (int i = 0; i < later->nlabels; i++) {
		int j;

		for (j = 0; j < n && strcmp(labels[j].label,
		    later->labels[i].label) != 0; j++)
			;
		if (j < n) {
			if (later->labels[i].score > labels[j].score)
				labels[j].score = later->labels[i].score;
		} else if (n < EVREC_MAX_LABELS) {
			labels[n++] = later->labels[i];
		}
	}
	if (later->nboxes == 0 || later->thumb_ms < 0) {
		/* Keep the boxes of the thumbnail the caller keeps. */
		struct evrec_box boxes[EVREC_MAX_BOXES];
		int nb = acc->nboxes;
		int64_t tm = acc->thumb_ms;

		memcpy(boxes, acc->boxes, sizeof(boxes));
		*acc = *later;
		memcpy(acc->boxes, boxes, sizeof(boxes));
		acc->nboxes = nb;
		acc->thumb_ms = tm;
	} else {
		*acc = *later;
	}
	memcpy(acc->labels, labels, sizeof(labels));
	acc->nlabels = n;
}
