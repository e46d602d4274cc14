/*
 * vmodels.h — where the model weights are: the npm packages installed by
 * scripts/deps.sh under node_modules/. Nothing is ever downloaded.
 */
#ifndef SEALCAM_VMODELS_H
#define SEALCAM_VMODELS_H

#include <stddef.h>

#define VMODELS_PATH_MAX 4096

/* Resolve `rel` (e.g. "@vladmandic/face-api/model") to an existing folder
 * or file. `node_modules` names the folder explicitly; when NULL,
 * $SEALCAM_NODE_MODULES does (if set, it is the only place tried);
 * otherwise the first existing of $SEALCAM_ROOT/node_modules,
 * <executable>/../node_modules (up to three levels up) and
 * ./node_modules is used. Returns 0 and fills out, or -1 (logged). */
int vmodels_path(const char *node_modules, const char *rel, char *out, size_t n);

#endif
