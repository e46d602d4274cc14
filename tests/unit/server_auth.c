/* auth and ratelimit: tokens, e-mail normalisation, password policy, buckets. */
#include <sodium.h>

#include "../../src/server/auth.h"
#include "../../src/server/ratelimit.h"
#include "t.h"

int
main(void)
{
	char tok[AUTH_TOKEN_STRLEN], hdr[128], email[STORE_EMAIL_MAX + 1], masked[64];
	uint8_t h1[STORE_HASH_LEN], h2[STORE_HASH_LEN];
	const char *why;
	char prefix;
	unsigned retry;
	struct ratelimit *rl;

	if (sodium_init() < 0)
		return 1;
	auth_init(2);

	t_case("a new token parses back to the hash that is stored");
	auth_token_new('u', tok, h1);
	T_EQ(strlen(tok), AUTH_TOKEN_STRLEN - 1);
	T_ASSERT(tok[0] == 'u' && tok[1] == '.');
	snprintf(hdr, sizeof(hdr), "Bearer %s", tok);
	T_EQ(auth_bearer_parse(hdr, &prefix, h2), 0);
	T_EQ(prefix, 'u');
	T_MEMEQ(h1, h2, sizeof(h1));

	t_case("two tokens differ (random), and so do their hashes");
	{
		char tok2[AUTH_TOKEN_STRLEN];
		uint8_t h3[STORE_HASH_LEN];
		auth_token_new('c', tok2, h3);
		T_ASSERT(strcmp(tok, tok2 + 0) != 0);
		T_ASSERT(memcmp(h1, h3, sizeof(h1)) != 0);
	}

	t_case("malformed bearer headers are refused");
	T_EQ(auth_bearer_parse(NULL, &prefix, h2), -1);
	T_EQ(auth_bearer_parse("Basic abc", &prefix, h2), -1);
	T_EQ(auth_bearer_parse("Bearer x.AAAA", &prefix, h2), -1);
	snprintf(hdr, sizeof(hdr), "Bearer %s=", tok);
	T_EQ(auth_bearer_parse(hdr, &prefix, h2), -1);
	snprintf(hdr, sizeof(hdr), "Bearer %.*s", (int)strlen(tok) - 1, tok);
	T_EQ(auth_bearer_parse(hdr, &prefix, h2), -1);
	snprintf(hdr, sizeof(hdr), "Bearer %s", tok);
	hdr[10] = '!';
	T_EQ(auth_bearer_parse(hdr, &prefix, h2), -1);

	t_case("e-mail addresses are trimmed and lower-cased; junk refused");
	T_EQ(auth_email_normalize("  Alice@Example.COM \n", email), 0);
	T_ASSERT(strcmp(email, "alice@example.com") == 0);
	T_EQ(auth_email_normalize("alice", email), -1);
	T_EQ(auth_email_normalize("@example.com", email), -1);
	T_EQ(auth_email_normalize("a@b@example.com", email), -1);
	T_EQ(auth_email_normalize("a@localhost", email), -1);
	T_EQ(auth_email_normalize("a b@example.com", email), -1);
	T_EQ(auth_email_normalize("a@example..com", email), -1);

	t_case("logs see a masked e-mail only");
	auth_email_mask("alice@example.com", masked, sizeof(masked));
	T_ASSERT(strstr(masked, "alice") == NULL && strstr(masked, "example") == NULL);

	t_case("passwords: 10 characters minimum (UTF-8 counted), 1024 bytes maximum");
	T_EQ(auth_password_policy("short", &why), -1);
	T_EQ(auth_password_policy("long enough", &why), 0);
	T_EQ(auth_password_policy("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", &why), -1);
	{
		char big[1100];
		memset(big, 'a', sizeof(big) - 1);
		big[sizeof(big) - 1] = '\0';
		T_EQ(auth_password_policy(big, &why), -1);
	}

	t_case("password hashes are Argon2id and verify only the right password");
	{
		char ph[STORE_PWHASH_MAX];
		T_EQ(auth_password_hash("correct horse", ph), 0);
		T_ASSERT(strncmp(ph, "$argon2id$", 10) == 0);
		T_EQ(auth_password_verify(ph, "correct horse"), 0);
		T_EQ(auth_password_verify(ph, "correct horsf"), -1);
		T_EQ(auth_password_verify(NULL, "correct horse"), -1);
	}

	t_case("rate limit: burst, then refused with Retry-After, then refilled");
	rl = ratelimit_new(3, 60, 1024);   /* 3 at once, one a second */
	T_ASSERT(rl != NULL);
	for (int i = 0; i < 3; i++)
		T_EQ(ratelimit_take(rl, "k", 1, 1000, &retry), 0);
	T_EQ(ratelimit_take(rl, "k", 1, 1000, &retry), -1);
	T_EQ(retry, 1);
	T_EQ(ratelimit_take(rl, "other", 5, 1000, &retry), 0);
	T_EQ(ratelimit_take(rl, "k", 1, 2001, &retry), 0);
	T_EQ(ratelimit_take(rl, "k", 1, 2001, &retry), -1);

	t_case("rate limit: a refund gives one attempt back");
	ratelimit_give(rl, "k", 1, 2001);
	T_EQ(ratelimit_take(rl, "k", 1, 2001, &retry), 0);
	ratelimit_free(rl);

	t_case("rate limit: a flood of other keys cannot reset a throttled one");
	rl = ratelimit_new(2, 1, 64);
	T_EQ(ratelimit_take(rl, "victim", 6, 0, &retry), 0);
	T_EQ(ratelimit_take(rl, "victim", 6, 0, &retry), 0);
	T_EQ(ratelimit_take(rl, "victim", 6, 0, &retry), -1);
	T_ASSERT(retry > 30);
	for (int i = 0; i < 10000; i++) {
		char k[16];
		snprintf(k, sizeof(k), "x%d", i);
		if (ratelimit_take(rl, k, strlen(k), 0, &retry) != 0)
			break;
	}
	T_EQ(ratelimit_take(rl, "victim", 6, 0, &retry), -1);
	ratelimit_free(rl);

	return t_done();
}
