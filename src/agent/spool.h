/*
 * spool — the agent's durable on-disk queue of sealed objects.
 *
 * A sealed object is written to a temp file in the spool directory, fsynced,
 * renamed to its final name and the directory fsynced (spool_begin +
 * spool_commit, through fsutil's durable writes): after a crash a file is
 * either complete under its final name or a leftover temp file
 * ("<name>.tmp.XXXXXX") that spool_open deletes. The final name holds
 * everything the uploader needs, so a restart rebuilds the queue from a
 * directory listing:
 *
 *	<start_ms:13>-<kind>-<seq:20>-<flags>.sc   e.g.
 *	1764268800123-segment-00000000000000000042-0.sc
 *
 * Files leave the spool when the server acknowledged them (spool_ack), when
 * the server refused them for good (spool_quarantine: moved to
 * <dir>/quarantine/ for a human to look at), or when the disk budget is
 * exceeded: then the oldest continuous footage goes first, and footage
 * flagged as event footage (flags bit 0) only when nothing else is left.
 *
 * Thread-safe: one recorder commits while one uploader takes and acks.
 */
#ifndef SEALCAM_AGENT_SPOOL_H
#define SEALCAM_AGENT_SPOOL_H

#include <stddef.h>
#include <stdint.h>

#define SPOOL_KIND_MAX 16		/* "segment", "event", "thumbnail" */
#define SPOOL_PATH_MAX 4096
#define SPOOL_ITEMS_MAX 1000000		/* refuse to track more files */
#define SPOOL_FLAG_EVENT 0x1u		/* flags bit 0: event footage */

struct spool;

struct spool_item {
	int64_t start_ms;		/* wall-clock start of the footage */
	char kind[SPOOL_KIND_MAX];	/* PROTOCOL.md object kind */
	uint64_t seq;			/* per camera and kind */
	uint32_t flags;			/* SPOOL_FLAG_* */
	uint64_t size;			/* bytes on disk (set by the spool) */
};

/*
 * Open (creating if needed) the spool in dir with a budget in bytes
 * (0 = unlimited). Deletes leftover temp files, reads the queue from the
 * directory and evicts down to the budget. NULL on failure (logged).
 */
struct spool *spool_open(const char *dir, uint64_t budget_bytes);

/* Free the in-memory queue (files stay). spool_free(NULL) is a no-op. */
void spool_free(struct spool *s);

/* An object being written (a temp file next to its final name). */
struct spool_tmp;

/*
 * Start writing object it (start_ms, kind, seq, flags; size is ignored)
 * into a temp file (fsutil_atomic). NULL if an object of that kind and seq
 * is already spooled or the file cannot be made. The caller writes to
 * spool_tmp_fd() and then calls spool_commit or spool_abort.
 */
struct spool_tmp *spool_begin(struct spool *s, const struct spool_item *it);

/* The temp file's descriptor (owned by the spool_tmp). */
int spool_tmp_fd(const struct spool_tmp *t);

/*
 * Make the object durable under its final name (fsync file, rename, fsync
 * directory), queue it for upload and evict beyond the budget. t is freed
 * in every case; -1 if it could not be made durable (nothing is left).
 */
int spool_commit(struct spool *s, struct spool_tmp *t);

/* Drop an object being written: delete the temp file, free t. */
void spool_abort(struct spool *s, struct spool_tmp *t);

/*
 * Wait up to timeout_ms for the oldest queued object that is not already
 * taken; copy it to *it and mark it taken. Returns 1 if one was taken, 0 on
 * timeout or after spool_wake.
 */
int spool_take(struct spool *s, struct spool_item *it, int timeout_ms);

/* Open a taken object for reading; -1 if it is gone (evicted). */
int spool_open_item(struct spool *s, const struct spool_item *it);

/* The server has it: delete the file and forget it. 0, or -1 on I/O error. */
int spool_ack(struct spool *s, const struct spool_item *it);

/* The server refused it for good: move it to quarantine/, forget it. */
int spool_quarantine(struct spool *s, const struct spool_item *it);

/* A try failed for now: the object goes back to the queue. */
void spool_release(struct spool *s, const struct spool_item *it);

/* Wake every spool_take waiter (used at shutdown). */
void spool_wake(struct spool *s);

/* Objects queued (taken ones included) and their total bytes. */
void spool_stats(struct spool *s, size_t *count, uint64_t *bytes);

/* Objects evicted for the budget since spool_open. */
uint64_t spool_evicted(struct spool *s);

#endif
