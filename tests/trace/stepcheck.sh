#!/bin/bash
# stepcheck.sh: compares the number of instructions nosco-sql records for
# PROG with the count of an independent single-step loop (COUNTER: prints
# either a number or "instructions=N ..." on stdout), both run with the
# same environment (env -i PATH=/usr/bin:/bin), stdin, argv and without
# address space randomization (setarch -R), so that the program executes
# the very same instructions. With --expect N instead of --nosco, checks
# the counter itself against a count known from the source.
#
# usage: stepcheck.sh (--nosco PATH --engine E | --expect N) --prog PROG -- COUNTER [ARGS...]
# Exit status: 0 equal, 1 different, 77 ptrace not permitted, 2 setup error.
set -u
nosco= engine= expect= prog=
while [ $# -gt 0 ]; do
	case $1 in
	--nosco) nosco=$2; shift 2 ;;
	--engine) engine=$2; shift 2 ;;
	--expect) expect=$2; shift 2 ;;
	--prog) prog=$2; shift 2 ;;
	--) shift; break ;;
	*) echo "stepcheck.sh: unknown argument $1" >&2; exit 2 ;;
	esac
done
[ $# -gt 0 ] && [ -n "$prog" ] || { echo "usage: stepcheck.sh (--nosco PATH --engine E | --expect N) --prog PROG -- COUNTER [ARGS...]" >&2; exit 2; }
counter=("$@")

work=$(mktemp -d "${TMPDIR:-/tmp}/nosco-stepcheck.XXXXXX") || exit 2
trap 'rm -rf "$work"' EXIT
clean_env=(env -i PATH=/usr/bin:/bin setarch -R)

out=$(cd "$work" && "${clean_env[@]}" "${counter[@]}" -- "$prog" </dev/null 2>"$work/counter.err")
rc=$?
if grep -q 'not permitted' "$work/counter.err"; then
	echo "SKIP: ptrace is not permitted here"; exit 77
fi
case $out in
*instructions=*) n=${out#*instructions=}; n=${n%% *} ;;
*) n=$out ;;
esac
if ! [[ $n =~ ^[0-9]+$ ]]; then
	echo "FAIL: the counter printed '$out' (exit status $rc)"; cat "$work/counter.err"; exit 1
fi
echo "counter (${counter[0]##*/}): $n instructions"

if [ -n "$expect" ]; then
	[ "$n" = "$expect" ] && { echo "ok: $n = $expect"; exit 0; }
	echo "FAIL: the counter counted $n instructions for $prog, its source says $expect"
	exit 1
fi

(cd "$work" && "${clean_env[@]}" "$nosco" run -o "$work/t.db" --engine "$engine" -- "$prog" \
	</dev/null >"$work/out" 2>"$work/err")
rc=$?
cat "$work/err"
[ -s "$work/t.db" ] || { echo "FAIL: nosco-sql wrote no trace (exit status $rc)"; exit 1; }
got=$(sqlite3 -readonly "$work/t.db" 'SELECT instructions FROM trace; SELECT count(*) FROM exec_trace;' | paste -sd' ')
echo "nosco-sql --engine $engine: trace.instructions, count(exec_trace) = $got"
if [ "$got" = "$n $n" ]; then
	echo ok
	exit 0
fi
echo "FAIL: nosco-sql recorded $got instructions, the single-step loop counted $n"
exit 1
