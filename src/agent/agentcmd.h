/*
 * agentcmd — `sealcam-agent config` and `sealcam-agent press` (agentcmd.c):
 * subcommands that edit a camera's settings or talk to the running agent.
 * Each returns the process exit code (0 ok, 1 failure, 2 usage).
 */
#ifndef SEALCAM_AGENT_AGENTCMD_H
#define SEALCAM_AGENT_AGENTCMD_H

int agent_cmd_config(int argc, char **argv);
int agent_cmd_press(int argc, char **argv);

#endif
