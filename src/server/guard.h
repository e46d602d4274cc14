/*
 * guard — deadlines for slow clients (slowloris and friends).
 *
 * libmicrohttpd's own timeout is an *inactivity* timeout: a client that
 * sends one header byte every few seconds never trips it and holds a
 * connection forever. guard keeps a record per connection (through
 * MHD_OPTION_NOTIFY_CONNECTION) and, when a deadline comes (http.c's tick
 * thread, woken through the ticker), shuts down sockets that
 *   - have not delivered complete request headers within header_timeout
 *     seconds of connecting or of their previous response, or
 *   - are sending a request body slower than min_rate bytes/s on average
 *     (checked after a 10 s grace).
 * shutdown(2) (never close) is used, under the same lock the CLOSED
 * notification takes, so the descriptor cannot have been reused: MHD
 * notifies before it closes. Suspended requests (long-polls) are exempt.
 */
#ifndef SEALCAMD_GUARD_H
#define SEALCAMD_GUARD_H

#include <microhttpd.h>
#include <stdint.h>

struct guard;
struct guard_conn;
struct ticker;

/* t (not owned) is told of every new deadline. */
struct guard *guard_new(unsigned header_timeout_s, uint64_t min_rate, struct ticker *t);
void guard_free(struct guard *g);

/* MHD_NotifyConnectionCallback (cls = the guard). */
void guard_callback_connection(void *cls, struct MHD_Connection *conn,
    void **socket_context, enum MHD_ConnectionNotificationCode toe);

/* Request headers complete; body_len = declared length (-1 unknown, 0 none). */
void guard_request_begin(struct guard_conn *gc, int64_t body_len, int64_t now_ms);
/* n more body bytes arrived. */
void guard_request_body(struct guard_conn *gc, uint64_t n);
/* Body complete (or not policed any more: answered, suspended). */
void guard_request_body_done(struct guard_conn *gc);
/* Response sent: the connection waits for the next request's headers. */
void guard_request_end(struct guard_conn *gc, int64_t now_ms);

/* Enforce deadlines; returns when the next one is due (ms, or
 * TICKER_NEVER). */
int64_t guard_tick(struct guard *g, int64_t now_ms);

/* Connections cut so far (metrics). */
uint64_t guard_cut_total(struct guard *g);

#endif
