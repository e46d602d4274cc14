#include "ratelimit.h"

#include <pthread.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#define RL_PROBE 8               /* slots looked at per key */

struct rl_slot {
	uint64_t tag;             /* keyed hash of the key; 0 = empty */
	int64_t at_ms;            /* when tokens was last computed */
	double tokens;
};

struct ratelimit {
	pthread_mutex_t mu;
	double burst, per_ms;
	size_t nslots;
	uint8_t hkey[crypto_shorthash_KEYBYTES];
	struct rl_slot *slot;
};

struct ratelimit *
ratelimit_new(unsigned burst, unsigned per_min, size_t slots)
{
	struct ratelimit *rl;

	if (burst == 0 || slots < RL_PROBE || (rl = calloc(1, sizeof(*rl))) == NULL)
		return NULL;
	if ((rl->slot = calloc(slots, sizeof(*rl->slot))) == NULL) {
		free(rl);
		return NULL;
	}
	pthread_mutex_init(&rl->mu, NULL);
	rl->burst = burst;
	rl->per_ms = per_min / 60000.0;
	rl->nslots = slots;
	randombytes_buf(rl->hkey, sizeof(rl->hkey));
	return rl;
}

void
ratelimit_free(struct ratelimit *rl)
{
	if (rl == NULL)
		return;
	pthread_mutex_destroy(&rl->mu);
	free(rl->slot);
	free(rl);
}

static double
refill(const struct ratelimit *rl, const struct rl_slot *s, int64_t now_ms)
{
	double t = s->tokens;

	if (now_ms > s->at_ms)
		t += (double)(now_ms - s->at_ms) * rl->per_ms;
	return t > rl->burst ? rl->burst : t;
}

/* The slot for key: its own, else a free/full one, else the stalest. */
static struct rl_slot *
find(struct ratelimit *rl, const void *key, size_t keylen, int64_t now_ms)
{
	uint8_t h[crypto_shorthash_BYTES];
	uint64_t tag;
	struct rl_slot *reuse = NULL;
	int reuse_free = 0;
	size_t i0;

	crypto_shorthash(h, key, keylen, rl->hkey);
	memcpy(&tag, h, sizeof(tag));
	tag |= 1;                 /* never 0, which marks an empty slot */
	i0 = (size_t)(tag >> 1) % rl->nslots;
	for (size_t k = 0; k < RL_PROBE; k++) {
		struct rl_slot *s = &rl->slot[(i0 + k) % rl->nslots];

		if (s->tag == tag)
			return s;
		/* An empty or refilled slot carries no information: take it. */
		if (s->tag == 0 || refill(rl, s, now_ms) >= rl->burst) {
			if (!reuse_free) {
				reuse = s;
				reuse_free = 1;
			}
		} else if (!reuse_free && (reuse == NULL ||
		    refill(rl, s, now_ms) > refill(rl, reuse, now_ms)))
			/* Evict the bucket closest to full: the throttled keys
			 * (nearly empty buckets) are the ones worth remembering,
			 * so a flood of fresh keys evicts itself, not them. */
			reuse = s;
	}
	reuse->tag = tag;
	reuse->at_ms = now_ms;
	reuse->tokens = rl->burst;
	return reuse;
}

int
ratelimit_take(struct ratelimit *rl, const void *key, size_t keylen,
    int64_t now_ms, unsigned *retry_after_s)
{
	struct rl_slot *s;
	int ret = 0;

	pthread_mutex_lock(&rl->mu);
	s = find(rl, key, keylen, now_ms);
	s->tokens = refill(rl, s, now_ms);
	s->at_ms = now_ms;
	if (s->tokens >= 1.0) {
		s->tokens -= 1.0;
	} else {
		ret = -1;
		if (retry_after_s != NULL) {
			double wait_ms = rl->per_ms > 0 ? (1.0 - s->tokens) / rl->per_ms : 3600e3;
			unsigned sec = (unsigned)((wait_ms + 999.0) / 1000.0);
			*retry_after_s = sec ? sec : 1;
		}
	}
	pthread_mutex_unlock(&rl->mu);
	return ret;
}

void
ratelimit_give(struct ratelimit *rl, const void *key, size_t keylen, int64_t now_ms)
{
	struct rl_slot *s;

	pthread_mutex_lock(&rl->mu);
	s = find(rl, key, keylen, now_ms);
	s->tokens = refill(rl, s, now_ms) + 1.0;
	if (s->tokens > rl->burst)
		s->tokens = rl->burst;
	s->at_ms = now_ms;
	pthread_mutex_unlock(&rl->mu);
}
