#!/bin/bash
# make interop-server: run `authcheck server` against an independently
# written server, the MCP TypeScript SDK's example Streamable HTTP server
# with its demo OAuth authorization server (the pinned SDK that
# `make deps-interop` installs into the git-ignored tools/interop, run on
# the pinned Node), in its default and --oauth-strict modes.
# Prints each verdict table; reports land in out/interop-<mode>/. The
# findings are recorded in docs/INTEROP.md.
#
# usage: scripts/interop-server.sh BINDIR
set -u
BINDIR=${1:-bin}
EX=tools/interop/node_modules/@modelcontextprotocol/sdk/dist/esm/examples/server/simpleStreamableHttp.js
NODE=tools/interop/node_modules/.bin/node
[ -f "$EX" ] && [ -x "$NODE" ] ||
    { echo "interop-server: run make deps-interop first" >&2; exit 2; }
# Is something listening on 127.0.0.1:$1? (bash's /dev/tcp: no curl needed)
listening() {
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}
run() {
    mode=$1 mport=$2 aport=$3
    shift 3
    MCP_PORT=$mport MCP_AUTH_PORT=$aport "$NODE" "$EX" "$@" >/dev/null 2>&1 &
    pid=$!
    i=0
    # Both: the demo AS comes up first, the MCP server a moment later.
    while ! { listening "$aport" && listening "$mport"; } && [ $i -lt 100 ]; do
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
