#!/bin/sh
# make bench: performance figures, printed. Never a pass/fail test: numbers
# depend on the machine and its load, so they are measured and reported
# here, not asserted in `make test`.
#
#   mocks   the mock authorization server under wrk: metadata GETs,
#           RS256-signed token requests (plain and with a DPoP proof),
#           latency and resident memory
#   client  the reference client: cold start to first tool result, and a
#           warm call from its token store
#   server  a full `authcheck server` run against a local mock
#   suite   the whole scenario suite against the reference client with
#           -j 1 and -j 2, and the harness's own overhead per scenario
#
# usage: scripts/bench.sh BINDIR [mocks|client|suite|server ...]
set -eu
BINDIR=${1:-bin}
shift || true
HERE=$(dirname "$0")
parts=${*:-mocks client suite server}
for part in $parts; do
    echo "== bench: $part"
    sh "$HERE/bench_$part.sh" "$BINDIR"
done
