#!/bin/bash
# syscalls.sh NOSCO SAMPLES CASE ENGINE|syscalls-only: syscall recording checked against
# strace, an independent tracer: for the same command, the number of calls
# and of failed calls per syscall name in the trace's syscalls table must
# equal those of `strace -f -c`. The one exception is known beforehand: the
# program's first execve, which strace records and nosco-sql makes before
# its trace begins.
# Cases: forker, spawner (vfork, posix_spawn), shell (sh -c with a
# redirection, cat and a failing ls; its files are checked too).
set -euo pipefail
nosco=$(realpath "$1") samples=$(realpath "$2") case=$3 engine=$4
command -v strace >/dev/null || { echo "strace is not installed"; exit 77; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
case $case in
forker | spawner) cmd=("$samples/$case") ;;
shell)
	echo hello >in
	cmd=(sh -c 'cat in > out; ls missing')
	;;
*) echo "unknown case $case" >&2; exit 2 ;;
esac

fail=0
status() { "$@" >/dev/null 2>&1 && echo 0 || echo $?; }

rm -f out
expect_status=$(status "${cmd[@]}")
rm -f out
strace_status=$(status strace -f -c -U name,calls,errors -o strace.out -- "${cmd[@]}")
rm -f out
mode=(--engine "$engine")
[ "$engine" = syscalls-only ] && mode=(--syscalls-only)
nosco_status=$(status "$nosco" run "${mode[@]}" -o trace.db -- "${cmd[@]}")
echo "exit status: plain $expect_status, under strace $strace_status, under nosco-sql $nosco_status"
[ "$nosco_status" = "$expect_status" ] || { echo "FAIL exit status"; fail=1; }

# name calls errors, sorted, from both.
awk 'NR > 2 && $1 !~ /^-/ && $1 != "total" { print $1, $2, ($3 == "" ? 0 : $3) }' strace.out |
	sort >strace.txt
# strace counts the first execve; nosco-sql's trace starts after it.
skip=none
[ "$case" = spawner ] && skip=rt_sigaction
awk -v skip=$skip '$1 == "execve" { $2 = $2 - 1 } $2 > 0 && $1 != skip' strace.txt |
	sort >strace-adj.txt
sqlite3 trace.db "SELECT coalesce(name, 'syscall_' || nr), count(*), count(errno)
                  FROM syscalls WHERE ret IS NOT NULL AND name IS NOT '$skip'
                  GROUP BY nr" | tr '|' ' ' | sort >nosco.txt
if diff strace-adj.txt nosco.txt >diff.txt; then
	echo "ok   $(wc -l <nosco.txt) syscall names, counts and errors equal to strace -f -c"
else
	echo "FAIL syscall counts differ (< strace -f -c, > nosco-sql):"
	cat diff.txt
	fail=1
fi

q() { sqlite3 trace.db "$1"; }
check() { # name expected actual
	if [ "$2" = "$3" ]; then echo "ok   $1"; else
		echo "FAIL $1: expected '$2', got '$3'"; fail=1; fi
}
check "every syscall has a thread" 0 "$(q "SELECT count(*) FROM syscalls s
	LEFT JOIN threads t ON t.id = s.thread_id WHERE t.id IS NULL")"
check "recorded syscalls point at a syscall instruction" 0 "$(q "SELECT count(*) FROM syscalls s
	JOIN exec_trace e ON e.seq = s.seq WHERE e.disasm NOT LIKE 'syscall%'")"
check "every syscall instruction has its syscalls row" \
	"$(q "SELECT count(*) FROM exec_trace WHERE disasm LIKE 'syscall%'")" \
	"$(q "SELECT count(*) FROM syscalls WHERE seq IS NOT NULL")"

if [ "$case" = shell ]; then
	d=$(pwd -P)
	check "processes: sh, then cat and ls" "sh cat ls" \
		"$(q "SELECT group_concat(json_extract(argv, '\$[0]'), ' ') FROM
		      (SELECT argv FROM processes ORDER BY id)" | sed 's|/usr/bin/||')"
	check "files: in read, not written" "1|0|0|0" \
		"$(q "SELECT read, written, created, failed FROM q_files WHERE path = '$d/in'")"
	check "files: out written and created" "1|1|0" \
		"$(q "SELECT written, created, failed FROM q_files WHERE path = '$d/out'")"
	check "files: missing failed" "0|0|1" \
		"$(q "SELECT read, stat_only, failed FROM q_files WHERE path = '$d/missing'")"
	check "files: cat and ls executed" "2" \
		"$(q "SELECT count(*) FROM q_files WHERE executed AND path IN
		      ('/usr/bin/cat', '/usr/bin/ls', '/bin/cat', '/bin/ls')")"
fi
exit $fail
