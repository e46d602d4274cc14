#!/bin/sh
# Flag calls we never want in sealcam's C: unbounded string functions,
# atoi-style parsing without error checks, and memcmp where secrets are
# compared (use sodium_memcmp). A line may opt out with "/* check-src: ok */"
# and a reason, for the rare non-secret memcmp.
cd "$(dirname "$0")/.."
bad=$(grep -nE '\b(strcpy|strcat|sprintf|vsprintf|gets|strtok|atoi|atol|atoll|tmpnam|mktemp)\s*\(' \
	$(find src tests bench -name '*.[ch]' 2>/dev/null) /dev/null | grep -v 'check-src: ok')
sec=$(grep -nE '\bmemcmp\s*\(' $(find src -name '*.[ch]' 2>/dev/null) /dev/null |
	grep -iE 'key|mac|tag|secret|token|hash|sig|proof' | grep -v 'check-src: ok')
if [ -n "$bad$sec" ]; then
	echo "$bad"
	echo "$sec"
	echo "not ok - banned calls (see above)"
	exit 1
fi
echo "ok - no banned calls in src/, tests/, bench/"
