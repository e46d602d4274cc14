#include "auth.h"

#include <semaphore.h>
#include <sodium.h>
#include <string.h>

#include "http.h"
#include "log.h"
#include "server.h"

static sem_t auth_hash_slots;     /* bounds concurrent Argon2id runs */
static char auth_dummy[crypto_pwhash_STRBYTES];

void
auth_init(unsigned max_parallel_hashes)
{
	char pw[33];

	sem_init(&auth_hash_slots, 0, max_parallel_hashes ? max_parallel_hashes : 1);
	/* Unknown e-mails are verified against this, at the same cost. */
	randombytes_buf(pw, sizeof(pw) - 1);
	for (size_t i = 0; i < sizeof(pw) - 1; i++)
		pw[i] = (char)('a' + (unsigned char)pw[i] % 26);
	pw[sizeof(pw) - 1] = '\0';
	if (crypto_pwhash_str(auth_dummy, pw, strlen(pw),
	    crypto_pwhash_OPSLIMIT_INTERACTIVE, crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
		auth_dummy[0] = '\0';
	sodium_memzero(pw, sizeof(pw));
}

void
auth_hex(const uint8_t *in, size_t n, char *out)
{
	sodium_bin2hex(out, 2 * n + 1, in, n);
}

static void
token_hash(const uint8_t raw[AUTH_TOKEN_BYTES], uint8_t hash[STORE_HASH_LEN])
{
	crypto_generichash(hash, STORE_HASH_LEN, raw, AUTH_TOKEN_BYTES, NULL, 0);
}

void
auth_token_new(char prefix, char out[AUTH_TOKEN_STRLEN], uint8_t hash[STORE_HASH_LEN])
{
	uint8_t raw[AUTH_TOKEN_BYTES];

	randombytes_buf(raw, sizeof(raw));
	out[0] = prefix;
	out[1] = '.';
	sodium_bin2base64(out + 2, AUTH_TOKEN_STRLEN - 2, raw, sizeof(raw),
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	token_hash(raw, hash);
	sodium_memzero(raw, sizeof(raw));
}

int
auth_bearer_parse(const char *header, char *prefix, uint8_t hash[STORE_HASH_LEN])
{
	uint8_t raw[AUTH_TOKEN_BYTES];
	size_t len = 0;
	const char *tok, *end = NULL;

	if (header == NULL || strncasecmp(header, "Bearer ", 7) != 0)
		return -1;
	tok = header + 7;
	while (*tok == ' ')
		tok++;
	if ((tok[0] != 'u' && tok[0] != 'c') || tok[1] != '.' ||
	    strlen(tok) != AUTH_TOKEN_STRLEN - 1)
		return -1;
	if (sodium_base642bin(raw, sizeof(raw), tok + 2, strlen(tok + 2), NULL, &len,
	    &end, sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
	    len != sizeof(raw) || *end != '\0')
		return -1;
	*prefix = tok[0];
	token_hash(raw, hash);
	sodium_memzero(raw, sizeof(raw));
	return 0;
}

int
auth_password_hash(const char *password, char *out)
{
	int r;

	sem_wait(&auth_hash_slots);
	r = crypto_pwhash_str(out, password, strlen(password),
	    crypto_pwhash_OPSLIMIT_INTERACTIVE, crypto_pwhash_MEMLIMIT_INTERACTIVE);
	sem_post(&auth_hash_slots);
	return r == 0 ? 0 : -1;
}

int
auth_password_verify(const char *hash, const char *password)
{
	int r;

	sem_wait(&auth_hash_slots);
	if (hash == NULL) {
		/* Same work as a real check; the result is meaningless. */
		r = crypto_pwhash_str_verify(auth_dummy, password, strlen(password));
		r = -1;
	} else
		r = crypto_pwhash_str_verify(hash, password, strlen(password));
	sem_post(&auth_hash_slots);
	return r == 0 ? 0 : -1;
}

int
auth_email_normalize(const char *in, char *out)
{
	const char *s = in, *e, *at = NULL;
	size_t n;

	while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' || e[-1] == '\n'))
		e--;
	n = (size_t)(e - s);
	if (n < 3 || n > STORE_EMAIL_MAX)
		return -1;
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch <= ' ' || ch == 0x7f || ch == '"' || ch == '\\' || ch == ',' ||
		    ch == '<' || ch == '>' || ch == '(' || ch == ')' || ch == ';')
			return -1;
		if (ch == '@') {
			if (at != NULL)
				return -1;
			at = s + i;
		}
		out[i] = (ch >= 'A' && ch <= 'Z') ? (char)(ch + 32) : (char)ch;
	}
	out[n] = '\0';
	/* local@domain.tld: non-empty local part (<= 64), dotted domain. */
	if (at == NULL || at == s || at - s > 64 || at + 1 == e)
		return -1;
	{
		const char *dom = out + (at - s) + 1;
		const char *dot = strchr(dom, '.');
		if (dot == NULL || dom[0] == '.' || out[n - 1] == '.' || strstr(dom, "..") != NULL)
			return -1;
	}
	return 0;
}

void
auth_email_mask(const char *email, char *out, size_t len)
{
	const char *at = strchr(email, '@');

	if (at == NULL || at == email)
		snprintf(out, len, "***");
	else
		snprintf(out, len, "%c***@%c***", email[0], at[1] ? at[1] : '?');
}

int
auth_password_policy(const char *pw, const char **why)
{
	size_t chars = 0, n = strlen(pw);

	if (n > AUTH_PASSWORD_MAX) {
		*why = "password longer than 1024 bytes";
		return -1;
	}
	/* Characters, not bytes: count UTF-8 lead bytes. */
	for (size_t i = 0; i < n; i++)
		if (((unsigned char)pw[i] & 0xc0) != 0x80)
			chars++;
	if (chars < AUTH_PASSWORD_MIN) {
		*why = "password shorter than 10 characters";
		return -1;
	}
	return 0;
}

/* --- the access check ------------------------------------------------------- */

/*
 * The grant rules: the grant's maker (a user) and its grantee (a staff
 * session with the active principal it names). Anyone else, and a grant
 * still being logged, answers like a missing grant; a session of the wrong
 * kind for the rule gets 403 as everywhere.
 */
static int
grant_check(struct req *rq, enum access a)
{
	struct store_grant g;
	int r, mine = 0;

	if (a == ACCESS_GRANTOR && rq->who.kind != PRINCIPAL_USER)
		goto forbidden;
	if (a == ACCESS_GRANTEE && (rq->who.kind != PRINCIPAL_STAFF || !rq->who.has_principal))
		goto forbidden;
	if (rq->who.kind == PRINCIPAL_STAFF && !rq->who.has_principal)
		goto forbidden;
	memset(&g, 0, sizeof(g));
	r = store_grant_get(rq->srv->store, rq->params.grant, &g);
	if (r != STORE_OK && r != STORE_NOTFOUND) {
		http_error(rq, 500, "internal", "store unavailable");
		return -1;
	}
	if (r == STORE_OK && g.state != STORE_GRANT_PENDING)
		mine = rq->who.kind == PRINCIPAL_USER ?
		    sodium_memcmp(g.owner, rq->who.account_id, STORE_ID_LEN) == 0 :
		    sodium_memcmp(g.grantee, rq->who.principal_id, STORE_ID_LEN) == 0;
	store_grant_clear(&g);
	if (mine)
		return 0;
	http_error(rq, 404, "not_found", "no such resource");
	return -1;
forbidden:
	http_error(rq, 403, "forbidden", "this endpoint is not for %s",
	    rq->who.kind == PRINCIPAL_STAFF ? (rq->who.has_principal ? "staff accounts" :
	    "staff accounts without an active staff principal") : "user sessions");
	return -1;
}

int
auth_check(struct req *rq)
{
	struct server *srv = rq->srv;
	enum access a = rq->route->access;
	struct store_session ss;
	uint8_t hash[STORE_HASH_LEN];
	char prefix;
	int r, is_owner = 0;

	if (a == ACCESS_PUBLIC || a == ACCESS_PAIRING)
		return 0;
	if (auth_bearer_parse(http_header(rq, "Authorization"), &prefix, hash) != 0) {
		http_error(rq, 401, "unauthorized", "missing or malformed bearer token");
		return -1;
	}
	/*
	 * The hash is the lookup key. Equality on a BLAKE2b output cannot be
	 * steered by a timing attacker (they would need preimages), so the
	 * index lookup is safe where a comparison of the raw token would not be.
	 */
	memcpy(rq->who.token_hash, hash, sizeof(hash));
	if (prefix == 'c') {
		r = store_camera_by_token(srv->store, hash, &rq->who.camera);
		if (r == STORE_NOTFOUND) {
			http_error(rq, 401, "unauthorized", "unknown token");
			return -1;
		}
		if (r != STORE_OK)
			goto internal;
		rq->who.kind = PRINCIPAL_CAMERA;
		if (a != ACCESS_CAMERA)
			goto forbidden;
		return 0;
	}
	r = store_session_get(srv->store, hash, &ss);
	if (r == STORE_NOTFOUND) {
		http_error(rq, 401, "unauthorized", "unknown token");
		return -1;
	}
	if (r != STORE_OK)
		goto internal;
	if (ss.expires_ms <= http_now_ms()) {
		http_error(rq, 401, "session_expired", "session expired: log in again");
		return -1;
	}
	memcpy(rq->who.account_id, ss.account_id, STORE_ID_LEN);
	rq->who.kind = ss.role == STORE_ROLE_STAFF ? PRINCIPAL_STAFF : PRINCIPAL_USER;
	if (a == ACCESS_CAMERA)
		goto forbidden;
	if (rq->who.kind == PRINCIPAL_STAFF) {
		/* A staff session acts through its logged, active principal. */
		struct store_staff sp;
		r = store_staff_by_account(srv->store, ss.account_id, &sp);
		if (r == STORE_OK && sp.state == STORE_STAFF_ACTIVE) {
			rq->who.has_principal = 1;
			memcpy(rq->who.principal_id, sp.principal_id, STORE_ID_LEN);
		} else if (r != STORE_OK && r != STORE_NOTFOUND)
			goto internal;
	}
	if (a == ACCESS_SESSION)
		return 0;
	if (a == ACCESS_GRANTOR || a == ACCESS_GRANTEE || a == ACCESS_GRANT_PARTY)
		return grant_check(rq, a);
	/* Every other rule is for users: staff never reach account data. */
	if (rq->who.kind != PRINCIPAL_USER)
		goto forbidden;
	switch (a) {
	case ACCESS_USER:
		return 0;
	case ACCESS_CREATOR: {
		struct store_pairing p;
		r = store_pairing_get(srv->store, rq->params.pairing_id, &p);
		if (r == STORE_OK && sodium_memcmp(p.owner, ss.account_id, STORE_ID_LEN) == 0)
			return 0;
		if (r != STORE_OK && r != STORE_NOTFOUND)
			goto internal;
		goto not_found;
	}
	case ACCESS_VIEWER:
	case ACCESS_OWNER:
		/* Another account's camera answers exactly like a missing one. */
		r = store_camera_access(srv->store, rq->params.cam, ss.account_id, &is_owner);
		if (r == STORE_NOTFOUND)
			goto not_found;
		if (r != STORE_OK)
			goto internal;
		rq->who.cam_is_owner = is_owner;
		if (a == ACCESS_OWNER && !is_owner) {
			http_error(rq, 403, "forbidden", "only the camera's owner may do this");
			return -1;
		}
		return 0;
	default:
		break;
	}
forbidden:
	http_error(rq, 403, "forbidden", "this endpoint is not for %s",
	    rq->who.kind == PRINCIPAL_CAMERA ? "camera tokens" :
	    rq->who.kind == PRINCIPAL_STAFF ? "staff accounts" : "user sessions");
	return -1;
not_found:
	http_error(rq, 404, "not_found", "no such resource");
	return -1;
internal:
	http_error(rq, 500, "internal", "store unavailable");
	return -1;
}
