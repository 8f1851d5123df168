#!/bin/sh
# `make interop`: the official suite against real third-party clients
# (tools/interop/, docs/INTEROP.md), each judged against its baseline of
# expected failures (tools/interop/<client>.baseline.yml: each entry a
# defect of that client, with the spec section it breaks).
#
#   scripts/interop.sh AUTHCHECK NODE OUTDIR [RUN-OPTIONS...]
#
# RUN-OPTIONS go to every `authcheck run` (make passes $(INTEROP_RUN_FLAGS)).
# --timeout 30000 is the official suite's default per-client timeout: a
# Node client (two, for mcp-remote) needs more than the 5 s the scenarios
# allow the reference client on a loaded machine.
# Runs every client even when one fails; exits 1 when any run did not match
# its baseline, 2 when any run was a harness error.
set -u
authcheck=$1 node=$2 out=$3
shift 3
here=tools/interop
rc=0
# The optional client features each has (authcheck run --client-features):
# neither implements the DPoP, workload identity federation or
# enterprise-managed authorization extensions, so those official ids
# (auth/dpop*, auth/wif-jwt-bearer, auth/enterprise-managed-authorization)
# are reported not applicable for them, not failed.
features="client-credentials,cimd,pre-registration,token-store"
for client in sdk-client mcp-remote-client; do
    echo "interop: $client"
    "$authcheck" run --suite official --timeout 30000 "$@" \
        --client-features "$features" \
        --client-cmd "$node $here/$client.mjs" \
        --baseline "$here/$client.baseline.yml" \
        --out "$out/$client"
    r=$?
    echo "interop: $client: exit $r (results in $out/$client)"
    if [ "$r" -gt "$rc" ]; then
        rc=$r
    fi
done
exit "$rc"
