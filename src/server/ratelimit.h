/*
 * ratelimit — token buckets keyed by arbitrary bytes (an e-mail address, a
 * client address), in a fixed-size table.
 *
 * Each key has `burst` tokens, refilled at `per_min` a minute; an attempt
 * takes one. Memory is fixed at creation: keys hash (keyed SipHash, so
 * clients cannot aim collisions) into a table; a full bucket is the same as
 * no bucket, so those slots are reused first, then the one closest to
 * full (the throttled keys, with empty buckets, are kept). Thread-safe.
 */
#ifndef SEALCAMD_RATELIMIT_H
#define SEALCAMD_RATELIMIT_H

#include <stddef.h>
#include <stdint.h>

struct ratelimit;

/* slots: table size (e.g. 65536). NULL on allocation failure. */
struct ratelimit *ratelimit_new(unsigned burst, unsigned per_min, size_t slots);

void ratelimit_free(struct ratelimit *rl);

/*
 * Take one token for key at now_ms. Returns 0 if allowed; -1 if the bucket
 * is empty, with *retry_after_s (may be NULL) = whole seconds until a token
 * is back (at least 1).
 */
int ratelimit_take(struct ratelimit *rl, const void *key, size_t keylen,
    int64_t now_ms, unsigned *retry_after_s)
	__attribute__((warn_unused_result));

/* Give a token back (e.g. after a successful login). */
void ratelimit_give(struct ratelimit *rl, const void *key, size_t keylen,
    int64_t now_ms);

#endif
