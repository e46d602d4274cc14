/*
 * motion_config.c — defaults, range checks and the JSON form of
 * struct motion_config (per-camera masks, zones and sensitivity).
 *
 *	{ "sensitivity": 60, "min_area": 0.001, "absorb_ms": 20000,
 *	  "masks": [ [[0,0],[1,0],[1,0.1],[0,0.1]] ],
 *	  "zones": [ {"name": "porch", "polygon": [[0.5,0.5],[1,0.5],[1,1]]} ] }
 *
 * Fields and ranges are one table, so the parser, the checker and
 * docs/MOTION.md agree.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "motion_int.h"

enum { F_INT, F_FLOAT };

static const struct field {
	const char *name;
	int type;
	size_t off;
	double min, max;
} fields[] = {
	{ "sensitivity", F_INT, offsetof(struct motion_config, sensitivity), 1, 100 },
	{ "threshold", F_INT, offsetof(struct motion_config, threshold), 0, 255 },
	{ "min_area", F_FLOAT, offsetof(struct motion_config, min_area), 0, 1 },
	{ "merge_distance", F_FLOAT, offsetof(struct motion_config, merge_distance), 0, 1 },
	{ "work_width", F_INT, offsetof(struct motion_config, work_width), 32, MOTION_MAX_SIZE },
	{ "background_ms", F_INT, offsetof(struct motion_config, background_ms), 100, 3600000 },
	{ "still_ms", F_INT, offsetof(struct motion_config, still_ms), 0, 3600000 },
	{ "absorb_ms", F_INT, offsetof(struct motion_config, absorb_ms), 0, 3600000 },
	{ "warmup_ms", F_INT, offsetof(struct motion_config, warmup_ms), 0, 600000 },
	{ "start_frames", F_INT, offsetof(struct motion_config, start_frames), 1, 1000 },
	{ "end_quiet_ms", F_INT, offsetof(struct motion_config, end_quiet_ms), 0, 3600000 },
	{ "pre_roll_ms", F_INT, offsetof(struct motion_config, pre_roll_ms), 0, 600000 },
	{ "post_roll_ms", F_INT, offsetof(struct motion_config, post_roll_ms), 0, 600000 },
	{ "lightswitch", F_FLOAT, offsetof(struct motion_config, lightswitch), 0, 1 },
	{ "lightswitch_max_ms", F_INT, offsetof(struct motion_config, lightswitch_max_ms), 100, 600000 },
};

void
motion_config_default(struct motion_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->sensitivity = 50;
	cfg->threshold = 0;
	cfg->min_area = 0.0005f;
	cfg->merge_distance = 0.02f;
	cfg->work_width = 320;
	cfg->background_ms = 10000;
	cfg->still_ms = 3000;
	cfg->absorb_ms = 30000;
	cfg->warmup_ms = 1000;
	cfg->start_frames = 3;
	cfg->end_quiet_ms = 5000;
	cfg->pre_roll_ms = 3000;
	cfg->post_roll_ms = 2000;
	cfg->lightswitch = 0.35f;
	cfg->lightswitch_max_ms = 5000;
	memcpy(cfg->despeckle, "M", 2);
}

/* A float as the shortest "%.Ng" that reads back as the same float. */
static const char *
fmt_float(float v)
{
	static __thread char buf[32];

	for (int prec = 6; prec <= 9; prec++) {
		snprintf(buf, sizeof(buf), "%.*g", prec, (double)v);
		if ((float)strtod(buf, NULL) == v)
			break;
	}
	return buf;
}

static double
field_get(const struct motion_config *cfg, const struct field *f)
{
	const char *p = (const char *)cfg + f->off;
	int i;
	float v;

	if (f->type == F_INT) {
		memcpy(&i, p, sizeof(i));
		return i;
	}
	memcpy(&v, p, sizeof(v));
	return v;
}

static int
check_poly(const struct motion_polygon *poly, const char *what, int idx,
    char *err, size_t errlen)
{
	if (poly->n < 3 || poly->n > MOTION_MAX_POINTS) {
		snprintf(err, errlen, "%s[%d]: needs 3..%d points, has %d",
		    what, idx, MOTION_MAX_POINTS, poly->n);
		return -1;
	}
	for (int i = 0; i < poly->n; i++) {
		float x = poly->p[i].x, y = poly->p[i].y;
		/* !(a >= b) also catches NaN. */
		if (!(x >= 0 && x <= 1 && y >= 0 && y <= 1)) {
			snprintf(err, errlen, "%s[%d]: point %d is outside "
			    "[0,1]x[0,1] (normalised coordinates)", what, idx, i);
			return -1;
		}
	}
	if (memchr(poly->name, 0, sizeof(poly->name)) == NULL) {
		snprintf(err, errlen, "%s[%d]: name not terminated", what, idx);
		return -1;
	}
	return 0;
}

int
motion_config_check(const struct motion_config *cfg, char *err, size_t errlen)
{
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		double v = field_get(cfg, &fields[i]);
		if (!(v >= fields[i].min && v <= fields[i].max)) {
			snprintf(err, errlen, "%s: %g is outside %g..%g",
			    fields[i].name, v, fields[i].min, fields[i].max);
			return -1;
		}
	}
	if (memchr(cfg->despeckle, 0, sizeof(cfg->despeckle)) == NULL) {
		snprintf(err, errlen, "despeckle: not terminated");
		return -1;
	}
	for (const char *s = cfg->despeckle; *s; s++)
		if (*s != 'M' && *s != 'E' && *s != 'D') {
			snprintf(err, errlen, "despeckle: '%c' is not one of "
			    "M (majority), E (erode), D (dilate)", *s);
			return -1;
		}
	if (cfg->nmasks < 0 || cfg->nmasks > MOTION_MAX_MASKS ||
	    cfg->nzones < 0 || cfg->nzones > MOTION_MAX_ZONES) {
		snprintf(err, errlen, "masks/zones: at most %d masks and %d zones",
		    MOTION_MAX_MASKS, MOTION_MAX_ZONES);
		return -1;
	}
	for (int i = 0; i < cfg->nmasks; i++)
		if (check_poly(&cfg->masks[i], "masks", i, err, errlen) == -1)
			return -1;
	for (int i = 0; i < cfg->nzones; i++)
		if (check_poly(&cfg->zones[i], "zones", i, err, errlen) == -1)
			return -1;
	return 0;
}

/* [[x,y], ...] into *poly. */
static int
parse_points(json_t *arr, struct motion_polygon *poly, const char *what,
    int idx, char *err, size_t errlen)
{
	size_t n = json_is_array(arr) ? json_array_size(arr) : 0;

	if (n < 3 || n > MOTION_MAX_POINTS) {
		snprintf(err, errlen, "%s[%d]: expected an array of 3..%d "
		    "[x, y] points", what, idx, MOTION_MAX_POINTS);
		return -1;
	}
	poly->n = (int)n;
	for (size_t i = 0; i < n; i++) {
		json_t *pt = json_array_get(arr, i);
		json_t *x = json_array_get(pt, 0), *y = json_array_get(pt, 1);
		if (!json_is_array(pt) || json_array_size(pt) != 2 ||
		    !json_is_number(x) || !json_is_number(y)) {
			snprintf(err, errlen, "%s[%d]: point %zu is not [x, y]",
			    what, idx, i);
			return -1;
		}
		poly->p[i].x = (float)json_number_value(x);
		poly->p[i].y = (float)json_number_value(y);
	}
	return 0;
}

/* A mask is [[x,y],...] or {"polygon": [[x,y],...]}; a zone must be an
 * object with a name. */
static int
parse_polys(json_t *arr, struct motion_polygon *out, int max, int *nout,
    int named, const char *what, char *err, size_t errlen)
{
	size_t n = json_is_array(arr) ? json_array_size(arr) : 0;

	if (!json_is_array(arr) || n > (size_t)max) {
		snprintf(err, errlen, "%s: expected an array of at most %d "
		    "polygons", what, max);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		json_t *v = json_array_get(arr, i), *pts = v;
		struct motion_polygon *poly = &out[i];
		memset(poly, 0, sizeof(*poly));
		if (json_is_object(v)) {
			const char *key;
			json_t *val;
			json_object_foreach(v, key, val) {
				if (strcmp(key, "name") != 0 &&
				    strcmp(key, "polygon") != 0) {
					snprintf(err, errlen, "%s[%zu]: unknown "
					    "key \"%s\"", what, i, key);
					return -1;
				}
			}
			pts = json_object_get(v, "polygon");
			json_t *name = json_object_get(v, "name");
			if (name != NULL) {
				const char *s = json_string_value(name);
				size_t len = s ? strlen(s) : 0;
				if (s == NULL || len == 0 ||
				    len >= MOTION_NAME_MAX) {
					snprintf(err, errlen, "%s[%zu]: name must"
					    " be a string of 1..%d bytes", what,
					    i, MOTION_NAME_MAX - 1);
					return -1;
				}
				memcpy(poly->name, s, len + 1);
			}
		}
		if (named && poly->name[0] == 0) {
			snprintf(err, errlen, "%s[%zu]: expected {\"name\": ..., "
			    "\"polygon\": [[x, y], ...]}", what, i);
			return -1;
		}
		if (parse_points(pts, poly, what, (int)i, err, errlen) == -1)
			return -1;
	}
	*nout = (int)n;
	return 0;
}

int
motion_config_parse(struct motion_config *cfg, const char *json, size_t len,
    char *err, size_t errlen)
{
	struct motion_config c = *cfg;
	json_error_t jerr;
	json_t *root;
	const char *key;
	json_t *val;
	int ret = -1;

	root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL) {
		snprintf(err, errlen, "line %d: %s", jerr.line, jerr.text);
		return -1;
	}
	if (!json_is_object(root)) {
		snprintf(err, errlen, "expected a JSON object");
		goto out;
	}
	json_object_foreach(root, key, val) {
		const struct field *f = NULL;
		for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
			if (strcmp(key, fields[i].name) == 0)
				f = &fields[i];
		if (f != NULL) {
			double v = json_number_value(val);
			char *p = (char *)&c + f->off;
			if (!json_is_number(val) ||
			    (f->type == F_INT && !json_is_integer(val))) {
				snprintf(err, errlen, "%s: expected %s", key,
				    f->type == F_INT ? "an integer" : "a number");
				goto out;
			}
			if (!(v >= f->min && v <= f->max)) {
				snprintf(err, errlen, "%s: %g is outside %g..%g",
				    key, v, f->min, f->max);
				goto out;
			}
			if (f->type == F_INT) {
				int iv = (int)json_integer_value(val);
				memcpy(p, &iv, sizeof(iv));
			} else {
				float fv = (float)v;
				memcpy(p, &fv, sizeof(fv));
			}
		} else if (strcmp(key, "despeckle") == 0) {
			const char *s = json_string_value(val);
			if (s == NULL || strlen(s) >= MOTION_DESPECKLE_MAX) {
				snprintf(err, errlen, "despeckle: expected a "
				    "string of at most %d steps",
				    MOTION_DESPECKLE_MAX - 1);
				goto out;
			}
			memset(c.despeckle, 0, sizeof(c.despeckle));
			memcpy(c.despeckle, s, strlen(s));
		} else if (strcmp(key, "masks") == 0) {
			if (parse_polys(val, c.masks, MOTION_MAX_MASKS,
			    &c.nmasks, 0, "masks", err, errlen) == -1)
				goto out;
		} else if (strcmp(key, "zones") == 0) {
			if (parse_polys(val, c.zones, MOTION_MAX_ZONES,
			    &c.nzones, 1, "zones", err, errlen) == -1)
				goto out;
		} else {
			snprintf(err, errlen, "unknown key \"%s\"", key);
			goto out;
		}
	}
	if (motion_config_check(&c, err, errlen) == -1)
		goto out;
	*cfg = c;
	ret = 0;
out:
	json_decref(root);
	return ret;
}

int
motion_config_load(struct motion_config *cfg, const char *path, char *err,
    size_t errlen)
{
	char *buf = NULL;
	size_t n = 0;
	FILE *fp;
	int ret = -1;

	if ((fp = fopen(path, "rb")) == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	/* One byte more than allowed tells "too big" from "exactly full". */
	if ((buf = malloc(MOTION_CONFIG_MAX + 1)) == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
		goto out;
	}
	n = fread(buf, 1, MOTION_CONFIG_MAX + 1, fp);
	if (ferror(fp)) {
		snprintf(err, errlen, "%s: read error", path);
		goto out;
	}
	if (n > MOTION_CONFIG_MAX) {
		snprintf(err, errlen, "%s: larger than %d bytes", path,
		    MOTION_CONFIG_MAX);
		goto out;
	}
	if (motion_config_parse(cfg, buf, n, err, errlen) == -1) {
		/* Prefix the file name without losing the message. */
		char msg[256];
		snprintf(msg, sizeof(msg), "%s", err);
		snprintf(err, errlen, "%s: %s", path, msg);
		goto out;
	}
	ret = 0;
out:
	free(buf);
	fclose(fp);
	return ret;
}

static json_t *
dump_points(const struct motion_polygon *poly)
{
	json_t *a = json_array();

	for (int i = 0; a != NULL && i < poly->n; i++)
		json_array_append_new(a, json_pack("[f, f]", (double)poly->p[i].x,
		    (double)poly->p[i].y));
	return a;
}

char *
motion_config_dump(const struct motion_config *cfg)
{
	json_t *root = json_object(), *masks = json_array(), *zones = json_array();
	char *text = NULL;

	if (root == NULL || masks == NULL || zones == NULL)
		goto out;
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		double v = field_get(cfg, &fields[i]);

		json_object_set_new(root, fields[i].name, fields[i].type == F_INT ?
		    json_integer((json_int_t)v) :
		    /* floats as their shortest decimal that reads back */
		    json_real(strtod(fmt_float((float)v), NULL)));
	}
	json_object_set_new(root, "despeckle", json_string(cfg->despeckle));
	for (int i = 0; i < cfg->nmasks; i++)
		json_array_append_new(masks, dump_points(&cfg->masks[i]));
	for (int i = 0; i < cfg->nzones; i++)
		json_array_append_new(zones, json_pack("{s:s, s:o}", "name",
		    cfg->zones[i].name, "polygon", dump_points(&cfg->zones[i])));
	json_object_set(root, "masks", masks);
	json_object_set(root, "zones", zones);
	text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
out:
	json_decref(masks);
	json_decref(zones);
	json_decref(root);
	return text;
}

/* Even-odd rule: is (x, y) inside the polygon? */
int
motion_poly_inside(const struct motion_polygon *poly, float x, float y)
{
	int in = 0;

	for (int i = 0, j = poly->n - 1; i < poly->n; j = i++) {
		float xi = poly->p[i].x, yi = poly->p[i].y;
		float xj = poly->p[j].x, yj = poly->p[j].y;
		if ((yi > y) != (yj > y) &&
		    x < (xj - xi) * (y - yi) / (yj - yi) + xi)
			in = !in;
	}
	return in;
}
