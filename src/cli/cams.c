#include "cams.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "cli.h"
#include "codec.h"
#include "httpc.h"

json_t *
cams_fetch(struct cli *cli)
{
	struct httpc *h;
	json_t *resp = NULL, *cams;
	int st;

	if ((h = cli_http(cli, 1)) == NULL)
		return NULL;
	st = httpc_json(h, "GET", "/v1/cameras", NULL, &resp);
	if (st != 200) {
		cli_api_fail(cli, "listing cameras", st, resp);
		json_decref(resp);
		return NULL;
	}
	cams = json_object_get(resp, "cameras");
	if (!json_is_array(cams)) {
		cli_err(cli, "listing cameras: the server's answer has no "
		    "\"cameras\" list");
		json_decref(resp);
		return NULL;
	}
	json_incref(cams);
	json_decref(resp);
	return cams;
}

const char *
cams_str(const json_t *cam, const char *key)
{
	const char *s = json_string_value(json_object_get(cam, key));

	return s ? s : "";
}

long long
cams_int(const json_t *cam, const char *key)
{
	return json_integer_value(json_object_get(cam, key));
}

/* "Front door", "Garage" — for the error message. */
static void
names(const json_t *cams, char *out, size_t max)
{
	size_t i, used = 0;
	json_t *c;

	out[0] = '\0';
	json_array_foreach(cams, i, c) {
		int n = snprintf(out + used, max - used, "%s\"%s\"",
		    i ? ", " : "", cams_str(c, "name"));
		if (n < 0 || (size_t)n >= max - used)
			break;
		used += (size_t)n;
	}
	if (out[0] == '\0')
		snprintf(out, max, "none yet — add one with 'sealcam camera add'");
}

json_t *
cams_find(struct cli *cli, json_t *cams, const char *what)
{
	json_t *c, *hit = NULL;
	char list[512];
	size_t i, wl = strlen(what);
	int pass, nhits;

	/* Pass 0: exact name; 1: name ignoring case; 2: id or id prefix. */
	for (pass = 0; pass < 3; pass++) {
		nhits = 0;
		json_array_foreach(cams, i, c) {
			const char *name = cams_str(c, "name");
			const char *id = cams_str(c, "camera_id");
			int m = pass == 0 ? strcmp(name, what) == 0 :
			    pass == 1 ? strcasecmp(name, what) == 0 :
			    wl >= 8 && strncasecmp(id, what, wl) == 0;
			if (m) {
				hit = c;
				nhits++;
			}
		}
		if (nhits == 1)
			return hit;
		if (nhits > 1) {
			cli_err(cli, "several cameras match '%s'; use the camera id "
			    "from 'sealcam camera list'", what);
			return NULL;
		}
	}
	names(cams, list, sizeof(list));
	cli_err(cli, "no camera named '%s' (your cameras: %s)", what, list);
	return NULL;
}

const char *
cams_name_by_id(const json_t *cams, const uint8_t id[16], char buf[9])
{
	const json_t *c;
	char hex[33];
	size_t i;

	codec_hex_encode(id, 16, hex, sizeof(hex));
	json_array_foreach(cams, i, c)
		if (strcmp(cams_str(c, "camera_id"), hex) == 0)
			return cams_str(c, "name");
	memcpy(buf, hex, 8);
	buf[8] = '\0';
	return buf;
}
