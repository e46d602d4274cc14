/*
 * tlog_mem.c — an in-memory Merkle tree: level k holds the hash of every
 * complete subtree of 2^k leaves, so any proof is a few array reads.
 */
#include <stdlib.h>
#include <string.h>

#include "tlog.h"

struct level {
	uint8_t (*h)[TLOG_HASH_LEN];
	uint64_t n, cap;
};

struct tlog_mem {
	struct level lv[64];
	uint64_t size;
};

struct tlog_mem *tlog_mem_new(void)
{
	return calloc(1, sizeof(struct tlog_mem));
}

void tlog_mem_free(struct tlog_mem *m)
{
	if (m == NULL)
		return;
	for (int i = 0; i < 64; i++)
		free(m->lv[i].h);
	free(m);
}

static int level_push(struct level *l, const uint8_t h[TLOG_HASH_LEN])
{
	if (l->n == l->cap) {
		uint64_t cap = l->cap ? l->cap * 2 : 64;
		void *p = realloc(l->h, cap * TLOG_HASH_LEN);

		if (p == NULL)
			return -1;
		l->h = p;
		l->cap = cap;
	}
	memcpy(l->h[l->n++], h, TLOG_HASH_LEN);
	return 0;
}

int tlog_mem_append(struct tlog_mem *m, const uint8_t leaf_hash[TLOG_HASH_LEN])
{
	uint8_t h[TLOG_HASH_LEN];
	int k = 0;

	if (level_push(&m->lv[0], leaf_hash) != 0)
		return -1;
	/* Every time a level gets an even count, a subtree above completes. */
	while (k < 63 && (m->lv[k].n & 1) == 0) {
		struct level *l = &m->lv[k];

		tlog_node_hash(l->h[l->n - 2], l->h[l->n - 1], h);
		if (level_push(&m->lv[k + 1], h) != 0)
			return -1;
		k++;
	}
	m->size++;
	return 0;
}

uint64_t tlog_mem_size(const struct tlog_mem *m)
{
	return m->size;
}

static int mem_read(void *cookie, unsigned level, uint64_t index,
    uint8_t out[TLOG_HASH_LEN])
{
	struct tlog_mem *m = cookie;

	if (level >= 64 || index >= m->lv[level].n)
		return -1;
	memcpy(out, m->lv[level].h[index], TLOG_HASH_LEN);
	return 0;
}

void tlog_mem_source(struct tlog_mem *m, struct tlog_hashsrc *src)
{
	src->read = mem_read;
	src->cookie = m;
}
