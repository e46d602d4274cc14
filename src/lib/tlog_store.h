/*
 * tlog_store — the durable transparency log: a C2SP tile directory, a
 * sequencer that batches appends, and proofs read back from the tiles.
 *
 *	struct tlog_store_opts o = { .origin = "sealcam.example/log" };
 *	struct tlog_store *s = tlog_store_open("/var/lib/sealcam/log", signer, &o);
 *	tlog_store_append(s, entry, len, &index);      // blocks until durable
 *	tlog_store_checkpoint(s, note, sizeof(note), &note_len, &size);
 *	tlog_store_prove_inclusion(s, index, size, &proof);
 *
 * Layout of dir (everything under tile/ and checkpoint is served as is):
 *	checkpoint                 signed note of the published tree
 *	tile/<L>/<N>[.p/<W>]       hash tiles (C2SP tlog-tiles)
 *	tile/entries/<N>[.p/<W>]   entry bundles
 *	inner/<L>                  private: the interior hashes of every full
 *	                           tile at level L (254 hashes per tile), so a
 *	                           proof needs no rehashing of cold tiles
 *	pending                    private: tree size the batch being written
 *	                           will reach (what recovery must undo)
 *
 * Durability: a batch's tiles and bundles are written (temp file, fsync,
 * rename, directory fsync), then the new checkpoint replaces the old one
 * the same way; only then are the batch's appends acknowledged. Files under
 * a published checkpoint never change: full tiles are written once, a
 * growing edge tile gets a new `.p/<W>` name each time. Partial tiles are
 * removed once their full tile is published. After a crash, open() returns
 * to the last checkpoint and removes what the interrupted batch wrote.
 *
 * Thread safety: every function may be called from any thread, except
 * tlog_store_free (once, after all other calls returned).
 */
#ifndef SEALCAM_TLOG_STORE_H
#define SEALCAM_TLOG_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "tlog.h"
#include "tlog_note.h"

/* Defaults for struct tlog_store_opts fields left 0. */
#define TLOG_STORE_INTERVAL_MS 100	/* longest wait before a batch is cut */
#define TLOG_STORE_BATCH_MAX 65536	/* entries per batch */
#define TLOG_STORE_QUEUE_MAX 262144	/* queued entries before producers wait */
#define TLOG_STORE_CACHE_TILES 256	/* expanded tiles cached per pool (level 0,
					 * levels above), 16 KiB each */

/* Bulk loading only (benchmarks, tests): no fsync at all. Not durable. */
#define TLOG_STORE_NOSYNC 0x1

struct tlog_store_opts {
	const char *origin;	/* checkpoint origin; NULL = the signer's name */
	unsigned interval_ms;	/* a queued entry waits at most this long
				 * before its batch is cut (<= 1000) */
	size_t batch_max;	/* a batch is cut early when this many wait */
	size_t queue_max;	/* submit blocks while this many are queued */
	size_t cache_tiles;	/* tiles kept expanded in memory for proofs,
				 * per pool (level 0; levels above) */
	unsigned flags;		/* TLOG_STORE_NOSYNC */
};

struct tlog_store;

/*
 * Open (creating if needed) the log in dir, signing checkpoints with signer
 * (borrowed: it must outlive the store). A new log gets a signed checkpoint
 * of the empty tree. An existing one must carry a checkpoint signed by this
 * signer for this origin, and its tiles must reproduce that checkpoint's
 * root; anything an interrupted batch wrote beyond it is removed. One
 * writer per directory (an exclusive lock on `pending`; a second open, in
 * this or another process, fails). Starts the sequencer thread. NULL on
 * failure (logged).
 */
struct tlog_store *tlog_store_open(const char *dir,
    const struct tlog_signer *signer, const struct tlog_store_opts *opts);

/* Integrate what is queued, stop the sequencer, free. NULL is a no-op. */
void tlog_store_free(struct tlog_store *s);

/* Called from the sequencer thread once the checkpoint covering the entry
 * is durable (status 0, its index) or the batch failed (status -1). */
typedef void tlog_callback_integrated(void *cookie, int status,
    uint64_t index);

/*
 * Queue one entry (1..TLOG_ENTRY_MAX bytes, copied) for the next batch.
 * Blocks while the queue is full. cb runs later on the sequencer thread and
 * must not call back into the store's append functions. 0, or -1 if the
 * entry is too long, the store is stopping or failed.
 */
int tlog_store_submit(struct tlog_store *s, const uint8_t *entry, size_t len,
    tlog_callback_integrated *cb, void *cookie);

/* Append one entry and wait until it is durable under a published
 * checkpoint: *index is its position. 0 or -1. */
int tlog_store_append(struct tlog_store *s, const uint8_t *entry, size_t len,
    uint64_t *index);

/*
 * Bulk load: integrate n entries as one batch, synchronously, bypassing the
 * queue (checkpoint written once at the end). For building large logs in
 * benchmarks and tests. *first gets the index of entries[0]. 0 or -1.
 */
int tlog_store_append_many(struct tlog_store *s, const uint8_t *const *entries,
    const size_t *lens, size_t n, uint64_t *first);

/* The published checkpoint note (NUL-terminated in note; *len without the
 * NUL) and its tree size, read together. -1 if cap is too small. */
int tlog_store_checkpoint(struct tlog_store *s, char *note, size_t cap,
    size_t *len, uint64_t *size);

/* Root of the tree of `size` <= published size leaves, from the tiles. */
int tlog_store_tree_hash(struct tlog_store *s, uint64_t size,
    uint8_t root[TLOG_HASH_LEN]);

/* Proofs from the tiles, for sizes <= the published size. 0 or -1. */
int tlog_store_prove_inclusion(struct tlog_store *s, uint64_t index,
    uint64_t size, struct tlog_proof *out);
int tlog_store_prove_consistency(struct tlog_store *s, uint64_t size1,
    uint64_t size2, struct tlog_proof *out);

/* Copy published entry `index` into buf (cap bytes); *len its length.
 * -1 if not published, unreadable, or longer than cap. */
int tlog_store_read_entry(struct tlog_store *s, uint64_t index, uint8_t *buf,
    size_t cap, size_t *len);

/*
 * For serving: open the file at a C2SP path relative to the log prefix
 * ("tile/0/x001/234.p/17", "tile/entries/000") if it belongs to a published
 * tree; *fd (caller closes) and *size. Returns 0, -1 if the path is not a
 * tile path or not published (answer 404), -2 on an I/O error. Partial
 * tiles of older checkpoints may have been removed (their full tile
 * replaces them, per C2SP): that is -1 too. The checkpoint itself comes
 * from tlog_store_checkpoint().
 */
int tlog_store_open_file(struct tlog_store *s, const char *path, int *fd,
    uint64_t *size);

/* Counters for /metrics and benchmarks. */
struct tlog_store_stats {
	uint64_t size;		/* published tree size */
	uint64_t batches;	/* checkpoints written since open */
	uint64_t cache_hits, cache_misses;
};
void tlog_store_stats(struct tlog_store *s, struct tlog_store_stats *st);

#endif
