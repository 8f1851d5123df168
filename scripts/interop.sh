#!/bin/sh
# make interop: run `authcheck server` against an independently written
# server, the MCP TypeScript SDK's example Streamable HTTP server with its
# demo OAuth authorization server (installed by `make interop-deps` into
# the git-ignored tools/interop), in its default and --oauth-strict modes.
# Prints each verdict table; reports land in out/interop-<mode>/. The
# findings are recorded in docs/INTEROP.md.
#
# usage: scripts/interop.sh BINDIR
set -u
BINDIR=${1:-bin}
EX=tools/interop/node_modules/@modelcontextprotocol/sdk/dist/esm/examples/server/simpleStreamableHttp.js
[ -f "$EX" ] || { echo "interop: run make interop-deps first" >&2; exit 2; }
run() {
    mode=$1 mport=$2 aport=$3
    shift 3
    MCP_PORT=$mport MCP_AUTH_PORT=$aport node "$EX" "$@" >/dev/null 2>&1 &
    pid=$!
    i=0
    while ! curl -s -o /dev/null "http://localhost:$aport/.well-known/oauth-authorization-server" &&
        [ $i -lt 50 ]; do
        sleep 0.2
        i=$((i + 1))
    done
    echo "== interop: sdk example server $*"
    "$BINDIR/authcheck" server --mcp "http://localhost:$mport/mcp" \
        --other-resource "http://localhost:$((mport + 1000))/mcp" \
        --out "out/interop-$mode"
    echo "exit status $?"
    kill "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
}
run default 43100 43101 --oauth
run strict 43110 43111 --oauth --oauth-strict
