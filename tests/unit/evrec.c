/* evrec: the event record plaintext (docs/FORMAT.md "Event record"). */
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "evrec.h"
#include "t.h"

static const uint8_t jpeg[] = { 0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 0xff, 0xd9 };

static void
sample(struct evrec *r)
{
	evrec_init(r);
	r->event = 41;
	r->state = EVREC_END;
	r->kind = EVREC_MOTION;
	r->start_ms = 1795000003000;
	r->end_ms = 1795000009000;
	r->clip_start_ms = 1795000000000;
	r->clip_end_ms = 1795000011000;
	r->score = 0.0625f;
	r->frames = 150;
	r->nzones = 2;
	snprintf(r->zones[0], sizeof(r->zones[0]), "porch");
	snprintf(r->zones[1], sizeof(r->zones[1]), "drive way");
	r->nlabels = 1;
	snprintf(r->labels[0].label, sizeof(r->labels[0].label), "person");
	r->labels[0].score = 0.875f;
	r->nboxes = 2;
	r->boxes[0] = (struct evrec_box){ 0.25f, 0.5f, 0.125f, 0.25f, "person", 0.875f };
	r->boxes[1] = (struct evrec_box){ 0.5f, 0.5f, 0.0625f, 0.0625f, "", 0 };
	r->thumb_ms = 1795000004000;
	r->have_segments = 1;
	r->seg_first = 17;
	r->seg_last = 20;
}

/* Re-frame a record's JSON (replace it with text). */
static uint8_t *
with_json(const char *text, size_t *len)
{
	size_t n = strlen(text);
	uint8_t *b = malloc(12 + n);

	memcpy(b, "SEV1", 4);
	codec_put_be32(b + 4, (uint32_t)n);
	memcpy(b + 8, text, n);
	codec_put_be32(b + 8 + n, 0);
	*len = 12 + n;
	return b;
}

int
main(void)
{
	struct evrec r, p;
	uint8_t *buf, *b2;
	size_t len, l2, jlen;
	const uint8_t *j;
	char err[128];

	t_case("a record with zones, labels, boxes, segments and a JPEG round-trips");
	sample(&r);
	T_EQ(evrec_encode(&r, jpeg, sizeof(jpeg), &buf, &len), 0);
	T_EQ(evrec_parse(buf, len, &p, &j, &jlen, err, sizeof(err)), 0);
	T_EQ(p.event, 41);
	T_EQ(p.state, EVREC_END);
	T_EQ(p.start_ms, r.start_ms);
	T_EQ(p.clip_end_ms, r.clip_end_ms);
	T_EQ(p.nzones, 2);
	T_ASSERT(strcmp(p.zones[1], "drive way") == 0);
	T_ASSERT(evrec_label_score(&p, "person") == 0.875f);
	T_ASSERT(evrec_label_score(&p, "car") == 0);
	T_EQ(p.nboxes, 2);
	T_ASSERT(strcmp(p.boxes[0].label, "person") == 0 && p.boxes[1].label[0] == 0);
	T_EQ(p.seg_first, 17);
	T_EQ(p.seg_last, 20);
	T_EQ(jlen, sizeof(jpeg));
	T_ASSERT(j != NULL && memcmp(j, jpeg, sizeof(jpeg)) == 0);

	t_case("the encoding is deterministic (sorted keys, rounded numbers)");
	T_EQ(evrec_encode(&p, j, jlen, &b2, &l2), 0);
	T_EQ(l2, len);
	T_ASSERT(l2 == len && memcmp(b2, buf, len) == 0);
	free(b2);

	t_case("an open event: null end times, no segments, no thumbnail");
	sample(&r);
	r.state = EVREC_START;
	r.end_ms = r.clip_end_ms = -1;
	r.have_segments = 0;
	r.thumb_ms = -1;
	free(buf);
	T_EQ(evrec_encode(&r, NULL, 0, &buf, &len), 0);
	T_ASSERT(strstr((char *)buf + 8, "\"end_ms\":null") != NULL);
	T_EQ(evrec_parse(buf, len, &p, &j, &jlen, err, sizeof(err)), 0);
	T_EQ(p.end_ms, -1);
	T_EQ(p.have_segments, 0);
	T_ASSERT(j == NULL && jlen == 0);

	t_case("truncated, extended or re-framed records are refused");
	T_EQ(evrec_parse(buf, len - 1, &p, &j, &jlen, err, sizeof(err)), -1);
	b2 = malloc(len + 1);
	memcpy(b2, buf, len);
	b2[len] = 0;
	T_EQ(evrec_parse(b2, len + 1, &p, &j, &jlen, err, sizeof(err)), -1);
	b2[0] = 'X';
	T_EQ(evrec_parse(b2, len, &p, &j, &jlen, err, sizeof(err)), -1);
	free(b2);
	free(buf);

	t_case("unknown fields, versions, states, bad names and out-of-range values are refused");
	{
		static const char *bad[] = {
			"{}",
			"[1]",
			"{\"v\":2}",
			"not json at all",
		};
		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			b2 = with_json(bad[i], &l2);
			T_EQ(evrec_parse(b2, l2, &p, &j, &jlen, err, sizeof(err)), -1);
			free(b2);
		}
		sample(&r);
		T_EQ(evrec_encode(&r, NULL, 0, &buf, &len), 0);
		/* Each edit of a valid record's text must be refused. */
		static const char *edits[][2] = {
			{ "\"v\":1", "\"v\":2" },
			{ "\"state\":\"end\"", "\"state\":\"over\"" },
			{ "\"kind\":\"motion\"", "\"kind\":\"alarm\"" },
			{ "\"score\":0.0625", "\"score\":1.5" },
			{ "\"frames\":150", "\"frames\":-1" },
			{ "\"porch\"", "\"\"" },
			{ "\"porch\"", "\"po\\nrch\"" },
			{ "\"segments\":[17,20]", "\"segments\":[20,17]" },
			{ "\"start_ms\":1795000003000", "\"start_ms\":null" },
			{ "\"v\":1", "\"v\":1,\"extra\":0" },
			{ "\"score\":0.875}", "\"score\":0.875,\"x\":1}" },
		};
		for (size_t i = 0; i < sizeof(edits) / sizeof(edits[0]); i++) {
			char text[4096], *at;
			size_t n = codec_get_be32(buf + 4);

			memcpy(text, buf + 8, n);
			text[n] = 0;
			at = strstr(text, edits[i][0]);
			T_ASSERT(at != NULL);
			if (at == NULL)
				continue;
			{
				char out[4096];
				size_t k = (size_t)(at - text);

				memcpy(out, text, k);
				snprintf(out + k, sizeof(out) - k, "%s%s", edits[i][1],
				    at + strlen(edits[i][0]));
				b2 = with_json(out, &l2);
				if (evrec_parse(b2, l2, &p, &j, &jlen, err, sizeof(err)) != -1)
					printf("# edit %zu accepted: %s\n", i, out);
				T_EQ(evrec_parse(b2, l2, &p, &j, &jlen, err, sizeof(err)), -1);
				free(b2);
			}
		}
		free(buf);
	}

	t_case("a thumbnail that is not a JPEG is refused; encode refuses bad fields");
	sample(&r);
	{
		static const uint8_t png[] = { 0x89, 'P', 'N', 'G', 0, 0 };

		T_EQ(evrec_encode(&r, png, sizeof(png), &buf, &len), 0);
		T_EQ(evrec_parse(buf, len, &p, &j, &jlen, err, sizeof(err)), -1);
		free(buf);
	}
	r.score = 2;
	T_EQ(evrec_encode(&r, NULL, 0, &buf, &len), -1);
	sample(&r);
	snprintf(r.labels[0].label, sizeof(r.labels[0].label), "a\tb");
	T_EQ(evrec_encode(&r, NULL, 0, &buf, &len), -1);
	sample(&r);
	r.nboxes = EVREC_MAX_BOXES + 1;
	T_EQ(evrec_encode(&r, NULL, 0, &buf, &len), -1);

	t_case("merging records of one event: later fields win, labels keep the best");
	{
		struct evrec a, b;

		sample(&a);
		a.state = EVREC_START;
		a.labels[0].score = 0.9f;
		sample(&b);
		b.nlabels = 2;
		b.labels[0].score = 0.5f;
		snprintf(b.labels[1].label, sizeof(b.labels[1].label), "car");
		b.labels[1].score = 0.4f;
		b.nboxes = 0;
		b.thumb_ms = -1;
		evrec_merge(&a, &b);
		T_EQ(a.state, EVREC_END);
		T_ASSERT(evrec_label_score(&a, "person") == 0.9f);
		T_ASSERT(evrec_label_score(&a, "car") == 0.4f);
		T_EQ(a.nboxes, 2);
		T_EQ(a.thumb_ms, 1795000004000);
	}
	return t_done();
}
