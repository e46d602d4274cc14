/*
 * tlog_note — C2SP signed notes and checkpoints (Ed25519).
 *
 * Known answers come from the reference implementation's published example
 * (golang.org/x/mod/sumdb/note): the PeterNeumann key pair and note. Ed25519
 * is deterministic, so our signature must match it byte for byte.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "t.h"
#include "tlog_note.h"

static const char go_vkey[] =
    "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
static const char go_skey[] =
    "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
static const char go_text[] =
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n";
static const char go_note[] =
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
    "\n"
    "\xe2\x80\x94 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";

static int open_str(const char *note, const struct tlog_verifier *v)
{
	size_t tl;

	return tlog_note_open(note, strlen(note), v, &tl);
}

static void test_reference(void)
{
	struct tlog_signer *s = tlog_signer_parse(go_skey);
	struct tlog_verifier *v = tlog_verifier_parse(go_vkey);
	char buf[1024];
	size_t n, tl;

	t_case("reference key and note (x/mod/sumdb/note): key strings, key id and signature match byte for byte");
	T_ASSERT(s != NULL && v != NULL);
	if (s == NULL || v == NULL)
		goto out;
	T_ASSERT(tlog_signer_vkey(s, buf, sizeof(buf)) == 0);
	T_ASSERT(strcmp(buf, go_vkey) == 0);
	T_ASSERT(tlog_signer_skey(s, buf, sizeof(buf)) == 0);
	T_ASSERT(strcmp(buf, go_skey) == 0);
	T_ASSERT(strcmp(tlog_signer_name(s), "PeterNeumann") == 0);
	T_ASSERT(tlog_note_sign(s, go_text, strlen(go_text), buf, sizeof(buf), &n) == 0);
	T_EQ(n, strlen(go_note));
	T_ASSERT(n == strlen(go_note) && memcmp(buf, go_note, n) == 0);
	T_ASSERT(tlog_note_open(go_note, strlen(go_note), v, &tl) == 0);
	T_EQ(tl, strlen(go_text));
	T_ASSERT(tlog_signer_vkey(s, buf, 10) == -1);
	T_ASSERT(tlog_note_sign(s, go_text, strlen(go_text), buf, 100, &n) == -1);
out:
	tlog_signer_free(s);
	tlog_verifier_free(v);
}

static void test_vkey_mangling(void)
{
	char k[sizeof(go_vkey)];
	size_t len = strlen(go_vkey);
	int accepted = 0;

	t_case("verifier keys: every truncation, substring and single-byte change is refused");
	for (size_t i = 0; i <= len; i++)
		for (size_t j = i + 1; j <= len; j++) {
			struct tlog_verifier *v;

			if (i == 0 && j == len)
				continue;
			memcpy(k, go_vkey + i, j - i);
			k[j - i] = '\0';
			v = tlog_verifier_parse(k);
			if (v != NULL) {
				printf("# accepted %s\n", k);
				accepted++;
			}
			tlog_verifier_free(v);
		}
	for (size_t i = 0; i < len; i++) {
		struct tlog_verifier *v;

		memcpy(k, go_vkey, len + 1);
		k[i]++;
		v = tlog_verifier_parse(k);
		if (v != NULL) {
			printf("# accepted %s\n", k);
			accepted++;
		}
		tlog_verifier_free(v);
	}
	T_EQ(accepted, 0);
	/* Upper-case hex and a wrong key id are refused too. */
	T_ASSERT(tlog_verifier_parse("PeterNeumann+C74F20A3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW") == NULL);
	T_ASSERT(tlog_verifier_parse("PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW") == NULL);
	T_ASSERT(tlog_signer_parse("PRIVATE+KEY+PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW") == NULL);
	T_ASSERT(tlog_signer_generate("bad name") == NULL);
	T_ASSERT(tlog_signer_generate("bad+name") == NULL);
	T_ASSERT(tlog_signer_generate("") == NULL);
	T_ASSERT(tlog_signer_generate("nbsp\xc2\xa0name") == NULL);
}

static void test_signers(void)
{
	struct tlog_signer *a = tlog_signer_generate("sealcam.example/log");
	struct tlog_signer *b = tlog_signer_generate("witness.example/w1");
	struct tlog_signer *a2 = tlog_signer_generate("sealcam.example/log");
	struct tlog_verifier *va, *vb;
	char vk[TLOG_VKEY_MAX], sk[TLOG_SKEY_MAX], na[1024], nb[1024], both[2048];
	const char *text = "hello\n\nworld\n";
	size_t la, lb, tl;

	t_case("notes: unknown signers ignored, ours required, a bad signature by our key rejects the note");
	T_ASSERT(a != NULL && b != NULL && a2 != NULL);
	T_ASSERT(tlog_signer_vkey(a, vk, sizeof(vk)) == 0);
	va = tlog_verifier_parse(vk);
	T_ASSERT(tlog_signer_vkey(b, vk, sizeof(vk)) == 0);
	vb = tlog_verifier_parse(vk);
	T_ASSERT(va != NULL && vb != NULL);
	/* A generated key survives its key string. */
	T_ASSERT(tlog_signer_skey(a, sk, sizeof(sk)) == 0);
	{
		struct tlog_signer *back = tlog_signer_parse(sk);
		char vk2[TLOG_VKEY_MAX];

		T_ASSERT(back != NULL && tlog_signer_vkey(back, vk2, sizeof(vk2)) == 0);
		T_ASSERT(tlog_signer_vkey(a, vk, sizeof(vk)) == 0);
		T_ASSERT(strcmp(vk, vk2) == 0);
		tlog_signer_free(back);
		sodium_memzero(sk, sizeof(sk));
	}
	T_ASSERT(tlog_note_sign(a, text, strlen(text), na, sizeof(na), &la) == 0);
	T_ASSERT(tlog_note_sign(b, text, strlen(text), nb, sizeof(nb), &lb) == 0);
	na[la] = nb[lb] = '\0';
	/* Text with an empty line in it: the signatures start after the last. */
	T_ASSERT(tlog_note_open(na, la, va, &tl) == 0);
	T_EQ(tl, strlen(text));
	T_ASSERT(open_str(na, vb) == -1);	/* not signed by b */
	/* Cosigned: a's note plus b's signature line, in either order. */
	snprintf(both, sizeof(both), "%s%s", na, nb + strlen(text) + 1);
	T_ASSERT(open_str(both, va) == 0);
	T_ASSERT(open_str(both, vb) == 0);
	snprintf(both, sizeof(both), "%s%s", nb, na + strlen(text) + 1);
	T_ASSERT(open_str(both, va) == 0);
	/* Same name as ours, another key (other id): ignored, so unsigned. */
	T_ASSERT(tlog_note_sign(a2, text, strlen(text), nb, sizeof(nb), &lb) == 0);
	nb[lb] = '\0';
	T_ASSERT(open_str(nb, va) == -1);
	/* Our name and id, but a corrupted signature: the note is rejected
	 * even though another valid signature line follows. */
	{
		char bad[4096], sig[1024];
		const char *line = na + strlen(text) + 1;

		snprintf(sig, sizeof(sig), "%s", line);
		/* flip a character inside the signature (after the key id) */
		sig[strlen(sig) - 10] = (char)(sig[strlen(sig) - 10] == 'A' ? 'B' : 'A');
		snprintf(bad, sizeof(bad), "%s\n%s", text, sig);
		T_ASSERT(open_str(bad, va) == -1);
		snprintf(bad, sizeof(bad), "%s\n%s%s", text, sig, line);
		T_ASSERT(open_str(bad, va) == -1);
		/* valid first, a repeat by the same key after: the repeat is
		 * dropped like the reference implementation does */
		snprintf(bad, sizeof(bad), "%s\n%s%s", text, line, line);
		T_ASSERT(open_str(bad, va) == 0);
	}
	/* Changing one text byte breaks the signature. */
	na[0] = 'j';
	T_ASSERT(open_str(na, va) == -1);
	tlog_verifier_free(va);
	tlog_verifier_free(vb);
	tlog_signer_free(a);
	tlog_signer_free(b);
	tlog_signer_free(a2);
}

static void test_malformed(void)
{
	struct tlog_verifier *v = tlog_verifier_parse(go_vkey);
	char buf[TLOG_NOTE_MAX + 200];
	const char *sigline = strstr(go_note, "\xe2\x80\x94");
	static const char *bad[] = {
		"",
		"\n",
		"no blank line\n\xe2\x80\x94 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n",
		/* no trailing newline */
		"If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n\n\xe2\x80\x94 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=",
		/* hyphen instead of em dash */
		"If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n\n- PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n",
		/* two spaces */
		"If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n\n\xe2\x80\x94  PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n",
		/* bad base64 */
		"If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n\n\xe2\x80\x94 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM\n",
		/* signature too short */
		"If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n\n\xe2\x80\x94 PeterNeumann x08go/Y=\n",
		/* empty signature, missing signature */
		"If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n\n\xe2\x80\x94 PeterNeumann \n",
		"If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n\n\xe2\x80\x94 PeterNeumann\n",
		/* trailing blank line after the signatures */
		"If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n\n\xe2\x80\x94 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n\n",
		/* a control character, CR, invalid UTF-8 in the text */
		"If you think\x01 cryptography is the answer to your problem,\nthen you don't know what your problem is.\n\n\xe2\x80\x94 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n",
		"If you think cryptography is the answer to your problem,\r\nthen you don't know what your problem is.\n\n\xe2\x80\x94 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n",
		"If you think \xc0\xaf cryptography is the answer to your problem,\nthen you don't know what your problem is.\n\n\xe2\x80\x94 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n",
		/* a well-formed unknown signer plus a garbage line */
		"If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n\n\xe2\x80\x94 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\ngarbage\n",
		/* key name with a plus */
		"If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n\n\xe2\x80\x94 Peter+Neumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n\xe2\x80\x94 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n",
	};
	int accepted = 0;
	size_t off, tl;

	t_case("notes: malformed notes are refused (form, UTF-8, controls, signature lines, size and count limits)");
	T_ASSERT(v != NULL && sigline != NULL);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (tlog_note_open(bad[i], strlen(bad[i]), v, &tl) == 0) {
			printf("# accepted bad note %zu\n", i);
			accepted++;
		}
	}
	T_EQ(accepted, 0);
	/* A NUL inside is a control character. */
	memcpy(buf, go_note, sizeof(go_note));
	buf[5] = '\0';
	T_ASSERT(tlog_note_open(buf, strlen(go_note), v, &tl) == -1);
	/* 100 signature lines are looked at; 101 are too many. */
	off = (size_t)snprintf(buf, sizeof(buf), "%s", go_note);
	for (int i = 1; i < 100; i++)
		off += (size_t)snprintf(buf + off, sizeof(buf) - off, "%s", sigline);
	T_ASSERT(tlog_note_open(buf, off, v, &tl) == 0);
	off += (size_t)snprintf(buf + off, sizeof(buf) - off, "%s", sigline);
	T_ASSERT(tlog_note_open(buf, off, v, &tl) == -1);
	/* Longer than TLOG_NOTE_MAX. */
	memset(buf, 'a', TLOG_NOTE_MAX);
	off = TLOG_NOTE_MAX - strlen(go_note) + 1;
	memcpy(buf + off, go_note, strlen(go_note));
	T_ASSERT(tlog_note_open(buf, off + strlen(go_note), v, &tl) == -1);
	tlog_verifier_free(v);
}

static void test_checkpoints(void)
{
	struct tlog_signer *s = tlog_signer_generate("sealcam.example/log");
	struct tlog_signer *other = tlog_signer_generate("sealcam.example/log");
	struct tlog_verifier *v;
	struct tlog_checkpoint c, back;
	char vk[TLOG_VKEY_MAX], note[2048], text[1024];
	size_t n;
	static const char *bad[] = {
		"o\n",
		"o\n1\n",
		"o\n1\nbjQLnP+zepicpUTmu3gKLHiQHT+zNzh2hRGjBhevoB0=",
		"\n1\nbjQLnP+zepicpUTmu3gKLHiQHT+zNzh2hRGjBhevoB0=\n",
		"o\n01\nbjQLnP+zepicpUTmu3gKLHiQHT+zNzh2hRGjBhevoB0=\n",
		"o\n-1\nbjQLnP+zepicpUTmu3gKLHiQHT+zNzh2hRGjBhevoB0=\n",
		"o\n1 \nbjQLnP+zepicpUTmu3gKLHiQHT+zNzh2hRGjBhevoB0=\n",
		"o\n\nbjQLnP+zepicpUTmu3gKLHiQHT+zNzh2hRGjBhevoB0=\n",
		"o\n18446744073709551616\nbjQLnP+zepicpUTmu3gKLHiQHT+zNzh2hRGjBhevoB0=\n",
		"o\n1\nbjQLnP+zepicpUTmu3gKLHiQHT+zNzh2hRGjBhevoB1=\n",
		"o\n1\nbjQLnP+zepicpUTmu3gKLHiQHT+zNzh2hRGjBhevoB0\n",
		"o\n1\nZG9uJ3QgY2FyZSAy\n",
		"o\n1\nbjQLnP+zepicpUTmu3gKLHiQHT+zNzh2hRGjBhevoB0=\n\n",
		"o\n1\nbjQLnP+zepicpUTmu3gKLHiQHT+zNzh2hRGjBhevoB0=\next\n\nmore\n",
		"o\n1\nbjQLnP+zepicpUTmu3gKLHiQHT+zNzh2hRGjBhevoB0=\next",
	};
	int accepted = 0;

	t_case("checkpoints: sign/open round trip with extension lines, wrong key and origin rejected, malformed text refused");
	T_ASSERT(s != NULL && other != NULL);
	T_ASSERT(tlog_signer_vkey(s, vk, sizeof(vk)) == 0);
	v = tlog_verifier_parse(vk);
	T_ASSERT(v != NULL);
	memset(&c, 0, sizeof(c));
	snprintf(c.origin, sizeof(c.origin), "sealcam.example/log");
	c.size = 20852163;
	for (int i = 0; i < 32; i++)
		c.root[i] = (uint8_t)i;
	T_ASSERT(tlog_checkpoint_sign(s, &c, note, sizeof(note), &n) == 0);
	T_ASSERT(strncmp(note, "sealcam.example/log\n20852163\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n\n\xe2\x80\x94 sealcam.example/log ", 94) == 0);
	T_ASSERT(tlog_checkpoint_open(note, n, v, "sealcam.example/log", &back) == 0);
	T_EQ(back.size, 20852163);
	T_MEMEQ(back.root, c.root, 32);
	T_EQ(back.ext_len, 0);
	T_ASSERT(tlog_checkpoint_open(note, n, v, "other.example/log", &back) == -1);
	T_ASSERT(tlog_checkpoint_open(note, n, v, NULL, &back) == 0);
	/* Signed by another key with the same name: rejected. */
	T_ASSERT(tlog_checkpoint_sign(other, &c, note, sizeof(note), &n) == 0);
	T_ASSERT(tlog_checkpoint_open(note, n, v, "sealcam.example/log", &back) == -1);
	/* Extension lines survive; size 0 and 2^64-1 are fine. */
	c.size = 0;
	n = (size_t)snprintf(c.ext, sizeof(c.ext), "ext one\nSome-Thing: 2\n");
	c.ext_len = n;
	T_ASSERT(tlog_checkpoint_sign(s, &c, note, sizeof(note), &n) == 0);
	T_ASSERT(tlog_checkpoint_open(note, n, v, "sealcam.example/log", &back) == 0);
	T_EQ(back.size, 0);
	T_EQ(back.ext_len, c.ext_len);
	T_ASSERT(memcmp(back.ext, c.ext, c.ext_len) == 0);
	c.size = UINT64_MAX;
	c.ext_len = 0;
	T_ASSERT(tlog_checkpoint_format(&c, text, sizeof(text), &n) == 0);
	T_ASSERT(tlog_checkpoint_parse(text, n, &back) == 0);
	T_ASSERT(back.size == UINT64_MAX);
	/* Bad extension lines and origins are not formatted. */
	c.ext_len = (size_t)snprintf(c.ext, sizeof(c.ext), "a\n\nb\n");
	T_ASSERT(tlog_checkpoint_format(&c, text, sizeof(text), &n) == -1);
	c.ext_len = (size_t)snprintf(c.ext, sizeof(c.ext), "no newline");
	T_ASSERT(tlog_checkpoint_format(&c, text, sizeof(text), &n) == -1);
	c.ext_len = 0;
	snprintf(c.origin, sizeof(c.origin), "has space");
	T_ASSERT(tlog_checkpoint_format(&c, text, sizeof(text), &n) == -1);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (tlog_checkpoint_parse(bad[i], strlen(bad[i]), &back) == 0) {
			printf("# accepted checkpoint %zu\n", i);
			accepted++;
		}
	}
	T_EQ(accepted, 0);
	tlog_verifier_free(v);
	tlog_signer_free(s);
	tlog_signer_free(other);
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	test_reference();
	test_vkey_mangling();
	test_signers();
	test_malformed();
	test_checkpoints();
	return t_done();
}
