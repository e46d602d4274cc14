/*
 * tlog_store_int.h — internals shared by tlog_store.c (writer, recovery),
 * tlog_store_read.c (tile cache, proofs, serving) and tlog_seq.c (the
 * sequencer). Not a public header.
 *
 * Locks, never nested except wmu -> mu and wmu -> cmu:
 *	wmu  writer state (edge, bundle, size): the sequencer thread or a bulk
 *	     append_many
 *	mu   published state (pub_size, note) and the queue
 *	cmu  the tile cache
 */
#ifndef SEALCAM_TLOG_STORE_INT_H
#define SEALCAM_TLOG_STORE_INT_H

#include <pthread.h>
#include <stdint.h>

#include "tlog_store.h"

/* 256^8 = 2^64: levels 0..7 hold every tile of any tree. */
#define TS_LEVELS 8
/* Interior hashes of a full tile kept in inner/<L>: heights 1..7. */
#define TS_INNER_HASHES 254
#define TS_INNER_BYTES (TS_INNER_HASHES * TLOG_HASH_LEN)
/* An expanded tile: heights 0..7 packed, height h at ts_xoff(h). */
#define TS_XT_SLOTS 510
/* Our own checkpoints: origin, size, root, one signature line. */
#define TS_NOTE_MAX 1024

static inline unsigned ts_xoff(unsigned h)
{
	return 512u - (512u >> h);
}

struct ts_item {
	struct ts_item *next;
	tlog_callback_integrated *cb;
	void *cookie;
	uint64_t t_ms;		/* when queued (monotonic), for the interval */
	size_t len;
	uint8_t data[];
};

/* A file of the batch being written, in "<path>.tmp" until committed. */
#define TS_PATH_MAX 1024
struct ts_staged {
	int fd;
	char path[TS_PATH_MAX];
	char tmp[TS_PATH_MAX + 8];
};

struct ts_cache_ent {
	int level;		/* TLOG_LEVEL_ENTRIES unused: hashes only */
	uint64_t index;
	unsigned width;
	uint32_t prev, next;	/* LRU list, most recent at head */
	uint32_t hnext;		/* hash chain */
	int used;
	uint8_t (*h)[TLOG_HASH_LEN];	/* TS_XT_SLOTS hashes */
};

struct ts_cache {
	struct ts_cache_ent *ent;
	uint32_t *buckets;
	size_t n, nbuckets, used;
	uint32_t lru_head, lru_tail;
};

struct tlog_store {
	char *dir;
	const struct tlog_signer *signer;
	struct tlog_verifier *verifier;	/* our own key, to check on open */
	char origin[TLOG_NAME_MAX + 1];
	struct tlog_store_opts o;

	/* writer state (wmu) */
	pthread_mutex_t wmu;
	uint64_t size;			/* tree size described by edge */
	uint8_t edge[TS_LEVELS][TLOG_TILE_WIDTH][TLOG_HASH_LEN];
	uint8_t *bundle;		/* encoded entries of the edge bundle */
	size_t bundle_len, bundle_cap;
	int inner_fd[TS_LEVELS];
	int inner_dirty[TS_LEVELS];	/* written by the batch in progress */
	int pending_fd;			/* the 16-byte pending record */
	struct ts_staged *staged;	/* files of the batch in progress */
	size_t nstaged, staged_cap;
	int failed;			/* state could not be recovered */

	/* published state and queue (mu) */
	pthread_mutex_t mu;
	uint64_t pub_size;
	char note[TS_NOTE_MAX];
	size_t note_len;
	uint64_t batches;
	struct ts_item *qhead, *qtail;
	size_t qcount;
	pthread_cond_t cv_work, cv_space, cv_done;
	int stop;
	pthread_t thread;
	int thread_started;

	/* tile cache (cmu): level-0 tiles churn with random proofs, the few
	 * tiles above are on every proof's path, so they have their own pool
	 * that level-0 misses cannot evict */
	pthread_mutex_t cmu;
	struct ts_cache cache[2];	/* [0] level 0, [1] levels 1..7 */
	uint64_t hits, misses;
};

#define TS_NIL UINT32_MAX

/* tlog_store.c */
/* Integrate items as one batch under wmu; 0 or -1 (state recovered). */
int ts_write_batch(struct tlog_store *s, const uint8_t *const *entries,
    const size_t *lens, size_t n, uint64_t *first);
/* "<dir>/<rel>" into out. */
int ts_path(const struct tlog_store *s, char *out, size_t cap,
    const char *rel);
/* Fill heights 1..7 of an expanded tile from its width hashes at height 0. */
void ts_expand(uint8_t (*x)[TLOG_HASH_LEN], unsigned width);

/* tlog_store_read.c */
int ts_cache_init(struct tlog_store *s, size_t n);
void ts_cache_free(struct tlog_store *s);
/* Published size, read under mu. */
uint64_t ts_pub_size(struct tlog_store *s);

/* tlog_seq.c */
int ts_seq_start(struct tlog_store *s);
void ts_seq_stop(struct tlog_store *s);

#endif
