#!/bin/sh
# make bench, when the official suite is installed (make deps-official):
# the official MCP conformance suite and authcheck on the same client (the
# reference client, `mcp-oauth conformance`), on the same scenario ids, in
# the same run. Prints seconds per scenario for the official suite, ms per
# scenario for authcheck, and the ratio (issue 15).
#
#   scripts/bench-official.sh BINDIR NODE CONFORMANCE
#
# The ids are those both suites have: the official client scenarios whose id
# starts with auth/ that authcheck's `official` suite also has. Measured
# (wall clock, including every process start):
#   one at a time  official: one `conformance client --scenario ID` per id;
#                  authcheck: `authcheck run -j 1` over all of them
#   parallel       official: `conformance client --suite S` for its suites
#                  auth, extensions and backcompat (its own parallel mode:
#                  every scenario of a suite at once); authcheck: `authcheck
#                  run -j 2` over the ids of those suites
# A figure, never a pass/fail: a failing scenario is timed like any other.
set -u
if [ $# -ne 3 ]; then
    echo "usage: $0 BINDIR NODE CONFORMANCE" >&2
    exit 2
fi
bindir=$1 node=$2 conf=$3
authcheck=$bindir/authcheck client=$bindir/mcp-oauth
for f in "$authcheck" "$client" "$node" "$conf"; do
    if [ ! -x "$f" ]; then
        echo "bench-official: $f is missing" >&2
        exit 2
    fi
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
now_ms() { date +%s%3N; }
per() { awk -v t="$1" -v n="$2" -v d="$3" 'BEGIN { printf "%.*f", d, t / n }'; }

version=$("$node" "$conf" --version 2>/dev/null)
"$node" "$conf" list --client 2>/dev/null |
    sed -n 's/^  - \(auth\/[^ ]*\) .*$/\1/p' | sort > "$tmp/theirs"
"$authcheck" list --suite official | awk '{ print $1 }' | sort > "$tmp/ours"
ids=$(comm -12 "$tmp/theirs" "$tmp/ours")
n=$(echo "$ids" | grep -c .)
if [ "$n" -eq 0 ]; then
    echo "bench-official: no scenario id in common" >&2
    exit 2
fi
missing=$(comm -23 "$tmp/theirs" "$tmp/ours" | tr '\n' ' ')

# One at a time.
t0=$(now_ms)
for s in $ids; do
    mkdir -p "$tmp/home"
    (cd "$tmp/home" && env -u BROWSER HOME="$tmp/home" "$node" "$conf" client \
        --command "$client conformance" --scenario "$s" \
        -o "$tmp/official") > /dev/null 2>&1
    rm -rf "${tmp:?}/home"
done
off_seq=$(($(now_ms) - t0))
args=
for s in $ids; do
    args="$args --scenario $s"
done
t0=$(now_ms)
# shellcheck disable=SC2086
"$authcheck" run -q -j 1 $args --out "$tmp/ac1" > /dev/null 2>&1
ac_seq=$(($(now_ms) - t0))

# Parallel: the official suite's own suites, authcheck -j 2 on their ids.
t0=$(now_ms)
for suite in auth extensions backcompat; do
    mkdir -p "$tmp/home"
    (cd "$tmp/home" && env -u BROWSER HOME="$tmp/home" "$node" "$conf" client \
        --command "$client conformance" --suite "$suite" \
        -o "$tmp/official-$suite") > "$tmp/suite-$suite.log" 2>&1
    rm -rf "${tmp:?}/home"
done
off_par=$(($(now_ms) - t0))
pids=$(sed 's/\x1b\[[0-9;]*m//g' "$tmp"/suite-*.log |
    sed -n 's/^[^ ]* \(auth\/[^:]*\): .*/\1/p' | sort -u)
npar=$(echo "$pids" | grep -c .)
args=
for s in $(echo "$pids" | comm -12 - "$tmp/ours"); do
    args="$args --scenario $s"
done
npar_ours=$(echo "$pids" | comm -12 - "$tmp/ours" | grep -c .)
t0=$(now_ms)
# shellcheck disable=SC2086
"$authcheck" run -q -j 2 $args --out "$tmp/ac2" > /dev/null 2>&1
ac_par=$(($(now_ms) - t0))

echo "official suite $version and authcheck on mcp-oauth, same run"
echo "  one at a time, $n shared ids:"
echo "    official     $(per "$off_seq" "$((n * 1000))" 2) s per scenario ($(per "$off_seq" 1000 1) s)"
echo "    authcheck    $(per "$ac_seq" "$n" 0) ms per scenario (-j 1, $(per "$ac_seq" 1000 2) s)"
echo "    ratio        $(per "$off_seq" "$ac_seq" 1)x"
if [ "$npar" -gt 0 ] && [ "$npar_ours" -gt 0 ]; then
    echo "  parallel, the $npar ids of the official suites auth, extensions, backcompat:"
    echo "    official     $(per "$off_par" "$((npar * 1000))" 2) s per scenario (--suite, $(per "$off_par" 1000 1) s)"
    echo "    authcheck    $(per "$ac_par" "$npar_ours" 0) ms per scenario (-j 2, $npar_ours ids, $(per "$ac_par" 1000 2) s)"
    echo "    ratio        $(per "$((off_par * npar_ours))" "$((ac_par * npar))" 1)x"
fi
if [ -n "$missing" ]; then
    echo "  official ids authcheck does not have (not timed): $missing"
fi
