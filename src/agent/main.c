/*
 * sealcam-agent — records cameras at home, seals every segment to the
 * owner's keyring and uploads only ciphertext to sealcamd.
 *
 * Reads top to bottom: subcommand table, then each command. This first
 * version carries the recording pipeline's building blocks (source,
 * segmenter, spool, uploader); pairing and recording arrive with the core
 * library's sealed container (src/lib/seg.h) and say so until then.
 */
#include <stdio.h>
#include <string.h>

#include "log.h"

struct cmd {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *help;
};

static int cmd_pair(int argc, char **argv);
static int cmd_run(int argc, char **argv);

static const struct cmd cmds[] = {
	{ "pair", cmd_pair, "register a camera with a pairing string and record" },
	{ "run", cmd_run, "record every paired camera" },
};

static void
usage(FILE *f)
{
	fprintf(f, "usage: sealcam-agent <command> [options]\n\ncommands:\n");
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		fprintf(f, "  %-6s %s\n", cmds[i].name, cmds[i].help);
	fprintf(f, "\n'sealcam-agent <command> --help' for its options.\n");
}

static int
not_yet(const char *what)
{
	log_err("agent", "msg=\"%s needs the sealed container of the core "
	    "library, which is not built in yet\"", what);
	return 1;
}

static int
cmd_pair(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return not_yet("pair");
}

static int
cmd_run(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return not_yet("run");
}

int
main(int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (strcmp(argv[1], cmds[i].name) == 0)
			return cmds[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "sealcam-agent: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return 2;
}
