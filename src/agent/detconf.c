#include "detconf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "fsutil.h"
#include "log.h"

static const char *const record_names[] = { NULL, "continuous", "events", "both" };
static const char *const notify_names[] = { NULL, "all", "person", "none" };

void
detconf_default(struct detconf *d)
{
	memset(d, 0, sizeof(*d));
	d->record = DETCONF_BOTH;
	d->notify = DETCONF_NOTIFY_ALL;
	d->labels_per_s = 2;
	d->label_min_score = 0.5;
	d->ring_post_s = 10;
	motion_config_default(&d->motion);
}

const char *
detconf_record_name(int record)
{
	return record >= 1 && record <= 3 ? record_names[record] : "?";
}

const char *
detconf_notify_name(int notify)
{
	return notify >= 1 && notify <= 3 ? notify_names[notify] : "?";
}

static int
lookup(const char *const *names, const char *s)
{
	for (int i = 1; s != NULL && i <= 3; i++)
		if (strcmp(s, names[i]) == 0)
			return i;
	return -1;
}

int
detconf_record_parse(const char *s)
{
	return lookup(record_names, s);
}

int
detconf_notify_parse(const char *s)
{
	return lookup(notify_names, s);
}

int
detconf_parse(struct detconf *d, const char *json, size_t len, char *err,
    size_t errlen)
{
	struct detconf c = *d;
	json_error_t je;
	json_t *root, *v;
	const char *key;
	char *text;
	int ret = -1;

	if ((root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &je)) == NULL) {
		snprintf(err, errlen, "line %d: %s", je.line, je.text);
		return -1;
	}
	if (!json_is_object(root)) {
		snprintf(err, errlen, "expected a JSON object");
		goto out;
	}
	json_object_foreach(root, key, v) {
		if (strcmp(key, "record") == 0) {
			if ((c.record = detconf_record_parse(json_string_value(v))) < 0) {
				snprintf(err, errlen, "record: continuous, events or both");
				goto out;
			}
		} else if (strcmp(key, "notify") == 0) {
			if ((c.notify = detconf_notify_parse(json_string_value(v))) < 0) {
				snprintf(err, errlen, "notify: all, person or none");
				goto out;
			}
		} else if (strcmp(key, "detect_source") == 0) {
			const char *s = json_string_value(v);

			if (s == NULL || strlen(s) >= sizeof(c.detect_source)) {
				snprintf(err, errlen, "detect_source: a URL or file of "
				    "at most %d bytes (\"\" = the main stream)",
				    SOURCE_SPEC_MAX - 1);
				goto out;
			}
			snprintf(c.detect_source, sizeof(c.detect_source), "%s", s);
		} else if (strcmp(key, "labels_per_second") == 0) {
			c.labels_per_s = json_number_value(v);
			if (!json_is_number(v) || !(c.labels_per_s >= 0 &&
			    c.labels_per_s <= DETCONF_LABEL_RATE_MAX)) {
				snprintf(err, errlen, "labels_per_second: 0..%g",
				    DETCONF_LABEL_RATE_MAX);
				goto out;
			}
		} else if (strcmp(key, "label_min_score") == 0) {
			c.label_min_score = json_number_value(v);
			if (!json_is_number(v) || !(c.label_min_score >= 0.05 &&
			    c.label_min_score <= 1)) {
				snprintf(err, errlen, "label_min_score: 0.05..1");
				goto out;
			}
		} else if (strcmp(key, "ring_post_seconds") == 0) {
			if (!json_is_integer(v) || json_integer_value(v) < 1 ||
			    json_integer_value(v) > 600) {
				snprintf(err, errlen, "ring_post_seconds: 1..600");
				goto out;
			}
			c.ring_post_s = (int)json_integer_value(v);
		} else if (strcmp(key, "decode") == 0) {
			const char *m = json_string_value(v);

			if (m == NULL || (strcmp(m, "fast") != 0 &&
			    strcmp(m, "full") != 0)) {
				snprintf(err, errlen, "decode: fast or full");
				goto out;
			}
			c.decode_full = strcmp(m, "full") == 0;
		} else if (strcmp(key, "motion") == 0) {
			char merr[200];

			if (!json_is_object(v) ||
			    (text = json_dumps(v, JSON_COMPACT)) == NULL) {
				snprintf(err, errlen, "motion: expected an object");
				goto out;
			}
			if (motion_config_parse(&c.motion, text, strlen(text), merr,
			    sizeof(merr)) != 0) {
				snprintf(err, errlen, "motion: %s", merr);
				free(text);
				goto out;
			}
			free(text);
		} else {
			snprintf(err, errlen, "unknown key \"%s\"", key);
			goto out;
		}
	}
	*d = c;
	ret = 0;
out:
	json_decref(root);
	return ret;
}

int
detconf_load(const char *dir, struct detconf *d, char *err, size_t errlen)
{
	char path[4096];
	uint8_t *buf = NULL;
	size_t len = 0;
	int rc;

	detconf_default(d);
	if (snprintf(path, sizeof(path), "%s/%s", dir, DETCONF_FILE) >=
	    (int)sizeof(path)) {
		snprintf(err, errlen, "path too long");
		return -1;
	}
	if (fsutil_read_bounded(path, DETCONF_MAX, &buf, &len) != 0) {
		if (errno == ENOENT)
			return 0;	/* no file: the defaults */
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	rc = detconf_parse(d, (const char *)buf, len, err, errlen);
	if (rc != 0) {
		char msg[256];

		snprintf(msg, sizeof(msg), "%s", err);
		snprintf(err, errlen, "%s: %s", path, msg);
	}
	free(buf);
	return rc;
}

int
detconf_save(const char *dir, const struct detconf *d)
{
	char path[4096], *mtext = NULL, *text = NULL;
	json_t *root = NULL, *motion = NULL;
	json_error_t je;
	int rc = -1;

	if (snprintf(path, sizeof(path), "%s/%s", dir, DETCONF_FILE) >=
	    (int)sizeof(path))
		return -1;
	if ((mtext = motion_config_dump(&d->motion)) == NULL ||
	    (motion = json_loads(mtext, 0, &je)) == NULL)
		goto out;
	root = json_pack("{s:s, s:s, s:s, s:f, s:f, s:i, s:s, s:O}",
	    "record", detconf_record_name(d->record),
	    "detect_source", d->detect_source,
	    "notify", detconf_notify_name(d->notify),
	    "labels_per_second", d->labels_per_s,
	    "label_min_score", d->label_min_score,
	    "ring_post_seconds", d->ring_post_s,
	    "decode", d->decode_full ? "full" : "fast", "motion", motion);
	if (root == NULL || (text = json_dumps(root, JSON_INDENT(2) |
	    JSON_PRESERVE_ORDER)) == NULL)
		goto out;
	if (fsutil_write_durable(path, text, strlen(text), 0600) != 0) {
		log_err("config", "msg=\"cannot save detection settings\" "
		    "path=%s err=\"%s\"", path, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	free(mtext);
	free(text);
	json_decref(motion);
	json_decref(root);
	return rc;
}

int
detconf_polygon_parse(const char *s, struct motion_polygon *p)
{
	const char *q = s;

	memset(p, 0, sizeof(*p));
	for (;;) {
		char *end;
		double x, y;

		while (*q == ' ' || *q == ';')
			q++;
		if (*q == '\0')
			break;
		if (p->n == MOTION_MAX_POINTS)
			return -1;
		errno = 0;
		x = strtod(q, &end);
		if (end == q || *end != ',' || errno != 0)
			return -1;
		q = end + 1;
		y = strtod(q, &end);
		if (end == q || errno != 0 || (*end != '\0' && *end != ' ' &&
		    *end != ';'))
			return -1;
		q = end;
		if (!(x >= 0 && x <= 1 && y >= 0 && y <= 1))
			return -1;
		p->p[p->n].x = (float)x;
		p->p[p->n].y = (float)y;
		p->n++;
	}
	return p->n >= 3 ? 0 : -1;
}
