#!/bin/sh
# Suite figures for `make bench` (called from scripts/bench.sh):
#   - the whole scenario suite against the reference client at -j 1 and
#     -j 2: wall time, ms per scenario, the CPUs it kept busy (CPU time
#     of the process tree over wall time, from `times`), that CPU time
#     per run (compared between the two, it tells extra work at -j 2
#     from CPU left idle; docs/PERFORMANCE.md), the speed-up;
#   - the fixed cost: a one-scenario run with a client that exits at once
#     (`true`), its total wall time minus the scenario's own duration
#     (process start, loading, reports), and the same run's phases as
#     `authcheck run -v` prints them (timing: ...); its floor on this
#     machine, `authcheck --version` and /bin/true started and ended;
#   - a one-scenario run with the reference client against the scenario's
#     own duration (goal: at most 2x);
#   - the harness's overhead per scenario (the suite with client `true`);
#   - the machine's ceiling for -j: how the throughput of process starts
#     (the reference client's, and /bin/true's) grows from one stream to
#     two at once. Every scenario starts a client and its $BROWSER, so
#     where two streams of starts do not run twice as fast, neither can
#     the suite at -j 2 (docs/PERFORMANCE.md, "The -j ceiling"); with
#     BENCH_VMOPS (make bench builds it), the same for page faults and for
#     address-space changes (mmap, mprotect, munmap), which tells which
#     of the two a start's cost is bound by; and the suite itself split in
#     two halves run by two authcheck processes at once, which share
#     nothing but the machine: the ceiling -j 2 is measured against.
# Every figure is the median of REPS runs (the machine may be shared; the
# spread is printed too). Prints figures; asserts nothing (exit 0 even
# when scenarios fail).
#
# usage: scripts/bench_suite.sh [BINDIR] [SCENARIO_DIR]
#   REPS=5     repetitions per figure
#   STARTS=100 process starts per stream for the -j ceiling
set -eu
BINDIR=${1:-bin}
SCENARIOS=${2:-$(dirname "$0")/../scenarios}
REPS=${REPS:-5}
AUTHCHECK="$BINDIR/authcheck"
ONE=core/dcr-happy-path
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT INT TERM

ms_now() { date +%s%N | cut -c1-13; }

# median FILE: the median of the numbers in FILE, one per line.
median() { sort -n "$1" | awk '{ v[NR] = $1 } END {
    if (NR == 0) { print "?"; exit }
    if (NR % 2) print v[(NR + 1) / 2]; else printf "%.1f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
spread() { sort -n "$1" | awk 'NR == 1 { lo = $1 } { hi = $1 } END { printf "%s-%s", lo, hi }'; }

# measure ARGS...: REPS wall times (ms) of `authcheck run ARGS` into
# $WORK/t; the scenario's own duration_ms of a one-scenario run into
# $WORK/own; with VERBOSE=-v, the timing line of the last run into
# $WORK/timing (-v prints every check: not for the whole suite).
# BENCH_TIME (make bench: build/bench/walltime) times a run without the
# two process starts `date` puts inside the window (several ms on a VM).
measure() {
    : >"$WORK/t"
    : >"$WORK/own"
    rep=0
    while [ "$rep" -lt "$REPS" ]; do
        time_into "$WORK/t" "$AUTHCHECK" run ${VERBOSE:--q} \
            --scenarios "$SCENARIOS" --out "$WORK/out" "$@"
        sed -n 's/^      "duration_ms": \([0-9]*\).*/\1/p' "$WORK/out/results.json" |
            tail -n 1 >>"$WORK/own"
        rep=$((rep + 1))
    done
    grep '^timing:' "$WORK/log" | tail -n 1 >"$WORK/timing" || true
}

# time_into FILE CMD...: appends CMD's whole-process wall time (ms) to
# FILE; CMD's output goes to $WORK/log. BENCH_TIME (make bench:
# build/bench/walltime) times it without the two process starts `date`
# puts inside the window (several ms on a VM).
time_into() {
    f=$1
    shift
    if [ -x "${BENCH_TIME:-}" ]; then
        "$BENCH_TIME" "$f" "$@" >"$WORK/log" 2>&1 || true
    else
        t0=$(ms_now)
        "$@" >"$WORK/log" 2>&1 || true
        echo $(($(ms_now) - t0)) >>"$f"
    fi
}

# start_ms CMD...: the median whole-process wall time (ms) of 4*REPS
# runs of CMD.
start_ms() {
    : >"$WORK/s"
    rep=0
    while [ "$rep" -lt $((4 * REPS)) ]; do
        time_into "$WORK/s" "$@"
        rep=$((rep + 1))
    done
    median "$WORK/s"
}

# The summary line of the last run, for the pass/fail counts.
last_summary() { grep -E '^[0-9]+ scenarios?:' "$WORK/log" | tail -1 | cut -d';' -f1; }

n=$(find "$SCENARIOS" -name '*.json' | wc -l | tr -d ' ')
echo "== scenario suite ($n scenarios in $SCENARIOS; median of $REPS runs," \
    "$(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg))"
# cpu_ms FILE: the CPU time (user + system, ms) of every child the shell
# had waited for when it wrote FILE with the POSIX `times` builtin (in
# the shell itself: a command substitution would count its own children).
cpu_ms() {
    awk 'NR == 2 {
        s = 0
        for (i = 1; i <= 2; i++) { split($i, p, "m"); s += p[1] * 60 + p[2] }
        printf "%.0f", s * 1000 }' "$1"
}
for j in 1 2; do
    times >"$WORK/cpu0"
    measure -j "$j"
    times >"$WORK/cpu1"
    cpu=$(($(cpu_ms "$WORK/cpu1") - $(cpu_ms "$WORK/cpu0")))
    busy=$(awk -v c="$cpu" '{ w += $1 } END { printf "%.2f", w ? c / w : 0 }' "$WORK/t")
    ms=$(median "$WORK/t")
    eval "ms_j$j=$ms"
    per=$(awk -v t="$ms" -v n="$n" 'BEGIN { printf "%.1f", n ? t / n : 0 }')
    echo "suite, reference client, -j $j: ${ms} ms (spread $(spread "$WORK/t")), ${per} ms per scenario, ${busy} CPUs busy, $((cpu / REPS)) ms of CPU per run ($(last_summary))"
done
echo "speed-up of -j 2 over -j 1: $(awk -v a="$ms_j1" -v b="$ms_j2" 'BEGIN { printf "%.2fx", b ? a / b : 0 }') (goal >= 1.8x on 2 idle cores)"
# starts N CMD...: N starts of CMD, one after another, output dropped.
starts() {
    left=$1
    shift
    while [ "$left" -gt 0 ]; do
        "$@" >/dev/null 2>&1 || true
        left=$((left - 1))
    done
}
# scaling NAME N CMD...: N runs of CMD in one stream, then two streams of
# N at once; prints both wall times and the throughput ratio.
scaling() {
    name=$1
    runs=$2
    shift 2
    t0=$(ms_now)
    starts "$runs" "$@"
    t1=$(ms_now)
    starts "$runs" "$@" &
    starts "$runs" "$@"
    wait
    t2=$(ms_now)
    echo "  $name: $((t1 - t0)) ms, two at once $((t2 - t1)) ms:" \
        "$(awk -v a=$((t1 - t0)) -v b=$((t2 - t1)) 'BEGIN { printf "%.2fx", b ? 2 * a / b : 0 }') the throughput"
}
STARTS=${STARTS:-100}
echo "the -j ceiling: one stream against two at once"
scaling "$STARTS starts of the reference client (mcp-oauth --help)" \
    "$STARTS" "$BINDIR/mcp-oauth" --help
scaling "$STARTS starts of /bin/true" "$STARTS" /bin/true
scaling "a CPU-bound loop (awk, one start)" 1 \
    awk 'BEGIN { for (i = 0; i < 10000000; i++) x += i }'
if [ -x "${BENCH_VMOPS:-}" ]; then
    scaling "50000 page faults (vmops, one start)" 1 "$BENCH_VMOPS" faults 50000
    scaling "20000 maps and unmaps (vmops, one start)" 1 \
        "$BENCH_VMOPS" maps 20000
fi
# The ceiling measured on the suite itself: its scenarios in two halves
# (alternate ids), each run by an authcheck of its own at -j 1, one half
# after the other and then both at once. Two processes share nothing but
# the machine (no lock, no address space, no output), so what they reach
# together is the machine's ceiling for this work, which -j 2 (one
# process, two workers) is measured against.
half_a=
half_b=
k=0
for id in $(cd "$SCENARIOS" && find . -name '*.json' | sed 's|^\./||; s|\.json$||' | sort); do
    if [ $((k % 2)) -eq 0 ]; then
        half_a="$half_a --scenario $id"
    else
        half_b="$half_b --scenario $id"
    fi
    k=$((k + 1))
done
: >"$WORK/ha"
: >"$WORK/hb"
: >"$WORK/hp"
rep=0
while [ "$rep" -lt "$REPS" ]; do
    # shellcheck disable=SC2086 # the halves are lists of words
    time_into "$WORK/ha" "$AUTHCHECK" run -q -j 1 --scenarios "$SCENARIOS" \
        --out "$WORK/oa" $half_a
    # shellcheck disable=SC2086
    time_into "$WORK/hb" "$AUTHCHECK" run -q -j 1 --scenarios "$SCENARIOS" \
        --out "$WORK/ob" $half_b
    # shellcheck disable=SC2016 # expanded by the inner shell
    time_into "$WORK/hp" sh -c '
        "$1" run -q -j 1 --scenarios "$2" --out "$3" $5 &
        "$1" run -q -j 1 --scenarios "$2" --out "$4" $6
        wait' sh "$AUTHCHECK" "$SCENARIOS" "$WORK/oa" "$WORK/ob" \
        "$half_a" "$half_b"
    rep=$((rep + 1))
done
paste "$WORK/ha" "$WORK/hb" "$WORK/hp" |
    awk '{ print ($1 + $2) / $3 }' >"$WORK/hr"
two_procs=$(median "$WORK/hr")
echo "the suite in two halves, an authcheck -j 1 for each: $(median "$WORK/ha") + $(median "$WORK/hb") ms one after the other," \
    "$(median "$WORK/hp") ms both at once: $(awk -v r="$two_procs" 'BEGIN { printf "%.2fx", r }') (two runs that share nothing but" \
    "the machine; -j 2 reached $(awk -v a="$ms_j1" -v b="$ms_j2" -v r="$two_procs" 'BEGIN { printf "%.0f%%", b && r ? 100 * a / b / r : 0 }') of it)"

# The reference client's per-scenario figure, for the official comparison.
AUTHCHECK_MS_PER_SCENARIO=$(awk -v t="$ms_j2" -v n="$n" 'BEGIN { printf "%.1f", n ? t / n : 0 }')
export AUTHCHECK_MS_PER_SCENARIO

measure -j 1 --client-cmd true
ms=$(median "$WORK/t")
echo "harness overhead, client 'true', -j 1: ${ms} ms total, $(awk -v t="$ms" -v n="$n" 'BEGIN { printf "%.1f", n ? t / n : 0 }') ms per scenario"

if [ -f "$SCENARIOS/$ONE.json" ]; then
    VERBOSE=-v measure -j 1 --client-cmd true --scenario "$ONE"
    total=$(median "$WORK/t")
    own=$(median "$WORK/own")
    echo "fixed cost, one scenario ($ONE, client 'true'): ${total} ms whole process," \
        "of which the scenario ${own} ms: fixed $(awk -v t="$total" -v o="$own" 'BEGIN { printf "%.1f", t - o }') ms (goal <= 10 ms)"
    echo "  $(cat "$WORK/timing")"
    # The floor under that figure: the same program started and ended
    # with nothing in between, and the smallest program there is.
    floor=$(start_ms "$AUTHCHECK" --version)
    echo "  floor here: authcheck --version ${floor} ms whole process," \
        "/bin/true $(start_ms /bin/true) ms; the fixed cost beyond" \
        "starting authcheck: $(awk -v t="$total" -v o="$own" -v f="$floor" 'BEGIN { printf "%.1f", t - o - f }') ms"
    VERBOSE=-v measure -j 1 --scenario "$ONE"
    total=$(median "$WORK/t")
    own=$(median "$WORK/own")
    echo "one scenario ($ONE, reference client): ${total} ms whole process," \
        "the scenario ${own} ms: $(awk -v t="$total" -v o="$own" 'BEGIN { printf "%.2fx", o ? t / o : 0 }') (goal <= 2x)"
    echo "  $(cat "$WORK/timing")"
fi
