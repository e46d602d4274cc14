/*
 * label — what moved: the person/object detector (src/vision/persondet,
 * CenterNet, COCO classes) run on the motion regions of a frame only.
 *
 * The region is the union of the moving boxes grown by half its size on
 * each side (people need some context), at least 96 pixels; it is cut out
 * of the decoded frame and scaled in one libswscale pass straight to the
 * network's input (at most LABEL_NET_MAX pixels on the long side, 32-pixel
 * cells), so a small distant person is enlarged rather than shrunk with
 * the whole frame. COCO classes map to the agent's labels: person; car,
 * truck, bus, motorcycle -> car; bird, cat, dog, horse, sheep, cow, bear
 * -> animal. (COCO has no parcel class: no package label.)
 *
 * The rate is the caller's business (detect.c: at most labels_per_second,
 * counted on both the media and the real clock).
 */
#ifndef SEALCAM_AGENT_LABEL_H
#define SEALCAM_AGENT_LABEL_H

#include <libavutil/frame.h>

#include "events.h"
#include "motion.h"

#define LABEL_NET_MAX 384	/* longest side fed to the network */
#define LABEL_MIN_REGION 96	/* smallest region cut, frame pixels */

struct label;

/* Load the model (node_modules as vmodels_path; NULL = default search).
 * NULL if it cannot be loaded (logged): events then carry no labels. */
struct label *label_new(const char *node_modules);
void label_free(struct label *l);

/*
 * Detect objects in the moving regions of r in frame f (w x h, planar
 * YUV). Objects scoring at least min_score go to out (at most max),
 * normalised to the frame. Returns the count (0 when nothing moves), or -1
 * on failure.
 */
int label_run(struct label *l, const AVFrame *f, const struct motion_result *r,
    float min_score, struct events_obj *out, int max);

#endif
