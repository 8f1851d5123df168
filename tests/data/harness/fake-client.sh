#!/bin/sh
# A fake client under test for tests/test_harness_runner.c.
# usage: fake-client.sh MODE MCP_URL
#   hang       sleep, never exit (the harness must kill it at the timeout)
#   stubborn   ignore SIGTERM, then hang (the harness must SIGKILL it)
#   flood      write ~8 MiB to stdout, then exit 0 (output must be capped)
#   exit3      print a line, exit 3
#   env        print the conformance environment and arguments, exit 0
#   browse     open the MCP URL with $BROWSER (a 401: browse exits 1), exit 0
#   browsemany open it twice at once, then eight times in turn (the last
#              ones after the wrapper's slots ran out), then call $BROWSER
#              without a URL, with two arguments and with a newline in the
#              URL; print each exit status, exit 0
#   interp     print the first line of $BROWSER (its interpreter), exit 0
#   crash      print a line, die of SIGSEGV
#   store      write a fake token (FAKE-TOKEN-7f3a9c) into $HOME and the XDG
#              config directory, print where, exit 0
#   scenario   the mode is the last segment of $MCP_CONFORMANCE_SCENARIO
#              (t/x/hang runs "hang"), for runs of many scenarios
mode=$1
url=$2
if [ "$mode" = scenario ]; then
    mode=${MCP_CONFORMANCE_SCENARIO##*/}
fi
case "$mode" in
hang) exec sleep 30 ;;
stubborn) trap '' TERM; sleep 30; sleep 30 ;;
flood) head -c 8388608 /dev/zero | tr '\0' x; exit 0 ;;
exit3) echo "giving up"; exit 3 ;;
env)
    echo "argc=$# url=$url"
    echo "MCP_CONFORMANCE_SCENARIO=$MCP_CONFORMANCE_SCENARIO"
    echo "MCP_CONFORMANCE_PROTOCOL_VERSION=$MCP_CONFORMANCE_PROTOCOL_VERSION"
    echo "MCP_CONFORMANCE_CONTEXT=$MCP_CONFORMANCE_CONTEXT"
    echo "BROWSER=$BROWSER"
    echo "HOME=$HOME"
    echo "XDG_CONFIG_HOME=$XDG_CONFIG_HOME"
    echo "XDG_DATA_HOME=$XDG_DATA_HOME"
    echo "XDG_STATE_HOME=$XDG_STATE_HOME"
    echo "XDG_CACHE_HOME=$XDG_CACHE_HOME"
    exit 0 ;;
browse) "$BROWSER" "$url"; echo "browser exit $?"; exit 0 ;;
browsemany)
    "$BROWSER" "$url" >/dev/null & a=$!
    "$BROWSER" "$url" >/dev/null & b=$!
    wait $a; echo "browser exit $?"
    wait $b; echo "browser exit $?"
    for i in 1 2 3 4 5 6 7 8; do
        "$BROWSER" "$url" >/dev/null; echo "browser exit $?"
    done
    "$BROWSER" >/dev/null 2>&1; echo "no url exit $?"
    "$BROWSER" "$url" "$url" >/dev/null 2>&1; echo "two urls exit $?"
    "$BROWSER" "$url
x" >/dev/null 2>&1; echo "newline exit $?"
    exit 0 ;;
interp) head -n 1 "$BROWSER"; exit 0 ;;
crash) echo "about to crash"; kill -SEGV $$; sleep 5 ;;
store)
    mkdir -p "$XDG_CONFIG_HOME/fake" &&
    echo "FAKE-TOKEN-7f3a9c" > "$HOME/.fake-token" &&
    echo "FAKE-TOKEN-7f3a9c" > "$XDG_CONFIG_HOME/fake/tokens.json" &&
    echo "stored in $HOME" ;;
*) echo "unknown mode $mode" >&2; exit 64 ;;
esac
