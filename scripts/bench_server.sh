#!/bin/sh
# make bench, part "server": the wall time of a full `authcheck server`
# run (every server check) against a local mock started with
# `authcheck serve`. Prints figures, asserts nothing.
#
# usage: scripts/bench_server.sh BINDIR
set -eu
BINDIR=${1:-bin}
tmp=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$tmp"' EXIT INT TERM
"$BINDIR/authcheck" serve --scenario auth/metadata-default >"$tmp/urls" &
pid=$!
i=0
while [ ! -s "$tmp/urls" ] && [ $i -lt 50 ]; do
    sleep 0.1
    i=$((i + 1))
done
mcp=$(sed -n 's/.*"mcp":"\([^"]*\)".*/\1/p' "$tmp/urls")
start=$(date +%s%N)
"$BINDIR/authcheck" server --mcp "$mcp" --out "$tmp/out" -q >"$tmp/log" 2>&1 || true
end=$(date +%s%N)
requests=$(grep -o '"seq"' "$tmp/out/results.json" | wc -l)
echo "server: full run against the local mock: $(( (end - start) / 1000000 )) ms," \
     "$requests requests; $(tail -n 1 "$tmp/log")"
