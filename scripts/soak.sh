#!/bin/sh
# Soak (make soak; not in CI): for MINUTES, the whole scenario suite in a
# loop (`authcheck run -j 4`) while `authcheck serve` is under wrk load
# (the RFC 8414 metadata GET and client_credentials token requests, in
# turns), then a verdict on whether anything grows without bound.
#
# Printed at start (after a warm-up) and at the end: the serve process's
# RSS, open file descriptors and threads; each suite run's peak RSS and
# the private HOMEs left in its TMPDIR.
#
# Fails when, at the end (wrk stopped, 2 s to let connections close):
#   - serve's RSS exceeds its post-warm-up figure by more than 25 % or
#     8 MiB, whichever is larger. serve caps what it retains (200
#     exchanges, 1000 tokens; oldest half forgotten past a cap), so after
#     warm-up its memory is flat but for malloc arenas and per-thread
#     caches settling; a leak of even 100 bytes per request grows far
#     past the bound at wrk's rates (>= 1000 req/s for a minute is 6 MiB);
#   - serve has more open descriptors than at start (+2 for sockets still
#     closing): every connection's descriptor must be released;
#   - serve has a different number of threads (a fixed pool);
#   - a suite run failed, left a HOME behind, or the last run's peak RSS
#     exceeds the first one's by more than 25 % (each run is a new
#     process, so growth across runs means leaked files or state outside
#     it, e.g. in TMPDIR);
#   - serve stopped answering.
#
# usage: scripts/soak.sh MINUTES [BINDIR]   needs: wrk, curl, /usr/bin/time
set -u
MINUTES=${1:-2}
BINDIR=${2:-bin}
HERE=$(cd "$(dirname "$0")/.." && pwd)
DATA="$HERE/tests/data/mocks"
OUT=$(mktemp -d)
PID=""
WRK=""
cleanup() {
    touch "$OUT/stop"
    [ -n "$WRK" ] && wait "$WRK" 2>/dev/null
    [ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
    rm -rf "$OUT"
}
trap cleanup EXIT INT TERM
command -v wrk >/dev/null || { echo "soak: wrk missing (make deps-bench)"; exit 2; }

"$BINDIR/authcheck" serve --scenarios "$DATA" --scenario bench/as \
    --threads 2 >"$OUT/urls" 2>"$OUT/serve.err" &
PID=$!
i=0
while [ ! -s "$OUT/urls" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
ISSUER=$(sed -n 's/.*"issuer":"\([^"]*\)".*/\1/p' "$OUT/urls" | head -n 1)
[ -n "$ISSUER" ] || { echo "soak: serve did not start"; cat "$OUT/serve.err"; exit 2; }
META="$ISSUER/.well-known/oauth-authorization-server"

field() { awk -v f="$1:" '$1 == f {print $2}' "/proc/$PID/status"; }
fds() { ls "/proc/$PID/fd" | wc -l; }
show() { echo "soak: serve $1: RSS $(field VmRSS) kB, $(fds) fds, $(field Threads) threads"; }
load() { # seconds: wrk on the metadata GET and the token endpoint in turns
    wrk -t1 -c16 -d"$1s" "$META" >>"$OUT/wrk" 2>&1
    wrk -t1 -c16 -d"$1s" -s "$DATA/bench/token.lua" "$ISSUER/token" \
        >>"$OUT/wrk" 2>&1
}

load 5 # warm-up: thread stacks, arenas, caches, both caps reached
sleep 2
RSS0=$(field VmRSS); FD0=$(fds); TH0=$(field Threads)
show start
# In 5 s turns until the stop file appears (no process is killed).
( while [ ! -f "$OUT/stop" ]; do load 5; done ) &
WRK=$!

end=$(( $(date +%s) + MINUTES * 60 ))
runs=0; bad=0; first=""; last=""
mkdir -p "$OUT/tmp"
while [ "$(date +%s)" -lt "$end" ]; do
    runs=$((runs + 1))
    TMPDIR="$OUT/tmp" /usr/bin/time -f "%M" -o "$OUT/time" \
        "$BINDIR/authcheck" run -j 4 -q --out "$OUT/run" >"$OUT/run.log" 2>&1
    rc=$?
    peak=$(tail -n 1 "$OUT/time")
    left=$(ls "$OUT/tmp" | wc -l)
    echo "soak: suite run $runs: exit $rc, peak RSS $peak kB, $left HOMEs left"
    [ -z "$first" ] && first=$peak
    last=$peak
    if [ "$rc" -ne 0 ] || [ "$left" -ne 0 ]; then
        bad=$((bad + 1)); tail -n 5 "$OUT/run.log"
    fi
done
touch "$OUT/stop"; wait "$WRK"; WRK=""
sleep 2
RSS1=$(field VmRSS); FD1=$(fds); TH1=$(field Threads)
show end
reqs=$(awk '/requests in/ {s += $1} END {print s + 0}' "$OUT/wrk")
echo "soak: $MINUTES min, $runs suite runs, $reqs requests to serve"

fail=0
limit=$(( RSS0 + (RSS0 / 4 > 8192 ? RSS0 / 4 : 8192) ))
[ "$RSS1" -le "$limit" ] || { echo "soak: FAIL serve RSS $RSS0 -> $RSS1 kB (limit $limit)"; fail=1; }
[ "$FD1" -le $((FD0 + 2)) ] || { echo "soak: FAIL serve fds $FD0 -> $FD1"; fail=1; }
[ "$TH1" -eq "$TH0" ] || { echo "soak: FAIL serve threads $TH0 -> $TH1"; fail=1; }
[ "$bad" -eq 0 ] || { echo "soak: FAIL $bad suite runs failed or left HOMEs"; fail=1; }
[ "$last" -le $(( first + first / 4 )) ] ||
    { echo "soak: FAIL suite peak RSS $first -> $last kB"; fail=1; }
curl -fsS -o /dev/null "$META" || { echo "soak: FAIL serve stopped answering"; fail=1; }
[ "$fail" -eq 0 ] && echo "soak: ok (RSS $RSS0 -> $RSS1 kB, limit $limit; fds $FD0 -> $FD1; threads $TH0 -> $TH1)"
exit "$fail"
