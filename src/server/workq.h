/*
 * workq — a few threads for blocking work that must not stall the HTTP
 * threads: an upload's durable commit (fsync, rename, directory fsync,
 * database commit) waits for the disk for milliseconds, and every other
 * connection served by that epoll thread would wait with it. The request is
 * suspended, its job runs here, and the job resumes it.
 */
#ifndef SEALCAMD_WORKQ_H
#define SEALCAMD_WORKQ_H

struct workq;

typedef void workq_fn(void *arg);

/* Start n threads. NULL on failure. */
struct workq *workq_new(unsigned n);

/* Queue fn(arg); it runs on one of the threads. 0, or -1 if stopping. */
int workq_submit(struct workq *q, workq_fn *fn, void *arg);

/* Run every queued job, then stop and join the threads; later submits
 * fail (callers then run the job themselves). Idempotent. */
void workq_stop(struct workq *q);

/* workq_stop, then free. NULL is a no-op. */
void workq_free(struct workq *q);

/* Jobs queued or running (metrics). */
unsigned workq_pending(struct workq *q);

#endif
