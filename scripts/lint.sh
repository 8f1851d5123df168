#!/bin/sh
# make lint: fail on C calls that write a string without a bound, and on
# realloc results stored over the only pointer to the block.
#
# strcpy, strcat, sprintf and vsprintf trust the destination to be large
# enough and gets cannot be bounded at all: a miscounted size is a buffer
# overflow, a size check written beside them is a silent truncation. Use
# snprintf (checking its result) or the capped growable buffer of
# common/buf.h. The names match on word boundaries, so snprintf, vsnprintf,
# asprintf, strncat and fgets pass; `gets` must be followed by "(" because
# it is also an English word in comments.
#
# `p = realloc(p, n)` loses (leaks) the block when realloc fails: keep the
# result in another variable until it is known not to be NULL.
#
# usage: scripts/lint.sh FILE...   exit 0 clean, 1 with file:line hits
set -u
unbounded='\b(strcpy|strcat|sprintf|vsprintf)\b|\bgets[[:space:]]*\('
lvalue='[A-Za-z_][A-Za-z0-9_.>-]*'
selfrealloc="\\b($lvalue)[[:space:]]*=[[:space:]]*realloc[[:space:]]*\\([[:space:]]*\\1[[:space:]]*,"
bad=0
report() { # hits, advice
    [ -n "$1" ] || return 0
    printf '%s\n' "$1"
    echo "lint: $(printf '%s\n' "$1" | wc -l) line(s) above: $2" >&2
    bad=1
}
report "$(grep -HnE "$unbounded" "$@")" \
    "unbounded string call; use snprintf or common/buf.h (scripts/lint.sh)"
report "$(grep -HnE "$selfrealloc" "$@")" \
    "realloc result over its only pointer; use a temporary (scripts/lint.sh)"
[ "$bad" -eq 0 ] || exit 1
echo "lint: $# files, no strcpy/strcat/sprintf/vsprintf/gets, no p = realloc(p, ...)"
