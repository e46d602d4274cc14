#include "acct.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "cli.h"
#include "codec.h"
#include "home.h"
#include "httpc.h"
#include "prompt.h"

int
acct_load(struct cli *cli, struct acct *a)
{
	json_t *cfg;
	uint8_t *buf = NULL;
	size_t len;
	const char *email, *id;
	int missing, r;

	memset(a, 0, sizeof(*a));
	cfg = home_json_load(cli->home, "config.json", &missing);
	email = json_string_value(json_object_get(cfg, "email"));
	id = json_string_value(json_object_get(cfg, "account_id"));
	if (cfg == NULL || email == NULL || id == NULL) {
		json_decref(cfg);
		return cli_err(cli, "no account on this device (%s); run 'sealcam "
		    "signup' or 'sealcam login --email ADDRESS'", cli->home), -1;
	}
	snprintf(a->email, sizeof(a->email), "%s", email);
	snprintf(a->account_id, sizeof(a->account_id), "%s", id);
	json_decref(cfg);

	r = home_read(cli->home, "vault", &buf, &len);
	if (r == 1)
		return cli_err(cli, "this device holds no keys for %s; run 'sealcam "
		    "login --email %s' with your recovery code", a->email, a->email), -1;
	if (r != 0)
		return cli_err(cli, "cannot read %s/vault: %s", cli->home,
		    strerror(errno)), -1;
	r = vault_parse(buf, len, &a->v);
	sodium_memzero(buf, len);
	free(buf);
	if (r != VAULT_OK) {
		vault_wipe(&a->v);
		return cli_err(cli, "%s/vault is damaged (%s); log in again with "
		    "the recovery code", cli->home, vault_strerror(r)), -1;
	}
	return 0;
}

void
acct_free(struct acct *a)
{
	vault_wipe(&a->v);
}

const uint8_t *
acct_box_pk(const struct acct *a)
{
	return a->v.box_pk;
}

const uint8_t *
acct_box_sk(const struct acct *a)
{
	return a->v.box_sk;
}

int
acct_email_normalize(const char *in, char out[ACCT_EMAIL_MAX])
{
	const char *at;
	size_t i, n;

	while (isspace((unsigned char)*in))
		in++;
	n = strlen(in);
	while (n > 0 && isspace((unsigned char)in[n - 1]))
		n--;
	if (n == 0 || n >= ACCT_EMAIL_MAX)
		return -1;
	for (i = 0; i < n; i++) {
		if ((unsigned char)in[i] <= ' ' || in[i] == 0x7f)
			return -1;
		out[i] = (char)tolower((unsigned char)in[i]);
	}
	out[n] = '\0';
	at = strchr(out, '@');
	if (at == NULL || at == out || at[1] == '\0' || strchr(at + 1, '@') != NULL)
		return -1;
	return 0;
}

int
acct_read_password(struct cli *cli, int from_stdin, int confirm,
    char buf[ACCT_PASSWORD_MAX + 2])
{
	char again[ACCT_PASSWORD_MAX + 2];
	int r;

	if (from_stdin) {
		if (prompt_stdin_line(buf, ACCT_PASSWORD_MAX + 2) != 0)
			return cli_err(cli, "--password-stdin: expected the password "
			    "on the first line of standard input (at most %d bytes)",
			    ACCT_PASSWORD_MAX), -1;
	} else {
		if (!prompt_have_tty())
			return cli_err(cli, "no terminal to ask for the password on; "
			    "pass --password-stdin and send it on standard input"), -1;
		if (prompt_tty("Password: ", 1, buf, ACCT_PASSWORD_MAX + 2) != 0)
			return cli_err(cli, "no password entered"), -1;
		if (confirm) {
			if (prompt_tty("Password (again): ", 1, again, sizeof(again)) != 0)
				again[0] = '\0';
			r = strcmp(buf, again) != 0;	/* check-src: ok (both typed by the user, not a MAC) */
			sodium_memzero(again, sizeof(again));
			if (r) {
				sodium_memzero(buf, ACCT_PASSWORD_MAX + 2);
				return cli_err(cli, "the two passwords differ; nothing "
				    "was created"), -1;
			}
		}
	}
	if (strlen(buf) > ACCT_PASSWORD_MAX) {
		sodium_memzero(buf, ACCT_PASSWORD_MAX + 2);
		return cli_err(cli, "the password is longer than %d bytes",
		    ACCT_PASSWORD_MAX), -1;
	}
	return 0;
}

int
acct_store(struct cli *cli, const char *email, const char *account_id,
    const char *token, const struct vault *v)
{
	uint8_t ser[VAULT_SERIAL_BYTES];
	const char *server = cli_server(cli);
	json_t *cfg;
	int r;

	if (server == NULL)
		return -1;
	if (home_ensure(cli->home, NULL) != 0)
		return cli_err(cli, "cannot create %s: %s", cli->home,
		    strerror(errno)), -1;
	/* Keys first: a session without keys would be a half-enrolled device. */
	if (v != NULL) {
		vault_serialize(v, ser);
		r = home_write(cli->home, "vault", ser, sizeof(ser));
		sodium_memzero(ser, sizeof(ser));
		if (r != 0)
			return cli_err(cli, "cannot write %s/vault: %s", cli->home,
			    strerror(errno)), -1;
	}
	if (home_write(cli->home, "session", token, strlen(token)) != 0)
		return cli_err(cli, "cannot write %s/session: %s", cli->home,
		    strerror(errno)), -1;
	cfg = json_pack("{s:s, s:s, s:s}", "server", server, "email", email,
	    "account_id", account_id);
	r = cfg ? home_json_save(cli->home, "config.json", cfg) : -1;
	json_decref(cfg);
	if (r != 0)
		return cli_err(cli, "cannot write %s/config.json: %s", cli->home,
		    strerror(errno)), -1;
	return 0;
}

int
acct_create_vault(struct cli *cli, struct httpc *h, const char *email,
    const char *account_id, const char *token)
{
	struct vault v;
	char code[VAULT_RECOVERY_LEN + 1], fpr[VAULT_FINGERPRINT_LEN + 1];
	char box[CODEC_HEX_LEN(32)], sign[CODEC_HEX_LEN(32)];
	char b64[CODEC_B64_LEN(VAULT_BACKUP_BYTES)];
	uint8_t blob[VAULT_BACKUP_BYTES];
	json_t *body = NULL, *resp = NULL;
	int st, r, rc = -1;

	/* Keys and the recovery code stay in memory until the server has
	 * the backup: a failure leaves nothing half-made on this device. */
	if (vault_generate(&v) != VAULT_OK || vault_recovery_generate(code) != VAULT_OK) {
		cli_err(cli, "could not generate keys");
		goto out;
	}
	if ((r = vault_backup_seal(&v, code, blob)) != VAULT_OK) {
		cli_err(cli, "could not encrypt the key backup: %s", vault_strerror(r));
		goto out;
	}
	codec_hex_encode(v.box_pk, 32, box, sizeof(box));
	codec_hex_encode(v.sign_pk, 32, sign, sizeof(sign));
	codec_b64_encode(blob, sizeof(blob), b64, sizeof(b64));
	if ((body = json_pack("{s:s, s:s, s:s}", "box_pk", box, "sign_pk", sign,
	    "backup", b64)) == NULL)
		goto out;
	st = httpc_json(h, "PUT", "/v1/me/vault", body, &resp);
	if (st != 204 && st != 200) {
		cli_api_fail(cli, "uploading the encrypted key backup", st, resp);
		goto out;
	}
	if (acct_store(cli, email, account_id, token, &v) != 0)
		goto out;

	vault_fingerprint_account(v.sign_pk, v.box_pk, fpr);
	printf("Account %s is ready; this device holds its keys.\n"
	    "Key fingerprint: %s\n\n", email, fpr);
	printf("Recovery code: %s\n\n", code);
	printf("WARNING: this is the only time the recovery code is shown. Write it\n"
	    "down and keep it somewhere safe. It is the only way to unlock your\n"
	    "recordings on another device or after losing this one: your password\n"
	    "only logs in, and nobody (not even the operator) can recover the code.\n");
	fflush(stdout);
	rc = 0;
out:
	sodium_memzero(code, sizeof(code));
	sodium_memzero(blob, sizeof(blob));
	vault_wipe(&v);
	json_decref(body);
	json_decref(resp);
	return rc;
}

int
acct_login(struct cli *cli, struct httpc *h, const char *email,
    char pw[ACCT_PASSWORD_MAX + 2], json_t **resp)
{
	json_t *body, *p;
	int st;

	*resp = NULL;
	body = json_pack("{s:s, s:s}", "email", email, "password", pw);
	sodium_memzero(pw, ACCT_PASSWORD_MAX + 2);
	if (body == NULL) {
		cli_err(cli, "logging in: out of memory");
		return -1;
	}
	st = httpc_json(h, "POST", "/v1/login", body, resp);
	/* jansson copied the password: wipe that copy before freeing it. */
	p = json_object_get(body, "password");
	if (p != NULL && json_string_length(p) > 0)
		sodium_memzero((char *)json_string_value(p), json_string_length(p));
	json_decref(body);
	if (st != 200) {
		if (strcmp(httpc_error_code(*resp), "bad_credentials") == 0)
			cli_err(cli, "wrong e-mail address or password");
		else
			cli_api_fail(cli, "logging in", st, *resp);
		return -1;
	}
	if (json_string_value(json_object_get(*resp, "token")) == NULL ||
	    json_string_value(json_object_get(*resp, "account_id")) == NULL ||
	    httpc_set_token(h, json_string_value(json_object_get(*resp, "token"))) != 0) {
		cli_err(cli, "logging in: the server's answer lacks a session token "
		    "or account id");
		return -1;
	}
	return 0;
}
