#!/bin/bash
# run.sh FUZZER CORPUS SECONDS MAX_LEN [DICT]: runs the libFuzzer target
# FUZZER for SECONDS (NOSCO_FUZZ_SECONDS overrides it) on a copy of the seed
# corpus CORPUS, which stays as committed, with inputs of at most MAX_LEN
# bytes and the token dictionary DICT if given. Fails on any crash, leak,
# sanitizer report or timeout, and keeps the reproducer (libFuzzer's own
# exit code for a crash, 77, would read as "skipped" to ctest). An input
# slower than NOSCO_FUZZ_TIMEOUT seconds (5) is a failure.
set -euo pipefail
fuzzer=$1 corpus=$2 seconds=${NOSCO_FUZZ_SECONDS:-$3} max_len=$4 dict=${5:-}
name=$(basename "$fuzzer")
[ -x "$fuzzer" ] || { echo "skipped: no fuzzer at $fuzzer"; exit 77; }
work=$(mktemp -d "${TMPDIR:-/tmp}/nosco-$name.XXXXXX")
cp -r "$corpus" "$work/corpus"
mkdir "$work/artifacts" "$work/tmp"
# The targets that need files write them under TMPDIR; no network lookups.
export TMPDIR=$work/tmp
unset DEBUGINFOD_URLS
opts=(-max_total_time="$seconds" -max_len="$max_len" -timeout="${NOSCO_FUZZ_TIMEOUT:-5}" -rss_limit_mb=2048
	-error_exitcode=1 -timeout_exitcode=1 -print_final_stats=1
	-artifact_prefix="$work/artifacts/")
[ -n "$dict" ] && opts+=(-dict="$dict")
rc=0
"$fuzzer" "${opts[@]}" "$work/corpus" >"$work/log" 2>&1 || rc=$?
grep -E '^(Done|stat::number_of_executed_units|stat::average_exec_per_sec)|cov: ' "$work/log" |
	tail -n 4 || true
# A timeout alone may be the machine stalling the process (a loaded CI box):
# it counts only if the input is slow again when run by itself.
if [ "$rc" != 0 ] && [ -n "$(ls "$work/artifacts")" ] &&
	[ -z "$(ls "$work/artifacts" | grep -v '^timeout-')" ]; then
	slow=0
	for f in "$work/artifacts"/timeout-*; do
		"$fuzzer" -timeout=5 -timeout_exitcode=1 -error_exitcode=1 "$f" >>"$work/log" 2>&1 || slow=1
	done
	if [ "$slow" = 0 ]; then
		echo "note: a timeout that did not happen again when rerun (a stalled machine?):"
		ls "$work/artifacts"
		rm -rf "$work"
		exit 0
	fi
fi
if [ "$rc" != 0 ] || [ -n "$(ls -A "$work/artifacts")" ]; then
	tail -n 60 "$work/log"
	echo "$name failed (exit $rc); reproducers kept in $work/artifacts:"
	ls -l "$work/artifacts"
	exit 1
fi
rm -rf "$work"
