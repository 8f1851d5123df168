#!/bin/sh
# make lint: fail on C calls that write a string without a bound.
#
# strcpy, strcat, sprintf and vsprintf trust the destination to be large
# enough and gets cannot be bounded at all: a miscounted size is a buffer
# overflow, a size check written beside them is a silent truncation. Use
# snprintf (checking its result) or the capped growable buffer of
# common/buf.h. The names match on word boundaries, so snprintf, vsnprintf,
# asprintf, strncat and fgets pass; `gets` must be followed by "(" because
# it is also an English word in comments.
#
# usage: scripts/lint.sh FILE...   exit 0 clean, 1 with file:line hits
set -u
pattern='\b(strcpy|strcat|sprintf|vsprintf)\b|\bgets[[:space:]]*\('
hits=$(grep -HnE "$pattern" "$@")
if [ -n "$hits" ]; then
    printf '%s\n' "$hits"
    n=$(printf '%s\n' "$hits" | wc -l)
    echo "lint: $n unbounded string call(s) above: use snprintf or" \
         "common/buf.h (scripts/lint.sh)" >&2
    exit 1
fi
echo "lint: $# files, no strcpy/strcat/sprintf/vsprintf/gets"
