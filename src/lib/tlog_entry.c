/*
 * tlog_entry.c — log entry encoding and per-account chain checks.
 *
 * Layout (all integers big-endian):
 *	0   4  magic "SCLE"
 *	4   1  version 1
 *	5   1  type
 *	6   2  reserved, 0
 *	8  16  account id
 *	24  8  seq
 *	32 32  prev
 *	64  8  time_ms
 *	72 16  subject id
 *	88 16  actor id
 *	104 8  number
 *	112 32 commitment
 * One encoding per entry: every byte is accounted for, fields a type does
 * not use must be zero, so two parsers can never disagree.
 */
#include <string.h>

#include <sodium.h>

#include "codec.h"
#include "labelhash.h"
#include "tlog_entry.h"

const uint8_t TLOG_STAFF_DIRECTORY[TLOG_ID_LEN] = { 0 };

#define MAGIC "SCLE"
#define VERSION 1

/* Which fields each type uses: the others must be zero. */
#define F_SUBJECT 0x1
#define F_ACTOR 0x2
#define F_NUMBER 0x4
#define F_DIRECTORY 0x8		/* account must be the staff directory */

static const unsigned type_fields[TLOG_E_MAX + 1] = {
	[TLOG_E_KEYRING] = F_SUBJECT | F_NUMBER,
	[TLOG_E_VAULT_KEY] = 0,
	[TLOG_E_STAFF_ADDED] = F_SUBJECT | F_DIRECTORY,
	[TLOG_E_STAFF_REMOVED] = F_SUBJECT | F_DIRECTORY,
	[TLOG_E_GRANT_CREATED] = F_SUBJECT | F_ACTOR,
	[TLOG_E_GRANT_REVOKED] = F_SUBJECT | F_ACTOR,
	[TLOG_E_STAFF_ACCESS] = F_SUBJECT | F_ACTOR,
	[TLOG_E_LIVE_SESSION] = F_SUBJECT | F_ACTOR,
};

static const char *const type_names[TLOG_E_MAX + 1] = {
	[TLOG_E_KEYRING] = "keyring",
	[TLOG_E_VAULT_KEY] = "vault_key",
	[TLOG_E_STAFF_ADDED] = "staff_added",
	[TLOG_E_STAFF_REMOVED] = "staff_removed",
	[TLOG_E_GRANT_CREATED] = "grant_created",
	[TLOG_E_GRANT_REVOKED] = "grant_revoked",
	[TLOG_E_STAFF_ACCESS] = "staff_access",
	[TLOG_E_LIVE_SESSION] = "live_session",
};

const char *tlog_entry_type_name(unsigned type)
{
	return (type >= 1 && type <= TLOG_E_MAX) ? type_names[type] : "unknown";
}

static int is_zero(const uint8_t *p, size_t n)
{
	uint8_t acc = 0;

	for (size_t i = 0; i < n; i++)
		acc |= p[i];
	return acc == 0;
}

/* The rules of the entry's type; 0 if it may be encoded. */
static int check(const struct tlog_entry *e)
{
	unsigned f;

	if (e->type < 1 || e->type > TLOG_E_MAX)
		return -1;
	f = type_fields[e->type];
	if ((!(f & F_SUBJECT) && !is_zero(e->subject, TLOG_ID_LEN)) ||
	    (!(f & F_ACTOR) && !is_zero(e->actor, TLOG_ID_LEN)) ||
	    (!(f & F_NUMBER) && e->number != 0))
		return -1;
	if ((f & F_DIRECTORY) && !is_zero(e->account, TLOG_ID_LEN))
		return -1;
	/* The first entry has no predecessor; every other one names it. */
	if ((e->seq == 0) != is_zero(e->prev, TLOG_HASH_LEN))
		return -1;
	return 0;
}

int tlog_entry_encode(const struct tlog_entry *e, uint8_t out[TLOG_ENTRY_LEN])
{
	if (check(e) != 0)
		return -1;
	memcpy(out, MAGIC, 4);
	out[4] = VERSION;
	out[5] = e->type;
	out[6] = out[7] = 0;
	memcpy(out + 8, e->account, TLOG_ID_LEN);
	codec_put_be64(out + 24, e->seq);
	memcpy(out + 32, e->prev, TLOG_HASH_LEN);
	codec_put_be64(out + 64, e->time_ms);
	memcpy(out + 72, e->subject, TLOG_ID_LEN);
	memcpy(out + 88, e->actor, TLOG_ID_LEN);
	codec_put_be64(out + 104, e->number);
	memcpy(out + 112, e->commitment, TLOG_HASH_LEN);
	return 0;
}

int tlog_entry_parse(const uint8_t *buf, size_t len, struct tlog_entry *e)
{
	memset(e, 0, sizeof(*e));
	if (len != TLOG_ENTRY_LEN || memcmp(buf, MAGIC, 4) != 0 ||
	    buf[4] != VERSION || buf[6] != 0 || buf[7] != 0)
		return -1;
	e->type = buf[5];
	memcpy(e->account, buf + 8, TLOG_ID_LEN);
	e->seq = codec_get_be64(buf + 24);
	memcpy(e->prev, buf + 32, TLOG_HASH_LEN);
	e->time_ms = codec_get_be64(buf + 64);
	memcpy(e->subject, buf + 72, TLOG_ID_LEN);
	memcpy(e->actor, buf + 88, TLOG_ID_LEN);
	e->number = codec_get_be64(buf + 104);
	memcpy(e->commitment, buf + 112, TLOG_HASH_LEN);
	if (check(e) != 0) {
		memset(e, 0, sizeof(*e));
		return -1;
	}
	return 0;
}

void tlog_commit_vault(const uint8_t sign_pk[32], const uint8_t box_pk[32],
    uint8_t out[TLOG_HASH_LEN])
{
	uint8_t both[64];

	memcpy(both, sign_pk, 32);
	memcpy(both + 32, box_pk, 32);
	labelhash(out, TLOG_HASH_LEN, NULL, 0, "sealcam-fpr-acct", both,
	    sizeof(both));
}

void tlog_commit(const char *label, const uint8_t *data, size_t len,
    uint8_t out[TLOG_HASH_LEN])
{
	labelhash(out, TLOG_HASH_LEN, NULL, 0, label, data, len);
}

void tlog_chain_init(struct tlog_chain *c, const uint8_t account[TLOG_ID_LEN])
{
	memset(c, 0, sizeof(*c));
	memcpy(c->account, account, TLOG_ID_LEN);
}

int tlog_chain_next(struct tlog_chain *c, const uint8_t *entry, size_t len,
    uint64_t log_index)
{
	struct tlog_entry e;

	if (tlog_entry_parse(entry, len, &e) != 0)
		return TLOG_CHAIN_MALFORMED;
	if (sodium_memcmp(e.account, c->account, TLOG_ID_LEN) != 0)
		return TLOG_CHAIN_ACCOUNT;
	if (e.seq > c->next_seq)
		return TLOG_CHAIN_GAP;
	if (e.seq < c->next_seq)
		return TLOG_CHAIN_STALE;
	if (c->next_seq > 0 &&
	    sodium_memcmp(e.prev, c->last_hash, TLOG_HASH_LEN) != 0)
		return TLOG_CHAIN_PREV;
	if (c->next_seq > 0 && log_index <= c->last_index)
		return TLOG_CHAIN_ORDER;
	tlog_leaf_hash(entry, len, c->last_hash);
	c->last_index = log_index;
	c->next_seq++;
	return TLOG_CHAIN_OK;
}

int tlog_chain_build(const struct tlog_chain *c, struct tlog_entry *e,
    uint8_t out[TLOG_ENTRY_LEN])
{
	memcpy(e->account, c->account, TLOG_ID_LEN);
	e->seq = c->next_seq;
	if (c->next_seq == 0)
		memset(e->prev, 0, TLOG_HASH_LEN);
	else
		memcpy(e->prev, c->last_hash, TLOG_HASH_LEN);
	return tlog_entry_encode(e, out);
}

const char *tlog_chain_strerror(int err)
{
	switch (err) {
	case TLOG_CHAIN_OK:
		return "ok";
	case TLOG_CHAIN_MALFORMED:
		return "malformed entry";
	case TLOG_CHAIN_ACCOUNT:
		return "entry of another account";
	case TLOG_CHAIN_GAP:
		return "entry missing (sequence gap)";
	case TLOG_CHAIN_STALE:
		return "entry repeated or out of order (sequence went back)";
	case TLOG_CHAIN_PREV:
		return "entry does not link to the previous one (hash mismatch)";
	case TLOG_CHAIN_ORDER:
		return "entry logged before its predecessor (log index)";
	}
	return "unknown chain error";
}
