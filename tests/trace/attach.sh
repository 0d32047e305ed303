#!/bin/bash
# attach.sh NOSCO SAMPLES CASE [ENGINE]: nosco-sql attach.
#   detach   attach to samples/attachee (two threads working and sleeping),
#            trace it for a second, Ctrl-C: the sample then finishes on its
#            own with its known output and exit status 0 (samples/attachee.c:
#            an int3 left behind would kill it, a register not restored
#            would spoil its sum), and the trace holds its threads, calls
#            and syscalls, ended as 'detached'.
#   exits    attach, and let the sample exit while traced: the trace has its
#            exit status.
#   errors   no such process; a process another tracer holds (strace);
#            nosco-sql itself; not a number: one line on stderr, exit 2, no
#            trace file.
set -uo pipefail
nosco=$(realpath "$1") samples=$(realpath "$2") case=$3 engine=${4:-block}
work=$(mktemp -d)
cleanup() { [ -n "${spid:-}" ] && kill -9 "$spid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
cd "$work"
fail=0
check() { # name expected actual
	if [ "$2" = "$3" ]; then echo "ok   $1"; else
		echo "FAIL $1: expected '$2', got '$3'"; fail=1; fi
}
q() { sqlite3 trace.db "$1"; }

start_attachee() {
	"$samples/attachee" >out.txt 2>&1 &
	spid=$!
	for _ in $(seq 50); do grep -q ready out.txt && return; sleep 0.1; done
	echo "attachee did not start"; exit 1
}

case $case in
detach)
	start_attachee
	"$nosco" attach "$spid" --engine "$engine" -o trace.db 2>err.txt &
	npid=$!
	sleep 1
	kill -INT $npid
	wait $npid; nstatus=$?
	wait "$spid"; sstatus=$?; spid=
	check "nosco-sql exit status" 0 "$nstatus"
	check "one line on stderr" 1 "$(wc -l <err.txt)"
	check "the sample finished by itself, exit status 0" 0 "$sstatus"
	check "its output" "sum 7188000" "$(tail -1 out.txt)"
	check "integrity" ok "$(q 'PRAGMA integrity_check')"
	check "end_reason" detached "$(q 'SELECT end_reason FROM trace')"
	check "the process" "1|$(awk '/ready/{print $2}' out.txt)" "$(q 'SELECT count(*), max(pid) FROM processes')"
	check "both threads" 2 "$(q 'SELECT count(*) FROM threads')"
	check "work_item calls recorded" 1 "$(q "SELECT count(*) > 100 FROM calls c JOIN functions f
		ON f.id = c.function_id WHERE f.name = 'work_item'")"
	check "calls left open end as detach" 0 "$(q "SELECT count(*) FROM calls WHERE exit_seq IS NULL
		OR end_kind NOT IN ('ret', 'unwind', 'detach')")"
	check "sleeps recorded" 1 "$(q "SELECT count(*) > 0 FROM syscalls WHERE name IN
		('clock_nanosleep', 'nanosleep', 'restart_syscall')")"
	;;
exits)
	start_attachee
	"$nosco" attach "$spid" --engine "$engine" -o trace.db 2>err.txt
	nstatus=$?
	wait "$spid"; sstatus=$?; spid=
	check "nosco-sql exit status" 0 "$nstatus"
	check "the sample's exit status" 0 "$sstatus"
	check "its output" "sum 7188000" "$(tail -1 out.txt)"
	check "end_reason, exit status" "exited|0" "$(q 'SELECT end_reason, exit_status FROM trace')"
	check "process exit status" 0 "$(q 'SELECT exit_status FROM processes')"
	;;
errors)
	expect_error() { # name pattern args...
		local name=$1 pattern=$2; shift 2
		"$nosco" attach "$@" -o trace.db >out.txt 2>err.txt
		local st=$?
		check "$name: exit status" 2 "$st"
		check "$name: one line on stderr" 1 "$(wc -l <err.txt)"
		grep -q "$pattern" err.txt && echo "ok   $name: message" ||
			{ echo "FAIL $name: message '$(cat err.txt)'"; fail=1; }
		check "$name: no trace file" no "$([ -e trace.db ] && echo yes || echo no)"
	}
	expect_error "no such process" "no process" 999999999
	expect_error "not a number" "expected a process id" 12abc
	rm -f trace.db
	if command -v strace >/dev/null; then
		strace -o /dev/null "$samples/attachee" >out.txt 2>&1 &
		for _ in $(seq 50); do grep -q ready out.txt && break; sleep 0.1; done
		spid=$(awk '/ready/{print $2}' out.txt)
		expect_error "already traced" "already traced" "$spid"
		kill -9 "$spid" 2>/dev/null; spid=
	fi
	;;
*) echo "unknown case $case" >&2; exit 2 ;;
esac
exit $fail
