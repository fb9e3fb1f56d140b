#!/bin/sh
# The installed C API on its own: `meson install --destdir` into a temporary root, then a
# small program built only from the installed tracecast.h and tracecast.pc (no source-tree
# include path), run against the installed library. Checks that the header needs no other
# tracecast header and that pkg-config names the right flags.
set -eu
: "${TC_BUILDDIR:?}" "${TC_SRCDIR:?}"
command -v pkg-config >/dev/null 2>&1 || { echo "SKIP: no pkg-config"; exit 77; }
CC=${CC:-cc}
command -v "$CC" >/dev/null 2>&1 || { echo "SKIP: no C compiler"; exit 77; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/tc-installed.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
meson install -C "$TC_BUILDDIR" --destdir "$tmp/root" --no-rebuild --quiet >"$tmp/install.log" 2>&1 ||
	{ cat "$tmp/install.log"; echo "FAIL: meson install"; exit 1; }
pc=$(find "$tmp/root" -name tracecast.pc | head -n 1)
[ -n "$pc" ] || { echo "FAIL: tracecast.pc not installed"; exit 1; }
hdr=$(find "$tmp/root" -name tracecast.h | head -n 1)
[ -n "$hdr" ] || { echo "FAIL: tracecast.h not installed"; exit 1; }
# only the one public header is installed: no private or in-tree room header leaks
extra=$(find "$tmp/root" -name '*.h' ! -name tracecast.h)
[ -z "$extra" ] || { echo "FAIL: headers installed besides tracecast.h: $extra"; exit 1; }
cat >"$tmp/prog.c" <<'PROG'
#include <stdio.h>
#include <string.h>
#include <tracecast.h>
int main(void)
{
	struct tc_api *api;
	char *json = NULL;
	if (tc_api_new(&api, NULL) < 0)
		return 2;
	if (tc_api_chips(api, &json) < 0 || !json || !strstr(json, "\"h100-sxm5\"")) {
		fprintf(stderr, "chips: %s\n", tc_api_error(api));
		return 3;
	}
	tc_api_free(json);
	tc_api_free_ctx(api);
	puts("ok");
	return 0;
}
PROG
san=
case "${TC_SANITIZE:-none}" in none | '') ;; *) san="-fsanitize=$TC_SANITIZE" ;; esac
export PKG_CONFIG_SYSROOT_DIR="$tmp/root" PKG_CONFIG_PATH="$(dirname "$pc")"
# shellcheck disable=SC2046 # pkg-config's flags are words
"$CC" -std=c11 -Wall -Wextra -Werror $san -o "$tmp/prog" "$tmp/prog.c" $(pkg-config --cflags --libs tracecast)
out=$(LD_LIBRARY_PATH="$(dirname "$(dirname "$pc")")" TC_SPECS="$TC_SRCDIR/hwmodel/specs" "$tmp/prog")
[ "$out" = ok ] || { echo "FAIL: program printed '$out'"; exit 1; }
echo "installed header and library: ok"
