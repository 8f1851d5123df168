#!/bin/sh
# `make official`: the official MCP conformance suite (the pinned
# @modelcontextprotocol/conformance of tools/official, `make deps-official`)
# against the reference client's conformance mode, one scenario at a time:
# every client scenario whose id starts with auth/ and every one the suite
# lists as [extension]. Prints one line per scenario and writes the verdict
# table to OUTDIR/verdicts.md (docs/INTEROP.md shows it).
#
#   scripts/official.sh NODE CONFORMANCE MCP-OAUTH OUTDIR [SCENARIO...]
#
# NODE: the Node 22 of `make deps-interop`; CONFORMANCE: the suite's bin
# script; MCP-OAUTH: the client (run as `MCP-OAUTH conformance`). Each
# scenario gets a fresh HOME and no BROWSER (the client is its own headless
# user agent), as the official suite runs clients. Exit 0 when every auth/
# scenario passed, 1 otherwise; the non-auth extension scenarios (skills,
# SEP-2640: host behaviour mcp-oauth does not have) are reported only.
# Seconds are the wall time of one `conformance client --scenario` run.
set -u
if [ $# -lt 4 ]; then
    echo "usage: $0 NODE CONFORMANCE MCP-OAUTH OUTDIR [SCENARIO...]" >&2
    exit 2
fi
node=$1 conf=$2 client=$3 out=$4
shift 4
for f in "$node" "$conf" "$client"; do
    if [ ! -x "$f" ]; then
        echo "official: $f is missing (make deps-official; make)" >&2
        exit 2
    fi
done
abs() { case $1 in /*) echo "$1" ;; *) echo "$(pwd)/$1" ;; esac; }
node=$(abs "$node") conf=$(abs "$conf") client=$(abs "$client")
mkdir -p "$out/logs" "$out/results"
out=$(cd "$out" && pwd)
version=$("$node" "$conf" --version 2>/dev/null)
if [ $# -gt 0 ]; then
    scenarios=$*
else
    scenarios=$("$node" "$conf" list --client 2>/dev/null |
        sed -n 's/^  - \([^ ]*\) \[\(.*\)\]$/\1 \2/p' |
        awk '$1 ~ /^auth\// || $2 ~ /extension/ { print $1 }')
fi
if [ -z "$scenarios" ]; then
    echo "official: no scenarios listed by $conf" >&2
    exit 2
fi

now_ms() { date +%s%3N; }
table=$out/verdicts.md
{
    echo "| scenario | verdict | checks (passed/total, failed, warnings) | seconds |"
    echo "|---|---|---|---|"
} > "$table"
rc=0 n=0 passed=0 total_ms=0
for s in $scenarios; do
    log=$out/logs/$(echo "$s" | tr / _).log
    home=$(mktemp -d)
    t0=$(now_ms)
    (cd "$home" && env -u BROWSER HOME="$home" "$node" "$conf" client \
        --command "$client conformance" --scenario "$s" \
        -o "$out/results") > "$log" 2>&1
    r=$?
    t1=$(now_ms)
    rm -rf "$home"
    ms=$((t1 - t0))
    total_ms=$((total_ms + ms))
    n=$((n + 1))
    # "Passed: 12/12, 0 failed, 0 warnings"
    counts=$(sed 's/\x1b\[[0-9;]*m//g' "$log" |
        sed -n 's/^Passed: \(.*\)$/\1/p' | tail -1)
    if [ "$r" -eq 0 ]; then
        verdict=PASS
        passed=$((passed + 1))
    else
        verdict=FAIL
        case $s in
        auth/*) rc=1 ;;
        *) verdict="FAIL (not auth)" ;;
        esac
    fi
    secs=$(awk -v m="$ms" 'BEGIN { printf "%.2f", m / 1000 }')
    printf '%-45s %-16s %-32s %6s s\n' "$s" "$verdict" "$counts" "$secs"
    echo "| $s | $verdict | $counts | $secs |" >> "$table"
done
mean=$(awk -v m="$total_ms" -v n="$n" 'BEGIN { printf "%.2f", m / n / 1000 }')
echo "official: conformance $version, $passed of $n passed," \
    "$mean s per scenario (one at a time); table in $table, logs in $out/logs"
exit "$rc"
