/* The `sealcam clips` subcommands that live outside cmd_clips.c. */
#ifndef SEALCAM_CLI_CMD_CLIPS_H
#define SEALCAM_CLI_CMD_CLIPS_H

#include "cli.h"

/* sealcam clips thumb (cmd_clips_thumb.c). */
cli_cmd_fn cmd_clips_thumb;

#endif
