/*
 * wait — cameras' keyring long-polls (GET /v1/camera/keyring?wait=S).
 *
 * A poll that finds nothing new parks its connection (MHD suspend) on the
 * waitlist instead of holding a thread. Publishing a keyring wakes the
 * camera's waiters; wait_tick() (http.c's tick thread, which the ticker
 * wakes at the earliest deadline) wakes those past their deadline; at
 * shutdown wait_wake_all() wakes everyone. A woken request is handled
 * again from the top (rq->resumed > 0) and answers.
 *
 * Lost wake-ups are prevented with a generation counter: read it before
 * checking the store; wait_park() refuses to park (returns 1) if a
 * publication happened in between, and the caller checks again.
 */
#ifndef SEALCAMD_WAIT_H
#define SEALCAMD_WAIT_H

#include <stdint.h>

#include "store.h"

struct waitlist;
struct req;
struct ticker;

/* t (not owned) is told of every parked request's deadline. */
struct waitlist *wait_new(struct ticker *t);
void wait_free(struct waitlist *w);

/* Current publication generation. */
uint64_t wait_gen(struct waitlist *w);

/* Park rq until camera cam gets a keyring, deadline_ms passes, or
 * shutdown. 0 = parked (do not answer now), 1 = gen moved: check again. */
int wait_park(struct waitlist *w, struct req *rq, const uint8_t cam[STORE_ID_LEN],
    int64_t deadline_ms, uint64_t gen);

/* Remove rq if still parked (request ended). */
void wait_unpark(struct waitlist *w, struct req *rq);

/* A keyring for cam was committed: wake its waiters. */
void wait_notify(struct waitlist *w, const uint8_t cam[STORE_ID_LEN]);

/* Wake waiters whose deadline passed; returns the next deadline (ms, or
 * TICKER_NEVER). */
int64_t wait_tick(struct waitlist *w, int64_t now_ms);

/* Wake everyone (shutdown). */
void wait_wake_all(struct waitlist *w);

/* Parked requests now (metrics). */
unsigned wait_count(struct waitlist *w);

#endif
