/*
 * routes — THE route table. One row per endpoint: method, path, who may
 * call it, how the body is read, who answers. auth.c enforces the access
 * column before any handler runs; `sealcamd routes` prints this table and
 * the authorization-matrix test is generated from that output.
 */
#define _GNU_SOURCE /* strchrnul */
#include "routes.h"

#include <sodium.h>
#include <string.h>

#include "log.h"
#include "tlog.h"

#define STREAM(fn) fn, fn##_begin, fn##_data

static const struct route routes[] = {
/*	method    path                                       access          body         handler */
	{ "GET",    "/healthz",                                ACCESS_PUBLIC,  BODY_NONE,   h_healthz },
	{ "GET",    "/metrics",                                ACCESS_PUBLIC,  BODY_NONE,   h_metrics },
	{ "POST",   "/v1/signup",                              ACCESS_PUBLIC,  BODY_JSON,   h_signup },
	{ "POST",   "/v1/login",                               ACCESS_PUBLIC,  BODY_JSON,   h_login },
	{ "POST",   "/v1/logout",                              ACCESS_SESSION, BODY_NONE,   h_logout },
	{ "GET",    "/v1/me",                                  ACCESS_SESSION, BODY_NONE,   h_me },
	{ "PUT",    "/v1/me/vault",                            ACCESS_USER,    BODY_JSON,   h_vault_put },
	{ "GET",    "/v1/me/vault",                            ACCESS_USER,    BODY_NONE,   h_vault_get },
	{ "GET",    "/v1/users/lookup",                        ACCESS_USER,    BODY_NONE,   h_user_lookup },
	{ "POST",   "/v1/pairings",                            ACCESS_USER,    BODY_JSON,   h_pairing_create },
	{ "GET",    "/v1/pairings/{pairing_id}",               ACCESS_CREATOR, BODY_NONE,   h_pairing_get },
	{ "POST",   "/v1/pairings/{pairing_id}/register",      ACCESS_PAIRING, BODY_JSON,   h_pairing_register },
	{ "GET",    "/v1/cameras",                             ACCESS_USER,    BODY_NONE,   h_cameras },
	{ "GET",    "/v1/cameras/{cam}",                       ACCESS_VIEWER,  BODY_NONE,   h_camera_get },
	{ "DELETE", "/v1/cameras/{cam}",                       ACCESS_OWNER,   BODY_NONE,   h_camera_delete },
	{ "PUT",    "/v1/cameras/{cam}/keyring",               ACCESS_OWNER,   BODY_JSON,   h_keyring_put },
	{ "GET",    "/v1/cameras/{cam}/keyring",               ACCESS_VIEWER,  BODY_NONE,   h_keyring_get },
	{ "PUT",    "/v1/cameras/{cam}/retention",             ACCESS_OWNER,   BODY_JSON,   h_retention_put },
	{ "GET",    "/v1/cameras/{cam}/objects",               ACCESS_VIEWER,  BODY_NONE,   h_objects_list },
	{ "GET",    "/v1/cameras/{cam}/objects/{kind}/{seq}",  ACCESS_VIEWER,  BODY_NONE,   h_object_get },
	{ "GET",    "/v1/camera/keyring",                      ACCESS_CAMERA,  BODY_NONE,   h_camera_keyring_poll },
	{ "PUT",    "/v1/camera/objects/{kind}/{seq}",         ACCESS_CAMERA,  BODY_STREAM, STREAM(h_object_put) },
	/* Live view (routes_live.c, relay.c): viewers, history, agents. */
	{ "GET",    "/v1/cameras/{cam}/live",                  ACCESS_VIEWER,  BODY_NONE,   h_live_get },
	{ "GET",    "/v1/cameras/{cam}/live/history",          ACCESS_OWNER,   BODY_NONE,   h_live_history },
	{ "GET",    "/v1/camera/live/commands",                ACCESS_CAMERA,  BODY_NONE,   h_live_commands },
	{ "POST",   "/v1/camera/live/{session}",               ACCESS_CAMERA,  BODY_LIVE,   STREAM(h_live_put) },
	/* The transparency log (routes_log.c): C2SP tlog-tiles under /v1/log. */
	{ "GET",    "/v1/log/checkpoint",                      ACCESS_PUBLIC,  BODY_NONE,   h_log_checkpoint },
	{ "GET",    "/v1/log/key",                             ACCESS_PUBLIC,  BODY_NONE,   h_log_key },
	{ "GET",    "/v1/log/tile/{tile}",                     ACCESS_PUBLIC,  BODY_NONE,   h_log_tile },
	{ "GET",    "/v1/log/proof",                           ACCESS_PUBLIC,  BODY_NONE,   h_log_proof },
	{ "GET",    "/v1/log/consistency",                     ACCESS_PUBLIC,  BODY_NONE,   h_log_consistency },
	{ "GET",    "/v1/me/log",                              ACCESS_USER,    BODY_NONE,   h_me_log },
	/* Consent-gated staff access (routes_grants.c). No staff route serves
	 * footage except a grantee's granted objects, after their logging. */
	{ "GET",    "/v1/staff",                               ACCESS_SESSION, BODY_NONE,   h_staff_dir },
	{ "GET",    "/v1/grants",                              ACCESS_SESSION, BODY_NONE,   h_grants_list },
	{ "PUT",    "/v1/grants/{grant}",                      ACCESS_USER,    BODY_STREAM, STREAM(h_grant_create) },
	{ "GET",    "/v1/grants/{grant}",                      ACCESS_GRANT_PARTY, BODY_NONE, h_grant_get },
	{ "POST",   "/v1/grants/{grant}/revoke",               ACCESS_GRANTOR, BODY_JSON,   h_grant_revoke },
	{ "POST",   "/v1/grants/{grant}/access",               ACCESS_GRANTEE, BODY_JSON,   h_grant_access },
	{ "GET",    "/v1/grants/{grant}/objects/{kind}/{seq}", ACCESS_GRANTEE, BODY_NONE,   h_grant_object },
	{ "GET",    "/v1/me/accesses",                         ACCESS_USER,    BODY_NONE,   h_me_accesses },
	{ "GET",    "/v1/me/events",                           ACCESS_USER,    BODY_NONE,   h_me_events },
	/* Event notifications (routes_camevents.c). */
	{ "POST",   "/v1/camera/events",                       ACCESS_CAMERA,  BODY_JSON,   h_camera_event_notify },
	{ "GET",    "/v1/events",                              ACCESS_USER,    BODY_NONE,   h_events_watch },
	{ "GET",    "/v1/cameras/{cam}/events",                ACCESS_VIEWER,  BODY_NONE,   h_camera_events_watch },
	/* The browser viewer (static.c): files from a fixed in-memory table. */
	{ "GET",    "/",                                       ACCESS_PUBLIC,  BODY_NONE,   h_static },
	{ "GET",    "/{asset}",                                ACCESS_PUBLIC,  BODY_NONE,   h_static },
	{ "GET",    "/vendor/{asset}",                         ACCESS_PUBLIC,  BODY_NONE,   h_static },
};
#define NROUTES (sizeof(routes) / sizeof(routes[0]))

static const char *const access_names[] = {
	[ACCESS_UNSET] = "UNSET",
	[ACCESS_PUBLIC] = "public",
	[ACCESS_PAIRING] = "pairing",
	[ACCESS_USER] = "user",
	[ACCESS_SESSION] = "user,staff",
	[ACCESS_CREATOR] = "creator(pairing_id)",
	[ACCESS_VIEWER] = "viewer(cam)",
	[ACCESS_OWNER] = "owner(cam)",
	[ACCESS_CAMERA] = "camera",
	[ACCESS_GRANTOR] = "grantor(grant)",
	[ACCESS_GRANTEE] = "grantee(grant)",
	[ACCESS_GRANT_PARTY] = "party(grant)",
};

size_t
routes_count(void)
{
	return NROUTES;
}

const struct route *
routes_get(size_t i)
{
	return i < NROUTES ? &routes[i] : NULL;
}

size_t
routes_index(const struct route *r)
{
	return (size_t)(r - routes);
}

const char *
routes_access_name(enum access a)
{
	if ((size_t)a < sizeof(access_names) / sizeof(access_names[0]) && access_names[a])
		return access_names[a];
	return "UNSET";
}

int
routes_check(void)
{
	int ret = 0;

	for (size_t i = 0; i < NROUTES; i++) {
		const struct route *r = &routes[i];
		if (r->access == ACCESS_UNSET || r->handler == NULL ||
		    ((r->body == BODY_STREAM || r->body == BODY_LIVE) &&
		    (r->begin == NULL || r->data == NULL))) {
			log_err("routes", "route=\"%s %s\" err=\"no access rule or handler\"",
			    r->method, r->path);
			ret = -1;
		}
	}
	return ret;
}

/* Parse one path segment into the parameter named by pat ("{cam}"). */
static int
param(const char *pat, size_t plen, const char *seg, size_t slen,
    struct route_params *p)
{
	char buf[72];

	if (slen >= sizeof(buf))
		return -1;
	memcpy(buf, seg, slen);
	buf[slen] = '\0';
	for (size_t i = 0; i < slen; i++)
		if (buf[i] >= 'A' && buf[i] <= 'F')
			return -1;        /* ids are lowercase hex: one spelling */
	if (plen == 5 && memcmp(pat, "{cam}", 5) == 0)
		return slen == 32 && sodium_hex2bin(p->cam, sizeof(p->cam), buf, slen,
		    NULL, NULL, NULL) == 0 ? 0 : -1;
	if (plen == 9 && memcmp(pat, "{session}", 9) == 0)
		return slen == 32 && sodium_hex2bin(p->session, sizeof(p->session),
		    buf, slen, NULL, NULL, NULL) == 0 ? 0 : -1;
	if (plen == 7 && memcmp(pat, "{grant}", 7) == 0)
		return slen == 32 && sodium_hex2bin(p->grant, sizeof(p->grant), buf, slen,
		    NULL, NULL, NULL) == 0 ? 0 : -1;
	if (plen == 12 && memcmp(pat, "{pairing_id}", 12) == 0)
		return slen == 32 && sodium_hex2bin(p->pairing_id, sizeof(p->pairing_id),
		    buf, slen, NULL, NULL, NULL) == 0 ? 0 : -1;
	if (plen == 6 && memcmp(pat, "{kind}", 6) == 0) {
		/* Container kinds by name; live (4) is not an object. */
		static const char *const kinds[] = { "segment", "event", "thumbnail",
		    NULL, "derivative" };
		for (int k = 0; k < 5; k++)
			if (kinds[k] != NULL && strcmp(buf, kinds[k]) == 0) {
				p->kind = k + 1;
				return 0;
			}
		return -1;
	}
	if (plen == 7 && memcmp(pat, "{asset}", 7) == 0) {
		/* A name from the viewer's allow-list syntax: no '/', no
		 * leading dot, a served extension. The handler looks it up. */
		if (!static_name_ok(buf, slen))
			return -1;
		memcpy(p->asset, buf, slen + 1);
		return 0;
	}
	if (plen == 5 && memcmp(pat, "{seq}", 5) == 0) {
		uint64_t v = 0;
		/* Decimal, no sign, no leading zeros, below 2^63. */
		if (slen == 0 || slen > 19 || (slen > 1 && buf[0] == '0'))
			return -1;
		for (size_t i = 0; i < slen; i++) {
			if (buf[i] < '0' || buf[i] > '9')
				return -1;
			v = v * 10 + (uint64_t)(buf[i] - '0');
		}
		if (v > INT64_MAX)
			return -1;
		p->seq = v;
		return 0;
	}
	return -1;
}

/* Does path fit pattern? Fills p from {params}. */
static int
path_matches(const char *pattern, const char *path, struct route_params *p)
{
	const char *a = pattern, *b = path;

	while (*a == '/' && *b == '/') {
		const char *ae = strchrnul(a + 1, '/'), *be = strchrnul(b + 1, '/');
		size_t al = (size_t)(ae - a - 1), bl = (size_t)(be - b - 1);

		if (al == 6 && memcmp(a + 1, "{tile}", 6) == 0 && *ae == '\0') {
			/* The rest of the path: "tile/" + it must be the one
			 * spelling of a C2SP tile or bundle path. */
			char full[TLOG_PATH_MAX + 8];
			int level;
			uint64_t index;
			unsigned width;
			size_t rest = strlen(b + 1);

			if (rest == 0 || rest + 5 >= sizeof(p->tile) ||
			    snprintf(full, sizeof(full), "tile/%s", b + 1) >= (int)sizeof(full) ||
			    tlog_tile_path_parse(full, &level, &index, &width) != 0)
				return 0;
			memcpy(p->tile, full, strlen(full) + 1);
			return 1;
		}
		if (al > 0 && a[1] == '{') {
			if (param(a + 1, al, b + 1, bl, p) != 0)
				return 0;
		} else if (al != bl || memcmp(a + 1, b + 1, al) != 0)
			return 0;
		a = ae;
		b = be;
	}
	return *a == '\0' && *b == '\0';
}

enum route_match
routes_match(const char *method, const char *path, const struct route **r,
    struct route_params *params, char *allow, size_t allow_len)
{
	int path_seen = 0;
	size_t used = 0;

	/* HEAD is GET without a body (libmicrohttpd drops the body). */
	if (strcmp(method, "HEAD") == 0)
		method = "GET";
	if (allow_len > 0)
		allow[0] = '\0';
	for (size_t i = 0; i < NROUTES; i++) {
		struct route_params p;

		memset(&p, 0, sizeof(p));
		if (!path_matches(routes[i].path, path, &p))
			continue;
		if (strcmp(routes[i].method, method) == 0) {
			*r = &routes[i];
			*params = p;
			return ROUTE_FOUND;
		}
		path_seen = 1;
		if (used < allow_len) {
			int n = snprintf(allow + used, allow_len - used, "%s%s",
			    used ? ", " : "", routes[i].method);
			if (n > 0)
				used += (size_t)n;
		}
	}
	return path_seen ? ROUTE_BAD_METHOD : ROUTE_NOT_FOUND;
}

void
routes_print_json(FILE *f)
{
	static const char *const bodies[] = { "none", "json", "stream", "live" };

	fputs("[\n", f);
	for (size_t i = 0; i < NROUTES; i++)
		fprintf(f, "  {\"method\": \"%s\", \"path\": \"%s\", \"access\": \"%s\","
		    " \"body\": \"%s\"}%s\n", routes[i].method, routes[i].path,
		    routes_access_name(routes[i].access), bodies[routes[i].body],
		    i + 1 < NROUTES ? "," : "");
	fputs("]\n", f);
}
