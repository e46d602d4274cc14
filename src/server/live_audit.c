/*
 * live_audit — see live_audit.h: a transparency log entry (owner's chain,
 * durable) and a store row per view, the row listed to the owner by
 * GET /v1/cameras/{cam}/live/history.
 */
#include "live_audit.h"

#include <string.h>

#include "log.h"
#include "server.h"
#include "store.h"
#include "tlogsrv.h"

int
live_audit_begin(struct server *srv, const uint8_t viewer[16],
    const uint8_t camera[16], const uint8_t session[16], int64_t now_ms,
    int64_t *view_id)
{
	struct store_live_view v;
	struct store_camera c;

	/* The log first: a view the owner's verified log does not show must
	 * not happen (the caller refuses it on -1). */
	if (store_camera_get(srv->store, camera, &c) != STORE_OK ||
	    tlogsrv_log_live_started(srv->tlog, c.owner, camera, viewer, session, 16,
	    NULL) != 0) {
		log_err("live", "action=audit err=\"cannot log the live view\"");
		return -1;
	}
	memset(&v, 0, sizeof(v));
	memcpy(v.account_id, viewer, 16);
	memcpy(v.camera_id, camera, 16);
	memcpy(v.session_id, session, 16);
	v.started_ms = now_ms;
	if (store_live_view_begin(srv->store, &v, view_id) != 0) {
		log_err("live", "action=audit err=\"cannot record the live view\"");
		return -1;
	}
	return 0;
}

void
live_audit_end(struct server *srv, int64_t view_id, int64_t now_ms,
    uint64_t bytes)
{
	if (store_live_view_end(srv->store, view_id, now_ms, bytes) != 0)
		log_err("live", "action=audit err=\"cannot record the end of a live view\"");
}
