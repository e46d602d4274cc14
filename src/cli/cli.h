/*
 * cli — what every sealcam subcommand shares: the run context (client home,
 * server URL, HTTP client), the command table type, and one way to report
 * errors (one line on stderr naming the input and what was expected).
 *
 * Exit codes: 0 success, 1 failure, 2 bad usage.
 */
#ifndef SEALCAM_CLI_H
#define SEALCAM_CLI_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

struct httpc;

#define CLI_EXIT_OK 0
#define CLI_EXIT_FAIL 1
#define CLI_EXIT_USAGE 2

#define CLI_URL_MAX 1024

/* The state of one sealcam invocation. */
struct cli {
	char home[PATH_MAX];		/* client home directory */
	char server_flag[CLI_URL_MAX];	/* --server, or "" */
	char cmd[64];			/* "camera add", for messages */
	struct httpc *http;		/* lazily made by cli_http() */
};

/* A (sub)command: argv[0] is its own name, options follow. */
typedef int cli_cmd_fn(struct cli *cli, int argc, char **argv);

struct cli_cmd {
	const char *name;
	cli_cmd_fn *fn;
	const char *help;	/* one line for the command list */
};

/* Run the entry of table named argv[1] (group is "camera", ...), or print
 * the group's command list for --help / no argument. */
int cli_dispatch(struct cli *cli, const char *group,
    const struct cli_cmd *table, int n, int argc, char **argv);

/* "sealcam <cmd>: <message>" on stderr, one line. Returns CLI_EXIT_FAIL. */
int cli_err(struct cli *cli, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* A usage error: the message plus "(see sealcam <cmd> --help)".
 * Returns CLI_EXIT_USAGE. */
int cli_usage(struct cli *cli, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* The option getopt_long just refused, as a usage error. */
int cli_bad_option(struct cli *cli, int argc, char **argv);

/* The server URL: --server, else the one stored at login/signup.
 * NULL (with an error printed) if there is none. */
const char *cli_server(struct cli *cli);

/*
 * The HTTP client for this run, carrying the stored session token when
 * need_session is set (error "not logged in" printed and NULL if there is
 * none). The client lives until cli_close().
 */
struct httpc *cli_http(struct cli *cli, int need_session);

/*
 * A second client with the session and no overall timeout, for a long
 * stream (server-sent events) beside cli_http's requests. The caller
 * frees it (httpc_free). NULL with the error printed.
 */
struct httpc *cli_http_stream(struct cli *cli);

/*
 * Report a failed API call: a transport error, or the server's JSON error
 * ("the server refused: <message> (<code>)"), prefixed by what was being
 * done. Session problems get a "run sealcam login" hint. Returns
 * CLI_EXIT_FAIL. resp may be NULL.
 */
int cli_api_fail(struct cli *cli, const char *doing, int status,
    const json_t *resp);

/* Free what the run opened. */
void cli_close(struct cli *cli);

/* Lowercase hex of n bytes into out (2n+1 bytes). */
void cli_hex(const uint8_t *b, size_t n, char *out);
/* Decode exactly n bytes of hex; 0 or -1. */
int cli_unhex(const char *s, uint8_t *b, size_t n);

/* Percent-encode s for a URL query value into out (outsz bytes).
 * Returns 0, or -1 if it does not fit. */
int cli_urlencode(const char *s, char *out, size_t outsz);

/* The subcommands (cmd_*.c). */
cli_cmd_fn cmd_signup, cmd_login, cmd_logout, cmd_whoami, cmd_camera,
    cmd_clips, cmd_live, cmd_log, cmd_anonymize, cmd_grant, cmd_staff, cmd_staff_fetch,
    cmd_access, cmd_events;

#endif
