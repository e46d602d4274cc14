/*
 * relay_chan — the command channel each agent keeps open
 * (GET /v1/camera/live/commands): a never-ending chunked response of
 * newline-terminated JSON lines ("hello" on connect, "start"/"stop" for
 * live sessions, "ping" every ping_ms so both ends notice a dead link).
 * One channel per camera; a new connection replaces the old one.
 *
 * Between commands a channel's connection is suspended, so libmicrohttpd
 * does not look at its socket: an agent that stops (or dies: the kernel
 * closes its sockets) would only be noticed when the next ping fails, and
 * viewers meanwhile would wait out the start timeout for a camera that is
 * gone. The hang-up watcher, one thread blocked in epoll_wait (it wakes
 * only when an agent hangs up), has each channel's socket with EPOLLRDHUP
 * and closes that channel at once, so the camera reads as offline
 * (503 camera_offline) from then on.
 */
#include <errno.h>
#include <microhttpd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "log.h"
#include "relay_int.h"
#include "ticker.h"

static void
chan_wake_locked(struct relay_chan *ch)
{
	if (ch->suspended) {
		ch->suspended = 0;
		MHD_resume_connection(ch->conn);
	}
}

static int
chan_push_locked(struct relay_chan *ch, const char *line)
{
	char *slot;

	if (ch->qlen == RELAY_CHAN_QUEUE)
		return -1;        /* an agent that reads nothing gets nothing more */
	slot = ch->q[(ch->qhead + ch->qlen) % RELAY_CHAN_QUEUE];
	snprintf(slot, RELAY_CHAN_LINE, "%s\n", line);
	ch->qlen++;
	chan_wake_locked(ch);
	return 0;
}

static void chan_unref(struct relay_chan *ch);

static struct relay_chan *
chan_find_locked(struct relay *r, const uint8_t cam[RELAY_ID_LEN])
{
	for (struct relay_chan *ch = r->chans; ch != NULL; ch = ch->next)
		if (memcmp(ch->cam, cam, RELAY_ID_LEN) == 0)	/* check-src: ok (public ids) */
			return ch;
	return NULL;
}

/* Out of the registry (replaced, hung up, shut down, or its response
 * gone): its response ends, and the registry's reference goes (ch may be
 * freed here if the response's went first). */
static void
chan_drop_locked(struct relay *r, struct relay_chan *ch)
{
	for (struct relay_chan **pp = &r->chans; *pp != NULL; pp = &(*pp)->next)
		if (*pp == ch) {
			*pp = ch->next;
			ch->in_registry = 0;
			r->nchans--;
			ch->closed = 1;
			chan_wake_locked(ch);
			chan_unref(ch);
			return;
		}
}

struct relay_chan *
relay_chan_open(struct relay *r, const uint8_t cam[RELAY_ID_LEN], int64_t now_ms)
{
	struct relay_chan *ch = calloc(1, sizeof(*ch)), *old;

	if (ch == NULL)
		return NULL;
	memcpy(ch->cam, cam, RELAY_ID_LEN);
	ch->relay = r;
	atomic_init(&ch->refs, 2);
	ch->last_send_ms = now_ms;
	pthread_mutex_lock(&r->mu);
	if (r->shut) {
		pthread_mutex_unlock(&r->mu);
		free(ch);
		return NULL;
	}
	ch->serial = ++r->chan_serial;
	if ((old = chan_find_locked(r, cam)) != NULL) {
		chan_drop_locked(r, old);
	}
	ch->next = r->chans;
	r->chans = ch;
	ch->in_registry = 1;
	r->nchans++;
	/* Something to send at once, so the response head goes out now. */
	(void)chan_push_locked(ch, "{\"type\":\"hello\"}");
	/* A session may have asked the previous (dead) connection. */
	relay_sessions_resend_locked(r, cam);
	pthread_mutex_unlock(&r->mu);
	ticker_due(r->ticker, now_ms + r->c.ping_ms);   /* its first ping */
	return ch;
}

/* Put the channel's socket in the hang-up watcher's set (once). No
 * EPOLL_CTL_DEL ever: closing the socket takes it out of the set, and an
 * event for a channel that is no longer registered is ignored (serial). */
static void
chan_watch_locked(struct relay *r, struct relay_chan *ch, struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci;
	struct epoll_event ev = { .events = EPOLLRDHUP | EPOLLONESHOT };

	ch->watched = 1;
	if (r->hup_ep < 0 || (ci = MHD_get_connection_info(conn,
	    MHD_CONNECTION_INFO_CONNECTION_FD)) == NULL)
		return;
	ev.data.u64 = ch->serial;
	/* The same connection may have carried an earlier channel. */
	if (epoll_ctl(r->hup_ep, EPOLL_CTL_ADD, ci->connect_fd, &ev) != 0 &&
	    (errno != EEXIST || epoll_ctl(r->hup_ep, EPOLL_CTL_MOD, ci->connect_fd, &ev) != 0))
		log_warn("relay", "err=\"cannot watch a command channel: %s\"", strerror(errno));
}

ssize_t
relay_chan_read(struct relay_chan *ch, struct MHD_Connection *conn, char *buf,
    size_t max)
{
	struct relay *r = ch->relay;
	size_t n;

	pthread_mutex_lock(&r->mu);
	ch->conn = conn;
	if (!ch->watched)
		chan_watch_locked(r, ch, conn);
	if (ch->curoff == ch->curlen && ch->qlen > 0) {
		char *line = ch->q[ch->qhead];
		ch->curlen = strlen(line);
		memcpy(ch->cur, line, ch->curlen);
		ch->curoff = 0;
		ch->qhead = (ch->qhead + 1) % RELAY_CHAN_QUEUE;
		ch->qlen--;
	}
	if (ch->curoff == ch->curlen) {
		if (ch->closed) {
			pthread_mutex_unlock(&r->mu);
			return MHD_CONTENT_READER_END_OF_STREAM;
		}
		/* Nothing to say: park until a command or ping is queued. */
		ch->suspended = 1;
		MHD_suspend_connection(conn);
		pthread_mutex_unlock(&r->mu);
		return 0;
	}
	n = ch->curlen - ch->curoff < max ? ch->curlen - ch->curoff : max;
	memcpy(buf, ch->cur + ch->curoff, n);
	ch->curoff += n;
	pthread_mutex_unlock(&r->mu);
	return (ssize_t)n;
}

static void
chan_unref(struct relay_chan *ch)
{
	if (atomic_fetch_sub(&ch->refs, 1) == 1)
		free(ch);
}

/* The response's reference: the agent went away, so the channel goes too. */
void
relay_chan_release(struct relay_chan *ch)
{
	struct relay *r;

	if (ch == NULL)
		return;
	r = ch->relay;
	pthread_mutex_lock(&r->mu);
	ch->suspended = 0;            /* its connection is gone: never resume it */
	if (ch->in_registry)
		chan_drop_locked(r, ch);
	pthread_mutex_unlock(&r->mu);
	chan_unref(ch);
}

int
relay_chan_send_locked(struct relay *r, const uint8_t cam[RELAY_ID_LEN],
    const char *line)
{
	struct relay_chan *ch = chan_find_locked(r, cam);

	return ch != NULL && !ch->closed ? chan_push_locked(ch, line) : -1;
}

int
relay_chan_connected_locked(struct relay *r, const uint8_t cam[RELAY_ID_LEN])
{
	struct relay_chan *ch = chan_find_locked(r, cam);

	return ch != NULL && !ch->closed;
}

int64_t
relay_chan_tick_locked(struct relay *r, int64_t now_ms)
{
	int64_t due = TICKER_NEVER;

	for (struct relay_chan *ch = r->chans; ch != NULL; ch = ch->next) {
		if (now_ms - ch->last_send_ms >= r->c.ping_ms) {
			ch->last_send_ms = now_ms;
			(void)chan_push_locked(ch, "{\"type\":\"ping\"}");
		}
		if (ch->last_send_ms + r->c.ping_ms < due)
			due = ch->last_send_ms + r->c.ping_ms;
	}
	return due;
}

void
relay_chan_close_all_locked(struct relay *r)
{
	while (r->chans != NULL)
		chan_drop_locked(r, r->chans);
}

/* --- the hang-up watcher ------------------------------------------------------ */

static void *
hup_main(void *arg)
{
	struct relay *r = arg;
	struct epoll_event ev[16];

	for (;;) {
		int n = epoll_wait(r->hup_ep, ev, 16, -1);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return NULL;
		pthread_mutex_lock(&r->mu);
		for (int i = 0; i < n; i++) {
			if (ev[i].data.u64 == 0) {            /* relay_chan_watch_stop */
				pthread_mutex_unlock(&r->mu);
				return NULL;
			}
			for (struct relay_chan *ch = r->chans; ch != NULL; ch = ch->next)
				if (ch->serial == ev[i].data.u64) {
					log_info("relay", "action=channel_closed reason=\"agent hung up\"");
					chan_drop_locked(r, ch);
					break;
				}
		}
		pthread_mutex_unlock(&r->mu);
	}
}

int
relay_chan_watch_start(struct relay *r)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = 0 };

	r->hup_ep = epoll_create1(EPOLL_CLOEXEC);
	r->hup_stop = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (r->hup_ep >= 0 && r->hup_stop >= 0 &&
	    epoll_ctl(r->hup_ep, EPOLL_CTL_ADD, r->hup_stop, &ev) == 0 &&
	    pthread_create(&r->hup_thread, NULL, hup_main, r) == 0) {
		r->hup_running = 1;
		return 0;
	}
	if (r->hup_ep >= 0)
		close(r->hup_ep);
	if (r->hup_stop >= 0)
		close(r->hup_stop);
	r->hup_ep = r->hup_stop = -1;
	return -1;
}

void
relay_chan_watch_stop(struct relay *r)
{
	uint64_t one = 1;

	if (!r->hup_running)
		return;
	/* An eventfd write of 1 cannot fail short of a counter near 2^64. */
	(void)!write(r->hup_stop, &one, sizeof(one));
	pthread_join(r->hup_thread, NULL);
	r->hup_running = 0;
	close(r->hup_ep);
	close(r->hup_stop);
	r->hup_ep = r->hup_stop = -1;
}
