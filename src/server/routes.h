/*
 * routes — the route table (routes.c): every endpoint, who may call it,
 * and the function that answers. PROTOCOL.md describes the same table.
 */
#ifndef SEALCAMD_ROUTES_H
#define SEALCAMD_ROUTES_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "static.h"

struct req;

/*
 * Who may call a route (PROTOCOL.md "Access rules"). ACCESS_UNSET is 0 so
 * a row written without a rule is caught: routes_check() refuses to start.
 */
enum access {
	ACCESS_UNSET = 0,
	ACCESS_PUBLIC,            /* anyone */
	ACCESS_PAIRING,           /* anyone holding the pairing id (one-time capability) */
	ACCESS_USER,              /* a user session */
	ACCESS_SESSION,           /* a user or staff session */
	ACCESS_CREATOR,           /* the user who created pairing {pairing_id} */
	ACCESS_VIEWER,            /* owner or current member of camera {cam} */
	ACCESS_OWNER,             /* owner of camera {cam} */
	ACCESS_CAMERA,            /* a camera token (acts on its own camera only) */
	ACCESS_GRANTOR,           /* the user who made grant {grant} */
	ACCESS_GRANTEE,           /* the staff principal grant {grant} is addressed to */
	ACCESS_GRANT_PARTY,       /* either of the two */
};

/* How the request body is read before the handler runs. */
enum body {
	BODY_NONE,                /* no body expected (one is read and dropped, bounded) */
	BODY_JSON,                /* application/json, <= json_max, parsed to an object */
	BODY_STREAM,              /* streamed to route->data, e.g. sealed uploads */
	BODY_LIVE,                /* like STREAM, but chunked, unbounded in total, no
	                           * rate floor; data's -2 closes the connection */
};

typedef void route_fn(struct req *rq);
/* Body streaming: begin after auth (0 = go on, -1 = it replied/failed),
 * data per chunk (-1 = it called http_fail and the rest is dropped). */
typedef int route_begin_fn(struct req *rq);
typedef int route_data_fn(struct req *rq, const uint8_t *buf, size_t len);

struct route {
	const char *method;
	const char *path;         /* literal segments and {cam} {kind} {seq} {pairing_id}
	                           * {session} {asset}; {tile} (last) takes the rest of the path */
	enum access access;
	enum body body;
	route_fn *handler;        /* answers once the body is complete */
	route_begin_fn *begin;    /* BODY_STREAM only */
	route_data_fn *data;      /* BODY_STREAM only */
};

/* Path parameters, parsed and validated by the matcher. */
struct route_params {
	uint8_t cam[16];          /* {cam}: 32 lowercase hex */
	uint8_t pairing_id[16];   /* {pairing_id}: 32 lowercase hex */
	uint8_t grant[16];        /* {grant}: 32 lowercase hex */
	int kind;                 /* {kind}: 1 segment, 2 event, 3 thumbnail, 5 derivative */
	uint64_t seq;             /* {seq}: decimal, < 2^63 */
	uint8_t session[16];      /* {session}: 32 lowercase hex */
	char tile[64];            /* {tile}: the rest of the path, "tile/" + it a C2SP tile path */
	char asset[STATIC_NAME_MAX + 1]; /* {asset}: a file name static_name_ok() accepts */
};

enum route_match { ROUTE_FOUND, ROUTE_NOT_FOUND, ROUTE_BAD_METHOD };

/*
 * Find the route for method and path; fill params. ROUTE_BAD_METHOD if the
 * path exists under another method (allow gets the methods, comma-separated).
 */
enum route_match routes_match(const char *method, const char *path,
    const struct route **r, struct route_params *params, char *allow,
    size_t allow_len);

/* Number of routes and the i-th (for metrics labels). */
size_t routes_count(void);
const struct route *routes_get(size_t i);
size_t routes_index(const struct route *r);

/* Name of an access rule as PROTOCOL.md writes it ("owner(cam)"). */
const char *routes_access_name(enum access a);

/* 0 if every route has an access rule and a handler; else -1 (logged). */
int routes_check(void);

/* The table as JSON: [{"method", "path", "access", "body"}...]. */
void routes_print_json(FILE *f);

/* Handlers, by file. */
route_fn h_healthz, h_metrics;
route_fn h_signup, h_login, h_logout, h_me, h_vault_put, h_vault_get, h_user_lookup;
route_fn h_pairing_create, h_pairing_get, h_pairing_register;
route_fn h_cameras, h_camera_get, h_camera_delete, h_keyring_put, h_keyring_get,
    h_retention_put, h_camera_keyring_poll;
route_fn h_objects_list, h_object_get, h_object_put;
route_fn h_log_checkpoint, h_log_key, h_log_tile, h_log_proof, h_log_consistency,
    h_me_log;
route_begin_fn h_object_put_begin;
route_data_fn h_object_put_data;
route_fn h_live_get, h_live_history, h_live_commands, h_live_put;
route_begin_fn h_live_put_begin;
route_data_fn h_live_put_data;
route_fn h_static;
route_fn h_staff_dir, h_grant_create, h_grants_list, h_grant_get, h_grant_revoke,
    h_grant_access, h_grant_object, h_me_accesses, h_me_events;
route_begin_fn h_grant_create_begin;
/* routes_log.c: a log chain with proofs, as GET /v1/me/log answers it
 * (query size, after_seq, limit); NULL after answering an error. */
json_t *routes_log_chain(struct req *rq, const uint8_t log_id[16]);
route_data_fn h_grant_create_data;
route_fn h_camera_event_notify, h_events_watch, h_camera_events_watch;

/* routes_camevents.c: remember an event note and wake the watchers (type:
 * evnotes.h; used by the object upload for stored event records). */
struct server;
void routes_camevents_note(struct server *srv, const uint8_t cam[16], int type,
    uint64_t seq, int64_t start_ms);

#endif
