/*
 * rowbatch — group commit of sealed objects' metadata rows.
 *
 * Each acknowledged upload needs its row durable, and with
 * synchronous=FULL every SQLite commit is one WAL fsync. Uploads that
 * finish at the same time share one transaction instead: the first caller
 * becomes the leader and commits everything queued so far, later callers
 * wait and are committed by it or by the next leader. Under light load a
 * batch is one row (no added latency); under heavy load fsyncs per upload
 * drop toward the file's own.
 */
#ifndef SEALCAMD_ROWBATCH_H
#define SEALCAMD_ROWBATCH_H

#include <stdint.h>

#include "store.h"

struct rowbatch;

/* max_batch rows per transaction at most. NULL on failure. */
struct rowbatch *rowbatch_new(struct store *st, unsigned max_batch);
void rowbatch_free(struct rowbatch *b);

/* Commit o's row (together with others); blocks until its transaction has
 * committed. Returns what store_object_put would. */
int rowbatch_put(struct rowbatch *b, const struct store_object *o, int64_t now_ms);

/* Transactions and rows inserted so far (metrics). */
void rowbatch_stats(struct rowbatch *b, uint64_t *transactions, uint64_t *rows);

#endif
