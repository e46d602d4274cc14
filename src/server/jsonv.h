/*
 * jsonv — typed, bounded reads of request JSON fields. Each getter checks
 * type and length and, on failure, answers 400 bad_request naming the field
 * and what was expected, then returns -1: handlers just `return`.
 */
#ifndef SEALCAMD_JSONV_H
#define SEALCAMD_JSONV_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

struct req;

/* A string of min..max bytes without NUL; *out points into the JSON. */
int jv_string(struct req *rq, const json_t *obj, const char *key, size_t min,
    size_t max, const char **out) __attribute__((warn_unused_result));

/* Exactly n bytes as 2n lowercase hex characters. */
int jv_hex(struct req *rq, const json_t *obj, const char *key, uint8_t *out,
    size_t n) __attribute__((warn_unused_result));

/* Standard base64 (padded) of at most cap bytes (at least 1). */
int jv_base64(struct req *rq, const json_t *obj, const char *key, uint8_t *out,
    size_t cap, size_t *len) __attribute__((warn_unused_result));

/* A non-negative integer <= max; absent -> def if optional, else error. */
int jv_uint(struct req *rq, const json_t *obj, const char *key, uint64_t max,
    int optional, uint64_t def, uint64_t *out) __attribute__((warn_unused_result));

/* Parse a query argument as a decimal integer in [min, max]; absent -> def.
 * -1 after answering 400. */
int jv_query_int(struct req *rq, const char *name, int64_t min, int64_t max,
    int64_t def, int64_t *out) __attribute__((warn_unused_result));

/* JSON string of lowercase hex (new reference). */
json_t *jv_hexstr(const uint8_t *in, size_t n);

/* JSON string of standard base64 (new reference). */
json_t *jv_b64str(const uint8_t *in, size_t n);

#endif
