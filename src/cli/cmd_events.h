/*
 * cmd_events — `sealcam events` (cmd_events.c: list, get;
 * cmd_events_watch.c: watch).
 */
#ifndef SEALCAM_CLI_CMD_EVENTS_H
#define SEALCAM_CLI_CMD_EVENTS_H

#include "cli.h"

cli_cmd_fn events_watch;

#endif
