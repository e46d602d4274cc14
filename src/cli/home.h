/*
 * home — the client's state on this device, in one directory (mode 0700):
 *
 *	config.json        server URL, account e-mail and id
 *	session            the session token (0600)
 *	vault              this device's keys, vault format (0600)
 *	pairings/<id>.json pending camera pairings with their secret (0600)
 *	trust/<cam>.json   per camera: pinned owner key, camera key, last keyring
 *
 * The directory is $SEALCAM_HOME, or --home, or ~/.config/sealcam. Every
 * file is written whole and durably (temp file, fsync, rename, fsync of the
 * directory) so a crash leaves the old or the new version, never half.
 */
#ifndef SEALCAM_CLI_HOME_H
#define SEALCAM_CLI_HOME_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

/* Largest state file we read (keyrings, vaults and JSON are far smaller). */
#define HOME_FILE_MAX (1u << 20)

/*
 * The home directory: flag if non-empty, else $SEALCAM_HOME, else
 * $XDG_CONFIG_HOME/sealcam, else $HOME/.config/sealcam. 0, or -1 if none
 * can be named (no HOME) or the path is too long.
 */
int home_resolve(const char *flag, char out[PATH_MAX]);

/* Create the directory (and sub, if non-NULL, inside it) with mode 0700. */
int home_ensure(const char *home, const char *sub);

/*
 * Read home/name whole into a malloc'd buffer (NUL-terminated beyond len,
 * for text). Returns 0, 1 if the file does not exist, -1 on an error or a
 * file larger than HOME_FILE_MAX (errno set).
 */
int home_read(const char *home, const char *name, uint8_t **buf, size_t *len);

/* Durably replace home/name with len bytes, mode 0600. 0 or -1 (errno). */
int home_write(const char *home, const char *name, const void *buf, size_t len);

/* Remove home/name; a missing file is fine. 0 or -1. */
int home_remove(const char *home, const char *name);

/* Load home/name as a JSON object: NULL if missing (*missing = 1) or
 * unreadable (*missing = 0). */
json_t *home_json_load(const char *home, const char *name, int *missing);

/* Durably save a JSON object (pretty, sorted keys) to home/name. */
int home_json_save(const char *home, const char *name, const json_t *obj);

/*
 * Names of the regular files in home/sub ending in suffix, sorted; *names
 * is a malloc'd array of malloc'd strings (free with home_names_free).
 * A missing sub is an empty list. Returns the count or -1.
 */
int home_list(const char *home, const char *sub, const char *suffix,
    char ***names);
void home_names_free(char **names, int n);

#endif
