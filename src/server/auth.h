/*
 * auth — tokens, passwords, e-mail addresses, and the access check that
 * runs for every request before its handler (the route table's access
 * column).
 *
 * Tokens are "u." (sessions) or "c." (cameras) followed by 32 random bytes
 * in unpadded base64url. Only BLAKE2b-256 of the 32 bytes is stored; the
 * looked-up hash is compared again with sodium_memcmp. Passwords use
 * crypto_pwhash_str (Argon2id) at the INTERACTIVE limits (64 MiB, ~0.1 s):
 * enough for login hashing because login is rate limited per e-mail and per
 * address and the password never derives a key (DESIGN.md); MODERATE would
 * let a handful of logins pin a core for seconds. At most `ncpu` hashes
 * run at once so login floods cannot exhaust memory.
 */
#ifndef SEALCAMD_AUTH_H
#define SEALCAMD_AUTH_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"

struct req;

#define AUTH_TOKEN_BYTES 32
#define AUTH_TOKEN_STRLEN (2 + 43 + 1)   /* "u." + base64url(32) + NUL */
#define AUTH_PASSWORD_MIN 10             /* characters */
#define AUTH_PASSWORD_MAX 1024           /* bytes */

/* Global setup (hash concurrency); call once before serving. */
void auth_init(unsigned max_parallel_hashes);

/* New token with prefix 'u' or 'c' into out; its hash into hash. */
void auth_token_new(char prefix, char out[AUTH_TOKEN_STRLEN],
    uint8_t hash[STORE_HASH_LEN]);

/*
 * Parse "Bearer <token>": *prefix = 'u' or 'c', hash = BLAKE2b of its
 * bytes. -1 if absent or malformed.
 */
int auth_bearer_parse(const char *header, char *prefix,
    uint8_t hash[STORE_HASH_LEN]) __attribute__((warn_unused_result));

/* crypto_pwhash_str of password into out (STORE_PWHASH_MAX). 0 or -1. */
int auth_password_hash(const char *password, char *out);

/* 0 if password matches hash; -1 otherwise. hash NULL: burn the same time
 * against a dummy hash and fail (unknown e-mail looks like a wrong password). */
int auth_password_verify(const char *hash, const char *password)
	__attribute__((warn_unused_result));

/*
 * Normalise an e-mail address (trim, lower-case) into out
 * (STORE_EMAIL_MAX + 1) and check it looks like one. 0 or -1.
 */
int auth_email_normalize(const char *in, char *out);

/* "a***@e***.com": safe for logs. */
void auth_email_mask(const char *email, char *out, size_t len);

/* Password policy: 0 if acceptable, else -1 with a reason in why. */
int auth_password_policy(const char *pw, const char **why);

/*
 * Establish rq->who and enforce rq->route->access. Returns 0 to proceed;
 * -1 after answering 401/403/404 per PROTOCOL.md.
 */
int auth_check(struct req *rq) __attribute__((warn_unused_result));

/* Lowercase hex of n bytes into out (2n + 1). */
void auth_hex(const uint8_t *in, size_t n, char *out);

#endif
