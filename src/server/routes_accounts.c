/*
 * routes_accounts — signup, login, logout, me, vault backup, user lookup.
 * The password only logs in (Argon2id, auth.c); it never derives a key.
 */
#include <sodium.h>
#include <string.h>

#include "auth.h"
#include "http.h"
#include "jsonv.h"
#include "log.h"
#include "metrics.h"
#include "ratelimit.h"
#include "server.h"
#include "store.h"
#include "tlogsrv.h"
#include "vault.h"

/* The published vault keys and the account fingerprint users compare out
 * of band (the core library's, so every client shows the same). */
static json_t *
vault_json(const struct store_account *a)
{
	char fp[VAULT_FINGERPRINT_LEN + 1];

	if (!a->has_vault)
		return json_null();
	vault_fingerprint_account(a->sign_pk, a->box_pk, fp);
	return json_pack("{s:o, s:o, s:s}", "box_pk", jv_hexstr(a->box_pk, STORE_PK_LEN),
	    "sign_pk", jv_hexstr(a->sign_pk, STORE_PK_LEN), "fingerprint", fp);
}

/* A staff account's current principal (null for users, or none). */
static json_t *
principal_json(struct req *rq, const struct store_account *a)
{
	static const char *const states[] = { "adding", "active", "removing", "removed" };
	struct store_staff s;

	if (a->role != STORE_ROLE_STAFF ||
	    store_staff_by_account(rq->srv->store, a->id, &s) != STORE_OK ||
	    s.state < 0 || s.state > 3)
		return json_null();
	return json_pack("{s:o, s:s, s:s, s:s}", "principal_id",
	    jv_hexstr(s.principal_id, STORE_ID_LEN), "role",
	    s.role == 2 ? "research" : "support", "name", s.name, "state", states[s.state]);
}

/* Issue a session for account and answer with it. */
static void
reply_session(struct req *rq, unsigned status, const struct store_account *a)
{
	char token[AUTH_TOKEN_STRLEN];
	uint8_t hash[STORE_HASH_LEN];
	int64_t now = http_now_ms(), expires = now + rq->srv->cfg->session_ttl_ms;

	auth_token_new('u', token, hash);
	if (store_session_create(rq->srv->store, hash, a->id, now, expires) != 0) {
		sodium_memzero(token, sizeof(token));
		http_error(rq, 500, "internal", "cannot create session");
		return;
	}
	http_reply_json(rq, status, json_pack("{s:o, s:s, s:I, s:s}",
	    "account_id", jv_hexstr(a->id, STORE_ID_LEN), "token", token,
	    "expires_ms", (json_int_t)expires,
	    "role", a->role == STORE_ROLE_STAFF ? "staff" : "user"));
	sodium_memzero(token, sizeof(token));
}

/* Per-address budget shared by signup and login (Argon2id is not free). */
static int
limit_addr(struct req *rq)
{
	unsigned retry = 1;

	if (ratelimit_take(rq->srv->login_addr, rq->addr, strlen(rq->addr),
	    http_now_ms(), &retry) != 0) {
		metrics_add(M_RATE_LIMITED, 1);
		http_error_retry(rq, retry, "too many attempts from this address");
		return -1;
	}
	return 0;
}

void
h_signup(struct req *rq)
{
	struct store_account a;
	char pwhash[STORE_PWHASH_MAX], masked[64];
	const char *email, *password, *why;
	int r;

	if (jv_string(rq, rq->json, "email", 1, 1024, &email) != 0 ||
	    jv_string(rq, rq->json, "password", 0, 1 << 16, &password) != 0)
		return;
	memset(&a, 0, sizeof(a));
	if (auth_email_normalize(email, a.email) != 0) {
		http_error(rq, 400, "bad_request", "field 'email': not an e-mail address");
		return;
	}
	if (auth_password_policy(password, &why) != 0) {
		http_error(rq, 400, "weak_password", "%s", why);
		return;
	}
	if (limit_addr(rq) != 0)
		return;
	if (store_account_find(rq->srv->store, a.email, &a, NULL) == STORE_OK) {
		http_error(rq, 409, "email_taken", "an account with this e-mail exists");
		return;
	}
	if (auth_password_hash(password, pwhash) != 0) {
		http_error(rq, 500, "internal", "cannot hash password");
		return;
	}
	randombytes_buf(a.id, sizeof(a.id));
	a.role = STORE_ROLE_USER;
	a.created_ms = http_now_ms();
	a.has_vault = 0;
	r = store_account_create(rq->srv->store, &a, pwhash);
	sodium_memzero(pwhash, sizeof(pwhash));
	if (r == STORE_EXISTS) {
		http_error(rq, 409, "email_taken", "an account with this e-mail exists");
		return;
	}
	if (r != STORE_OK) {
		http_error(rq, 500, "internal", "cannot create account");
		return;
	}
	auth_email_mask(a.email, masked, sizeof(masked));
	log_info("account", "action=signup email=%s", masked);
	reply_session(rq, 201, &a);
}

void
h_login(struct req *rq)
{
	struct store_account a;
	char pwhash[STORE_PWHASH_MAX], email[STORE_EMAIL_MAX + 1], masked[64];
	const char *e, *password;
	unsigned retry = 1;
	int found, ok;

	if (jv_string(rq, rq->json, "email", 1, 1024, &e) != 0 ||
	    jv_string(rq, rq->json, "password", 0, 1 << 16, &password) != 0)
		return;
	/* A malformed address cannot have an account: same answer as wrong. */
	if (auth_email_normalize(e, email) != 0)
		snprintf(email, sizeof(email), "-");
	if (limit_addr(rq) != 0)
		return;
	if (ratelimit_take(rq->srv->login_email, email, strlen(email), http_now_ms(),
	    &retry) != 0) {
		metrics_add(M_RATE_LIMITED, 1);
		http_error_retry(rq, retry, "too many attempts for this account");
		return;
	}
	found = store_account_find(rq->srv->store, email, &a, pwhash);
	if (found != STORE_OK && found != STORE_NOTFOUND) {
		http_error(rq, 500, "internal", "store unavailable");
		return;
	}
	/* Unknown e-mail: verify against a dummy hash, same cost, same answer. */
	ok = auth_password_verify(found == STORE_OK ? pwhash : NULL, password) == 0 &&
	    strlen(password) <= AUTH_PASSWORD_MAX;
	sodium_memzero(pwhash, sizeof(pwhash));
	auth_email_mask(email, masked, sizeof(masked));
	if (!ok) {
		metrics_add(M_LOGIN_FAILED, 1);
		log_info("account", "action=login result=failed email=%s", masked);
		http_error(rq, 401, "bad_credentials", "wrong e-mail or password");
		return;
	}
	/* A user who gets in is not an attacker on this address. */
	ratelimit_give(rq->srv->login_email, email, strlen(email), http_now_ms());
	log_info("account", "action=login result=ok email=%s", masked);
	reply_session(rq, 200, &a);
}

void
h_logout(struct req *rq)
{
	if (store_session_delete(rq->srv->store, rq->who.token_hash) != 0) {
		http_error(rq, 500, "internal", "store unavailable");
		return;
	}
	http_reply_empty(rq, 204);
}

void
h_me(struct req *rq)
{
	struct store_account a;

	if (store_account_get(rq->srv->store, rq->who.account_id, &a) != STORE_OK) {
		http_error(rq, 500, "internal", "store unavailable");
		return;
	}
	http_reply_json(rq, 200, json_pack("{s:o, s:s, s:s, s:o, s:o}",
	    "account_id", jv_hexstr(a.id, STORE_ID_LEN), "email", a.email,
	    "role", a.role == STORE_ROLE_STAFF ? "staff" : "user",
	    "vault", vault_json(&a), "principal", principal_json(rq, &a)));
}

/* A vault publication waiting for its log entry (tlogsrv_defer). */
struct vault_put {
	uint8_t box_pk[STORE_PK_LEN], sign_pk[STORE_PK_LEN];
	uint8_t backup[STORE_BACKUP_MAX];
	size_t len;
	int log;                  /* new keys: log them first */
	int done;
	unsigned status;          /* 204, 500 or 503 */
};

static void
vault_put_free(struct req *rq)
{
	free(rq->state);
	rq->state = NULL;
}

/* On a log worker: the keys into the log (durable), then published. */
static void
job_vault(struct req *rq)
{
	struct vault_put *v = rq->state;

	v->done = 1;
	v->status = 503;
	if (v->log && tlogsrv_log_vault(rq->srv->tlog, rq->who.account_id, v->sign_pk,
	    v->box_pk, NULL) != 0)
		return;
	v->status = store_vault_put(rq->srv->store, rq->who.account_id, v->box_pk,
	    v->sign_pk, v->backup, v->len) == STORE_OK ? 204 : 500;
}

void
h_vault_put(struct req *rq)
{
	struct vault_put *v = rq->state;
	struct store_account a;

	if (v != NULL && v->done) {             /* resumed */
		if (v->status == 204)
			http_reply_empty(rq, 204);
		else if (v->status == 503)
			http_error(rq, 503, "internal", "the transparency log cannot take the"
			    " keys now; nothing was published");
		else
			http_error(rq, 500, "internal", "store unavailable");
		return;
	}
	if ((v = calloc(1, sizeof(*v))) == NULL) {
		http_error(rq, 500, "internal", "out of memory");
		return;
	}
	rq->state = v;
	rq->state_free = vault_put_free;
	if (jv_hex(rq, rq->json, "box_pk", v->box_pk, sizeof(v->box_pk)) != 0 ||
	    jv_hex(rq, rq->json, "sign_pk", v->sign_pk, sizeof(v->sign_pk)) != 0 ||
	    jv_base64(rq, rq->json, "backup", v->backup, STORE_BACKUP_MAX, &v->len) != 0)
		return;
	if (store_account_get(rq->srv->store, rq->who.account_id, &a) != STORE_OK) {
		http_error(rq, 500, "internal", "store unavailable");
		return;
	}
	/* Keys the account already published (a new backup of the same keys,
	 * a retried signup) were logged before they were stored. */
	v->log = !a.has_vault || sodium_memcmp(a.box_pk, v->box_pk, STORE_PK_LEN) != 0 ||
	    sodium_memcmp(a.sign_pk, v->sign_pk, STORE_PK_LEN) != 0;
	tlogsrv_defer(rq->srv->tlog, rq, job_vault);
}

void
h_vault_get(struct req *rq)
{
	struct store_account a;
	uint8_t *backup;
	size_t len = 0;
	int r;

	if ((backup = malloc(STORE_BACKUP_MAX)) == NULL) {
		http_error(rq, 500, "internal", "out of memory");
		return;
	}
	if (store_account_get(rq->srv->store, rq->who.account_id, &a) != STORE_OK) {
		http_error(rq, 500, "internal", "store unavailable");
		goto out;
	}
	r = store_vault_get(rq->srv->store, rq->who.account_id, backup,
	    STORE_BACKUP_MAX, &len);
	if (r == STORE_NOTFOUND || !a.has_vault) {
		http_error(rq, 404, "not_found", "no vault published yet");
		goto out;
	}
	if (r != STORE_OK) {
		http_error(rq, 500, "internal", "store unavailable");
		goto out;
	}
	http_reply_json(rq, 200, json_pack("{s:o, s:o, s:o}",
	    "box_pk", jv_hexstr(a.box_pk, STORE_PK_LEN),
	    "sign_pk", jv_hexstr(a.sign_pk, STORE_PK_LEN),
	    "backup", jv_b64str(backup, len)));
out:
	free(backup);
}

void
h_user_lookup(struct req *rq)
{
	struct store_account a;
	char email[STORE_EMAIL_MAX + 1];
	const char *q = http_query(rq, "email");
	int r;

	if (q == NULL || strlen(q) > 1024 || auth_email_normalize(q, email) != 0) {
		http_error(rq, 400, "bad_request", "query 'email': not an e-mail address");
		return;
	}
	r = store_account_find(rq->srv->store, email, &a, NULL);
	if (r != STORE_OK && r != STORE_NOTFOUND) {
		http_error(rq, 500, "internal", "store unavailable");
		return;
	}
	/* Only accounts that can receive footage (a published vault); staff
	 * accounts are never household members. */
	if (r == STORE_NOTFOUND || !a.has_vault || a.role != STORE_ROLE_USER) {
		http_error(rq, 404, "not_found", "no such user with a published vault");
		return;
	}
	http_reply_json(rq, 200, json_pack("{s:o, s:o, s:o}",
	    "account_id", jv_hexstr(a.id, STORE_ID_LEN),
	    "box_pk", jv_hexstr(a.box_pk, STORE_PK_LEN),
	    "sign_pk", jv_hexstr(a.sign_pk, STORE_PK_LEN)));
}
