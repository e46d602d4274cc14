/*
 * server — the context every handler sees: settings and the open
 * resources, built by main.c in this order and torn down in reverse.
 */
#ifndef SEALCAMD_SERVER_H
#define SEALCAMD_SERVER_H

#include <stdatomic.h>

#include "config.h"

struct store;
struct blob;
struct ratelimit;
struct waitlist;
struct guard;
struct sweeper;
struct workq;
struct rowbatch;
struct relay;
struct tlogsrv;
struct webroot;
struct accesswatch;
struct staffsrv;
struct evnotes;
struct ticker;

struct server {
	const struct config *cfg;
	struct store *store;
	struct blob *blob;
	struct ratelimit *login_email;   /* login attempts per e-mail */
	struct ratelimit *login_addr;    /* login and signup attempts per client address */
	struct ticker *ticker;           /* when the tick thread wakes (deadlines) */
	struct waitlist *waits;          /* suspended keyring long-polls */
	struct guard *guard;             /* slow-client deadlines */
	struct sweeper *sweeper;         /* retention and deletions */
	struct workq *commits;           /* uploads' durable commits (fsync...) */
	struct rowbatch *rows;           /* group commit of their metadata rows */
	struct relay *relay;             /* live sessions */
	struct tlogsrv *tlog;            /* the transparency log (tlogsrv.c) */
	struct workq *logjobs;           /* requests waiting for a log append */
	struct webroot *web;             /* the browser viewer's files (static.c) */
	struct accesswatch *watch;       /* owners' streams of staff accesses */
	struct staffsrv *staff;          /* logs staff directory changes */
	struct evnotes *notes;           /* recent event notifications (watchers) */
	struct ratelimit *notify_rl;     /* event notifications per camera */
	atomic_int stopping;             /* SIGTERM seen: long-polls answer now */
};

#endif
