/* grantc — grants as the CLI reads them (grantc.h). */
#include "grantc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "cli.h"
#include "codec.h"
#include "home.h"
#include "timespec.h"

int
grantc_parse(const json_t *o, const uint8_t *owner_pk, struct grantc *gc, char *why,
    size_t whylen)
{
	const char *b64 = json_string_value(json_object_get(o, "grant"));
	const char *st = json_string_value(json_object_get(o, "state"));
	const char *rv = json_string_value(json_object_get(o, "revocation"));
	uint8_t rb[GRANT_REVOCATION_BYTES + 1];
	size_t rl = 0;
	int r;

	memset(gc, 0, sizeof(*gc));
	if (b64 == NULL || (gc->doc = malloc(strlen(b64))) == NULL ||
	    codec_b64_decode(b64, strlen(b64), gc->doc, strlen(b64), &gc->doc_len) != 0) {
		snprintf(why, whylen, "the server's grant is not valid base64");
		goto bad;
	}
	if ((r = grant_verify(gc->doc, gc->doc_len, owner_pk, &gc->g)) != GRANT_OK) {
		snprintf(why, whylen, "the grant document does not verify: %s (refusing it)",
		    r == GRANT_EBADSIG ? "its signature is not the owner's" :
		    r == GRANT_EWRONGOWNER ? "it is not signed by your key" : grant_strerror(r));
		goto bad;
	}
	snprintf(gc->state, sizeof(gc->state), "%s", st != NULL ? st : "?");
	gc->accesses = (uint64_t)json_integer_value(json_object_get(o, "accesses"));
	if (rv != NULL) {
		if (codec_b64_decode(rv, strlen(rv), rb, sizeof(rb), &rl) != 0 ||
		    grant_revocation_verify(rb, rl, gc->g.owner_pk, &gc->rev) != GRANT_OK ||
		    memcmp(gc->rev.grant_id, gc->g.grant_id, 16) != 0) {
			snprintf(why, whylen, "the grant's revocation does not verify");
			goto bad;
		}
		gc->revoked = 1;
	}
	return 0;
bad:
	grantc_clear(gc);
	return -1;
}

void
grantc_clear(struct grantc *gc)
{
	grant_clear(&gc->g);
	free(gc->doc);
	memset(gc, 0, sizeof(*gc));
}

const char *
grantc_range(const struct grant *g, char *buf, size_t n)
{
	char t[TIMESPEC_TEXT_MAX], d[TIMESPEC_TEXT_MAX];

	snprintf(buf, n, "%s + %s", timespec_format_time((int64_t)g->from_ms, t),
	    timespec_format_duration((int64_t)(g->until_ms - g->from_ms), d));
	return buf;
}

const char *
grantc_short(const uint8_t id[16], char buf[9])
{
	char hex[33];

	codec_hex_encode(id, 16, hex, sizeof(hex));
	memcpy(buf, hex, 8);
	buf[8] = '\0';
	return buf;
}

int
grantc_staff_key(struct cli *cli, struct vault *v)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	int r = home_read(cli->home, "staff/key", &buf, &len);

	if (r == 1)
		return cli_err(cli, "no staff key in %s: run 'sealcam staff init' on this"
		    " machine first", cli->home), -1;
	if (r != 0)
		return cli_err(cli, "cannot read %s/staff/key: %s", cli->home,
		    strerror(errno)), -1;
	r = vault_parse(buf, len, v);
	sodium_memzero(buf, len);
	free(buf);
	if (r != VAULT_OK)
		return cli_err(cli, "%s/staff/key is damaged", cli->home), -1;
	return 0;
}

int
grantc_id(const char *s, uint8_t id[16])
{
	for (const char *p = s; *p != '\0'; p++)
		if (*p >= 'A' && *p <= 'F')
			return -1;
	return codec_hex_decode(s, id, 16);
}
