/*
 * acct — this device's account and keys.
 *
 * The client home holds config.json (server, e-mail, account id), the
 * session token and the vault (vault_serialize form, 0600). acct loads
 * them for the commands, and creates a vault for an account (signup, or a
 * login to an account whose signup never got to upload one): generate the
 * keys and a recovery code, seal the backup, publish it (PUT /v1/me/vault)
 * and only then store everything on this device.
 */
#ifndef SEALCAM_CLI_ACCT_H
#define SEALCAM_CLI_ACCT_H

#include <stdint.h>

#include <jansson.h>

#include "vault.h"

struct cli;
struct httpc;

#define ACCT_EMAIL_MAX 256
#define ACCT_ID_HEX 33		/* 16 bytes as hex + NUL */
#define ACCT_PASSWORD_MIN 10	/* the server's rule (PROTOCOL.md signup) */
#define ACCT_PASSWORD_MAX 1024

struct acct {
	char email[ACCT_EMAIL_MAX];
	char account_id[ACCT_ID_HEX];
	struct vault v;		/* this device's keys (secret halves!) */
};

/*
 * Load the account and the vault stored in the client home. Returns 0, or
 * -1 with the error printed (no account here, or no keys on this device:
 * run 'sealcam login' with the recovery code). acct_free() after use.
 */
int acct_load(struct cli *cli, struct acct *a);

/* Wipe the keys. */
void acct_free(struct acct *a);

/* This device's X25519 key pair (segments are sealed to box_pk). */
const uint8_t *acct_box_pk(const struct acct *a);
const uint8_t *acct_box_sk(const struct acct *a);

/* E-mail as the server normalises it: trimmed, lower case. -1 if it does
 * not look like an address (one '@', something on both sides, no spaces). */
int acct_email_normalize(const char *in, char out[ACCT_EMAIL_MAX]);

/*
 * The password: one line of stdin when from_stdin, else asked on the
 * terminal without echo (twice when confirm). -1 with the error printed
 * (no terminal, mismatch, too short or long). Wipe buf after use.
 */
int acct_read_password(struct cli *cli, int from_stdin, int confirm,
    char buf[ACCT_PASSWORD_MAX + 2]);

/*
 * POST /v1/login with e-mail and password (pw is wiped here, whatever
 * happens) and set the session token on h. *resp is the server's answer
 * (the caller frees it; "token", "account_id", "role"). 0, or -1 with the
 * error printed: wrong credentials, refusal, or an answer without a token
 * or account id.
 */
int acct_login(struct cli *cli, struct httpc *h, const char *email,
    char pw[ACCT_PASSWORD_MAX + 2], json_t **resp);

/*
 * Make and publish a vault for the account logged in on h (token set):
 * fresh keys, a recovery code, the backup under it, PUT /v1/me/vault; then
 * write vault, session token and config.json into the client home and
 * print the recovery code once with its warning. Returns 0, or -1 with the
 * error printed (nothing written on this device then).
 */
int acct_create_vault(struct cli *cli, struct httpc *h, const char *email,
    const char *account_id, const char *token);

/*
 * Store a logged-in account on this device: vault (if v is non-NULL),
 * session token, config.json — vault first, so a crash never leaves a
 * session without keys. 0, or -1 with the error printed.
 */
int acct_store(struct cli *cli, const char *email, const char *account_id,
    const char *token, const struct vault *v);

#endif
