#!/bin/sh
# Client figures for `make bench`: time from a cold start (empty token
# store: discovery, registration, authorization) to the first tool result,
# and a warm call served from the token store. Needs `authcheck serve`
# (a mock world that keeps running); skipped with a message without it.
#
# usage: scripts/bench_client.sh BINDIR
set -eu
BINDIR=${1:-bin}
if ! "$BINDIR/authcheck" serve --help >/dev/null 2>&1; then
    echo "client bench: skipped (no 'authcheck serve' yet)"
    exit 0
fi
TMP=$(mktemp -d)
trap 'kill "$SERVE_PID" 2>/dev/null || true; rm -rf "$TMP"' EXIT INT TERM
"$BINDIR/authcheck" serve --scenario core/dcr-happy-path >"$TMP/serve.out" 2>&1 &
SERVE_PID=$!
url=""
for _ in $(seq 1 50); do
    url=$(grep -o 'http://127\.0\.0\.1:[0-9]*/mcp' "$TMP/serve.out" | head -n1 || true)
    [ -n "$url" ] && break
    sleep 0.1
done
if [ -z "$url" ]; then
    echo "client bench: skipped (authcheck serve printed no MCP URL)"
    exit 0
fi
ms_now() { date +%s%N | cut -c1-13; }
t0=$(ms_now)
XDG_STATE_HOME="$TMP/state" "$BINDIR/mcp-oauth" --headless call "$url" echo '{"text":"bench"}' >/dev/null
t1=$(ms_now)
XDG_STATE_HOME="$TMP/state" "$BINDIR/mcp-oauth" --headless call "$url" echo '{"text":"bench"}' >/dev/null
t2=$(ms_now)
echo "client cold start to first tool result: $((t1 - t0)) ms"
echo "client warm call from the token store:  $((t2 - t1)) ms"
