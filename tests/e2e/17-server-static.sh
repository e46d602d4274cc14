#!/bin/bash
# sealcamd serves the browser viewer: the files of web/ and libsodium.js at
# fixed names with their MIME types and validators, nothing else (no path
# traversal, no hidden or unlisted files), and the security headers
# (Content-Security-Policy, nosniff, no referrer, no framing) on every
# response, the API's included.
. "$(dirname "$0")/lib.sh"

D=$(tmp_dir)
start_sealcamd "$D/s" || { not_ok "sealcamd starts"; lib_done; }
U=$SEALCAMD_URL

# head PATH [curl args...]: status line and headers of GET PATH, sent as is.
head_of() { local p=$1; shift; curl -s --path-as-is -o /dev/null -D - --max-time 10 "$@" "$U$p" | tr -d '\r'; }
status_of() { local p=$1; shift; curl -s --path-as-is -o /dev/null -w '%{http_code}' --max-time 10 "$@" "$U$p"; }
hdr() { sed -n "s/^$1: //Ip" | head -1; }

CSP="default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; connect-src 'self'; img-src 'self' blob:; media-src 'self' blob:; style-src 'self'; worker-src 'self'; manifest-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

h=$(head_of /)
[ "$(hdr Content-Type <<<"$h")" = "text/html; charset=utf-8" ] && grep -q '^HTTP/1.1 200' <<<"$h" &&
	ok "GET / is the viewer's page (200, text/html)" || not_ok "GET /" "$h"
body=$(curl -s "$U/")
grep -q '<script type="module" src="/app.js"></script>' <<<"$body" && ! grep -qi '<script>' <<<"$body" &&
	! grep -qi ' style=' <<<"$body" && ! grep -qiE 'https?://' <<<"$body" &&
	ok "the page loads its one script module from this origin; no inline script or style, no other origin" ||
	not_ok "index.html has no inline script/style or foreign URL" "$body"

for p in / /app.js /style.css /vendor/libsodium-wrappers.mjs /healthz /v1/me /no-such-thing.js; do
	h=$(head_of "$p")
	if [ "$(hdr Content-Security-Policy <<<"$h")" = "$CSP" ] &&
		[ "$(hdr X-Content-Type-Options <<<"$h")" = nosniff ] &&
		[ "$(hdr Referrer-Policy <<<"$h")" = no-referrer ] &&
		[ "$(hdr X-Frame-Options <<<"$h")" = DENY ] &&
		[ "$(grep -ci '^X-Content-Type-Options:' <<<"$h")" = 1 ] &&
		! grep -qi '^Set-Cookie:' <<<"$h"; then
		ok "$p: CSP, nosniff (once), no-referrer, no framing, no cookie"
	else
		not_ok "$p: security headers" "$h"
	fi
done

want_type() { # path type
	local t
	t=$(head_of "$1" | hdr Content-Type)
	[ "$t" = "$2" ] && ok "$1 is served as $2" || not_ok "$1 as $2" "got '$t'"
}
want_type /app.js "text/javascript; charset=utf-8"
want_type /seal.js "text/javascript; charset=utf-8"
want_type /style.css "text/css; charset=utf-8"
want_type /icon.svg "image/svg+xml"
want_type /vendor/libsodium-wrappers.mjs "text/javascript; charset=utf-8"
want_type /vendor/libsodium-sumo.mjs "text/javascript; charset=utf-8"
cmp -s <(curl -s "$U/vendor/libsodium-sumo.mjs") "$SEALCAM_ROOT/node_modules/libsodium-sumo/dist/modules-sumo-esm/libsodium-sumo.mjs" &&
	ok "libsodium.js is served byte for byte from the npm package" || not_ok "vendor bytes"
cmp -s <(curl -s "$U/seal.js") "$SEALCAM_ROOT/web/seal.js" && ok "web/seal.js is served byte for byte" ||
	not_ok "web bytes"

h=$(head_of /app.js)
etag=$(hdr ETag <<<"$h")
[[ $etag =~ ^\"[0-9a-f]{32}\"$ ]] && [ "$(hdr Cache-Control <<<"$h")" = no-cache ] &&
	ok "files carry a strong ETag and Cache-Control: no-cache (revalidated on every load)" ||
	not_ok "caching headers" "$h"
[ "$(status_of /app.js -H "If-None-Match: $etag")" = 304 ] && ok "If-None-Match with the ETag: 304" ||
	not_ok "conditional GET"
[ "$(status_of /app.js -H 'If-None-Match: "0000"')" = 200 ] && ok "another ETag: 200" || not_ok "etag mismatch"
[ "$(curl -s -o /dev/null -w '%{http_code}' -I "$U/app.js")" = 200 ] && ok "HEAD works" || not_ok "HEAD"

# Nothing outside the allow-list, however the path is spelled: either 404,
# or (for spellings that name an allowed file) exactly that file's bytes.
for p in /../Makefile /..%2fMakefile /%2e%2e/Makefile /vendor/../Makefile /vendor/..%2f..%2fpackage.json \
	/web/app.js /vendor/libsodium-wrappers-sumo/package.json /vendor/app.js /app.js/ //app.js /APP.JS \
	/.hidden.js /sealcamd.db /data/sealcamd.db /vendor/ /vendor /README.md /app.js~ /app.js.orig \
	/index.html%00.js "/app.js?x=../../Makefile" /%61pp.js; do
	st=$(curl -s --path-as-is -o "$D/body" -w '%{http_code}' --max-time 10 "$U$p")
	if [ "$st" = 404 ]; then
		ok "GET $p: 404"
	elif [ "$st" = 200 ] && { cmp -s "$D/body" "$SEALCAM_ROOT/web/index.html" ||
		cmp -s "$D/body" "$SEALCAM_ROOT/web/app.js"; }; then
		ok "GET $p: 200 with an allowed file's bytes only"
	else
		not_ok "GET $p must not serve anything outside the allow-list" "status $st: $(head -c 200 "$D/body")"
	fi
done
[ "$(curl -s -o /dev/null -w '%{http_code}' -X POST "$U/app.js")" = 405 ] &&
	ok "POST to a file: 405" || not_ok "POST /app.js"

# A viewer served from elsewhere: --web-dir with symlinks and junk in it.
mkdir -p "$D/web"
cp "$SEALCAM_ROOT"/web/* "$D/web/"
ln -s /etc/passwd "$D/web/passwd.txt"
printf 'x' >"$D/web/.secret.js"
printf 'x' >"$D/web/notes.md"
stop_pid "$SEALCAMD_PID"
start_sealcamd "$D/s2" --web-dir "$D/web" || { not_ok "sealcamd starts with --web-dir"; lib_done; }
U=$SEALCAMD_URL
[ "$(status_of /)" = 200 ] && [ "$(status_of /passwd.txt)" = 404 ] && [ "$(status_of /.secret.js)" = 404 ] &&
	[ "$(status_of /notes.md)" = 404 ] &&
	ok "--web-dir: symlinks, hidden files and unknown extensions are not served" ||
	not_ok "web_dir allow-list" "$(status_of /passwd.txt) $(status_of /.secret.js) $(status_of /notes.md)"
cp "$D/web/app.js" "$D/web/late.js"
[ "$(status_of /late.js)" = 404 ] && ok "a file created after start is not served (loaded once, in memory)" ||
	not_ok "late file"
stop_pid "$SEALCAMD_PID"

# No viewer installed: the API still works, / is 404.
start_sealcamd "$D/s3" --web-dir "$D/nonexistent-web" || { not_ok "sealcamd starts without a viewer"; lib_done; }
U=$SEALCAMD_URL
[ "$(status_of /)" = 404 ] && [ "$(status_of /healthz)" = 200 ] &&
	ok "without a web directory the API still serves and / is 404" || not_ok "no viewer"
stop_pid "$SEALCAMD_PID" && ok "sealcamd stops cleanly" || not_ok "clean stop"
lib_done
