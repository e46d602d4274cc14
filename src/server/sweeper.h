/*
 * sweeper — the background thread that forgets: retention (per camera, by
 * days and bytes; continuous footage before event footage), the blob trash
 * (blobs of deleted objects and cameras), expired sessions and pairings,
 * and blobs a crash left without a metadata row (older than an hour).
 *
 * Order is always metadata first, then the blob: a crash in between leaves
 * a key in the trash (retried) or an unreferenced blob (found by the orphan
 * scan), never a row pointing at nothing.
 */
#ifndef SEALCAMD_SWEEPER_H
#define SEALCAMD_SWEEPER_H

struct server;
struct sweeper;

/* Start the thread; it sweeps once at start, then every sweep_interval. */
struct sweeper *sweeper_start(struct server *srv);

/* Sweep soon (e.g. after a camera was deleted). */
void sweeper_kick(struct sweeper *sw);

/* Stop and join. NULL is a no-op. */
void sweeper_stop(struct sweeper *sw);

/* One full pass, synchronously (tests, the thread). */
void sweeper_run_once(struct server *srv, int orphans);

#endif
