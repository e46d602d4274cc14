/*
 * tlogc — this device's view of the transparency log, kept in the client
 * home:
 *
 *	log/key          the log's verifier key, pinned on first use (signup,
 *	                 login) or given with --log-key
 *	log/checkpoint   the last checkpoint this device verified (signed note)
 *	log/chain.json   this account's chain as last verified: log id, next
 *	                 sequence number, last entry's leaf hash and log index
 *
 * Every later checkpoint must be signed by the pinned key and extend the
 * saved one; the chain must extend the saved chain (sealcam log verify).
 */
#ifndef SEALCAM_CLI_TLOGC_H
#define SEALCAM_CLI_TLOGC_H

#include <stdio.h>

#include "tlog_client.h"
#include "tlog_entry.h"
#include "tlog_note.h"

struct cli;
struct httpc;

/* The pinned key string; 1 if none is pinned, -1 on an error (printed). */
int tlogc_key(struct cli *cli, char vkey[TLOG_VKEY_MAX]);

/*
 * Pin the log key: key_opt (--log-key) if given, else the server's
 * (GET /v1/log/key: trust on first use). If a key is pinned already, the
 * new one must be the same (else an error: a changed key needs
 * 'sealcam log key --set'). Prints the pinned key's fingerprint to out the
 * first time. 0, or -1 with the error printed.
 */
int tlogc_pin(struct cli *cli, struct httpc *h, const char *key_opt, FILE *out);

/* Replace the pin with vkey and forget the saved checkpoint and chain
 * (they were verified under the old key). 0 or -1 (printed). */
int tlogc_repin(struct cli *cli, const char *vkey);

/* The saved checkpoint, re-opened under v (size 0 if none). 0 or -1. */
int tlogc_checkpoint_load(struct cli *cli, const struct tlog_verifier *v,
    const char *origin, struct tlog_checkpoint *cp);
int tlogc_checkpoint_save(struct cli *cli, const char *note, size_t len);

/* The saved chain state; *have = 0 if none. 0 or -1. */
int tlogc_chain_load(struct cli *cli, struct tlog_chain *c, int *have);
int tlogc_chain_save(struct cli *cli, const struct tlog_chain *c);

#endif
