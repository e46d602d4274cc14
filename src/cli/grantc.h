/*
 * grantc — what the owner's and the staff member's commands share about
 * grants: reading a grant the server lists (the signed document verified,
 * its revocation verified), showing it, and the staff key on a staff
 * member's machine (HOME/staff/key, vault format, 0600).
 */
#ifndef SEALCAM_CLI_GRANTC_H
#define SEALCAM_CLI_GRANTC_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "grant.h"
#include "vault.h"

struct cli;

/* A grant from GET /v1/grants[/{grant}], checked. */
struct grantc {
	struct grant g;			/* the verified document */
	uint8_t *doc;			/* its bytes (malloc'd) */
	size_t doc_len;
	char state[16];			/* the server's word: active, revoked, expired */
	uint64_t accesses;		/* the server's count */
	int revoked;			/* a valid owner-signed revocation came with it */
	struct grant_revocation rev;
};

/*
 * Read and verify one grant object of the server's answer: the document's
 * signature (under owner_pk if given, else under the key it names), a
 * revocation if present (signed by the same owner, for this grant). 0, or
 * -1 with the reason in why.
 */
int grantc_parse(const json_t *o, const uint8_t *owner_pk, struct grantc *out,
    char *why, size_t whylen);
void grantc_clear(struct grantc *gc);

/* "2026-11-27 18:00:00 + 12 s" */
const char *grantc_range(const struct grant *g, char *buf, size_t n);

/* First 8 hex digits of a 16-byte id. */
const char *grantc_short(const uint8_t id[16], char buf[9]);

/* The staff key of this home; 0, or -1 with the error printed (none:
 * run 'sealcam staff init'). vault_wipe() after use. */
int grantc_staff_key(struct cli *cli, struct vault *v);

/* A grant id from hex (32 digits); 0 or -1. */
int grantc_id(const char *s, uint8_t id[16]);

#endif
