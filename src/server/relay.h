/*
 * relay — live sessions: ciphertext from one agent upload fanned out to
 * every viewer of that camera (docs/PROTOCOL.md "Live view",
 * docs/ARCHITECTURE.md "relay.c").
 *
 *   viewer GET  -> relay_join: start (command "start" to the agent's
 *                  channel) or join the camera's session; parked until
 *                  the agent's header arrives
 *   agent POST  -> relay_upload_*: the stream is checked with the core
 *                  live reader in verify-only mode (framing, sizes, order,
 *                  camera signatures); each record is copied once into a
 *                  refcounted buffer appended to the session's chain
 *   viewer body <- relay_viewer_read: a cursor into that chain (no copy
 *                  per viewer but the socket write); a viewer that falls
 *                  more than viewer_buffer bytes behind is cut off
 *
 * A session ends when its last viewer has been gone for grace_ms, when it
 * is max_ms old, when the agent ends it (END record) or its upload breaks,
 * or when the agent never answers (start_timeout_ms). The agent is told to
 * stop over its channel and its upload connection is closed.
 *
 * The content readers suspend their connection (libmicrohttpd
 * suspend/resume) when no data is ready; pushes resume them. Nothing here
 * blocks an HTTP thread.
 */
#ifndef SEALCAMD_RELAY_H
#define SEALCAMD_RELAY_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct relay;
struct relay_chan;
struct relay_viewer;
struct relay_upload;
struct req;
struct ticker;
struct MHD_Connection;

#define RELAY_ID_LEN 16

struct relay_conf {
	int64_t grace_ms;         /* keep a session this long after its last viewer */
	int64_t max_ms;           /* hard limit of one session */
	int64_t start_timeout_ms; /* the agent must start streaming by then */
	uint64_t viewer_buffer;   /* bytes a viewer may fall behind */
	int64_t ping_ms;          /* command channel keep-alive period */
};

struct relay_stats {
	unsigned sessions;        /* in the registry (starting, live, closing) */
	unsigned viewers;         /* viewer streams open */
	unsigned channels;        /* agents' command channels connected */
	unsigned uploads;         /* agent uploads attached */
	uint64_t records;         /* records relayed (total) */
	uint64_t viewers_cut;     /* viewers cut off for falling behind (total) */
	uint64_t direct;          /* records written to viewers directly (total) */
	uint64_t sessions_total;  /* sessions started (total) */
};

/* t (not owned) is told of every new deadline (relay_tick's). */
struct relay *relay_new(const struct relay_conf *c, struct ticker *t);
/* After relay_shutdown and after the HTTP daemon stopped. NULL is a no-op. */
void relay_free(struct relay *r);

/* Deadlines and keep-alives (http.c's tick thread, woken by the ticker);
 * returns when the next one is due (ms, or TICKER_NEVER). */
int64_t relay_tick(struct relay *r, int64_t now_ms);
/* Server stopping: end every session and channel, resume every parked or
 * suspended connection so libmicrohttpd can close them. */
void relay_shutdown(struct relay *r);
void relay_stats(struct relay *r, struct relay_stats *s);

/* --- the agent's command channel (GET /v1/camera/live/commands) ---------- */

/* Open the channel of camera cam (an older one of the same camera is
 * closed). The relay keeps a reference; the caller owns one (release). */
struct relay_chan *relay_chan_open(struct relay *r, const uint8_t cam[RELAY_ID_LEN],
    int64_t now_ms);
/* libmicrohttpd content reader body: newline-terminated JSON lines. */
ssize_t relay_chan_read(struct relay_chan *ch, struct MHD_Connection *conn,
    char *buf, size_t max);
void relay_chan_release(struct relay_chan *ch);

/* --- viewers (GET /v1/cameras/{cam}/live) -------------------------------- */

enum relay_join_result {
	RELAY_JOINED = 0,
	RELAY_OFFLINE = 1,        /* the agent has no command channel open */
	RELAY_ERR = -1,           /* memory */
};

/* Join the camera's live session, starting one (and asking the agent) if
 * there is none. *v gets a viewer with two references (the request's and
 * the response's; each is released once); session_id the session's id;
 * *created whether this call started it. */
enum relay_join_result relay_join(struct relay *r, const uint8_t cam[RELAY_ID_LEN],
    int64_t now_ms, struct relay_viewer **v, uint8_t session_id[RELAY_ID_LEN],
    int *created);

/* Is the stream's head here? 1 = yes, answer now; 0 = rq was parked
 * (http_suspend) and will be resumed; -1 = the session failed (the agent
 * did not answer or its stream broke): answer with an error. */
int relay_viewer_ready(struct relay_viewer *v, struct req *rq);

/* libmicrohttpd content reader body for this viewer. */
ssize_t relay_viewer_read(struct relay_viewer *v, struct MHD_Connection *conn,
    char *buf, size_t max);

/* Let the relay write records straight to this viewer's socket fd
 * (http_stream_socket; -1: never) while its reader is suspended and has
 * sent everything, as long as the kernel then holds at most room bytes for
 * it (else libmicrohttpd is resumed and sends). */
void relay_viewer_direct(struct relay_viewer *v, int fd, size_t room);

/* The viewer's session id into sid. Returns 0. */
int relay_viewer_session(const struct relay_viewer *v, uint8_t sid[RELAY_ID_LEN]);

/* Bytes sent to this viewer so far. */
uint64_t relay_viewer_bytes(struct relay_viewer *v);

void relay_viewer_release(struct relay_viewer *v);

/* --- the agent's upload (POST /v1/camera/live/{session}) ----------------- */

enum relay_upload_result {
	RELAY_UP_OK = 0,
	RELAY_UP_NOTFOUND = -1,   /* no such session for this camera */
	RELAY_UP_CONFLICT = -2,   /* it already has an upload, or is over */
};

/* Attach the stream of session sid; camera_pk verifies its signatures. */
enum relay_upload_result relay_upload_begin(struct relay *r,
    const uint8_t cam[RELAY_ID_LEN], const uint8_t sid[RELAY_ID_LEN],
    const uint8_t camera_pk[32], struct relay_upload **u);

/* Stream bytes. 0 = go on; -1 = the stream is bad (message in
 * relay_upload_error); -2 = nobody watches any more: close the upload. */
int relay_upload_write(struct relay_upload *u, const uint8_t *buf, size_t len);
const char *relay_upload_error(const struct relay_upload *u);

/* Body complete: 0 if the stream ended with its END record. */
int relay_upload_finish(struct relay_upload *u);
/* Records relayed by this upload. */
uint64_t relay_upload_records(const struct relay_upload *u);

/* Detach (a stream that did not end cleanly breaks the session). */
void relay_upload_free(struct relay_upload *u);

#endif
