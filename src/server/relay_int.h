/*
 * relay_int — what relay.c (sessions, viewers, uploads) and relay_chan.c
 * (agents' command channels) share. Not a public interface.
 */
#ifndef SEALCAMD_RELAY_INT_H
#define SEALCAMD_RELAY_INT_H

#include <pthread.h>
#include <stdatomic.h>

#include "relay.h"

#define RELAY_CHAN_QUEUE 16       /* command lines waiting per channel */
#define RELAY_CHAN_LINE 192       /* bytes of one command line */

struct relay_chan {
	atomic_int refs;          /* the registry's and the response's */
	uint8_t cam[RELAY_ID_LEN];
	struct relay *relay;
	struct MHD_Connection *conn; /* set by the first read */
	int suspended;            /* its content reader suspended the connection */
	int closed;               /* replaced or shut down: end the response */
	int in_registry;
	uint64_t serial;          /* names it to the hang-up watcher (never 0) */
	int watched;              /* its socket is in the watcher's epoll set */
	char q[RELAY_CHAN_QUEUE][RELAY_CHAN_LINE];
	unsigned qhead, qlen;
	char cur[RELAY_CHAN_LINE];
	size_t curlen, curoff;
	int64_t last_send_ms;
	struct relay_chan *next;
};

struct sess;

struct relay {
	struct relay_conf c;
	pthread_mutex_t mu;       /* registry, channels; taken before a session's */
	struct sess *sessions;
	struct relay_chan *chans;
	int shut;
	struct ticker *ticker;    /* told of sessions' and channels' deadlines */
	unsigned nsessions, nviewers, nchans, nuploads;
	atomic_uint_fast64_t records, cut, started, direct;
	/* Hang-up watcher (relay_chan.c): agents' channel sockets, suspended
	 * between commands, are watched for the peer's close. */
	int hup_ep, hup_stop;     /* epoll set, eventfd; -1 when not running */
	int hup_running;
	pthread_t hup_thread;
	uint64_t chan_serial;
};

/* relay_chan.c, with r->mu held: queue a line (without newline) for the
 * camera's channel and wake it. 0, or -1 if no channel is connected. */
int relay_chan_send_locked(struct relay *r, const uint8_t cam[RELAY_ID_LEN],
    const char *line);
int relay_chan_connected_locked(struct relay *r, const uint8_t cam[RELAY_ID_LEN]);
/* relay.c, with r->mu held: a channel (re)connected for cam: send it the
 * "start" of a session still waiting for its agent. */
void relay_sessions_resend_locked(struct relay *r, const uint8_t cam[RELAY_ID_LEN]);
/* Pings due, with r->mu held; returns when the next one is (ms). */
int64_t relay_chan_tick_locked(struct relay *r, int64_t now_ms);
/* Close every channel (shutdown), with r->mu held. */
void relay_chan_close_all_locked(struct relay *r);
/* The hang-up watcher's thread: started by relay_new (0, or -1 and the
 * relay works without it: a dead channel is then found by its next ping),
 * stopped by relay_free. */
int relay_chan_watch_start(struct relay *r);
void relay_chan_watch_stop(struct relay *r);

#endif
