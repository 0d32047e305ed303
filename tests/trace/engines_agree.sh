#!/bin/bash
# engines_agree.sh [--threads-from N] NOSCO-SQL PROG [ARGS...]
# Traces PROG with the step engine (the reference) and the block engine and
# checks that both recorded the same execution: per thread, the same
# instructions in the same order (as binary + offset), the same calls with
# the same depths, parents, endings and instruction counts, the same
# binaries, and the same exit status. Both runs have the same environment
# and no ASLR, so a deterministic program executes the very same
# instructions. With --threads-from N only threads N and later are compared
# instruction by instruction (a main thread's waiting depends on timing).
# Exit 0 when identical, 1 with a diff excerpt when not, 77 when ptrace is
# not permitted here.
set -u
from=1
if [ "${1:-}" = --threads-from ]; then from=$2; shift 2; fi
nosco=$1; shift
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

for engine in step block; do
	env -i PATH=/usr/bin:/bin HOME="$dir" setarch x86_64 -R "$nosco" run --engine "$engine" \
		-o "$dir/$engine.db" -- "$@" >"$dir/$engine.out" 2>"$dir/$engine.err" </dev/null
	echo "exit $?" >"$dir/$engine.exit"
	if grep -q "Operation not permitted" "$dir/$engine.err"; then
		echo "ptrace is not permitted here"; exit 77
	fi
	sqlite3 -cmd ".parameter set @from $from" "$dir/$engine.db" >"$dir/$engine.txt" <<'SQL'
SELECT 'thread', id, parent_id, exit_status, exit_signal,
       CASE WHEN id >= @from THEN instructions END FROM threads ORDER BY id;
SELECT 'binary', name, kind, load_seq IS NOT NULL, unload_seq IS NOT NULL FROM binaries ORDER BY id;
SELECT 'call', c.thread_id, c.depth, c.kind, coalesce(f.name, '?'), c.end_kind, c.recorded,
       c.instructions, coalesce(pf.name, '-')
FROM calls c LEFT JOIN functions f ON f.id = c.function_id
LEFT JOIN calls p ON p.id = c.parent_id LEFT JOIN functions pf ON pf.id = p.function_id
WHERE c.thread_id >= @from ORDER BY c.thread_id, c.entry_seq, c.id;
SELECT 'insn', thread_id, coalesce(binary, '?'), coalesce(offset, addr) FROM exec_trace
WHERE thread_id >= @from ORDER BY thread_id, seq;
SELECT 'end', end_reason, exit_status, exit_signal, error IS NULL FROM trace;
SQL
done
status=0
if ! cmp -s "$dir/step.exit" "$dir/block.exit"; then
	echo "exit status differs: step $(cat "$dir/step.exit"), block $(cat "$dir/block.exit")"
	status=1
fi
if ! cmp -s "$dir/step.txt" "$dir/block.txt"; then
	echo "traces differ (< step, > block):"
	diff "$dir/step.txt" "$dir/block.txt" | head -${DIFF_LINES:-20}
	status=1
fi
if [ $status = 0 ]; then
	echo "identical: $(grep -c '^insn' "$dir/step.txt") instructions, $(grep -c '^call' "$dir/step.txt") calls, $(grep -c '^thread' "$dir/step.txt") threads"
else
	cat "$dir/block.err" | head -5
fi
exit $status
