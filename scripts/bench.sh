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
#           -j 1 and -j 2 (ms per scenario, speed-up), the machine's -j
#           ceiling (process starts, a CPU loop, page faults and
#           address-space changes, one stream against two), the fixed
#           cost of a one-scenario run, the harness's own overhead per
#           scenario
#   official  the official MCP conformance suite on the same client, its
#           seconds per scenario and the ratio: scripts/bench-official.sh,
#           when the suite is installed (make deps-official), timing both
#           suites on the same ids in this run
#
# usage: scripts/bench.sh BINDIR [mocks|client|suite|server|official ...]
set -eu
BINDIR=${1:-bin}
shift || true
HERE=$(dirname "$0")
parts=${*:-mocks client suite server official}
for part in $parts; do
    echo "== bench: $part"
    case $part in
    official)
        # OFFICIAL_NODE / OFFICIAL_CONF: set by `make bench` to the Node
        # of deps-interop and the suite of deps-official.
        if [ -x "${OFFICIAL_NODE:-}" ] && [ -x "${OFFICIAL_CONF:-}" ]; then
            sh "$HERE/bench-official.sh" "$BINDIR" "$OFFICIAL_NODE" \
                "$OFFICIAL_CONF"
        else
            echo "official suite: skipped (not installed: make deps-official)"
        fi
        ;;
    suite)
        # Its -j 2 ms per scenario goes on to `official`.
        sh "$HERE/bench_suite.sh" "$BINDIR" |
            tee "${TMPDIR:-/tmp}/authcheck-bench-suite.$$"
        AUTHCHECK_MS_PER_SCENARIO=$(sed -n 's/^suite, reference client, -j 2: [0-9]* ms ([^)]*), \([0-9.]*\) ms per scenario.*/\1/p' \
            "${TMPDIR:-/tmp}/authcheck-bench-suite.$$")
        export AUTHCHECK_MS_PER_SCENARIO
        rm -f "${TMPDIR:-/tmp}/authcheck-bench-suite.$$"
        ;;
    *)
        sh "$HERE/bench_$part.sh" "$BINDIR"
        ;;
    esac
done
