/*
 * motion_config — the per-camera JSON config: every field reaches the
 * struct, masks and zones parse in both forms, and every kind of mistake
 * is refused with a message naming the field, leaving the config as it was.
 */
#include <math.h>
#include <stdio.h>
#include <unistd.h>

#include "motion.h"
#include "t.h"

static int
parse(struct motion_config *c, const char *json, char *err, size_t n)
{
	return motion_config_parse(c, json, strlen(json), err, n);
}

int
main(void)
{
	struct motion_config c, d;
	char err[256];

	t_case("every scalar field is read");
	motion_config_default(&c);
	T_EQ(parse(&c, "{\"sensitivity\": 80, \"threshold\": 12, "
	    "\"min_area\": 0.002, \"merge_distance\": 0.05, \"work_width\": 480, "
	    "\"background_ms\": 20000, \"absorb_ms\": 0, \"warmup_ms\": 500, "
	    "\"start_frames\": 5, \"end_quiet_ms\": 8000, \"pre_roll_ms\": 4000, "
	    "\"post_roll_ms\": 1000, \"lightswitch\": 0.5, "
	    "\"lightswitch_max_ms\": 3000, \"despeckle\": \"EDD\"}",
	    err, sizeof(err)), 0);
	T_EQ(c.sensitivity, 80);
	T_EQ(c.threshold, 12);
	T_ASSERT(fabsf(c.min_area - 0.002f) < 1e-7f);
	T_ASSERT(fabsf(c.merge_distance - 0.05f) < 1e-7f);
	T_EQ(c.work_width, 480);
	T_EQ(c.background_ms, 20000);
	T_EQ(c.absorb_ms, 0);
	T_EQ(c.warmup_ms, 500);
	T_EQ(c.start_frames, 5);
	T_EQ(c.end_quiet_ms, 8000);
	T_EQ(c.pre_roll_ms, 4000);
	T_EQ(c.post_roll_ms, 1000);
	T_ASSERT(fabsf(c.lightswitch - 0.5f) < 1e-7f);
	T_EQ(c.lightswitch_max_ms, 3000);
	T_ASSERT(strcmp(c.despeckle, "EDD") == 0);

	t_case("keys not given keep their value");
	motion_config_default(&c);
	c.sensitivity = 33;
	T_EQ(parse(&c, "{\"absorb_ms\": 9000}", err, sizeof(err)), 0);
	T_EQ(c.sensitivity, 33);
	T_EQ(c.absorb_ms, 9000);

	t_case("masks (bare or as objects) and named zones are read");
	motion_config_default(&c);
	T_EQ(parse(&c, "{\"masks\": [[[0,0],[1,0],[1,0.1],[0,0.1]], "
	    "{\"polygon\": [[0.9,0.9],[1,0.9],[1,1]]}], "
	    "\"zones\": [{\"name\": \"porch\", \"polygon\": "
	    "[[0.5,0.5],[1,0.5],[1,1],[0.5,1]]}, {\"name\": \"gate\", "
	    "\"polygon\": [[0,0],[0.2,0],[0.1,0.3]]}]}", err, sizeof(err)), 0);
	T_EQ(c.nmasks, 2);
	T_EQ(c.masks[0].n, 4);
	T_EQ(c.masks[1].n, 3);
	T_ASSERT(fabsf(c.masks[0].p[2].y - 0.1f) < 1e-7f);
	T_EQ(c.nzones, 2);
	T_ASSERT(strcmp(c.zones[0].name, "porch") == 0);
	T_ASSERT(strcmp(c.zones[1].name, "gate") == 0);
	T_ASSERT(fabsf(c.zones[1].p[2].y - 0.3f) < 1e-7f);
	{
		struct motion *m = motion_new(&c, 640, 360);
		T_ASSERT(m != NULL);
		T_ASSERT(m && strcmp(motion_zone_name(m, 1), "gate") == 0);
		motion_free(m);
	}

	t_case("mistakes are refused, named, and change nothing");
	{
		static const struct {
			const char *json, *needle;
		} bad[] = {
			{ "{\"sensitivity\": 0}", "sensitivity" },
			{ "{\"sensitivity\": 101}", "sensitivity" },
			{ "{\"sensitivity\": 5.5}", "sensitivity" },
			{ "{\"sensitivity\": \"high\"}", "sensitivity" },
			{ "{\"min_area\": 2}", "min_area" },
			{ "{\"absorb_ms\": -1}", "absorb_ms" },
			{ "{\"lightswitch\": 1.5}", "lightswitch" },
			{ "{\"despeckle\": \"MX\"}", "despeckle" },
			{ "{\"despeckle\": \"MDMDMDMDMD\"}", "despeckle" },
			{ "{\"senstivity\": 50}", "senstivity" },
			{ "{\"masks\": [[[0,0],[1,0]]]}", "masks[0]" },
			{ "{\"masks\": [[[0,0],[1,0],[1.5,1]]]}", "masks[0]" },
			{ "{\"masks\": [[[0,0],[1,0],[\"a\",1]]]}", "masks[0]" },
			{ "{\"masks\": {}}", "masks" },
			{ "{\"zones\": [[[0,0],[1,0],[1,1]]]}", "zones[0]" },
			{ "{\"zones\": [{\"name\": \"\", \"polygon\": "
			    "[[0,0],[1,0],[1,1]]}]}", "zones[0]" },
			{ "{\"zones\": [{\"name\": \"a\", \"points\": "
			    "[[0,0],[1,0],[1,1]]}]}", "zones[0]" },
			{ "{\"zones\": [{\"name\": "
			    "\"a-name-that-is-far-too-long-for-a-zone\", "
			    "\"polygon\": [[0,0],[1,0],[1,1]]}]}", "zones[0]" },
			{ "[1, 2]", "object" },
			{ "{\"sensitivity\": 50", "line" },
			{ "{\"sensitivity\": 50, \"sensitivity\": 60}", "line" },
		};
		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			motion_config_default(&c);
			d = c;
			err[0] = 0;
			int rc = parse(&c, bad[i].json, err, sizeof(err));
			T_EQ(rc, -1);
			if (rc != -1 || strstr(err, bad[i].needle) == NULL)
				printf("# %s -> \"%s\"\n", bad[i].json, err);
			T_ASSERT(strstr(err, bad[i].needle) != NULL);
			T_ASSERT(memcmp(&c, &d, sizeof(c)) == 0); /* check-src: ok */
		}
		/* 17 zones is one too many. */
		char big[4096] = "{\"zones\": [";
		for (int i = 0; i <= MOTION_MAX_ZONES; i++)
			snprintf(big + strlen(big), sizeof(big) - strlen(big),
			    "%s{\"name\": \"z%d\", \"polygon\": [[0,0],[1,0],[1,1]]}",
			    i ? "," : "", i);
		snprintf(big + strlen(big), sizeof(big) - strlen(big), "]}");
		motion_config_default(&c);
		T_EQ(parse(&c, big, err, sizeof(err)), -1);
		T_ASSERT(strstr(err, "zones") != NULL);
	}

	t_case("a config file loads; a missing or oversized one is refused");
	{
		char path[96];
		int fd = t_mkstemp(path, sizeof(path), "sealcam-motion-cfg");
		const char *json = "{\"sensitivity\": 70, \"zones\": [{\"name\": "
		    "\"door\", \"polygon\": [[0,0],[0.5,0],[0.5,1]]}]}\n";
		T_ASSERT(fd >= 0);
		T_EQ(write(fd, json, strlen(json)), (long long)strlen(json));
		close(fd);
		motion_config_default(&c);
		T_EQ(motion_config_load(&c, path, err, sizeof(err)), 0);
		T_EQ(c.sensitivity, 70);
		T_ASSERT(strcmp(c.zones[0].name, "door") == 0);

		FILE *fp = fopen(path, "w");
		T_ASSERT(fp != NULL);
		fputs("{\"sensitivity\": 70", fp);
		for (int i = 0; i < MOTION_CONFIG_MAX; i++)
			fputc(' ', fp);
		fputs("}", fp);
		fclose(fp);
		motion_config_default(&c);
		T_EQ(motion_config_load(&c, path, err, sizeof(err)), -1);
		T_ASSERT(strstr(err, "larger") != NULL);
		T_EQ(c.sensitivity, 50);
		unlink(path);
		T_EQ(motion_config_load(&c, path, err, sizeof(err)), -1);
		T_ASSERT(strstr(err, path) != NULL);
	}
	t_case("motion_config_dump writes every field, masks and zones; parsing it gives the same config");
	{
		const char *json = "{\"sensitivity\": 63, \"min_area\": 0.0013, "
		    "\"despeckle\": \"MED\", \"masks\": [[[0,0],[1,0],[1,0.1]]], "
		    "\"zones\": [{\"name\": \"porch\", \"polygon\": "
		    "[[0.5,0.5],[1,0.5],[1,1],[0.33,1]]}]}";
		struct motion_config a, b;
		char *text;

		motion_config_default(&a);
		T_EQ(motion_config_parse(&a, json, strlen(json), err, sizeof(err)), 0);
		text = motion_config_dump(&a);
		T_ASSERT(text != NULL);
		motion_config_default(&b);
		b.sensitivity = 1;
		T_EQ(motion_config_parse(&b, text, strlen(text), err, sizeof(err)), 0);
		T_ASSERT(memcmp(&a, &b, sizeof(a)) == 0);
		T_ASSERT(strstr(text, "\"pre_roll_ms\": 3000") != NULL);
		free(text);
	}
	return t_done();
}
