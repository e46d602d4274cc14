/*
 * vault — keys, serialisation, fingerprints, recovery codes (with an
 * exhaustive proof that every single mistyped character and every swap of
 * neighbours is caught), and the backup blob (Argon2id: few calls).
 */
#include <sodium.h>

#include "vault.h"
#include "t.h"

/* Replace position i (0..27 in the canonical string) of a formatted code. */
static void
set_symbol(char *formatted, int i, char c)
{
	formatted[i + i / 4] = c;	/* a dash after every 4 symbols */
}

static char
get_symbol(const char *formatted, int i)
{
	return formatted[i + i / 4];
}

int
main(void)
{
	struct vault v, w;
	uint8_t ser[VAULT_SERIAL_BYTES];
	char code[VAULT_RECOVERY_LEN + 1], canon[VAULT_RECOVERY_SYMBOLS + 1];
	static const char symbols[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

	if (sodium_init() < 0)
		return 1;

	t_case("vault serialises and parses back to the same key pairs");
	T_EQ(vault_generate(&v), VAULT_OK);
	vault_serialize(&v, ser);
	T_MEMEQ(ser, "SVLT\x01", 5);
	T_EQ(vault_parse(ser, sizeof(ser), &w), VAULT_OK);
	T_ASSERT(sodium_memcmp(&v, &w, sizeof(v)) == 0);
	{
		uint8_t sig[64];
		crypto_sign_detached(sig, NULL, (const uint8_t *)"m", 1, w.sign_sk);
		T_EQ(crypto_sign_verify_detached(sig, (const uint8_t *)"m", 1,
		    v.sign_pk), 0);
	}

	t_case("vault parse refuses wrong size, magic, version");
	T_EQ(vault_parse(ser, sizeof(ser) - 1, &w), VAULT_ELENGTH);
	T_EQ(vault_parse(ser, 0, &w), VAULT_ELENGTH);
	ser[0] = 'X';
	T_EQ(vault_parse(ser, sizeof(ser), &w), VAULT_EMAGIC);
	ser[0] = 'S';
	ser[4] = 2;
	T_EQ(vault_parse(ser, sizeof(ser), &w), VAULT_EVERSION);
	{
		static const uint8_t zero[sizeof(w)];
		T_MEMEQ(&w, zero, sizeof(w));	/* nothing left behind on failure */
	}
	vault_wipe(&w);

	t_case("fingerprints: XXXX-XXXX-XXXX-XXXX, distinct per key and per account");
	{
		char a[VAULT_FINGERPRINT_LEN + 1], b[VAULT_FINGERPRINT_LEN + 1];
		char c[VAULT_FINGERPRINT_LEN + 1];
		vault_fingerprint(v.box_pk, a);
		vault_fingerprint(v.sign_pk, b);
		vault_fingerprint_account(v.sign_pk, v.box_pk, c);
		T_EQ(strlen(a), 19);
		T_ASSERT(a[4] == '-' && a[9] == '-' && a[14] == '-');
		for (int i = 0; i < 19; i++)
			T_ASSERT(i % 5 == 4 ? a[i] == '-' :
			    strchr(symbols, a[i]) != NULL);
		T_ASSERT(strcmp(a, b) != 0 && strcmp(a, c) != 0 && strcmp(b, c) != 0);
		vault_fingerprint(v.box_pk, b);
		T_ASSERT(strcmp(a, b) == 0);
	}

	t_case("recovery code: 7 groups of 4, valid, random (130 bits)");
	{
		char seen[200][VAULT_RECOVERY_SYMBOLS + 1];
		int distinct_first = 0;
		for (int k = 0; k < 200; k++) {
			T_EQ(vault_recovery_generate(code), VAULT_OK);
			T_EQ(strlen(code), VAULT_RECOVERY_LEN);
			for (int i = 4; i < VAULT_RECOVERY_LEN; i += 5)
				T_EQ(code[i], '-');
			T_EQ(vault_recovery_normalize(code, seen[k]), VAULT_OK);
			for (int j = 0; j < k; j++)
				T_ASSERT(strcmp(seen[j], seen[k]) != 0);
			for (int j = 0; j < k && j < 1; j++)
				distinct_first += seen[j][0] != seen[k][0];
		}
		T_ASSERT(distinct_first > 150);	/* the first symbol varies */
	}

	t_case("recovery code: case, spaces, dashes, I/L/O look-alikes are forgiven");
	{
		char typed[80], c2[VAULT_RECOVERY_SYMBOLS + 1];
		size_t o = 0;

		T_EQ(vault_recovery_generate(code), VAULT_OK);
		T_EQ(vault_recovery_normalize(code, canon), VAULT_OK);
		for (int i = 0; i < VAULT_RECOVERY_SYMBOLS; i++) {
			char ch = canon[i];
			if (ch == '1')
				ch = i % 2 ? 'l' : 'I';
			else if (ch == '0')
				ch = 'o';
			else if (ch >= 'A' && ch <= 'Z')
				ch = (char)(ch - 'A' + 'a');
			typed[o++] = ch;
			if (i % 3 == 2)
				typed[o++] = ' ';
		}
		typed[o] = '\0';
		T_EQ(vault_recovery_normalize(typed, c2), VAULT_OK);
		T_ASSERT(strcmp(c2, canon) == 0);
	}

	t_case("proof: every single-symbol error and neighbour swap changes the check");
	/* The check is linear: a typo adds an error pattern e, and is caught
	 * for every code iff syndrome(e) != 0. Enumerate all such e. */
	{
		uint8_t e[VAULT_RECOVERY_SYMBOLS], s0, s1;
		int patterns = 0;
		for (int i = 0; i < VAULT_RECOVERY_SYMBOLS; i++)
			for (int d = 1; d < 32; d++) {
				memset(e, 0, sizeof(e));
				e[i] = (uint8_t)d;	/* substitution: new ^ old = d */
				vault_recovery_syndrome(e, &s0, &s1);
				T_ASSERT(s0 != 0 || s1 != 0);
				patterns++;
				if (i + 1 < VAULT_RECOVERY_SYMBOLS) {
					/* swap of a, b (a != b): d = a ^ b at i and i+1 */
					e[i + 1] = (uint8_t)d;
					vault_recovery_syndrome(e, &s0, &s1);
					T_ASSERT(s0 != 0 || s1 != 0);
					patterns++;
				}
			}
		T_EQ(patterns, 28 * 31 + 27 * 31);
	}

	t_case("recovery code with one mistyped character: VAULT_ECHECKSUM, always");
	for (int k = 0; k < 10; k++) {
		char typo[VAULT_RECOVERY_LEN + 1];
		T_EQ(vault_recovery_generate(code), VAULT_OK);
		for (int i = 0; i < VAULT_RECOVERY_SYMBOLS; i++) {
			for (int s = 0; s < 32; s++) {
				if (symbols[s] == get_symbol(code, i))
					continue;
				memcpy(typo, code, sizeof(typo));
				set_symbol(typo, i, symbols[s]);
				T_EQ(vault_recovery_normalize(typo, canon), VAULT_ECHECKSUM);
			}
			if (i + 1 < VAULT_RECOVERY_SYMBOLS &&
			    get_symbol(code, i) != get_symbol(code, i + 1)) {
				memcpy(typo, code, sizeof(typo));
				set_symbol(typo, i, get_symbol(code, i + 1));
				set_symbol(typo, i + 1, get_symbol(code, i));
				T_EQ(vault_recovery_normalize(typo, canon), VAULT_ECHECKSUM);
			}
		}
	}

	t_case("recovery code: bad character and wrong length have their own errors");
	T_EQ(vault_recovery_generate(code), VAULT_OK);
	{
		char bad[VAULT_RECOVERY_LEN + 2];
		memcpy(bad, code, sizeof(code));
		bad[0] = 'U';
		T_EQ(vault_recovery_normalize(bad, canon), VAULT_ECHAR);
		bad[0] = '!';
		T_EQ(vault_recovery_normalize(bad, canon), VAULT_ECHAR);
		memcpy(bad, code, sizeof(code));
		bad[VAULT_RECOVERY_LEN - 1] = '\0';	/* one symbol short */
		T_EQ(vault_recovery_normalize(bad, canon), VAULT_ECODELEN);
		memcpy(bad, code, sizeof(code));
		bad[VAULT_RECOVERY_LEN] = 'A';
		bad[VAULT_RECOVERY_LEN + 1] = '\0';	/* one symbol extra */
		T_EQ(vault_recovery_normalize(bad, canon), VAULT_ECODELEN);
		T_EQ(vault_recovery_normalize("", canon), VAULT_ECODELEN);
	}

	t_case("backup: opens with the code, not with another (VAULT_EAUTH)");
	{
		uint8_t blob[VAULT_BACKUP_BYTES], bad[VAULT_BACKUP_BYTES];
		char other[VAULT_RECOVERY_LEN + 1], typo[VAULT_RECOVERY_LEN + 1];

		T_EQ(vault_recovery_generate(code), VAULT_OK);
		T_EQ(vault_recovery_generate(other), VAULT_OK);
		T_EQ(vault_backup_seal(&v, code, blob), VAULT_OK);
		T_MEMEQ(blob, "SVBK\x01\x02", 6);
		T_EQ(vault_backup_open(blob, sizeof(blob), code, &w), VAULT_OK);
		T_ASSERT(sodium_memcmp(&v, &w, sizeof(v)) == 0);
		T_EQ(vault_backup_open(blob, sizeof(blob), other, &w), VAULT_EAUTH);

		t_case("backup: a mistyped code is VAULT_ECHECKSUM, not a wrong code");
		memcpy(typo, code, sizeof(typo));
		set_symbol(typo, 5, get_symbol(code, 5) == 'Z' ? 'Y' : 'Z');
		T_EQ(vault_backup_open(blob, sizeof(blob), typo, &w), VAULT_ECHECKSUM);
		T_EQ(vault_backup_seal(&v, typo, bad), VAULT_ECHECKSUM);

		t_case("backup: altered blob is refused (limits, salt, size, magic)");
		memcpy(bad, blob, sizeof(bad));
		bad[22] ^= 1;	/* salt: a different key, so the AEAD fails */
		T_EQ(vault_backup_open(bad, sizeof(bad), code, &w), VAULT_EAUTH);
		memcpy(bad, blob, sizeof(bad));
		bad[13] = 1;	/* opslimit 1: too cheap */
		T_EQ(vault_backup_open(bad, sizeof(bad), code, &w), VAULT_ELIMITS);
		memcpy(bad, blob, sizeof(bad));
		bad[14] = 0xff;	/* memlimit enormous */
		T_EQ(vault_backup_open(bad, sizeof(bad), code, &w), VAULT_ELIMITS);
		memcpy(bad, blob, sizeof(bad));
		bad[5] = 1;	/* Argon2i */
		T_EQ(vault_backup_open(bad, sizeof(bad), code, &w), VAULT_ELIMITS);
		T_EQ(vault_backup_open(blob, sizeof(blob) - 1, code, &w), VAULT_ELENGTH);
		memcpy(bad, blob, sizeof(bad));
		bad[0] = 'X';
		T_EQ(vault_backup_open(bad, sizeof(bad), code, &w), VAULT_EMAGIC);
		bad[0] = 'S';
		bad[4] = 9;
		T_EQ(vault_backup_open(bad, sizeof(bad), code, &w), VAULT_EVERSION);
	}

	t_case("every error code has its own message");
	for (int a = VAULT_ENOMEM; a <= VAULT_OK; a++)
		for (int b = a + 1; b <= VAULT_OK; b++)
			T_ASSERT(strcmp(vault_strerror(a), vault_strerror(b)) != 0);
	vault_wipe(&v);
	vault_wipe(&w);
	return t_done();
}
