/*
 * accesswatch — who is waiting to hear about new staff accesses (the
 * owner's server-sent events, GET /v1/me/events).
 *
 * routes_access.c calls accesswatch_notify() once an access is logged and
 * recorded; every stream of that owner is woken. A stream's reader asks
 * accesswatch_sub_wait(): if nothing new was announced since its last
 * look, the connection is suspended under the registry lock, and the next
 * notify for that owner resumes it -- so no announcement falls between a
 * reader's look and its suspension.
 */
#ifndef SEALCAMD_ACCESSWATCH_H
#define SEALCAMD_ACCESSWATCH_H

#include <stdint.h>

struct accesswatch;
struct accesswatch_sub;
struct MHD_Connection;
struct ticker;

/* t (not owned) is told of every stream's deadline. */
struct accesswatch *accesswatch_new(struct ticker *t);

/* NULL is a no-op; every subscription must be released first. */
void accesswatch_free(struct accesswatch *w);

/* A new access (its seq) under owner's grants: wake owner's streams.
 * w NULL is a no-op. */
void accesswatch_notify(struct accesswatch *w, const uint8_t owner[16], int64_t seq);

/* Shutting down: wake every stream; accesswatch_sub_wait answers -1 from now on. */
void accesswatch_stop(struct accesswatch *w);

/* A stream of owner's accesses that ends at deadline_ms. NULL on
 * allocation failure. */
struct accesswatch_sub *accesswatch_subscribe(struct accesswatch *w,
    const uint8_t owner[16], int64_t deadline_ms);

/*
 * 1 if an access was announced since the last call returned 1 (or since
 * subscribing); 0 after suspending conn until one is (or until the
 * deadline or stop); -1 when the stream is over (deadline passed, or
 * stopping).
 */
int accesswatch_sub_wait(struct accesswatch_sub *s, struct MHD_Connection *conn);

/* http.c's tick thread: end streams past their deadline; returns the next
 * deadline (ms, or TICKER_NEVER). */
int64_t accesswatch_tick(struct accesswatch *w, int64_t now_ms);

/* Unlink and free. NULL is a no-op. */
void accesswatch_release(struct accesswatch_sub *s);

#endif
