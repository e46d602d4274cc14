/*
 * cams — the cameras this account may see, as GET /v1/cameras lists them,
 * and finding one by what the user typed (--camera "Front door" or an id).
 */
#ifndef SEALCAM_CLI_CAMS_H
#define SEALCAM_CLI_CAMS_H

#include <stdint.h>

#include <jansson.h>

struct cli;

/* GET /v1/cameras: the "cameras" array (new reference), or NULL with the
 * error printed. */
json_t *cams_fetch(struct cli *cli);

/*
 * The camera named `what` (exact name, else a case-insensitive name, else
 * an id or an id prefix of at least 8 hex digits) in the list. Borrowed
 * reference into cams, or NULL with an error printed that names the
 * cameras there are (no match, or several).
 */
json_t *cams_find(struct cli *cli, json_t *cams, const char *what);

/* Shorthands for the fields (never NULL: "" / 0 when absent). */
const char *cams_str(const json_t *cam, const char *key);
long long cams_int(const json_t *cam, const char *key);

/* The name of the camera with this 16-byte id in the list, else the
 * first 8 hex digits of the id (written into buf). */
const char *cams_name_by_id(const json_t *cams, const uint8_t id[16],
    char buf[9]);

#endif
