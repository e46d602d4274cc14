/*
 * nn_weights.c — read TensorFlow.js weight manifests and shards (see
 * nn_model.h), dequantising to float32.
 */
#include <errno.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "nn_model.h"
#include "nn_weights_int.h"

static void *read_file(const char *path, size_t max, size_t *len)
{
	FILE *f = fopen(path, "rb");
	unsigned char *buf = NULL;
	long sz;

	*len = 0;
	if (f == NULL) {
		log_err("nn", "file=%s err=\"%s\"", path, strerror(errno));
		return NULL;
	}
	if (fseek(f, 0, SEEK_END) != 0 || (sz = ftell(f)) < 0 || (size_t)sz > max ||
	    fseek(f, 0, SEEK_SET) != 0) {
		log_err("nn", "file=%s err=\"unreadable or larger than %zu bytes\"", path, max);
		goto err;
	}
	buf = malloc(sz + 1);
	if (buf == NULL || fread(buf, 1, sz, f) != (size_t)sz) {
		log_err("nn", "file=%s err=\"short read\"", path);
		goto err;
	}
	buf[sz] = 0;
	fclose(f);
	*len = sz;
	return buf;
err:
	free(buf);
	fclose(f);
	return NULL;
}

static float half_to_float(uint16_t h)
{
	uint32_t sign = (uint32_t)(h & 0x8000) << 16, exp = (h >> 10) & 0x1f,
		 man = h & 0x3ff, bits;
	float f;

	if (exp == 0) {
		/* Zero or subnormal: value = man * 2^-24. */
		f = (float)man / 16777216.f;
		return sign ? -f : f;
	}
	if (exp == 31)
		bits = sign | 0x7f800000u | (man << 13);
	else
		bits = sign | ((exp + 112) << 23) | (man << 13);
	memcpy(&f, &bits, sizeof(f));
	return f;
}

static const char *dir_of(const char *path, char *buf, size_t n)
{
	const char *slash = strrchr(path, '/');
	size_t len = slash ? (size_t)(slash - path) : 1;

	if (!slash)
		return ".";
	if (len >= n)
		len = n - 1;
	memcpy(buf, path, len);
	buf[len] = 0;
	return buf;
}

/* Parse one group {paths:[...], weights:[...]}: concatenate the shards and
 * cut them into weights in order. */
static int load_group(struct nn_weights *w, json_t *group, const char *dir,
                      const char *json_path)
{
	json_t *paths = json_object_get(group, "paths");
	json_t *ws = json_object_get(group, "weights");
	unsigned char *data = NULL;
	size_t total = 0, off = 0, i;
	int ret = -1;

	if (!json_is_array(paths) || !json_is_array(ws)) {
		log_err("nn", "file=%s err=\"manifest group without paths/weights\"", json_path);
		return -1;
	}
	for (i = 0; i < json_array_size(paths); i++) {
		const char *p = json_string_value(json_array_get(paths, i));
		char full[4096];
		size_t len;
		unsigned char *part, *grown;

		if (p == NULL || strstr(p, "..") || p[0] == '/') {
			log_err("nn", "file=%s err=\"bad shard path\"", json_path);
			goto out;
		}
		if ((size_t)snprintf(full, sizeof(full), "%s/%s", dir, p) >= sizeof(full))
			goto out;
		part = read_file(full, NN_MODEL_MAX_BIN, &len);
		if (part == NULL)
			goto out;
		if (total + len > NN_MODEL_MAX_BIN) {
			free(part);
			log_err("nn", "file=%s err=\"shards too large\"", json_path);
			goto out;
		}
		grown = realloc(data, total + len + 1);
		if (grown == NULL) {
			free(part);
			goto out;
		}
		data = grown;
		memcpy(data + total, part, len);
		total += len;
		free(part);
	}

	for (i = 0; i < json_array_size(ws); i++) {
		json_t *e = json_array_get(ws, i), *shape = json_object_get(e, "shape");
		json_t *q = json_object_get(e, "quantization");
		const char *name = json_string_value(json_object_get(e, "name"));
		const char *dtype = json_string_value(json_object_get(e, "dtype"));
		const char *qtype = q ? json_string_value(json_object_get(q, "dtype")) : NULL;
		struct nn_weight *nw;
		size_t count = 1, esize;
		size_t j;

		if (name == NULL || dtype == NULL || !json_is_array(shape) ||
		    json_array_size(shape) > NN_MODEL_MAX_RANK) {
			log_err("nn", "file=%s err=\"bad weight entry %zu\"", json_path, i);
			goto out;
		}
		if (w->n == w->cap) {
			size_t cap = w->cap ? w->cap * 2 : 64;
			struct nn_weight *g = realloc(w->v, cap * sizeof(*g));
			if (g == NULL)
				goto out;
			w->v = g;
			w->cap = cap;
		}
		nw = &w->v[w->n];
		memset(nw, 0, sizeof(*nw));
		nw->rank = (int)json_array_size(shape);
		for (j = 0; j < json_array_size(shape); j++) {
			json_int_t d = json_integer_value(json_array_get(shape, j));
			if (d <= 0 || d > NN_MAX_DIM) {
				log_err("nn", "file=%s weight=%s err=\"bad shape\"", json_path, name);
				goto out;
			}
			nw->shape[j] = (int)d;
			count *= (size_t)d;
		}
		if (count > NN_MAX_ELEMS)
			goto out;
		if (qtype && (!strcmp(qtype, "uint8") || !strcmp(qtype, "int8")))
			esize = 1;
		else if (qtype && (!strcmp(qtype, "uint16") || !strcmp(qtype, "float16") ||
		                   !strcmp(qtype, "int16")))
			esize = 2;
		else if (!qtype && (!strcmp(dtype, "float32") || !strcmp(dtype, "int32")))
			esize = 4;
		else {
			log_err("nn", "file=%s weight=%s err=\"unsupported dtype %s/%s\"",
			        json_path, name, dtype, qtype ? qtype : "-");
			goto out;
		}
		if (off + count * esize > total) {
			log_err("nn", "file=%s weight=%s err=\"shards too short\"", json_path, name);
			goto out;
		}
		nw->name = strdup(name);
		nw->count = count;
		nw->d = nn_alloc(count * sizeof(float));
		if (nw->name == NULL || nw->d == NULL) {
			free(nw->name);
			nn_free(nw->d);
			goto out;
		}
		w->n++;
		const unsigned char *src = data + off;
		if (esize == 4 && !strcmp(dtype, "int32")) {
			for (j = 0; j < count; j++) {
				int32_t v;
				memcpy(&v, src + 4 * j, 4);
				nw->d[j] = (float)v;
			}
		} else if (esize == 4) {
			memcpy(nw->d, src, count * 4);
		} else if (!strcmp(qtype, "float16")) {
			for (j = 0; j < count; j++) {
				uint16_t v;
				memcpy(&v, src + 2 * j, 2);
				nw->d[j] = half_to_float(v);
			}
		} else {
			/* Affine quantisation: value = q * scale + min. */
			double scale = json_number_value(json_object_get(q, "scale"));
			double min = json_number_value(json_object_get(q, "min"));
			for (j = 0; j < count; j++) {
				double v;
				if (!strcmp(qtype, "uint8"))
					v = src[j];
				else if (!strcmp(qtype, "int8"))
					v = (int8_t)src[j];
				else {
					uint16_t u;
					memcpy(&u, src + 2 * j, 2);
					v = !strcmp(qtype, "int16") ? (double)(int16_t)u : (double)u;
				}
				nw->d[j] = (float)(v * scale + min);
			}
		}
		off += count * esize;
	}
	if (off != total) {
		log_err("nn", "file=%s err=\"%zu unused shard bytes\"", json_path, total - off);
		goto out;
	}
	ret = 0;
out:
	free(data);
	return ret;
}

struct nn_weights *nn_weights_load_json(const char *json_path, json_t **root_out)
{
	struct nn_weights *w = NULL;
	json_t *root = NULL, *groups;
	json_error_t jerr;
	char dirbuf[4096];
	const char *dir;
	size_t len, i;
	char *text;

	if (root_out)
		*root_out = NULL;
	text = read_file(json_path, NN_MODEL_MAX_JSON, &len);
	if (text == NULL)
		return NULL;
	root = json_loadb(text, len, 0, &jerr);
	free(text);
	if (root == NULL) {
		log_err("nn", "file=%s err=\"json: %s line %d\"", json_path, jerr.text, jerr.line);
		return NULL;
	}
	groups = json_is_array(root) ? root : json_object_get(root, "weightsManifest");
	if (!json_is_array(groups)) {
		log_err("nn", "file=%s err=\"no weights manifest\"", json_path);
		goto err;
	}
	w = calloc(1, sizeof(*w));
	if (w == NULL)
		goto err;
	dir = dir_of(json_path, dirbuf, sizeof(dirbuf));
	for (i = 0; i < json_array_size(groups); i++)
		if (load_group(w, json_array_get(groups, i), dir, json_path) != 0)
			goto err;
	if (root_out)
		*root_out = root;
	else
		json_decref(root);
	return w;
err:
	nn_weights_free(w);
	json_decref(root);
	return NULL;
}

struct nn_weights *nn_weights_load(const char *json_path)
{
	return nn_weights_load_json(json_path, NULL);
}

void nn_weights_free(struct nn_weights *w)
{
	if (w == NULL)
		return;
	for (size_t i = 0; i < w->n; i++) {
		free(w->v[i].name);
		nn_free(w->v[i].d);
	}
	free(w->v);
	free(w);
}

const float *nn_weights_get(const struct nn_weights *w, const char *name,
                            int shape[NN_MODEL_MAX_RANK], int *rank)
{
	for (size_t i = 0; i < w->n; i++) {
		if (strcmp(w->v[i].name, name) != 0)
			continue;
		if (shape)
			memcpy(shape, w->v[i].shape, sizeof(w->v[i].shape));
		if (rank)
			*rank = w->v[i].rank;
		return w->v[i].d;
	}
	return NULL;
}

const float *nn_weights_need(const struct nn_weights *w, const char *name,
                             size_t count)
{
	for (size_t i = 0; i < w->n; i++) {
		if (strcmp(w->v[i].name, name) != 0)
			continue;
		if (w->v[i].count != count) {
			log_err("nn", "weight=%s err=\"has %zu values, expected %zu\"",
			        name, w->v[i].count, count);
			return NULL;
		}
		return w->v[i].d;
	}
	log_err("nn", "weight=%s err=\"missing from model\"", name);
	return NULL;
}
