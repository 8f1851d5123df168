#!/bin/sh
# Run each CMocka test binary given as an argument; report every failure,
# then a closing line "N passed, N failed" counted over binaries.
passed=0; failed=0; failed_names=""
for t in "$@"; do
    echo "== $(basename "$t")"
    if "$t"; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1)); failed_names="$failed_names $(basename "$t")"
    fi
done
[ -n "$failed_names" ] && echo "failing test programs:$failed_names"
echo "programs: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
