/*
 * detconf — a camera's detection and event settings: the file
 * <camera dir>/detect.json (docs/MOTION.md "Agent configuration").
 *
 *	{
 *	  "record": "both",              continuous | events | both
 *	  "detect_source": "",           substream URL; "" = the main stream,
 *	                                 decoded at reduced cost
 *	  "notify": "all",               all | person | none
 *	  "labels_per_second": 2,        person/car/animal detector budget
 *	                                 (0 = no labels)
 *	  "label_min_score": 0.5,        confidence a label needs
 *	  "ring_post_seconds": 10,       footage kept after a doorbell press
 *	  "decode": "fast",              fast (no deblocking filter) | full
 *	  "motion": { ... }              struct motion_config as JSON (masks,
 *	                                 zones, sensitivity, pre/post roll...)
 *	}
 *
 * Every key is optional; a missing file means the defaults. Written by
 * `sealcam-agent pair` (its --record/--detect-source options) and
 * `sealcam-agent config`; read when a camera starts and when the running
 * agent is told to reload (control socket).
 */
#ifndef SEALCAM_AGENT_DETCONF_H
#define SEALCAM_AGENT_DETCONF_H

#include <stddef.h>

#include "motion.h"
#include "source.h"

#define DETCONF_FILE "detect.json"
#define DETCONF_MAX (MOTION_CONFIG_MAX + 8192)
#define DETCONF_LABEL_RATE_MAX 10.0

enum detconf_record {
	DETCONF_CONTINUOUS = 1,	/* record everything; no motion detection */
	DETCONF_EVENTS = 2,	/* record only event clips (pre/post roll) */
	DETCONF_BOTH = 3,	/* record everything; events flag their footage */
};

enum detconf_notify { DETCONF_NOTIFY_ALL = 1, DETCONF_NOTIFY_PERSON = 2,
	DETCONF_NOTIFY_NONE = 3 };

struct detconf {
	int record;			/* enum detconf_record */
	char detect_source[SOURCE_SPEC_MAX];	/* "" = main stream */
	int notify;			/* enum detconf_notify */
	double labels_per_s;		/* 0..DETCONF_LABEL_RATE_MAX */
	double label_min_score;		/* 0.05..1 */
	int ring_post_s;		/* 1..600 */
	int decode_full;		/* 0: cheap decoding (no deblocking) */
	struct motion_config motion;
};

void detconf_default(struct detconf *d);

/*
 * Update *d from JSON text (keys above; "motion" is merged into d->motion
 * by motion_config_parse). -1 with a message naming the key in err; *d is
 * unchanged then.
 */
int detconf_parse(struct detconf *d, const char *json, size_t len, char *err,
    size_t errlen);

/* Read <dir>/detect.json (defaults if absent). -1 with err. */
int detconf_load(const char *dir, struct detconf *d, char *err, size_t errlen);

/* Write <dir>/detect.json durably (every key, the motion config in full). */
int detconf_save(const char *dir, const struct detconf *d);

/* Names ("both", "person"...) and their parsers (-1 if unknown). */
const char *detconf_record_name(int record);
const char *detconf_notify_name(int notify);
int detconf_record_parse(const char *s);
int detconf_notify_parse(const char *s);

/*
 * Parse a polygon typed on a command line: "x,y x,y x,y ..." (3..32
 * points, normalised 0..1). 0 / -1.
 */
int detconf_polygon_parse(const char *s, struct motion_polygon *p);

#endif
