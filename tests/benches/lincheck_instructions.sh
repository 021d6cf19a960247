#!/bin/sh
# Instructions executed inside `lincheck::check`, one history file at a time, counted by valgrind's
# callgrind: a measure of the checker's work that does not depend on the machine's load, so two
# builds of the checker can be compared on a busy machine (see docs/PERFORMANCE.md).
#
# usage: lincheck_instructions.sh <lincheck binary> <kv|kv-whole|etcd> <files...>
# prints: <file> <instructions>
set -eu
if [ $# -lt 3 ]; then
    echo "usage: $0 <lincheck binary> <kv|kv-whole|etcd> <files...>" >&2
    exit 2
fi
bin=$1
model=$2
shift 2
out=$(mktemp)
trap 'rm -f "$out"' EXIT
for file in "$@"; do
    # Only the check is counted: reading and parsing the file are left out. The name is exact: a
    # pattern such as `check*` also matches the closures inside `check`, and each match toggles
    # the counting, so the search itself would be left out.
    valgrind --tool=callgrind --toggle-collect='tests::lincheck::check::check' \
        --callgrind-out-file="$out" "$bin" "$model" "$file" >/dev/null 2>&1 || true
    printf '%s %s\n' "$(basename "$file")" "$(sed -n 's/^totals: //p' "$out")"
done
