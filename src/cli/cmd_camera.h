/* The `sealcam camera` subcommands (cmd_camera*.c). */
#ifndef SEALCAM_CLI_CMD_CAMERA_H
#define SEALCAM_CLI_CMD_CAMERA_H

#include "cli.h"

cli_cmd_fn cmd_camera_add, cmd_camera_pending, cmd_camera_list,
    cmd_camera_share, cmd_camera_unshare, cmd_camera_retention;

#endif
