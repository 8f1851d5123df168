#!/bin/sh
# Mock authorization server figures (make bench; called by scripts/bench.sh):
# throughput and latency with wrk for the RFC 8414 metadata GET and for
# client_credentials token requests (client_secret_basic, RS256 JWT access
# tokens), then the resident memory high-water mark (VmHWM) of the
# `authcheck serve` process. Numbers are printed, never asserted.
#
# usage: scripts/bench_mocks.sh BINDIR [DURATION_S] [CONNECTIONS]
# needs: wrk (Debian package "wrk")
set -eu
BINDIR=${1:-bin}
DUR=${2:-10}
CONNS=${3:-64}
HERE=$(cd "$(dirname "$0")/.." && pwd)
DATA="$HERE/tests/data/mocks"

if ! command -v wrk >/dev/null 2>&1; then
    echo "bench_mocks: wrk not installed (apt-get install wrk); skipped"
    exit 0
fi
if ! "$BINDIR/authcheck" serve --help >/dev/null 2>&1; then
    echo "bench_mocks: $BINDIR/authcheck has no serve command; skipped"
    exit 0
fi

OUT=$(mktemp -d)
PID=""
cleanup() {
    if [ -n "$PID" ]; then kill "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; fi
    rm -rf "$OUT"
}
trap cleanup EXIT INT TERM

"$BINDIR/authcheck" serve --scenarios "$DATA" --scenario bench/as \
    --threads 2 >"$OUT/urls" 2>"$OUT/err" &
PID=$!
i=0
while [ ! -s "$OUT/urls" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
st=/proc/$PID/status
echo "authcheck serve idle: VmRSS $(awk '/VmRSS/ {print $2, $3}' $st)" \
     "(anonymous $(awk '/RssAnon/ {print $2, $3}' $st))"
if [ ! -s "$OUT/urls" ]; then
    echo "bench_mocks: authcheck serve did not start:"; cat "$OUT/err"; exit 1
fi
ISSUER=$(sed -n 's/.*"issuer":"\([^"]*\)".*/\1/p' "$OUT/urls" | head -n 1)
echo "== mock AS ($ISSUER), wrk -t2 -c$CONNS -d${DUR}s, 2 cores shared with wrk"

run() { # name url [lua]
    name=$1; url=$2; shift 2
    wrk -t2 -c"$CONNS" -d"${DUR}s" --latency "$@" "$url" >"$OUT/wrk" 2>&1 || true
    rps=$(awk '/^Requests\/sec/ {print $2}' "$OUT/wrk")
    p50=$(awk '$1 == "50%" {print $2}' "$OUT/wrk")
    p99=$(awk '$1 == "99%" {print $2}' "$OUT/wrk")
    errs=$(grep -E "Non-2xx|Socket errors|non-200" "$OUT/wrk" | tr '\n' ' ')
    echo "$name: ${rps:-?} req/s, latency p50 ${p50:-?} p99 ${p99:-?} ${errs}"
}

run "metadata GET        " "$ISSUER/.well-known/oauth-authorization-server"
run "token (RS256, basic)" "$ISSUER/token" -s "$DATA/bench/token.lua"

st=/proc/$PID/status
echo "authcheck serve memory: VmHWM $(awk '/VmHWM/ {print $2, $3}' $st)" \
     "(now VmRSS $(awk '/VmRSS/ {print $2, $3}' $st):" \
     "anonymous $(awk '/RssAnon/ {print $2, $3}' $st)," \
     "shared libraries $(awk '/RssFile/ {print $2, $3}' $st))"
