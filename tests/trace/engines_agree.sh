#!/bin/bash
# engines_agree.sh: the step and block engines record the same execution of
# a deterministic single-threaded program: same instruction stream (binary,
# offset) and same call tree. Both runs use the same environment and no
# ASLR, so the program executes the very same instructions.
#
# usage: engines_agree.sh NOSCO STEP_COUNT PROG [ARGS...]
# Exit status: 0 same, 1 different, 77 ptrace not permitted, 2 setup error.
set -u
[ $# -ge 3 ] || { echo "usage: engines_agree.sh NOSCO STEP_COUNT PROG [ARGS...]" >&2; exit 2; }
nosco=$1 step_count=$2
shift 2
"$step_count" --probe >/dev/null 2>&1
[ $? -eq 77 ] && { echo "SKIP: ptrace is not permitted here"; exit 77; }
work=$(mktemp -d "${TMPDIR:-/tmp}/nosco-engines.XXXXXX") || exit 2
trap 'rm -rf "$work"' EXIT

for e in step block; do
	(cd "$work" && env -i PATH=/usr/bin:/bin setarch -R "$nosco" run -o "$work/$e.db" --engine $e -- "$@" \
		</dev/null >"$work/$e.out" 2>"$work/$e.err")
	echo "$e: exit status $?"
	cat "$work/$e.err"
	sqlite3 -readonly "$work/$e.db" \
		"SELECT seq, thread_id, binary, offset FROM exec_trace ORDER BY seq" >"$work/$e.exec" &&
	sqlite3 -readonly "$work/$e.db" \
		"SELECT id, thread_id, parent_id, depth, kind, function, binary, end_kind, recorded, instructions, entry_seq, exit_seq FROM call_tree ORDER BY id" >"$work/$e.calls" ||
		{ echo "FAIL: cannot read the $e trace"; exit 1; }
	echo "$e: $(wc -l <"$work/$e.exec") instructions, $(wc -l <"$work/$e.calls") calls"
done
fails=0
for what in exec calls out; do
	if cmp -s "$work/step.$what" "$work/block.$what"; then
		echo "ok   same $what"
	else
		echo "FAIL: the engines differ in $what (first differences, step < > block):"
		diff "$work/step.$what" "$work/block.$what" | head -20
		fails=1
	fi
done
exit $fails
