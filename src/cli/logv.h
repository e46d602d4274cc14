/*
 * logv — verify this account's view of the transparency log (what
 * 'sealcam log verify' and 'log show' run):
 *
 *   1. the server's checkpoint, signed by the log key pinned here, extends
 *      the checkpoint this device verified last (consistency proof);
 *   2. every entry of the account's chain (GET /v1/me/log, proofs against
 *      that checkpoint's size) is included in the tree;
 *   3. the chain has no gap, reorder or foreign entry, and extends the
 *      chain state this device saved;
 *   4. each owned camera's keyring in force, and this device's vault keys,
 *      are in the chain.
 * Each problem is printed as one plain sentence on stderr and counted. On
 * success the checkpoint and chain state are saved (tlogc.h).
 */
#ifndef SEALCAM_CLI_LOGV_H
#define SEALCAM_CLI_LOGV_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "acct.h"
#include "tlog_entry.h"
#include "tlog_note.h"

struct cli;

struct logv_entry {
	uint64_t index;
	uint8_t bytes[TLOG_ENTRY_LEN];
	struct tlog_entry e;	/* parsed */
};

struct logv {
	struct cli *cli;
	char vkey[TLOG_VKEY_MAX], origin[TLOG_NAME_MAX + 1], fpr[20];
	struct tlog_checkpoint prev;	/* last verified here (size 0: none) */
	struct tlog_checkpoint cp;	/* the server's, once verified */
	int have_cp;
	uint8_t log_id[TLOG_ID_LEN];
	struct logv_entry *ents;	/* the chain, in sequence order */
	size_t n, cap;
	size_t keyrings;		/* cameras whose keyring was found */
	json_t *cams;			/* GET /v1/cameras */
	struct acct acct;
	int have_acct;
	int problems;
};

/* Run all checks; lv is filled for display even when problems are found.
 * Returns the number of problems (0 = verified), or -1 if the checks could
 * not run (server unreachable, not logged in: error printed). */
int logv_run(struct cli *cli, struct logv *lv);

/* Free what logv_run kept. */
void logv_free(struct logv *lv);

#endif
