#!/bin/sh
# make check-exports: libmcpoauth defines exactly the API of mcpoauth.h.
#
# Every global symbol defined by the static archive (nm -g --defined-only)
# and by the shared library (the same, and its dynamic table, nm -D) must
# be a function declared in the header (SYMS, generated from it), and
# every such function must be there. Then a program that defines its own
# http_request, store_load, ac_err_set and ac_buf_init (names the library
# uses inside) is linked against each library: it must link, and the
# library must keep calling its own copies.
#
# usage: scripts/check-exports.sh SYMS MAP LIB.a LIB.so
# environment: CC, CFLAGS_API (-I for mcpoauth.h), LIBS (the dependencies)
set -eu
syms=$1 map=$2 archive=$3 shared=$4
tmp=$(mktemp -d "${TMPDIR:-/tmp}/check-exports.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
bad=0

# Version nodes of the map appear as absolute symbols of the shared library.
nodes=$(sed -n 's/^\([A-Za-z_][A-Za-z0-9_.]*\)[[:space:]]*{.*/\1/p' "$map")

defined() { # nm options, file: the names of its defined global symbols
    opts=$1 file=$2
    # shellcheck disable=SC2086
    # (nm -D names carry their version: mcpo_free@@MCPOAUTH_0.)
    "${NM:-nm}" $opts --defined-only "$file" |
        awk 'NF == 3 { sub(/@.*/, "", $3); print $2, $3 }' |
        while read -r type name; do
            if [ "$type" = A ] && printf '%s\n' "$nodes" | grep -qx "$name"; then
                continue
            fi
            echo "$name"
        done | sort -u
}

check() { # label, list of exported names
    label=$1 list=$2
    leaked=$(comm -23 "$list" "$syms")
    missing=$(comm -13 "$list" "$syms")
    for s in $leaked; do
        echo "check-exports: $label exports $s, not in mcpoauth.h"; bad=1
    done
    for s in $missing; do
        echo "check-exports: $label lacks $s, declared in mcpoauth.h"; bad=1
    done
    [ -n "$leaked$missing" ] ||
        echo "check-exports: $label: $(wc -l <"$list") symbols, the API's"
}

defined -g "$archive" >"$tmp/a"
check "$archive" "$tmp/a"
defined -g "$shared" >"$tmp/so"
check "$shared" "$tmp/so"
defined -D "$shared" >"$tmp/dyn"
check "$shared (dynamic)" "$tmp/dyn"

cat >"$tmp/collide.c" <<'C'
/* Internal names of libmcpoauth, defined again by its user. */
#include <stdio.h>
#include <string.h>

#include <mcpoauth.h>

static int mine;
int http_request(void);
int store_load(void);
void ac_err_set(void);
void ac_buf_init(void);
int http_request(void) { return 42; }
int store_load(void) { return 7; }
void ac_err_set(void) { mine++; }
void ac_buf_init(void) { mine++; }

int main(void)
{
    struct mcpo_err err;
    struct mcpo_client *c = NULL;

    if (http_request() != 42 || store_load() != 7) {
        return 1;
    }
    /* The library reports the bad URL through its own ac_err_set. */
    if (mcpo_client_new("ftp://nowhere/", &c, &err) || err.msg[0] == '\0' ||
        mine != 0) {
        fprintf(stderr, "collide: the library called the program's copy\n");
        return 1;
    }
    printf("collide: %s: %s\n", mcpo_err_code_name(err.code), err.msg);
    return 0;
}
C
# shellcheck disable=SC2086
if ! ${CC:-cc} -o "$tmp/collide-static" ${CFLAGS_API:-} "$tmp/collide.c" \
    "$archive" ${LIBS:-}; then
    echo "check-exports: a program with its own http_request does not link" \
        "with $archive"; bad=1
elif ! "$tmp/collide-static" >/dev/null; then
    bad=1
else
    echo "check-exports: a program with its own http_request, store_load," \
        "ac_err_set and ac_buf_init links and runs with $archive"
fi
# shellcheck disable=SC2086
if ! ${CC:-cc} -o "$tmp/collide-shared" ${CFLAGS_API:-} "$tmp/collide.c" \
    -L"$(dirname "$shared")" -lmcpoauth; then
    echo "check-exports: a program with its own http_request does not link" \
        "with $shared"; bad=1
elif ! LD_LIBRARY_PATH="$(dirname "$shared")" "$tmp/collide-shared" \
    >/dev/null; then
    bad=1
else
    echo "check-exports: ... and with $shared"
fi
exit "$bad"
