/*
 * vmodels.c — find model files under node_modules (see vmodels.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "vmodels.h"

static int try_path(const char *base, const char *rel, char *out, size_t n)
{
	struct stat st;

	if (base == NULL || base[0] == 0 || out == NULL || n == 0)
		return -1;
	if ((size_t)snprintf(out, n, "%s/%s", base, rel) >= n)
		return -1;
	return stat(out, &st) == 0 ? 0 : -1;
}

int vmodels_path(const char *node_modules, const char *rel, char *out, size_t n)
{
	char buf[VMODELS_PATH_MAX], exe[VMODELS_PATH_MAX];
	const char *env;
	ssize_t len;

	if (out == NULL || n == 0 || rel == NULL)
		return -1;
	/* A folder named explicitly (argument, then environment) is the only
	 * place looked at: a wrong setting is an error, not a silent
	 * fallback to some other copy of the models. */
	env = getenv("SEALCAM_NODE_MODULES");
	if (node_modules == NULL && env && env[0])
		node_modules = env;
	if (node_modules) {
		if (try_path(node_modules, rel, out, n) == 0)
			return 0;
		log_err("vision", "model=%s dir=%s err=\"not found\"", rel, node_modules);
		return -1;
	}
	env = getenv("SEALCAM_ROOT");
	if (env && (size_t)snprintf(buf, sizeof(buf), "%s/node_modules", env) < sizeof(buf) &&
	    try_path(buf, rel, out, n) == 0)
		return 0;
	len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (len > 0) {
		char *slash;
		exe[len] = 0;
		for (int up = 1; up <= 3; up++) {
			slash = strrchr(exe, '/');
			if (slash == NULL)
				break;
			*slash = 0;
			if ((size_t)snprintf(buf, sizeof(buf), "%s/node_modules", exe) < sizeof(buf) &&
			    try_path(buf, rel, out, n) == 0)
				return 0;
		}
	}
	if (try_path("node_modules", rel, out, n) == 0)
		return 0;
	log_err("vision", "model=%s err=\"not found under node_modules (run scripts/deps.sh)\"", rel);
	return -1;
}
