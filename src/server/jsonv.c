#include "jsonv.h"

#include <errno.h>
#include <inttypes.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"

int
jv_string(struct req *rq, const json_t *obj, const char *key, size_t min,
    size_t max, const char **out)
{
	const json_t *v = json_object_get(obj, key);
	size_t n;

	if (!json_is_string(v)) {
		http_error(rq, 400, "bad_request", "field '%s': expected a string", key);
		return -1;
	}
	n = json_string_length(v);
	if (n < min || n > max || strlen(json_string_value(v)) != n) {
		http_error(rq, 400, "bad_request", "field '%s': expected %zu to %zu bytes"
		    " (no NUL)", key, min, max);
		return -1;
	}
	*out = json_string_value(v);
	return 0;
}

int
jv_hex(struct req *rq, const json_t *obj, const char *key, uint8_t *out, size_t n)
{
	const char *s;
	size_t len = 0;

	if (jv_string(rq, obj, key, 2 * n, 2 * n, &s) != 0)
		return -1;
	for (size_t i = 0; i < 2 * n; i++)
		if (s[i] >= 'A' && s[i] <= 'F')
			goto bad;
	if (sodium_hex2bin(out, n, s, 2 * n, NULL, &len, NULL) == 0 && len == n)
		return 0;
bad:
	http_error(rq, 400, "bad_request", "field '%s': expected %zu lowercase hex"
	    " characters", key, 2 * n);
	return -1;
}

int
jv_base64(struct req *rq, const json_t *obj, const char *key, uint8_t *out,
    size_t cap, size_t *len)
{
	const char *s, *end = NULL;

	if (jv_string(rq, obj, key, 4, sodium_base64_ENCODED_LEN(cap,
	    sodium_base64_VARIANT_ORIGINAL) - 1, &s) != 0)
		return -1;
	if (sodium_base642bin(out, cap, s, strlen(s), NULL, len, &end,
	    sodium_base64_VARIANT_ORIGINAL) != 0 || *end != '\0' || *len == 0) {
		http_error(rq, 400, "bad_request", "field '%s': expected standard base64"
		    " of at most %zu bytes", key, cap);
		return -1;
	}
	return 0;
}

int
jv_uint(struct req *rq, const json_t *obj, const char *key, uint64_t max,
    int optional, uint64_t def, uint64_t *out)
{
	const json_t *v = json_object_get(obj, key);

	if (v == NULL && optional) {
		*out = def;
		return 0;
	}
	if (!json_is_integer(v) || json_integer_value(v) < 0 ||
	    (uint64_t)json_integer_value(v) > max) {
		http_error(rq, 400, "bad_request", "field '%s': expected an integer from 0"
		    " to %" PRIu64, key, max);
		return -1;
	}
	*out = (uint64_t)json_integer_value(v);
	return 0;
}

int
jv_query_int(struct req *rq, const char *name, int64_t min, int64_t max,
    int64_t def, int64_t *out)
{
	const char *s = http_query(rq, name);
	char *end;
	long long v;

	if (s == NULL || *s == '\0') {
		*out = def;
		return 0;
	}
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max) {
		http_error(rq, 400, "bad_request", "query '%s': expected an integer from"
		    " %" PRId64 " to %" PRId64, name, min, max);
		return -1;
	}
	*out = v;
	return 0;
}

json_t *
jv_hexstr(const uint8_t *in, size_t n)
{
	char buf[2 * 256 + 1];

	if (n > 256)
		return NULL;
	sodium_bin2hex(buf, sizeof(buf), in, n);
	return json_string(buf);
}

json_t *
jv_b64str(const uint8_t *in, size_t n)
{
	size_t len = sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_ORIGINAL);
	char *buf = malloc(len);
	json_t *j;

	if (buf == NULL)
		return NULL;
	sodium_bin2base64(buf, len, in, n, sodium_base64_VARIANT_ORIGINAL);
	j = json_string(buf);
	free(buf);
	return j;
}
