#!/bin/bash
# faults.sh: faults around a trace (issue 8), one case per call. Each case
# ends with a trace that passes PRAGMA integrity_check and holds every event
# up to the fault, checked against facts fixed by the samples' source.
#
# usage: faults.sh NOSCO SAMPLES_DIR STEP_COUNT CASE [ENGINE]
#   sighup          nosco-sql gets SIGHUP mid-trace (SIGINT and SIGTERM are
#                   cli.sh's interrupt_* cases)
#   nosco_killed    nosco-sql is SIGKILLed mid-trace: the kernel kills the
#                   program with it (PTRACE_O_EXITKILL); the trace holds what
#                   was committed; --force then replaces it cleanly
#   disk_full       the trace's file system fills up (an 8 MB tmpfs): one
#                   line on stderr, exit 2, the program killed, the trace
#                   valid and ended where its last commit left it
#   disk_full_attach  the same while attached: the process is let go and
#                   finishes as if never traced
#   two_writers     a second nosco-sql refuses the file the first is writing
#                   (also with --force); once it is done, --force replaces it
#   mode            trace files are 0600; --mode sets them exactly; bad modes
#   record_env      the environment is in the trace only with --record-env
#   stdio_closed    nosco-sql started with stdin, stdout and stderr closed
#   setuid_root     root traces a set-user-ID copy of samples/ids owned by
#                   nobody: it runs as nobody, traced
#   setuid_user     nobody traces a set-user-ID-root copy: the kernel does not
#                   grant root under an unprivileged tracer; the trace works
# Exit status: 0 pass, 1 fail, 77 skipped (ptrace, mount or setpriv not
# permitted here), 2 usage error.
set -u
[ $# -ge 4 ] || { echo "usage: faults.sh NOSCO SAMPLES_DIR STEP_COUNT CASE [ENGINE]" >&2; exit 2; }
nosco=$1 S=$2 step_count=$3 case=$4 engine=${5:-block}
command -v sqlite3 >/dev/null || { echo "faults.sh: the sqlite3 command-line tool is missing" >&2; exit 2; }

"$step_count" --probe >/dev/null 2>&1
[ $? -eq 77 ] && { echo "SKIP: ptrace is not permitted here"; exit 77; }

# The disk-full cases mount a small tmpfs: in a mount namespace of their
# own, so that nothing else sees it.
case $case in
disk_full*)
	if [ -z "${NOSCO_FAULTS_NS:-}" ]; then
		unshare -m --propagation private true 2>/dev/null ||
			{ echo "SKIP: cannot make a mount namespace here"; exit 77; }
		NOSCO_FAULTS_NS=1 exec unshare -m --propagation private bash "$0" "$@"
	fi ;;
esac

work=$(mktemp -d "${TMPDIR:-/tmp}/nosco-faults.XXXXXX") || exit 2
work=$(cd -P "$work" && pwd)
bg=()
cleanup() {
	for p in "${bg[@]}"; do kill -KILL "$p" 2>/dev/null; done
	[ -n "${mnt:-}" ] && umount "$mnt" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
cd "$work" || exit 2
ulimit -c 0
failures=0

fail() { failures=$((failures + 1)); echo "FAIL: $*"; }
ok() { echo "ok   $*"; }
expect_eq() { # WHAT EXPECTED GOT
	[ "$2" = "$3" ] && ok "$1: $3" || fail "$1: expected '$2', got '$3'"
}
q() { sqlite3 -batch "$1" "$2" 2>&1; }

# expect_one_line WHAT STATUS ERRFILE PATTERN: a non-zero status, one
# line on stderr, matching PATTERN.
expect_one_line() {
	local what=$1 st=$2 err=$3 pat=$4
	[ "$st" -ne 0 ] && ok "$what: exit status $st" || fail "$what: exit status 0"
	expect_eq "$what: lines on stderr" 1 "$(wc -l <"$err")"
	grep -q -- "$pat" "$err" && ok "$what: says '$pat'" || fail "$what: stderr does not say '$pat': $(cat "$err")"
}

# wait_started OUTFILE PID: the program printed "started".
wait_started() {
	for _ in $(seq 600); do
		grep -q started "$1" 2>/dev/null && return 0
		kill -0 "$2" 2>/dev/null || break
		sleep 0.2
	done
	fail "the program did not start"
	return 1
}

# program_gone PID: no such process, or a zombie (killed, not yet reaped).
program_gone() {
	sleep 0.3
	if [ -n "$1" ] && [ -d "/proc/$1" ] && ! grep -q '^State:.*Z' "/proc/$1/status" 2>/dev/null; then
		fail "the program (pid $1) is still there: $(grep State "/proc/$1/status")"
		kill -KILL "$1"
	else
		ok "the program is gone"
	fi
}

# A trace cut short must still be consistent: intact, no dangling
# reference, the execution stream seq 0 .. instructions-1 with no gap, and
# the counts of calls, threads and the trace agree.
check_consistent() { # DB
	local db=$1
	expect_eq "integrity" ok "$(q "$db" 'PRAGMA integrity_check')"
	expect_eq "foreign keys" "" "$(q "$db" 'PRAGMA foreign_key_check')"
	expect_eq "stream tiles 0..instructions" "0|0" "$(q "$db" "
		SELECT coalesce(min(e.seq), 0), count(*) FILTER (WHERE e.seq + b.count !=
		  coalesce((SELECT min(n.seq) FROM exec_blocks n WHERE n.seq > e.seq),
		           (SELECT instructions FROM trace)))
		FROM exec_blocks e JOIN blocks b ON b.id = e.block_id")"
	expect_eq "counts agree" "1|1" "$(q "$db" "
		SELECT (SELECT sum(instructions) FROM calls) = t.instructions,
		       (SELECT sum(instructions) FROM threads) = t.instructions FROM trace t")"
	expect_eq "calls nested" 0 "$(q "$db" "
		SELECT count(*) FROM calls c JOIN calls p ON p.id = c.parent_id
		WHERE c.entry_seq < p.entry_seq OR c.exit_seq > p.exit_seq
		   OR (p.exit_seq IS NOT NULL AND c.exit_seq IS NULL)")"
}

# spin_facts DB: samples/forever calls spin() (straight-line code) again
# and again from main: every spin call that returned ran the same number of
# instructions, they are children of main's call (when it has a row: not
# when nosco-sql was killed inside it), and only the last one may still be
# running.
spin_facts() {
	local db=$1
	expect_eq "spin calls recorded" 1 "$(q "$db" "SELECT count(*) > 10 FROM calls c
		JOIN functions f ON f.id = c.function_id WHERE f.name = 'spin'")"
	expect_eq "every returned spin call ran the same code" 1 "$(q "$db" "
		SELECT count(DISTINCT c.instructions) FROM calls c JOIN functions f ON f.id = c.function_id
		WHERE f.name = 'spin' AND c.end_kind = 'ret'")"
	expect_eq "spin calls: children of main, none missing" "1|1" "$(q "$db" "
		WITH s AS (SELECT c.* FROM calls c JOIN functions f ON f.id = c.function_id WHERE f.name = 'spin'),
		     m AS (SELECT c.id FROM calls c JOIN functions f ON f.id = c.function_id WHERE f.name = 'main')
		SELECT (SELECT count(DISTINCT parent_id) FROM s) = 1
		       AND ((SELECT parent_id FROM s LIMIT 1) IN m OR NOT EXISTS (SELECT 1 FROM m)),
		       (SELECT count(*) FROM s WHERE end_kind IS NULL OR end_kind != 'ret') <= 1")"
}

# fill_mount SIZE: a small tmpfs at $work/small, in our private mount
# namespace. Big enough for a few commits of the trace (one a second),
# so that the disk fills up in the middle of the program's main loop.
fill_mount() {
	mnt=$work/small
	mkdir -p "$mnt"
	if ! mount -t tmpfs -o "size=$1" nosco-faults "$mnt" 2>/dev/null; then
		mnt=
		echo "SKIP: cannot mount a tmpfs here (not root, or no CAP_SYS_ADMIN)"
		exit 77
	fi
}

case $case in
sighup)
	"$nosco" run --engine "$engine" -o t.db -- "$S/forever" </dev/null >out 2>err &
	npid=$!
	bg+=("$npid")
	wait_started out "$npid" || exit 1
	sleep 1
	pid=$(pgrep -P "$npid")
	kill -HUP "$npid"
	wait "$npid"
	st=$?
	expect_one_line "SIGHUP" "$st" err "interrupted by signal 1"
	expect_eq "exit status 128+1" 129 "$st"
	program_gone "$pid"
	check_consistent t.db
	expect_eq "end" "interrupted|1" "$(q t.db 'SELECT end_reason, end_time IS NOT NULL FROM trace')"
	expect_eq "every call ended" 0 "$(q t.db 'SELECT count(*) FROM calls WHERE end_kind IS NULL')"
	spin_facts t.db
	;;
nosco_killed)
	"$nosco" run --engine "$engine" -o t.db -- "$S/forever" </dev/null >out 2>err &
	npid=$!
	bg+=("$npid")
	wait_started out "$npid" || exit 1
	# Until more than 10 spin calls are committed (a commit a second; a
	# loaded machine takes longer). A read-only reader never checkpoints.
	for _ in $(seq 240); do
		sleep 0.5
		[ "$(sqlite3 -batch -readonly t.db "SELECT count(*) > 10 FROM calls c
			JOIN functions f ON f.id = c.function_id WHERE f.name = 'spin'" 2>/dev/null)" = 1 ] && break
	done
	pid=$(pgrep -P "$npid")
	kill -KILL "$npid"
	wait "$npid" 2>/dev/null
	program_gone "$pid"
	# (Before sqlite3 opens the file: it checkpoints the -wal on closing.)
	expect_eq "a -wal file is left" yes "$([ -s t.db-wal ] && echo yes || echo no)"
	# Committed data only: no end, calls still running have no row; what
	# is there is intact and well formed.
	expect_eq "integrity" ok "$(q t.db 'PRAGMA integrity_check')"
	expect_eq "no end written" "|" "$(q t.db 'SELECT end_reason, end_time FROM trace')"
	spin_facts t.db
	# A killed run's -wal must not be read as part of the new trace.
	cp t.db-wal saved-wal
	sqlite3 t.db 'PRAGMA journal_mode=WAL' >/dev/null # the header says WAL again
	cp saved-wal t.db-wal
	"$nosco" run --engine "$engine" --force -o t.db -- "$S/hello" </dev/null >out 2>err
	expect_eq "--force over it: exit status" 0 "$?"
	expect_eq "no stale -wal/-shm" "" "$(ls t.db-* 2>/dev/null)"
	expect_eq "the new trace: intact" ok "$(q t.db "PRAGMA integrity_check")"
	expect_eq "the new trace: hello's" "exited|1" "$(q t.db "SELECT end_reason,
		json_extract(argv, '\$[0]') LIKE '%/hello' FROM trace")"
	expect_eq "the new trace's calls" 0 "$(q t.db "SELECT count(*) FROM calls c
		JOIN functions f ON f.id = c.function_id WHERE f.name = 'spin'")"
	;;
disk_full)
	fill_mount 8m
	"$nosco" run --engine "$engine" -o "$mnt/t.db" -- "$S/forever" </dev/null >out 2>err &
	npid=$!
	bg+=("$npid")
	for _ in $(seq 600); do pid=$(pgrep -P "$npid") && break; sleep 0.1; done
	wait "$npid"
	st=$?
	sed 's/^/  stderr: /' err
	expect_one_line "disk full" "$st" err "disk is full"
	grep -q "program killed" err && ok "says the program was killed" || fail "does not say the program was killed"
	program_gone "$pid"
	cp "$mnt"/t.db* .
	check_consistent t.db
	expect_eq "end" "error|1|1" "$(q t.db "SELECT end_reason, error LIKE '%full%', end_time IS NOT NULL FROM trace")"
	expect_eq "calls running at the end: no exit" 0 "$(q t.db "SELECT count(*) FROM calls
		WHERE (end_kind IS NULL) != (exit_seq IS NULL)")"
	expect_eq "main still running at the end" 1 "$(q t.db "SELECT count(*) FROM calls c
		JOIN functions f ON f.id = c.function_id WHERE f.name = 'main' AND c.end_kind IS NULL")"
	spin_facts t.db
	;;
disk_full_attach)
	fill_mount 2m
	"$S/attachee" >out.txt 2>&1 &
	spid=$!
	bg+=("$spid")
	for _ in $(seq 50); do grep -q ready out.txt && break; sleep 0.1; done
	"$nosco" attach "$spid" --engine "$engine" -o "$mnt/t.db" </dev/null >out 2>err
	st=$?
	sed 's/^/  stderr: /' err
	expect_one_line "disk full, attached" "$st" err "disk is full"
	grep -q "process let go" err && ok "says the process was let go" || fail "does not say the process was let go"
	wait "$spid"
	sstatus=$?
	expect_eq "the process finished by itself, exit status 0" 0 "$sstatus"
	expect_eq "its output (samples/attachee.c)" "sum 7188000" "$(tail -1 out.txt)"
	cp "$mnt"/t.db* .
	check_consistent t.db
	expect_eq "end" "error|1" "$(q t.db "SELECT end_reason, error LIKE '%full%' FROM trace")"
	expect_eq "work_item calls recorded" 1 "$(q t.db "SELECT count(*) > 0 FROM calls c
		JOIN functions f ON f.id = c.function_id WHERE f.name = 'work_item' AND c.end_kind = 'ret'")"
	;;
two_writers)
	"$nosco" run --engine "$engine" -o t.db -- "$S/forever" </dev/null >out 2>err &
	npid=$!
	bg+=("$npid")
	wait_started out "$npid" || exit 1
	sleep 1
	"$nosco" run --engine "$engine" -o t.db -- "$S/hello" </dev/null >out2 2>err2
	expect_one_line "second writer" $? err2 "being written by another nosco-sql"
	expect_eq "second writer: the program did not run" "" "$(cat out2)"
	"$nosco" run --engine "$engine" --force -o t.db -- "$S/hello" </dev/null >out2 2>err2
	expect_one_line "second writer with --force" $? err2 "being written by another nosco-sql"
	expect_eq "no file of the second writer" "" "$(ls | grep new-)"
	kill -TERM "$npid"
	wait "$npid"
	check_consistent t.db
	expect_eq "the first trace" "interrupted|1" "$(q t.db "SELECT end_reason,
		json_extract(argv, '\$[0]') LIKE '%/forever' FROM trace")"
	spin_facts t.db
	"$nosco" run --engine "$engine" --force -o t.db -- "$S/hello" </dev/null >out2 2>err2
	expect_eq "once done, --force replaces it" "0|exited" "$?|$(q t.db 'SELECT end_reason FROM trace')"
	;;
mode)
	perm() { stat -c %a "$1"; }
	"$nosco" run --engine "$engine" -o a.db -- "$S/hello" </dev/null >/dev/null 2>err
	expect_eq "default mode" 600 "$(perm a.db)"
	(umask 000 && exec "$nosco" run --engine "$engine" -o b.db -- "$S/hello" </dev/null >/dev/null 2>err)
	expect_eq "default mode, umask 000" 600 "$(perm b.db)"
	(umask 077 && exec "$nosco" run --engine "$engine" --mode 0644 -o c.db -- "$S/hello" </dev/null >/dev/null 2>err)
	expect_eq "--mode 0644 (umask 077)" 644 "$(perm c.db)"
	"$nosco" run --engine "$engine" --mode 640 -o d.db -- "$S/hello" </dev/null >/dev/null 2>err
	expect_eq "--mode 640" 640 "$(perm d.db)"
	"$nosco" run --engine "$engine" --force --mode 0660 -o d.db -- "$S/hello" </dev/null >/dev/null 2>err
	expect_eq "--force --mode 0660" 660 "$(perm d.db)"
	for m in 0400 0200 1777 4755 abc 0o644 999 '' -600 0x1a4 07777; do
		"$nosco" run --engine "$engine" --mode "$m" -o e.db -- "$S/hello" </dev/null >out 2>err
		expect_one_line "--mode '$m'" $? err "--mode"
	done
	expect_eq "nothing created by bad modes" "" "$(ls e.db 2>/dev/null; cat out)"
	;;
record_env)
	secret=nosco-secret-$RANDOM$RANDOM
	NOSCO_SECRET=$secret "$nosco" run --engine "$engine" -o a.db -- "$S/hello" </dev/null >/dev/null 2>err
	expect_eq "default: no env, option false" "1|0" "$(q a.db "SELECT env IS NULL,
		json_extract(options, '\$.record_env') FROM trace")"
	expect_eq "the secret is nowhere in the file" 0 "$(grep -c -a -- "$secret" a.db)"
	NOSCO_SECRET=$secret "$nosco" run --engine "$engine" --record-env -o b.db -- "$S/hello" </dev/null >/dev/null 2>err
	expect_eq "--record-env: option true" 1 "$(q b.db "SELECT json_extract(options, '\$.record_env') FROM trace")"
	expect_eq "--record-env: the variable, once" 1 "$(q b.db "SELECT count(*) FROM trace, json_each(trace.env)
		WHERE json_each.value = 'NOSCO_SECRET=$secret'")"
	expect_eq "--record-env: the whole environment" "$(NOSCO_SECRET=$secret env -0 | tr -cd '\0' | wc -c)" \
		"$(q b.db "SELECT json_array_length(env) FROM trace")"
	;;
stdio_closed)
	# No stdin, stdout or stderr: the trace file must not take fd 0-2
	# (stray writes to them would land in it), and the program (which
	# inherits the closed fds) gets EBADF when it writes.
	"$nosco" run --engine "$engine" -o t.db -- "$S/hello" <&- >&- 2>&-
	expect_eq "exit status" 0 "$?"
	expect_eq "intact" ok "$(q t.db 'PRAGMA integrity_check')"
	expect_eq "end" "exited|0" "$(q t.db 'SELECT end_reason, exit_status FROM trace')"
	expect_eq "hello's write to the closed stdout failed with EBADF" 9 \
		"$(q t.db "SELECT errno FROM syscalls WHERE name = 'write' AND arg0 = 1")"
	;;
setuid_root | setuid_user)
	command -v setpriv >/dev/null || { echo "SKIP: no setpriv"; exit 77; }
	[ "$(id -u)" = 0 ] || { echo "SKIP: needs root to make a set-user-ID file"; exit 77; }
	nobody=$(id -u nobody 2>/dev/null) || { echo "SKIP: no user nobody"; exit 77; }
	chmod 755 "$work"
	mkdir out && chmod 777 out
	cp "$S/ids" ids
	if [ "$case" = setuid_root ]; then
		chown nobody ids && chmod 4755 ids
		"$nosco" run --engine "$engine" -o out/t.db -- ./ids </dev/null >stdout 2>err
		st=$?
		expect_eq "runs as nobody, traced" "0|uid=0 euid=$nobody" "$st|$(cat stdout)"
	else
		chown root ids && chmod 4755 ids
		if ! setpriv --reuid="$nobody" --regid="$nobody" --clear-groups true 2>/dev/null; then
			echo "SKIP: setpriv cannot change user here"; exit 77
		fi
		(cd out && exec setpriv --reuid="$nobody" --regid="$nobody" --clear-groups \
			"$nosco" run --engine "$engine" -o t.db -- "$work/ids") </dev/null >stdout 2>err
		st=$?
		# An unprivileged tracer does not get the set-user-ID: the
		# program runs with nobody's ids, and is traced.
		expect_eq "runs as nobody, traced" "0|uid=$nobody euid=$nobody" "$st|$(cat stdout)"
		expect_eq "the trace is nobody's, 0600" "$nobody 600" "$(stat -c '%u %a' out/t.db)"
	fi
	sed 's/^/  stderr: /' err
	expect_eq "intact" ok "$(q out/t.db 'PRAGMA integrity_check')"
	expect_eq "end" "exited|0" "$(q out/t.db 'SELECT end_reason, exit_status FROM trace')"
	expect_eq "main traced" 1 "$(q out/t.db "SELECT count(*) FROM calls c
		JOIN functions f ON f.id = c.function_id WHERE f.name = 'main'")"
	;;
*)
	echo "faults.sh: unknown case $case" >&2
	exit 2 ;;
esac

if [ $failures -gt 0 ]; then
	echo "$failures check(s) failed"
	exit 1
fi
echo "all checks passed"
exit 0
