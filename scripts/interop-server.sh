#!/bin/bash
# make interop-server: run `authcheck server` against an independently
# written server, the MCP TypeScript SDK's example Streamable HTTP server
# with its demo OAuth authorization server (the pinned SDK that
# `make deps-interop` installs into the git-ignored tools/interop, run on
# the pinned Node), in its default and --oauth-strict modes; then the
# authorization-server checks against node-oidc-provider (pinned in the
# same package.json), configured by tools/interop/oidc-provider-as.mjs.
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

# node-oidc-provider: an AS only (no MCP server), so the MCP checks are
# SKIPPED; its development login takes any user, then a consent form.
OP=tools/interop/oidc-provider-as.mjs
if [ -d tools/interop/node_modules/oidc-provider ]; then
    PORT=43200 "$NODE" "$OP" >/dev/null 2>&1 &
    pid=$!
    i=0
    while ! listening 43200 && [ $i -lt 100 ]; do
        sleep 0.2
        i=$((i + 1))
    done
    echo "== interop: node-oidc-provider (authorization server only)"
    "$BINDIR/authcheck" server --issuer http://localhost:43200 \
        --auto-consent --username alice --password pw-alice \
        --scope mcp:tools --out out/interop-oidc-provider
    echo "exit status $?"
    kill "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
else
    echo "interop-server: oidc-provider missing, run make deps-interop" >&2
    exit 2
fi
# A report, not a gate: the verdicts are the findings of docs/INTEROP.md.
exit 0
