#!/bin/sh
# Client figures for `make bench`: time from a cold start (empty token
# store: discovery, registration, authorization, the MCP wire probe) to
# the first tool result, and warm calls served from the token store (no
# discovery, no browser, the wire remembered). Prints figures, asserts
# nothing. Needs `authcheck serve` (a mock world that keeps running; its
# first stdout line is a JSON object with the URLs); skipped with a message
# without it.
#
# usage: scripts/bench_client.sh [BINDIR] [WARM-RUNS]
set -eu
BINDIR=${1:-bin}
RUNS=${2:-5}
SCENARIO=core/dcr-happy-path
if ! "$BINDIR/authcheck" serve --help >/dev/null 2>&1; then
    echo "client bench: skipped (no 'authcheck serve' yet)"
    exit 0
fi
TMP=$(mktemp -d)
SERVE_PID=""
cleanup() {
    if [ -n "$SERVE_PID" ]; then
        kill "$SERVE_PID" 2>/dev/null || true
        wait "$SERVE_PID" 2>/dev/null || true
    fi
    rm -rf "$TMP"
}
trap cleanup EXIT INT TERM
"$BINDIR/authcheck" serve --scenario "$SCENARIO" >"$TMP/serve.out" \
    2>"$TMP/serve.err" &
SERVE_PID=$!

# The first stdout line is the URL object; wait for it (at most 10 s).
url=""
i=0
while [ "$i" -lt 100 ]; do
    line=$(head -n1 "$TMP/serve.out" 2>/dev/null || true)
    url=$(printf '%s\n' "$line" | sed -n 's/.*"mcp" *: *"\([^"]*\)".*/\1/p')
    [ -n "$url" ] && break
    if ! kill -0 "$SERVE_PID" 2>/dev/null; then
        echo "client bench: skipped (authcheck serve exited:" \
            "$(head -c 200 "$TMP/serve.err"))"
        exit 0
    fi
    sleep 0.1
    i=$((i + 1))
done
if [ -z "$url" ]; then
    echo "client bench: skipped (authcheck serve printed no MCP URL)"
    exit 0
fi

ms_now() { date +%s%N | cut -c1-13; }
call() {
    XDG_STATE_HOME="$TMP/state" "$BINDIR/mcp-oauth" --headless \
        call "$url" echo '{"text":"bench"}' >"$TMP/call.out" 2>&1 || {
        echo "client bench: the call failed: $(head -c 300 "$TMP/call.out")"
        exit 0
    }
}

echo "== reference client against authcheck serve --scenario $SCENARIO"
t0=$(ms_now)
call
t1=$(ms_now)
echo "cold start to first tool result (empty store): $((t1 - t0)) ms"

best=""
total=0
n=0
while [ "$n" -lt "$RUNS" ]; do
    t0=$(ms_now)
    call
    t1=$(ms_now)
    d=$((t1 - t0))
    total=$((total + d))
    if [ -z "$best" ] || [ "$d" -lt "$best" ]; then best=$d; fi
    n=$((n + 1))
done
echo "warm call from the token store: best ${best} ms," \
    "mean $((total / RUNS)) ms over $RUNS runs"

# The same cold start without a store (memory only), for comparison.
t0=$(ms_now)
"$BINDIR/mcp-oauth" --headless --store "" call "$url" echo \
    '{"text":"bench"}' >"$TMP/call.out" 2>&1 || true
t1=$(ms_now)
echo "cold start without a token store: $((t1 - t0)) ms"
