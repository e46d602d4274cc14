#include "cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "home.h"
#include "httpc.h"

/* Requests that are not long polls or downloads finish within this. */
#define CLI_HTTP_TIMEOUT_S 60

static void vline(struct cli *cli, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));
static void
vline(struct cli *cli, const char *fmt, va_list ap)
{
	fprintf(stderr, "sealcam%s%s: ", cli->cmd[0] ? " " : "", cli->cmd);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

int
cli_err(struct cli *cli, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vline(cli, fmt, ap);
	va_end(ap);
	return CLI_EXIT_FAIL;
}

int
cli_usage(struct cli *cli, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "sealcam%s%s: %s (see 'sealcam%s%s --help')\n",
	    cli->cmd[0] ? " " : "", cli->cmd, msg, cli->cmd[0] ? " " : "", cli->cmd);
	return CLI_EXIT_USAGE;
}

int
cli_bad_option(struct cli *cli, int argc, char **argv)
{
	extern int optind, optopt;
	const char *what = optind - 1 < argc && optind > 0 ? argv[optind - 1] : "?";

	(void)optopt;
	return cli_usage(cli, "unknown option or missing value: '%s'", what);
}

int
cli_dispatch(struct cli *cli, const char *group, const struct cli_cmd *table,
    int n, int argc, char **argv)
{
	size_t used;
	int i;

	if (argc < 2 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
		printf("usage: sealcam%s%s <command> [options]\n\n",
		    group[0] ? " " : "", group);
		for (i = 0; i < n; i++)
			printf("  %-10s %s\n", table[i].name, table[i].help);
		printf("\n'sealcam%s%s <command> --help' describes each command.\n",
		    group[0] ? " " : "", group);
		if (!group[0])
			printf("Global options: --server URL, --home DIR "
			    "(default $SEALCAM_HOME or ~/.config/sealcam).\n");
		return argc < 2 ? CLI_EXIT_USAGE : CLI_EXIT_OK;
	}
	for (i = 0; i < n; i++) {
		if (strcmp(argv[1], table[i].name) != 0)
			continue;
		used = strlen(cli->cmd);
		snprintf(cli->cmd + used, sizeof(cli->cmd) - used, "%s%s",
		    used ? " " : "", table[i].name);
		return table[i].fn(cli, argc - 1, argv + 1);
	}
	return cli_usage(cli, "unknown command '%s'", argv[1]);
}

const char *
cli_server(struct cli *cli)
{
	static char url[CLI_URL_MAX];
	const char *s;
	json_t *cfg;
	int missing;

	if (cli->server_flag[0] != '\0')
		return cli->server_flag;
	if ((s = getenv("SEALCAM_SERVER")) != NULL && s[0] != '\0')
		return s;
	cfg = home_json_load(cli->home, "config.json", &missing);
	s = cfg ? json_string_value(json_object_get(cfg, "server")) : NULL;
	if (s != NULL && strlen(s) < sizeof(url)) {
		memcpy(url, s, strlen(s) + 1);
		json_decref(cfg);
		return url;
	}
	json_decref(cfg);
	cli_err(cli, "no server configured in %s; pass --server URL "
	    "(e.g. --server http://127.0.0.1:8443)", cli->home);
	return NULL;
}

/* A client for the server with the stored session (if need_session). */
static struct httpc *
http_open(struct cli *cli, int need_session, long timeout_s)
{
	struct httpc *c;
	const char *url;
	uint8_t *tok = NULL;
	size_t len;
	int r;

	if ((url = cli_server(cli)) == NULL)
		return NULL;
	if ((c = httpc_new(url, timeout_s)) == NULL) {
		cli_err(cli, "server URL '%s' is not an http:// or https:// URL", url);
		return NULL;
	}
	if (!need_session)
		return c;
	r = home_read(cli->home, "session", &tok, &len);
	if (r == 0) {
		/* One line; strip the newline a human might have added. */
		while (len > 0 && (tok[len - 1] == '\n' || tok[len - 1] == '\r'))
			tok[--len] = '\0';
		r = httpc_set_token(c, (const char *)tok);
		sodium_memzero(tok, len);
		free(tok);
		if (r == 0)
			return c;
		cli_err(cli, "the session file in %s is damaged; run 'sealcam login'",
		    cli->home);
	} else if (r == 1) {
		cli_err(cli, "not logged in (no session in %s); run 'sealcam login "
		    "--email ADDRESS' or 'sealcam signup'", cli->home);
	} else {
		cli_err(cli, "cannot read the session in %s: %s", cli->home,
		    strerror(errno));
	}
	httpc_free(c);
	return NULL;
}

struct httpc *
cli_http(struct cli *cli, int need_session)
{
	if (cli->http == NULL)
		cli->http = http_open(cli, need_session, CLI_HTTP_TIMEOUT_S);
	return cli->http;
}

struct httpc *
cli_http_stream(struct cli *cli)
{
	return http_open(cli, 1, 0);
}

int
cli_api_fail(struct cli *cli, const char *doing, int status, const json_t *resp)
{
	const char *code = resp ? httpc_error_code(resp) : "";
	const char *msg = resp ? httpc_error_message(resp) : "";

	if (status < 0)
		return cli_err(cli, "%s: cannot reach the server: %s", doing,
		    cli->http ? httpc_errmsg(cli->http) : "no connection");
	if (strcmp(code, "unauthorized") == 0 || strcmp(code, "session_expired") == 0)
		return cli_err(cli, "%s: %s — run 'sealcam login' again", doing,
		    strcmp(code, "session_expired") == 0 ?
		    "the session has expired" : "the server does not know this session");
	if (code[0] != '\0')
		return cli_err(cli, "%s: the server refused (HTTP %d, %s): %s", doing,
		    status, code, msg[0] ? msg : "no details");
	return cli_err(cli, "%s: unexpected answer from the server (HTTP %d)",
	    doing, status);
}

void
cli_close(struct cli *cli)
{
	httpc_free(cli->http);
	cli->http = NULL;
}

void
cli_hex(const uint8_t *b, size_t n, char *out)
{
	sodium_bin2hex(out, n * 2 + 1, b, n);
}

int
cli_unhex(const char *s, uint8_t *b, size_t n)
{
	size_t got = 0;
	const char *end = NULL;

	if (s == NULL || strlen(s) != n * 2)
		return -1;
	if (sodium_hex2bin(b, n, s, n * 2, NULL, &got, &end) != 0 || got != n ||
	    *end != '\0')
		return -1;
	return 0;
}

int
cli_urlencode(const char *s, char *out, size_t outsz)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = 0;

	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;
		/* RFC 3986 unreserved characters pass; everything else is %XX. */
		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
		    c == '~') {
			if (o + 1 >= outsz)
				return -1;
			out[o++] = (char)c;
		} else {
			if (o + 3 >= outsz)
				return -1;
			out[o++] = '%';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		}
	}
	if (o >= outsz)
		return -1;
	out[o] = '\0';
	return 0;
}
