#!/bin/sh
# make check-install: libmcpoauth as a user gets it from `make install`.
#
# ROOT is a DESTDIR that `make install PREFIX=PREFIX` filled, with the
# three programs in PREFIX/bin. The snippet
# docs/CLIENT.md marks with "<!-- check-install: NAME.c -->" (the next ```c
# block) and client/examples/list_tools.c are built with
# `pkg-config --cflags --libs mcpoauth` (shared library) and
# `... mcpoauth-static` (archive), the .pc files found through
# PKG_CONFIG_PATH and PKG_CONFIG_SYSROOT_DIR=ROOT, as for a staged
# install. Each program then runs against `authcheck serve` (the scenario
# core/dcr-happy-path), `authcheck browse` being the browser: it must
# authorize and print the echo tool's result or the tool list.
#
# usage: scripts/check-install.sh ROOT PREFIX BINDIR VERSION
# environment: CC (default cc), TMPDIR
set -eu
root=$1 prefix=$2 bindir=$3 version=$4
doc=docs/CLIENT.md
tmp=$(mktemp -d "${TMPDIR:-/tmp}/check-install.XXXXXX")
serve_pid=
cleanup() {
    [ -z "$serve_pid" ] || kill "$serve_pid" 2>/dev/null || true
    [ -z "$serve_pid" ] || wait "$serve_pid" 2>/dev/null || true
    rm -rf "$tmp"
}
trap cleanup EXIT
fail() {
    echo "check-install: $*" >&2
    exit 1
}

export PKG_CONFIG_PATH="$root$prefix/lib/pkgconfig"
export PKG_CONFIG_SYSROOT_DIR="$root"
got=$(pkg-config --modversion mcpoauth) || fail "no mcpoauth.pc"
[ "$got" = "$version" ] || fail "mcpoauth.pc says $got, not $version"
pkg-config --static --libs mcpoauth | grep -q -- '-lcurl' ||
    fail "pkg-config --static --libs mcpoauth lacks the dependencies"
# The programs, authcheck's $BROWSER interpreter beside it (the harness
# looks for it next to itself).
for prog in authcheck authcheck-browser mcp-oauth; do
    [ -x "$root$prefix/bin/$prog" ] || fail "make install left out bin/$prog"
done

# The documented snippet, exactly as the reader sees it.
name=$(sed -n 's/^<!-- check-install: \([A-Za-z0-9_.-]*\.c\) -->$/\1/p' "$doc")
[ -n "$name" ] || fail "$doc has no <!-- check-install: NAME.c --> block"
awk '/^<!-- check-install: / { marked = 1; next }
     marked && /^```c$/ { copy = 1; next }
     copy && /^```$/ { exit }
     copy { print }' "$doc" >"$tmp/$name"
[ -s "$tmp/$name" ] || fail "the block after the marker in $doc is empty"
cp client/examples/list_tools.c "$tmp/list_tools.c"

# Build each program both ways; check which library each one uses.
cflags="-std=c11 -Wall -Wextra -Werror"
for src in "$name" list_tools.c; do
    for pc in mcpoauth mcpoauth-static; do
        out="$tmp/${src%.c}-$pc"
        # shellcheck disable=SC2046,SC2086
        ${CC:-cc} $cflags -o "$out" "$tmp/$src" \
            $(pkg-config --cflags --libs "$pc") ||
            fail "$src does not build with pkg-config $pc"
        if readelf -d "$out" | grep -q 'NEEDED.*libmcpoauth\.so'; then
            [ "$pc" = mcpoauth ] || fail "$out uses libmcpoauth.so"
        else
            [ "$pc" = mcpoauth-static ] ||
                fail "$out does not use libmcpoauth.so.0"
        fi
    done
done
echo "check-install: $name and list_tools.c built with mcpoauth" \
    "(libmcpoauth.so) and mcpoauth-static (libmcpoauth.a)"

# A mock MCP server behind a mock authorization server.
# (A file, not a pipe: serve may write more, and must not get SIGPIPE.)
"$bindir/authcheck" serve --scenario core/dcr-happy-path >"$tmp/serve.out" &
serve_pid=$!
urls=
for _ in $(seq 100); do
    urls=$(head -n 1 "$tmp/serve.out")
    case $urls in *'}') break ;; esac
    kill -0 "$serve_pid" 2>/dev/null || fail "authcheck serve exited"
    sleep 0.1
done
mcp=$(printf '%s\n' "$urls" | sed -n 's/.*"mcp": *"\([^"]*\)".*/\1/p')
[ -n "$mcp" ] || fail "no MCP URL in: $urls"

# Each run authorizes afresh: its own HOME and token store.
run() { # program, expected output substring, arguments...
    prog=$1 want=$2
    shift 2
    home=$(mktemp -d "$tmp/home.XXXXXX")
    out=$(HOME="$home" XDG_STATE_HOME="$home/state" \
        BROWSER="$bindir/authcheck browse" \
        LD_LIBRARY_PATH="$root$prefix/lib" \
        timeout 60 "$tmp/$prog" "$mcp" "$@" 2>"$tmp/err") ||
        fail "$prog $mcp $*: exit $?: $(cat "$tmp/err")"
    line=$(printf '%s\n' "$out" | grep -F -- "$want" | head -n 1)
    [ -n "$line" ] || fail "$prog printed no $want: $out"
    echo "check-install: $prog: $(printf '%s' "$line" | cut -c 1-72)"
}
for pc in mcpoauth mcpoauth-static; do
    run "${name%.c}-$pc" '"check-install"' echo '{"text":"check-install"}'
    run "list_tools-$pc" '"echo"'
done
