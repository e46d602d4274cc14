#!/bin/sh
echo "make demo: not there yet — it arrives with the end-to-end issue (sealcamd, sealcam-agent, sealcam)." >&2
exit 1
