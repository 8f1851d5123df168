#!/bin/sh
# Run libFuzzer targets: scripts/fuzz.sh BUILD_DIR SECONDS NAME...
# (NAME: the target tests/fuzz/fuzz_NAME.c, built as BUILD_DIR/bin/fuzz_NAME)
#
# Each target fuzzes for SECONDS on a working corpus, BUILD_DIR/corpus/
# NAME, seeded from tests/data/fuzz/NAME/ (the seeds stay as
# committed: new inputs go to the working copy only). A crash, leak or
# timeout leaves its input in BUILD_DIR/artifacts/ and fails the run; keep
# it as a regression seed once fixed (docs/FUZZING.md). Prints one line per
# target: executions, exec/s, coverage, corpus size.
#
# tests/fuzz/fuzz_NAME.options, when present, holds flags for that target
# (one line, with a comment above saying why); FUZZ_ARGS adds flags for
# every target (e.g. -dict=FILE, -runs=N).
set -u
dir=$1; secs=$2; shift 2
failed=""
mkdir -p "$dir/artifacts" "$dir/logs"
run_one() {
    t=$1
    corpus="$dir/corpus/$t"
    seeds="tests/data/fuzz/$t"
    mkdir -p "$corpus"
    [ -d "$seeds" ] || { echo "fuzz: $t has no seeds in $seeds" >&2; return 1; }
    opts=""
    [ -f "tests/fuzz/fuzz_$t.options" ] &&
        opts=$(grep -v '^#' "tests/fuzz/fuzz_$t.options")
    # shellcheck disable=SC2086
    "$dir/bin/fuzz_$t" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
        -max_len=65536 -print_final_stats=1 \
        -artifact_prefix="$dir/artifacts/$t-" $opts ${FUZZ_ARGS:-} \
        "$corpus" "$seeds" >"$dir/logs/$t.log" 2>&1
    rc=$?
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$dir/logs/$t.log")
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$dir/logs/$t.log")
    cov=$(grep -o 'cov: [0-9]*' "$dir/logs/$t.log" | tail -1)
    corp=$(grep -o 'corp: [0-9]*/[0-9]*[a-zA-Z]*' "$dir/logs/$t.log" | tail -1)
    if [ "$rc" -ne 0 ]; then
        echo "FAIL $t (exit $rc): see $dir/logs/$t.log"
        grep -E '^(==[0-9]+==ERROR|SUMMARY|.*runtime error)' \
            "$dir/logs/$t.log" | head -5
        return 1
    fi
    echo "ok   $t: ${execs:-?} runs, ${rate:-?} exec/s, ${cov:-cov: ?}, ${corp:-?}"
}
for t in "$@"; do
    run_one "$t" || failed="$failed $t"
done
if [ -n "$failed" ]; then
    echo "fuzz: failing targets:$failed"
    exit 1
fi
echo "fuzz: $# targets, ${secs} s each, no crash"
