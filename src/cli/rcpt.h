/*
 * rcpt — what the CLI checks of the log before it acts on a grant:
 *
 *   rcpt_verify     a log receipt (PROTOCOL.md "Log receipts"): its
 *                   checkpoint signed by the log key pinned on this device
 *                   and extending the one saved here (consistency proof),
 *                   the entry included in it. The checkpoint is then saved.
 *                   A staff client decrypts nothing without this for the
 *                   access; an owner checks its grant and revocation.
 *   rcpt_directory  the staff directory (GET /v1/staff): the directory's
 *                   chain verified entry by entry against a verified
 *                   checkpoint, and each principal's record the latest
 *                   logged one for it. Owners address grants only to
 *                   principals found this way.
 */
#ifndef SEALCAM_CLI_RCPT_H
#define SEALCAM_CLI_RCPT_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "staff.h"
#include "tlog_entry.h"

struct cli;
struct httpc;

/*
 * Verify receipt (a JSON object; NULL or null = no receipt, refused) and
 * fill *e (the parsed entry) and *index. 0, or -1 with one line printed
 * saying what failed (prefixed by what).
 */
int rcpt_verify(struct cli *cli, struct httpc *h, const json_t *receipt,
    const char *what, struct tlog_entry *e, uint64_t *index);

/* A verified directory principal. */
struct rcpt_principal {
	struct staff_record rec;	/* its latest logged record */
	int active;			/* latest record is an addition */
};

/*
 * The verified staff directory: a malloc'd array in *out (caller frees),
 * count in *n. 0, or -1 with the error printed.
 */
int rcpt_directory(struct cli *cli, struct httpc *h, struct rcpt_principal **out,
    size_t *n);

/* The principal whose id (hex, or a prefix of at least 8 hex digits) or
 * name is `what`; NULL with the error printed (unknown, ambiguous). */
const struct rcpt_principal *rcpt_find(struct cli *cli,
    const struct rcpt_principal *p, size_t n, const char *what);

/* "Support (Jo) [support, 1a2b3c4d]" for a principal id, or the id's
 * first 8 hex digits if it is not in p. */
const char *rcpt_who(const struct rcpt_principal *p, size_t n,
    const uint8_t id[16], char *buf, size_t len);

#endif
