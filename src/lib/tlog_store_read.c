/*
 * tlog_store_read.c — reading the published tree back from its tiles:
 * a small LRU cache of expanded tiles, the tile hash source behind proofs,
 * entries, and opening tile files for serving.
 *
 * A proof needs hashes of complete subtrees. A subtree of 2^k leaves is, at
 * tile level L = k / 8, a run of 2^(k % 8) aligned hashes inside one tile,
 * so its hash is a node of that tile's own 8-level tree. Each tile is read
 * once and kept "expanded" (all its interior nodes); for full tiles the
 * interior comes from inner/<L> instead of 255 SHA-256 calls.
 *
 * Readers only touch files of the published tree: full tiles it covers
 * (immutable) and the partial tiles of the published size (immutable under
 * their .p/<W> name). Such a partial may be removed once a newer checkpoint
 * completes its tile; the full tile then has the same first W hashes, so
 * the reader falls back to it.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"
#include "log.h"
#include "tlog_store_int.h"

#define COMP "tlog"

uint64_t ts_pub_size(struct tlog_store *s)
{
	uint64_t n;

	pthread_mutex_lock(&s->mu);
	n = s->pub_size;
	pthread_mutex_unlock(&s->mu);
	return n;
}

/* --- cache ---------------------------------------------------------------- */

static int pool_init(struct ts_cache *c, size_t n)
{
	c->n = n;
	c->nbuckets = 2 * n;
	c->ent = calloc(n, sizeof(*c->ent));
	c->buckets = malloc(c->nbuckets * sizeof(*c->buckets));
	if (c->ent == NULL || c->buckets == NULL)
		return -1;
	for (size_t i = 0; i < c->nbuckets; i++)
		c->buckets[i] = TS_NIL;
	c->lru_head = c->lru_tail = TS_NIL;
	return 0;
}

int ts_cache_init(struct tlog_store *s, size_t n)
{
	return pool_init(&s->cache[0], n) == 0 &&
	    pool_init(&s->cache[1], n) == 0 ? 0 : -1;
}

void ts_cache_free(struct tlog_store *s)
{
	for (int k = 0; k < 2; k++) {
		struct ts_cache *c = &s->cache[k];

		if (c->ent != NULL)
			for (size_t i = 0; i < c->n; i++)
				free(c->ent[i].h);
		free(c->ent);
		free(c->buckets);
	}
}

static struct ts_cache *pool_of(struct tlog_store *s, int level)
{
	return &s->cache[level > 0];
}

static size_t bucket_of(const struct ts_cache *c, int level, uint64_t index,
    unsigned width)
{
	uint64_t k = index * 0x9e3779b97f4a7c15ULL ^
	    ((uint64_t)(unsigned)level << 56) ^ ((uint64_t)width << 40);

	return (size_t)((k ^ (k >> 29)) % c->nbuckets);
}

static void lru_unlink(struct ts_cache *c, uint32_t i)
{
	struct ts_cache_ent *e = &c->ent[i];

	if (e->prev != TS_NIL)
		c->ent[e->prev].next = e->next;
	else
		c->lru_head = e->next;
	if (e->next != TS_NIL)
		c->ent[e->next].prev = e->prev;
	else
		c->lru_tail = e->prev;
}

static void lru_push_front(struct ts_cache *c, uint32_t i)
{
	struct ts_cache_ent *e = &c->ent[i];

	e->prev = TS_NIL;
	e->next = c->lru_head;
	if (c->lru_head != TS_NIL)
		c->ent[c->lru_head].prev = i;
	c->lru_head = i;
	if (c->lru_tail == TS_NIL)
		c->lru_tail = i;
}

static uint32_t cache_find(struct ts_cache *c, int level, uint64_t index,
    unsigned width)
{
	uint32_t i = c->buckets[bucket_of(c, level, index, width)];

	while (i != TS_NIL) {
		struct ts_cache_ent *e = &c->ent[i];

		if (e->level == level && e->index == index && e->width == width)
			return i;
		i = e->hnext;
	}
	return TS_NIL;
}

static void bucket_remove(struct ts_cache *c, uint32_t i)
{
	struct ts_cache_ent *e = &c->ent[i];
	uint32_t *pp = &c->buckets[bucket_of(c, e->level, e->index, e->width)];

	while (*pp != TS_NIL && *pp != i)
		pp = &c->ent[*pp].hnext;
	if (*pp == i)
		*pp = e->hnext;
}

/* Insert an expanded tile (taking x) unless present, evicting the least
 * recently used tile of its pool. */
static void cache_insert(struct ts_cache *c, int level, uint64_t index,
    unsigned width, uint8_t (*x)[TLOG_HASH_LEN])
{
	uint32_t i;
	size_t b;

	if (cache_find(c, level, index, width) != TS_NIL) {
		free(x);	/* another reader was faster */
		return;
	}
	if (c->used < c->n) {
		i = (uint32_t)c->used++;
	} else {
		i = c->lru_tail;
		lru_unlink(c, i);
		bucket_remove(c, i);
		free(c->ent[i].h);
	}
	c->ent[i].level = level;
	c->ent[i].index = index;
	c->ent[i].width = width;
	c->ent[i].h = x;
	c->ent[i].used = 1;
	b = bucket_of(c, level, index, width);
	c->ent[i].hnext = c->buckets[b];
	c->buckets[b] = i;
	lru_push_front(c, i);
}

/* --- reading tiles ----------------------------------------------------------- */

/* Read tile (level, index) of width w and expand it. 1 if the file is
 * missing, -1 on other errors. */
static int load_tile(struct tlog_store *s, int level, uint64_t index,
    unsigned w, uint8_t (*x)[TLOG_HASH_LEN])
{
	char rel[TLOG_PATH_MAX], path[PATH_MAX];
	size_t want = (size_t)w * TLOG_HASH_LEN;
	ssize_t r;
	int fd;

	if (tlog_tile_path(rel, level, index, w) != 0 ||
	    ts_path(s, path, sizeof(path), rel) != 0)
		return -1;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 1 : -1;
	r = pread(fd, x, want, 0);
	close(fd);
	if (r != (ssize_t)want) {
		log_err(COMP, "msg=\"short tile\" file=%s", rel);
		return -1;
	}
	if (w == TLOG_TILE_WIDTH && pread(s->inner_fd[level], x[TLOG_TILE_WIDTH],
	    TS_INNER_BYTES, (off_t)(index * TS_INNER_BYTES)) == TS_INNER_BYTES)
		return 0;
	ts_expand(x, w);
	return 0;
}

/* Hash of `1 << h` level-L hashes at offset o of tile n, from the tiles of
 * a tree whose published size is pub. */
static int tile_hash(struct tlog_store *s, uint64_t pub, int L, uint64_t n,
    unsigned o, unsigned h, uint8_t out[TLOG_HASH_LEN])
{
	uint64_t count = pub >> (8 * L);
	uint8_t (*x)[TLOG_HASH_LEN];
	struct ts_cache *c;
	unsigned w;
	uint32_t i;
	int r;

	if (n > (count >> 8))
		return -1;
	w = (n < (count >> 8)) ? TLOG_TILE_WIDTH : (unsigned)(count & 255);
	if (o + (1u << h) > w)
		return -1;

	pthread_mutex_lock(&s->cmu);
	c = pool_of(s, L);
	i = cache_find(c, L, n, w);
	if (i == TS_NIL && w < TLOG_TILE_WIDTH)
		i = cache_find(c, L, n, TLOG_TILE_WIDTH);
	if (i != TS_NIL) {
		memcpy(out, c->ent[i].h[ts_xoff(h) + (o >> h)], TLOG_HASH_LEN);
		lru_unlink(c, i);
		lru_push_front(c, i);
		s->hits++;
		pthread_mutex_unlock(&s->cmu);
		return 0;
	}
	s->misses++;
	pthread_mutex_unlock(&s->cmu);

	x = malloc(TS_XT_SLOTS * TLOG_HASH_LEN);
	if (x == NULL)
		return -1;
	r = load_tile(s, L, n, w, x);
	if (r == 1 && w < TLOG_TILE_WIDTH) {
		/* partial removed: a newer checkpoint completed the tile */
		w = TLOG_TILE_WIDTH;
		r = load_tile(s, L, n, w, x);
	}
	if (r != 0) {
		if (r == 1)
			log_err(COMP, "msg=\"published tile missing\" level=%d tile=%llu width=%u",
			    L, (unsigned long long)n, w);
		free(x);
		return -1;
	}
	memcpy(out, x[ts_xoff(h) + (o >> h)], TLOG_HASH_LEN);
	pthread_mutex_lock(&s->cmu);
	cache_insert(pool_of(s, L), L, n, w, x);
	pthread_mutex_unlock(&s->cmu);
	return 0;
}

struct view {
	struct tlog_store *s;
	uint64_t pub;
};

static int view_read(void *cookie, unsigned level, uint64_t index,
    uint8_t out[TLOG_HASH_LEN])
{
	struct view *v = cookie;
	unsigned L = level / 8, h = level % 8;
	uint64_t p = index << h;

	if (L >= TS_LEVELS || (h > 0 && (index >> (64 - h)) != 0))
		return -1;
	return tile_hash(v->s, v->pub, (int)L, p >> 8, (unsigned)(p & 255), h,
	    out);
}

int tlog_store_tree_hash(struct tlog_store *s, uint64_t size,
    uint8_t root[TLOG_HASH_LEN])
{
	struct view v = { s, ts_pub_size(s) };
	struct tlog_hashsrc src = { view_read, &v };

	if (size > v.pub)
		return -1;
	return tlog_tree_hash(&src, size, root);
}

int tlog_store_prove_inclusion(struct tlog_store *s, uint64_t index,
    uint64_t size, struct tlog_proof *out)
{
	struct view v = { s, ts_pub_size(s) };
	struct tlog_hashsrc src = { view_read, &v };

	out->n = 0;
	if (size > v.pub)
		return -1;
	return tlog_prove_inclusion(&src, index, size, out);
}

int tlog_store_prove_consistency(struct tlog_store *s, uint64_t size1,
    uint64_t size2, struct tlog_proof *out)
{
	struct view v = { s, ts_pub_size(s) };
	struct tlog_hashsrc src = { view_read, &v };

	out->n = 0;
	if (size2 > v.pub)
		return -1;
	return tlog_prove_consistency(&src, size1, size2, out);
}

/* --- entries and serving --------------------------------------------------------- */

int tlog_store_read_entry(struct tlog_store *s, uint64_t index, uint8_t *buf,
    size_t cap, size_t *len)
{
	uint64_t pub = ts_pub_size(s), t = index >> 8;
	unsigned w = (t < (pub >> 8)) ? TLOG_TILE_WIDTH : (unsigned)(pub & 255);
	char rel[TLOG_PATH_MAX], path[PATH_MAX];
	uint8_t *b = NULL;
	size_t blen, off = 0, elen;
	const uint8_t *e;
	int r = -1;

	if (index >= pub)
		return -1;
	for (int attempt = 0; attempt < 2; attempt++) {
		if (tlog_tile_path(rel, TLOG_LEVEL_ENTRIES, t, w) != 0 ||
		    ts_path(s, path, sizeof(path), rel) != 0)
			return -1;
		if (fsutil_read_bounded(path, (size_t)w * (2 + TLOG_ENTRY_MAX),
		    &b, &blen) == 0)
			break;
		if (errno != ENOENT || w == TLOG_TILE_WIDTH)
			return -1;
		w = TLOG_TILE_WIDTH;	/* partial replaced by the full bundle */
	}
	if (b == NULL)
		return -1;
	for (uint64_t i = 0; i <= (index & 255); i++)
		if (tlog_bundle_next(b, blen, &off, &e, &elen) != 1)
			goto out;
	if (elen <= cap) {
		memcpy(buf, e, elen);
		*len = elen;
		r = 0;
	}
out:
	free(b);
	return r;
}

int tlog_store_open_file(struct tlog_store *s, const char *path, int *fd,
    uint64_t *size)
{
	char full[PATH_MAX];
	uint64_t pub = ts_pub_size(s), index, count;
	unsigned width;
	struct stat st;
	int level;

	if (tlog_tile_path_parse(path, &level, &index, &width) != 0)
		return -1;
	count = pub >> (8 * (level < 0 ? 0 : level));
	/* Published: every hash (or entry) of the file is in the tree. */
	if (index > (count >> 8) || index * 256 + width > count)
		return -1;
	if (ts_path(s, full, sizeof(full), path) != 0)
		return -1;
	*fd = open(full, O_RDONLY | O_CLOEXEC);
	if (*fd < 0)
		return errno == ENOENT ? -1 : -2;
	if (fstat(*fd, &st) != 0) {
		close(*fd);
		return -2;
	}
	*size = (uint64_t)st.st_size;
	return 0;
}
