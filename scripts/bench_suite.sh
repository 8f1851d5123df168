#!/bin/sh
# Suite figures for `make bench` (called from scripts/bench.sh): the wall
# time of the whole scenario suite against the reference client with -j 1
# and -j 2, and the harness's own overhead per scenario, measured with a
# client that exits at once (`true`), so what remains is starting and
# stopping the mocks, spawning, checking and writing the reports.
# Prints figures; asserts nothing (exit 0 even when scenarios fail).
#
# usage: scripts/bench_suite.sh [BINDIR] [SCENARIO_DIR]
#   REPS=3   repetitions per figure (the best is printed)
set -eu
BINDIR=${1:-bin}
SCENARIOS=${2:-$(dirname "$0")/../scenarios}
REPS=${REPS:-3}
AUTHCHECK="$BINDIR/authcheck"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT INT TERM

ms_now() { date +%s%N | cut -c1-13; }

# best_ms ARGS...: the best wall time of REPS runs of `authcheck run ARGS`.
best_ms() {
    best=""
    rep=0
    while [ "$rep" -lt "$REPS" ]; do
        t0=$(ms_now)
        "$AUTHCHECK" run -q --scenarios "$SCENARIOS" --out "$WORK/out" "$@" \
            >"$WORK/log" 2>&1 || true
        t1=$(ms_now)
        d=$((t1 - t0))
        if [ -z "$best" ] || [ "$d" -lt "$best" ]; then best=$d; fi
        rep=$((rep + 1))
    done
    echo "$best"
}

# The summary line of the last run, for the pass/fail counts.
last_summary() { grep -E '^[0-9]+ scenarios?:' "$WORK/log" | tail -1 | cut -d';' -f1; }

n=$(find "$SCENARIOS" -name '*.json' | wc -l | tr -d ' ')
echo "== scenario suite ($n scenarios in $SCENARIOS, best of $REPS)"
for j in 1 2; do
    ms=$(best_ms -j "$j")
    echo "suite, reference client, -j $j: ${ms} ms ($(last_summary))"
done
ms=$(best_ms -j 1 --client-cmd true)
if [ "$n" -gt 0 ]; then
    per=$(awk -v t="$ms" -v n="$n" 'BEGIN { printf "%.1f", t / n }')
else
    per="?"
fi
echo "harness overhead, client 'true', -j 1: ${ms} ms total, ${per} ms per scenario"
if [ -f "$SCENARIOS/core/dcr-happy-path.json" ]; then
    ms=$(best_ms -j 1 --client-cmd true --scenario core/dcr-happy-path)
    echo "harness overhead, one scenario, whole process: ${ms} ms"
fi
