/*
 * relay — live sessions (relay.h). Records are refcounted buffers on a
 * singly linked chain per session:
 *
 *   head (header + signature)   init (INIT record)
 *   gop -> FRAG(key) -> FRAG -> FRAG -> ... -> tail
 *
 * Each record holds a reference to the next one, the session holds head,
 * init, gop (the latest keyframe fragment: where a new viewer starts) and
 * tail, and every viewer holds the record it is sending. Memory is thus
 * everything from the oldest viewer position (or the latest keyframe) to
 * the newest record, bounded by viewer_buffer beyond the latest keyframe: a
 * viewer further behind is cut off, which drops its reference. A push costs one copy of the record
 * and O(viewers) cursor checks; a viewer's read copies only into
 * libmicrohttpd's socket buffer.
 *
 * Direct writes: a viewer that has everything and is suspended gets the
 * next FRAG from the pusher's thread, as one HTTP chunk written straight
 * to its socket (relay_viewer_direct, http_stream_socket), when the kernel
 * has room for all of it; otherwise (or on any socket error) it is resumed
 * and libmicrohttpd sends, as before. Without this every record woke the
 * HTTP thread of every viewer (one thread wake-up and several syscalls per
 * viewer per record: most of the relay's CPU with few viewers). The room
 * check keeps the kernel's share of a viewer's backlog bounded as before;
 * what does not fit stays in the relay, where a slow viewer is cut.
 *
 * Locks: r->mu (registry, channels, counters), then s->mu (one session's
 * chain and viewers). Record contents are immutable once pushed, so a
 * reader copies them without the lock while it holds a reference.
 */
#include "relay.h"

#include <errno.h>
#include <linux/sockios.h>
#include <microhttpd.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "http.h"
#include "live.h"
#include "log.h"
#include "relay_int.h"
#include "ticker.h"

struct lrec {
	atomic_uint refs;
	struct lrec *next;        /* set once, under the session lock; a reference */
	uint64_t cum;             /* session bytes before this record */
	uint8_t type;             /* LIVE_REC_*, or 0 for the head */
	size_t len;
	uint8_t data[];
};

enum sstate { S_STARTING, S_LIVE, S_CLOSING, S_DONE };

struct sess {
	atomic_int refs;          /* registry + viewers + upload */
	struct relay *r;
	pthread_mutex_t mu;
	uint8_t cam[RELAY_ID_LEN], id[RELAY_ID_LEN];
	int64_t created_ms, idle_since_ms, closing_ms;
	enum sstate st;           /* written under r->mu and s->mu */
	int broken;               /* upload died without END */
	int in_registry;
	struct lrec *head, *init, *gop, *tail;
	uint64_t total;           /* bytes pushed */
	struct relay_viewer *viewers;
	unsigned nviewers;
	int has_upload;
	struct sess *next;
};

struct relay_viewer {
	atomic_int refs;
	struct sess *s;
	struct relay_viewer *next, *prev;   /* s->viewers, under s->mu */
	int linked;
	struct MHD_Connection *conn;
	int suspended;            /* content reader suspended */
	int fd;                   /* socket for direct writes, -1: never */
	size_t room;              /* bytes the kernel may hold for direct writes */
	size_t outq;              /* upper bound of the socket's queue (see below) */
	struct req *parked;       /* waiting for the head (http_suspend) */
	int phase;                /* 0 head, 1 init, 2 chain */
	struct lrec *cur;
	size_t off;
	int cut;
	atomic_uint_fast64_t bytes;
};

struct relay_upload {
	struct sess *s;
	struct live_reader *rd;
	int ended;                /* END relayed */
	uint64_t records;
	char err[128];
};

/* --- records ---------------------------------------------------------------- */

static struct lrec *
lrec_new(uint8_t type, const uint8_t *data, size_t len)
{
	struct lrec *l = malloc(sizeof(*l) + len);

	if (l == NULL)
		return NULL;
	atomic_init(&l->refs, 1);
	l->next = NULL;
	l->cum = 0;
	l->type = type;
	l->len = len;
	memcpy(l->data, data, len);	/* the one copy of a record */
	return l;
}

static struct lrec *
lrec_ref(struct lrec *l)
{
	if (l != NULL)
		atomic_fetch_add(&l->refs, 1);
	return l;
}

/* Drop a reference; a freed record drops its reference to the next, so a
 * chain nobody reads any more goes in one loop (no recursion). */
static void
lrec_unref(struct lrec *l)
{
	while (l != NULL && atomic_fetch_sub(&l->refs, 1) == 1) {
		struct lrec *n = l->next;
		free(l);
		l = n;
	}
}

/* --- sessions --------------------------------------------------------------- */

static void
sess_unref(struct sess *s)
{
	if (s == NULL || atomic_fetch_sub(&s->refs, 1) != 1)
		return;
	lrec_unref(s->head);
	lrec_unref(s->init);
	lrec_unref(s->gop);
	lrec_unref(s->tail);
	pthread_mutex_destroy(&s->mu);
	free(s);
}

/* Wake every viewer of s (new data, end, failure). s->mu held. */
static void
sess_wake_locked(struct sess *s)
{
	for (struct relay_viewer *v = s->viewers; v != NULL; v = v->next) {
		if (v->parked != NULL) {
			struct req *rq = v->parked;
			v->parked = NULL;
			http_resume(rq);
		}
		if (v->suspended) {
			v->suspended = 0;
			v->outq = v->room;        /* libmicrohttpd writes: unknown */
			MHD_resume_connection(v->conn);
		}
	}
}

/* Hex digits of a chunk's size, as libmicrohttpd writes them. */
static int
chunk_head(char out[24], size_t len)
{
	static const char hex[] = "0123456789ABCDEF";
	char t[20];
	int n = 0, k = 0;

	do {
		t[n++] = hex[len & 15];
		len >>= 4;
	} while (len != 0);
	while (n > 0)
		out[k++] = t[--n];
	out[k++] = '\r';
	out[k++] = '\n';
	return k;
}

/*
 * Write record l to suspended viewer v as one chunk, from this thread, if
 * v has sent everything before l and its socket has room for all of it.
 * 0 = sent (v stays suspended), -1 = not tried or nothing sent (resume v:
 * libmicrohttpd sends, or finds the error). s->mu held.
 */
static int
viewer_send_direct_locked(struct sess *s, struct relay_viewer *v, struct lrec *l)
{
	char head[24], tail[2] = { '\r', '\n' };
	struct iovec iov[3];
	struct msghdr m = { .msg_iov = iov, .msg_iovlen = 3 };
	size_t total;
	ssize_t n;
	int queued = 0;
	struct lrec *old;

	if (v->fd < 0 || v->cut || v->phase != 2 || v->cur == NULL ||
	    v->off != v->cur->len || v->cur->next != l || l->type != LIVE_REC_FRAG)
		return -1;
	iov[0].iov_base = head;
	iov[0].iov_len = (size_t)chunk_head(head, l->len);
	iov[1].iov_base = l->data;
	iov[1].iov_len = l->len;
	iov[2].iov_base = tail;
	iov[2].iov_len = sizeof(tail);
	total = iov[0].iov_len + l->len + sizeof(tail);
	/* Unacknowledged + unsent bytes: the kernel takes all of total (its
	 * limit is twice the SO_SNDBUF we set) unless the system is short of
	 * socket memory. The queue only shrinks between our writes (bytes
	 * leave it when acknowledged; libmicrohttpd writes only while v is
	 * resumed, which resets the bound), so v->outq, the last queue length
	 * read plus what this thread wrote since, bounds it from above: the
	 * ioctl is needed only when that bound says the record might not fit
	 * (every ~room bytes when the viewer keeps up), not per record. */
	if (v->outq + total > v->room) {
		if (ioctl(v->fd, SIOCOUTQ, &queued) != 0 || queued < 0 ||
		    (size_t)queued + total > v->room)
			return -1;
		v->outq = (size_t)queued;
	}
	n = sendmsg(v->fd, &m, MSG_DONTWAIT | MSG_NOSIGNAL);
	if (n <= 0)
		return -1;            /* EAGAIN, or an error libmicrohttpd will see */
	if ((size_t)n < total) {
		/* Half a chunk is on the wire: nothing can follow it but its
		 * rest, which this thread cannot wait for. Cut, like a viewer
		 * too slow to keep up (only under socket memory pressure). */
		v->cut = 1;
		atomic_fetch_add(&s->r->cut, 1);
		log_warn("relay", "action=cut reason=\"socket took part of a record\" "
		    "sent=%zd of=%zu", n, total);
		return -1;
	}
	v->outq += total;
	old = v->cur;
	v->cur = lrec_ref(l);
	v->off = l->len;
	atomic_fetch_add(&v->bytes, l->len);
	atomic_fetch_add(&s->r->direct, 1);
	lrec_unref(old);          /* l still holds the chain: frees at most old */
	return 0;
}

/* A new record l: send it directly where possible, wake everyone else.
 * s->mu held. */
static void
sess_wake_push_locked(struct sess *s, struct lrec *l)
{
	for (struct relay_viewer *v = s->viewers; v != NULL; v = v->next) {
		if (v->parked != NULL) {
			struct req *rq = v->parked;
			v->parked = NULL;
			http_resume(rq);
		}
		if (v->suspended && viewer_send_direct_locked(s, v, l) != 0) {
			v->suspended = 0;
			v->outq = v->room;        /* libmicrohttpd writes: unknown */
			MHD_resume_connection(v->conn);
		}
	}
}

/* Take s out of the registry (r->mu held). */
static void
sess_unlink_locked(struct relay *r, struct sess *s)
{
	for (struct sess **pp = &r->sessions; *pp != NULL; pp = &(*pp)->next)
		if (*pp == s) {
			*pp = s->next;
			s->in_registry = 0;
			r->nsessions--;
			sess_unref(s);
			return;
		}
}

static void
hex16(const uint8_t id[RELAY_ID_LEN], char out[2 * RELAY_ID_LEN + 1])
{
	sodium_bin2hex(out, 2 * RELAY_ID_LEN + 1, id, RELAY_ID_LEN);
}

/* When s's next deadline is due (r->mu held); TICKER_NEVER if none. */
static int64_t
sess_due_locked(const struct relay *r, const struct sess *s)
{
	int64_t due = TICKER_NEVER, d;

	switch (s->st) {
	case S_STARTING:
		due = s->created_ms + r->c.start_timeout_ms + 1;
		break;
	case S_LIVE:
		due = s->created_ms + r->c.max_ms + 1;
		if (s->nviewers == 0 && (d = s->idle_since_ms + r->c.grace_ms + 1) < due)
			due = d;
		break;
	case S_CLOSING:
		due = s->nviewers == 0 && !s->has_upload ? 0 :
		    s->closing_ms + r->c.start_timeout_ms + 1;
		break;
	case S_DONE:
		break;
	}
	return due;
}

/* Ask the agent to stop (r->mu held). */
static void
sess_close_locked(struct relay *r, struct sess *s, int64_t now_ms, const char *why)
{
	char line[RELAY_CHAN_LINE], sid[2 * RELAY_ID_LEN + 1];

	if (s->st == S_CLOSING || s->st == S_DONE)
		return;
	pthread_mutex_lock(&s->mu);
	s->st = S_CLOSING;
	s->closing_ms = now_ms;
	pthread_mutex_unlock(&s->mu);
	ticker_due(r->ticker, sess_due_locked(r, s));
	hex16(s->id, sid);
	snprintf(line, sizeof(line), "{\"type\":\"stop\",\"session\":\"%s\"}", sid);
	(void)relay_chan_send_locked(r, s->cam, line);
	log_info("relay", "action=close reason=%s viewers=%u bytes=%llu", why,
	    s->nviewers, (unsigned long long)s->total);
}

/* The session is over for good (r->mu held): viewers drain what is left
 * and then end (cleanly only if END was relayed). */
static void
sess_done_locked(struct relay *r, struct sess *s, int broken)
{
	pthread_mutex_lock(&s->mu);
	s->st = S_DONE;
	if (broken)
		s->broken = 1;
	sess_wake_locked(s);
	pthread_mutex_unlock(&s->mu);
	if (s->in_registry)
		sess_unlink_locked(r, s);
}

static void
sess_send_start_locked(struct relay *r, struct sess *s)
{
	char line[RELAY_CHAN_LINE], sid[2 * RELAY_ID_LEN + 1];

	hex16(s->id, sid);
	snprintf(line, sizeof(line), "{\"type\":\"start\",\"session\":\"%s\"}", sid);
	(void)relay_chan_send_locked(r, s->cam, line);
}

void
relay_sessions_resend_locked(struct relay *r, const uint8_t cam[RELAY_ID_LEN])
{
	for (struct sess *s = r->sessions; s != NULL; s = s->next)
		if (s->st == S_STARTING && !s->has_upload &&
		    memcmp(s->cam, cam, RELAY_ID_LEN) == 0)	/* check-src: ok (public ids) */
			sess_send_start_locked(r, s);
}

/* --- the relay -------------------------------------------------------------- */

struct relay *
relay_new(const struct relay_conf *c, struct ticker *t)
{
	struct relay *r = calloc(1, sizeof(*r));

	if (r == NULL)
		return NULL;
	r->c = *c;
	r->ticker = t;
	pthread_mutex_init(&r->mu, NULL);
	if (relay_chan_watch_start(r) != 0)
		log_warn("relay", "err=\"no hang-up watcher: a stopped agent is noticed at its"
		    " next ping\"");
	return r;
}

void
relay_free(struct relay *r)
{
	if (r == NULL)
		return;
	relay_shutdown(r);
	relay_chan_watch_stop(r);
	pthread_mutex_destroy(&r->mu);
	free(r);
}

int64_t
relay_tick(struct relay *r, int64_t now_ms)
{
	struct sess *s, *next;
	int64_t due = TICKER_NEVER, d;

	if (r == NULL)
		return due;
	pthread_mutex_lock(&r->mu);
	for (s = r->sessions; s != NULL; s = next) {
		next = s->next;
		switch (s->st) {
		case S_STARTING:
			if (now_ms - s->created_ms > r->c.start_timeout_ms) {
				log_warn("relay", "action=fail reason=\"agent did not start "
				    "streaming\" waited_ms=%lld", (long long)(now_ms - s->created_ms));
				sess_done_locked(r, s, 1);
				continue;         /* s may be gone */
			}
			break;
		case S_LIVE:
			if (s->nviewers == 0 && now_ms - s->idle_since_ms > r->c.grace_ms)
				sess_close_locked(r, s, now_ms, "no_viewers");
			else if (now_ms - s->created_ms > r->c.max_ms)
				sess_close_locked(r, s, now_ms, "time_limit");
			break;
		case S_CLOSING:
			/* The agent had time to send END; cut what is left. */
			if (now_ms - s->closing_ms > r->c.start_timeout_ms ||
			    (s->nviewers == 0 && !s->has_upload)) {
				sess_done_locked(r, s, 1);
				continue;
			}
			break;
		case S_DONE:
			break;
		}
		if ((d = sess_due_locked(r, s)) < due)
			due = d;
	}
	if ((d = relay_chan_tick_locked(r, now_ms)) < due)
		due = d;
	pthread_mutex_unlock(&r->mu);
	return due;
}

void
relay_shutdown(struct relay *r)
{
	if (r == NULL)
		return;
	pthread_mutex_lock(&r->mu);
	r->shut = 1;
	while (r->sessions != NULL)
		sess_done_locked(r, r->sessions, 1);
	relay_chan_close_all_locked(r);
	pthread_mutex_unlock(&r->mu);
}

void
relay_stats(struct relay *r, struct relay_stats *st)
{
	pthread_mutex_lock(&r->mu);
	st->sessions = r->nsessions;
	st->viewers = r->nviewers;
	st->channels = r->nchans;
	st->uploads = r->nuploads;
	pthread_mutex_unlock(&r->mu);
	st->records = atomic_load(&r->records);
	st->viewers_cut = atomic_load(&r->cut);
	st->direct = atomic_load(&r->direct);
	st->sessions_total = atomic_load(&r->started);
}

/* --- viewers ---------------------------------------------------------------- */

enum relay_join_result
relay_join(struct relay *r, const uint8_t cam[RELAY_ID_LEN], int64_t now_ms,
    struct relay_viewer **vout, uint8_t session_id[RELAY_ID_LEN], int *created)
{
	struct relay_viewer *v;
	struct sess *s;

	*vout = NULL;
	*created = 0;
	if ((v = calloc(1, sizeof(*v))) == NULL)
		return RELAY_ERR;
	atomic_init(&v->refs, 2);
	v->fd = -1;
	pthread_mutex_lock(&r->mu);
	if (r->shut || !relay_chan_connected_locked(r, cam)) {
		pthread_mutex_unlock(&r->mu);
		free(v);
		return RELAY_OFFLINE;
	}
	for (s = r->sessions; s != NULL; s = s->next)
		if ((s->st == S_STARTING || s->st == S_LIVE) &&
		    memcmp(s->cam, cam, RELAY_ID_LEN) == 0)	/* check-src: ok (public ids) */
			break;
	if (s == NULL) {
		if ((s = calloc(1, sizeof(*s))) == NULL) {
			pthread_mutex_unlock(&r->mu);
			free(v);
			return RELAY_ERR;
		}
		atomic_init(&s->refs, 1);         /* the registry's */
		s->r = r;
		pthread_mutex_init(&s->mu, NULL);
		memcpy(s->cam, cam, RELAY_ID_LEN);
		randombytes_buf(s->id, sizeof(s->id));
		s->created_ms = now_ms;
		s->st = S_STARTING;
		s->in_registry = 1;
		s->next = r->sessions;
		r->sessions = s;
		r->nsessions++;
		atomic_fetch_add(&r->started, 1);
		sess_send_start_locked(r, s);
		ticker_due(r->ticker, sess_due_locked(r, s));
		*created = 1;
	}
	atomic_fetch_add(&s->refs, 1);            /* the viewer's */
	v->s = s;
	pthread_mutex_lock(&s->mu);
	v->next = s->viewers;
	if (s->viewers != NULL)
		s->viewers->prev = v;
	s->viewers = v;
	v->linked = 1;
	s->nviewers++;
	pthread_mutex_unlock(&s->mu);
	r->nviewers++;
	memcpy(session_id, s->id, RELAY_ID_LEN);
	pthread_mutex_unlock(&r->mu);
	*vout = v;
	return RELAY_JOINED;
}

int
relay_viewer_ready(struct relay_viewer *v, struct req *rq)
{
	struct sess *s = v->s;
	int ret;

	pthread_mutex_lock(&s->mu);
	if (s->head != NULL) {
		ret = 1;              /* even if broken: it reads, then errs */
	} else if (s->st == S_DONE || s->broken) {
		ret = -1;
	} else {
		v->parked = rq;
		http_suspend(rq);
		ret = 0;
	}
	pthread_mutex_unlock(&s->mu);
	return ret;
}

void
relay_viewer_direct(struct relay_viewer *v, int fd, size_t room)
{
	pthread_mutex_lock(&v->s->mu);
	v->fd = fd;
	v->room = room;
	v->outq = room;           /* unknown until the first ioctl */
	pthread_mutex_unlock(&v->s->mu);
}

int
relay_viewer_session(const struct relay_viewer *v, uint8_t sid[RELAY_ID_LEN])
{
	memcpy(sid, v->s->id, RELAY_ID_LEN);
	return 0;
}

uint64_t
relay_viewer_bytes(struct relay_viewer *v)
{
	return atomic_load(&v->bytes);
}

ssize_t
relay_viewer_read(struct relay_viewer *v, struct MHD_Connection *conn,
    char *buf, size_t max)
{
	struct sess *s = v->s;
	struct lrec *rec, *drop = NULL;
	size_t off, n;

	pthread_mutex_lock(&s->mu);
	v->conn = conn;
	for (;;) {
		struct lrec *nx;

		if (v->cut) {
			pthread_mutex_unlock(&s->mu);
			return MHD_CONTENT_READER_END_WITH_ERROR;
		}
		if (v->cur != NULL && v->off < v->cur->len)
			break;
		if (v->cur != NULL) {
			/* Finished this record: END ends the stream cleanly. */
			if (v->cur->type == LIVE_REC_END) {
				pthread_mutex_unlock(&s->mu);
				return MHD_CONTENT_READER_END_OF_STREAM;
			}
			if (v->phase == 2 && v->cur->next == NULL)
				goto wait;
			nx = v->phase == 2 ? lrec_ref(v->cur->next) : NULL;
			lrec_unref(drop);
			drop = v->cur;
			v->cur = nx;
			v->off = 0;
			if (v->phase < 2)
				v->phase++;
			continue;
		}
		/* No record yet in this phase: head, then init, then the latest
		 * keyframe fragment. */
		nx = v->phase == 0 ? s->head : v->phase == 1 ? s->init : s->gop;
		if (nx == NULL)
			goto wait;
		v->cur = lrec_ref(nx);
		v->off = 0;
	}
	rec = v->cur;
	off = v->off;
	n = rec->len - off < max ? rec->len - off : max;
	v->off += n;
	pthread_mutex_unlock(&s->mu);
	lrec_unref(drop);
	memcpy(buf, rec->data + off, n);	/* rec is ours while v->cur holds it */
	atomic_fetch_add(&v->bytes, n);
	return (ssize_t)n;
wait:
	if (s->st == S_DONE || s->broken) {
		/* Over without END (or no data ever): the viewer sees an error. */
		pthread_mutex_unlock(&s->mu);
		lrec_unref(drop);
		return MHD_CONTENT_READER_END_WITH_ERROR;
	}
	v->suspended = 1;
	MHD_suspend_connection(conn);
	pthread_mutex_unlock(&s->mu);
	lrec_unref(drop);
	return 0;
}

void
relay_viewer_release(struct relay_viewer *v)
{
	struct sess *s;
	struct relay *r;

	if (v == NULL || atomic_fetch_sub(&v->refs, 1) != 1)
		return;
	s = v->s;
	r = s->r;
	pthread_mutex_lock(&r->mu);
	pthread_mutex_lock(&s->mu);
	if (v->linked) {
		if (v->prev != NULL)
			v->prev->next = v->next;
		else
			s->viewers = v->next;
		if (v->next != NULL)
			v->next->prev = v->prev;
		s->nviewers--;
		if (s->nviewers == 0)
			s->idle_since_ms = http_now_ms();
	}
	pthread_mutex_unlock(&s->mu);
	if (s->nviewers == 0)         /* the grace period starts */
		ticker_due(r->ticker, sess_due_locked(r, s));
	r->nviewers--;
	pthread_mutex_unlock(&r->mu);
	lrec_unref(v->cur);
	sess_unref(s);
	free(v);
}

/* --- the agent's upload ------------------------------------------------------ */

/* Append one verified piece to the session and wake its viewers. */
static int
sess_push(struct sess *s, const struct live_event *ev)
{
	struct relay *r = s->r;
	struct lrec *l = lrec_new(ev->type == LIVE_EV_HEAD ? 0 : (uint8_t)ev->type,
	    ev->wire, ev->wirelen);
	struct lrec *old_tail = NULL, *old_gop = NULL;
	uint64_t limit = r->c.viewer_buffer;
	int64_t head_due = TICKER_NEVER;

	if (l == NULL)
		return -1;
	pthread_mutex_lock(&s->mu);
	l->cum = s->total;
	s->total += l->len;
	if (ev->type == LIVE_EV_HEAD) {
		s->head = l;
		if (s->st == S_STARTING)
			s->st = S_LIVE;
		s->idle_since_ms = http_now_ms();
		/* Live now: the grace period (if nobody watches) and the time
		 * limit run. The earlier of the two; a tick pass finds the other. */
		head_due = s->idle_since_ms + r->c.grace_ms + 1;
		if (s->created_ms + r->c.max_ms + 1 < head_due)
			head_due = s->created_ms + r->c.max_ms + 1;
	} else if (ev->type == LIVE_REC_INIT) {
		s->init = l;
	} else {
		if (s->tail != NULL)
			s->tail->next = lrec_ref(l);     /* the chain's reference */
		old_tail = s->tail;
		s->tail = l;                         /* the creation reference */
		if (ev->type == LIVE_REC_FRAG && (ev->flags & LIVE_FLAG_KEY)) {
			old_gop = s->gop;
			s->gop = lrec_ref(l);
		}
	}
	/*
	 * Who is too far behind? They are cut, the others never wait. A
	 * viewer still inside the latest group of pictures is never cut: a
	 * new viewer starts at its keyframe, so with long GOPs (or a small
	 * buffer) it would be "behind" the moment it joins, and the session
	 * keeps that GOP in memory anyway. Only a viewer behind the latest
	 * keyframe holds memory of its own, and that is what the limit bounds.
	 */
	for (struct relay_viewer *v = s->viewers; v != NULL; v = v->next)
		if (v->phase == 2 && v->cur != NULL && !v->cut &&
		    s->total - (v->cur->cum + v->off) > limit &&
		    (s->gop == NULL || v->cur->cum + v->off < s->gop->cum)) {
			v->cut = 1;
			atomic_fetch_add(&r->cut, 1);
			log_warn("relay", "action=cut reason=\"viewer too slow\" behind=%llu",
			    (unsigned long long)(s->total - (v->cur->cum + v->off)));
		}
	sess_wake_push_locked(s, l);
	pthread_mutex_unlock(&s->mu);
	if (head_due != TICKER_NEVER)
		ticker_due(r->ticker, head_due);
	lrec_unref(old_tail);
	lrec_unref(old_gop);
	atomic_fetch_add(&r->records, 1);
	return 0;
}

enum relay_upload_result
relay_upload_begin(struct relay *r, const uint8_t cam[RELAY_ID_LEN],
    const uint8_t sid[RELAY_ID_LEN], const uint8_t camera_pk[32],
    struct relay_upload **out)
{
	struct live_expect e = { .camera_pk = camera_pk, .check_session = 1,
	    .session_seq = live_session_seq(sid) };
	struct relay_upload *u;
	struct sess *s;
	int ret = RELAY_UP_NOTFOUND;

	*out = NULL;
	pthread_mutex_lock(&r->mu);
	for (s = r->sessions; s != NULL; s = s->next)
		if (memcmp(s->cam, cam, RELAY_ID_LEN) == 0 &&	/* check-src: ok (public ids) */
		    sodium_memcmp(s->id, sid, RELAY_ID_LEN) == 0)
			break;
	if (s != NULL && (s->has_upload || s->st != S_STARTING))
		ret = RELAY_UP_CONFLICT;
	else if (s != NULL && (u = calloc(1, sizeof(*u))) != NULL &&
	    (u->rd = live_reader_new(&e, NULL, NULL)) != NULL) {
		s->has_upload = 1;
		atomic_fetch_add(&s->refs, 1);
		u->s = s;
		r->nuploads++;
		*out = u;
		ret = RELAY_UP_OK;
	} else if (s != NULL) {
		free(u);
		ret = RELAY_UP_CONFLICT;
	}
	pthread_mutex_unlock(&r->mu);
	return ret;
}

static int
callback_upload_event(void *cookie, const struct live_event *ev)
{
	struct relay_upload *u = cookie;

	if (sess_push(u->s, ev) != 0)
		return -1;
	if (ev->type != LIVE_EV_HEAD)
		u->records++;
	if (ev->type == LIVE_REC_END)
		u->ended = 1;
	return 0;
}

int
relay_upload_write(struct relay_upload *u, const uint8_t *buf, size_t len)
{
	struct sess *s = u->s;
	int rc, over;

	/* Closed for lack of viewers (or over): stop the agent sending. */
	pthread_mutex_lock(&s->mu);
	over = s->st == S_DONE || (s->st == S_CLOSING && s->nviewers == 0);
	pthread_mutex_unlock(&s->mu);
	if (over)
		return -2;
	rc = live_reader_write(u->rd, buf, len, callback_upload_event, u);
	if (rc != LIVE_OK) {
		snprintf(u->err, sizeof(u->err), "%s", live_strerror(rc));
		return -1;
	}
	return 0;
}

const char *
relay_upload_error(const struct relay_upload *u)
{
	return u->err[0] ? u->err : "live stream incomplete";
}

int
relay_upload_finish(struct relay_upload *u)
{
	int rc = live_reader_finish(u->rd);

	if (rc != LIVE_OK && u->err[0] == '\0')
		snprintf(u->err, sizeof(u->err), "%s", live_strerror(rc));
	return rc == LIVE_OK ? 0 : -1;
}

uint64_t
relay_upload_records(const struct relay_upload *u)
{
	return u->records;
}

void
relay_upload_free(struct relay_upload *u)
{
	struct sess *s;
	struct relay *r;

	if (u == NULL)
		return;
	s = u->s;
	r = s->r;
	pthread_mutex_lock(&r->mu);
	s->has_upload = 0;
	r->nuploads--;
	/* Ended with END: viewers finish cleanly; otherwise they see an error. */
	sess_done_locked(r, s, !u->ended);
	pthread_mutex_unlock(&r->mu);
	live_reader_free(u->rd);
	sess_unref(s);
	free(u);
}
