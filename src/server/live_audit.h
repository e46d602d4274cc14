/*
 * live_audit — the record of who watched which camera live, when and for
 * how long. Every live view passes through live_audit_begin before any
 * footage flows (fail closed: no record, no view), so this is the one
 * place the transparency log hooks in (a live_session entry: owner's
 * chain, camera id, the viewer's log id, labelhash("sealcam-loglive",
 * session id); docs/FORMAT.md "Log entries").
 */
#ifndef SEALCAMD_LIVE_AUDIT_H
#define SEALCAMD_LIVE_AUDIT_H

#include <stdint.h>

struct server;

/* A view starts: viewer account, camera, session, time. Appends the log
 * entry (waits until it is durable: call it from a log worker,
 * tlogsrv_defer), then records the row. 0 with *view_id set, or -1
 * (logged): the caller must refuse the view. */
int live_audit_begin(struct server *srv, const uint8_t viewer[16],
    const uint8_t camera[16], const uint8_t session[16], int64_t now_ms,
    int64_t *view_id);

/* The view ended (bytes = ciphertext sent to the viewer). */
void live_audit_end(struct server *srv, int64_t view_id, int64_t now_ms,
    uint64_t bytes);

#endif
