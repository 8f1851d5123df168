#!/bin/sh
# Run each CMocka test binary given as an argument; report every failure,
# then a closing line "N passed, N failed" counted over binaries.
passed=0; failed=0; failed_names=""
for t in "$@"; do
    echo "== $(basename "$t")"
    start=$(date +%s%N)
    if "$t"; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1)); failed_names="$failed_names $(basename "$t")"
    fi
    # One line per program, so a slow test is seen (never asserted on).
    echo "-- $(basename "$t"): $(( ($(date +%s%N) - start) / 1000000 )) ms"
done
[ -n "$failed_names" ] && echo "failing test programs:$failed_names"
echo "programs: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
