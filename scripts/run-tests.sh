#!/bin/sh
# Run each CMocka test binary given as an argument, TEST_JOBS of them at a
# time (default: the number of cores); report every failure, then a closing
# line "N passed, N failed" counted over binaries.
#
# Each program's output goes to a log of its own and is printed whole when
# the program ends, so parallel runs never interleave; the order of the
# arguments is the order they start in (the Makefile puts the slowest
# first, so two cores stay busy to the end). Programs may run side by side
# because each keeps its files in a directory of its own under
# AUTHCHECK_TMP (tests/support/env.h) and its servers on kernel-chosen
# ports.
set -u
if [ "${1:-}" = "--one" ]; then # internal: run one program, print its log
    t=$2; dir=$3
    name=$(basename "$t")
    start=$(date +%s%N)
    if "$t" >"$dir/$name.log" 2>&1; then rc=0; else rc=$?; fi
    ms=$(( ($(date +%s%N) - start) / 1000000 ))
    {
        flock 9
        echo "== $name"
        cat "$dir/$name.log"
        # One line per program, so a slow test is seen (never asserted on).
        echo "-- $name: $ms ms$([ "$rc" -ne 0 ] && echo ", FAILED (exit $rc)")"
        echo "$name $rc" >>"$dir/results"
    } 9>>"$dir/lock"
    exit 0
fi
jobs=${TEST_JOBS:-$(nproc 2>/dev/null || echo 1)}
dir=$(mktemp -d "${AUTHCHECK_TMP:-/tmp}/run-tests-XXXXXX") || exit 1
trap 'rm -rf "$dir"' EXIT INT TERM
: >"$dir/results"
printf '%s\n' "$@" | xargs -P "$jobs" -I{} "$0" --one {} "$dir"
passed=$(awk '$2 == 0' "$dir/results" | wc -l)
failed_names=$(awk '$2 != 0 {printf " %s", $1}' "$dir/results")
failed=$(($# - passed))
[ -n "$failed_names" ] && echo "failing test programs:$failed_names"
[ "$(wc -l <"$dir/results")" -ne $# ] && echo "run-tests: some programs did not report"
echo "programs: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
