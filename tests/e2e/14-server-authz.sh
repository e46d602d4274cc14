#!/bin/bash
# Authorization matrix generated from `sealcamd routes` (tests/e2e/authz.py):
# another account, no session, an expired session, a staff account and
# another camera's token are refused on every route touching an account's
# data; knowing the e-mail yields nothing; ids are unguessable.
. "$(dirname "$0")/lib.sh"

D=$(tmp_dir)
start_sealcamd "$D/s" || { not_ok "sealcamd starts"; lib_done; }
mkdir -p "$D/work"
python3 "$(dirname "$0")/authz.py" "$SEALCAMD" "$SEALTOOL" "$SEALCAMD_URL" "$D/s/data" "$D/work" ||
	_LIB_FAILED=1
stop_pid "$SEALCAMD_PID" && ok "sealcamd stops cleanly" || not_ok "clean stop"
lib_done
