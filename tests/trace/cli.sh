#!/bin/bash
# cli.sh: tests of the `nosco-sql run` command line, one case per call:
# output file rules, bad input, what the traced program sees, and traces
# ended from outside. Expected behaviour is the contract of issue 2.
#
# usage: cli.sh NOSCO SAMPLES_DIR STEP_COUNT CASE [ENGINE]
# Exit status: 0 pass, 1 fail, 77 skipped (ptrace not permitted, or the
# case needs something this machine cannot do), 2 usage error.
set -u
[ $# -ge 4 ] || { echo "usage: cli.sh NOSCO SAMPLES_DIR STEP_COUNT CASE [ENGINE]" >&2; exit 2; }
nosco=$1 S=$2 step_count=$3 case=$4 engine=${5:-step}
command -v sqlite3 >/dev/null || { echo "cli.sh: the sqlite3 command-line tool is missing" >&2; exit 2; }

"$step_count" --probe >/dev/null 2>&1
[ $? -eq 77 ] && { echo "SKIP: ptrace is not permitted here"; exit 77; }

work=$(mktemp -d "${TMPDIR:-/tmp}/nosco-cli-test.XXXXXX") || exit 2
work=$(cd -P "$work" && pwd)
cleanup() { rm -rf "$work"; }
trap cleanup EXIT
cd "$work" || exit 2
ulimit -c 0
failures=0

fail() { failures=$((failures + 1)); echo "FAIL: $*"; }
ok() { echo "ok   $*"; }

# nosco ARGS...: runs nosco-sql in the cwd; sets $status, output in out/err
# files of $work (outside the cwd when the cwd is elsewhere).
nosco() {
	"$nosco" "$@" </dev/null >"$work/.out" 2>"$work/.err"
	status=$?
	echo "  \$ nosco-sql $* -> exit status $status"
	sed 's/^/  stderr: /' "$work/.err"
}

# expect_error WHAT: the last nosco call failed cleanly: non-zero status,
# exactly one non-empty line on stderr, nothing on stdout (the program did
# not run).
expect_error() {
	local what=$1 lines
	lines=$(wc -l <"$work/.err")
	if [ "$status" -eq 0 ]; then
		fail "$what: exit status 0, expected an error"
	elif [ "$lines" -ne 1 ] || [ -z "$(tr -d '[:space:]' <"$work/.err")" ]; then
		fail "$what: $lines line(s) on stderr, expected exactly one"
	elif [ -s "$work/.out" ]; then
		fail "$what: the program ran (stdout: $(head -c 200 "$work/.out"))"
	else
		ok "$what: exit status $status, one line on stderr"
	fi
}

# expect_files DESCRIPTION NAMES...: the cwd holds exactly these files.
expect_files() {
	local what=$1 got want
	shift
	got=$(ls -A | grep -v '^\.out$\|^\.err$' | sort | paste -sd' ')
	want=$(printf '%s\n' "$@" | sort | paste -sd' ')
	[ "$got" = "$want" ] && ok "$what: files: ${want:-none}" ||
		fail "$what: files in the cwd: '${got}', expected '${want}'"
}

q() { sqlite3 -batch -readonly "$1" "$2" 2>&1; }

expect_eq() { # WHAT EXPECTED GOT
	[ "$2" = "$3" ] && ok "$1: $3" || fail "$1: expected '$2', got '$3'"
}

sum() { cksum <"$1"; }

hello_out="hello, world"

case $case in
default_output)
	# No -o: <basename of PROG>.trace.db in the cwd; the program's stdout is
	# its own, nothing of nosco-sql's.
	nosco run --engine "$engine" -- "$S/hello"
	expect_eq "exit status" 0 "$status"
	expect_eq "stdout" "$hello_out" "$(cat .out)"
	expect_files "default output name" hello.trace.db
	expect_eq "a trace" "nosco-sql trace|0" "$(q hello.trace.db 'SELECT format, exit_status FROM trace')"
	;;
path_search)
	# PROG without a slash is looked up on PATH, like a shell does; argv[0]
	# is passed as given.
	PATH=$S:$PATH nosco run --engine "$engine" -- hello
	expect_eq "exit status" 0 "$status"
	expect_eq "stdout" "$hello_out" "$(cat .out)"
	expect_files "default output name" hello.trace.db
	expect_eq "argv" '["hello"]' "$(q hello.trace.db 'SELECT argv FROM trace')"
	expect_eq "executable" "$S/hello" "$(q hello.trace.db 'SELECT executable FROM processes')"
	;;
force)
	# An existing trace is replaced only with --force.
	nosco run --engine "$engine" -o t.db -- "$S/exit_status"
	expect_eq "first trace" 42 "$status"
	before=$(sum t.db)
	nosco run --engine "$engine" -o t.db -- "$S/hello"
	expect_error "existing trace without --force"
	expect_eq "trace unchanged" "$before" "$(sum t.db)"
	nosco run --engine "$engine" --force -o t.db -- "$S/hello"
	expect_eq "with --force: exit status" 0 "$status"
	expect_eq "with --force: stdout" "$hello_out" "$(cat .out)"
	expect_eq "with --force: the new trace" "0|$S/hello" \
		"$(q t.db "SELECT exit_status, json_extract(argv, '\$[0]') FROM trace")"
	expect_eq "with --force: intact" ok "$(q t.db 'PRAGMA integrity_check')"
	# the default name too
	nosco run --engine "$engine" -- "$S/hello"
	nosco run --engine "$engine" -- "$S/hello"
	expect_error "existing default-named trace without --force"
	nosco run --engine "$engine" --force -- "$S/hello"
	expect_eq "default name with --force: exit status" 0 "$status"
	expect_files "files" t.db hello.trace.db
	;;
nontrace_output)
	# A file that is not a nosco-sql trace is never overwritten, not even
	# with --force: plain text, an SQLite database of something else, an
	# empty file.
	printf 'precious data\n' >text.db
	sqlite3 other.db 'CREATE TABLE t(a); INSERT INTO t VALUES (1);'
	: >empty.db
	printf 'precious data\n' >hello.trace.db
	for f in text.db other.db empty.db; do
		before=$(sum $f)
		nosco run --engine "$engine" -o $f -- "$S/hello"
		expect_error "-o $f"
		nosco run --engine "$engine" --force -o $f -- "$S/hello"
		expect_error "--force -o $f"
		expect_eq "$f unchanged" "$before" "$(sum $f)"
	done
	before=$(sum hello.trace.db)
	nosco run --engine "$engine" --force -- "$S/hello"
	expect_error "--force, default name taken by a text file"
	expect_eq "hello.trace.db unchanged" "$before" "$(sum hello.trace.db)"
	expect_files "no new file" text.db other.db empty.db hello.trace.db
	;;
stdio_env_cwd)
	# The program gets its arguments, environment, cwd, stdin, stdout and
	# stderr untouched, and nosco-sql exits with its status (3).
	mkdir sub
	(cd sub && printf 'line one\nline two\n' |
		NOSCO_SAMPLE_VAR='x y=z' "$nosco" run --engine "$engine" -o "$work/t.db" -- \
			"$S/passthru" "a b" '' c >"$work/.out" 2>"$work/.err")
	status=$?
	expect_eq "exit status" 3 "$status"
	expect_eq "stdout" "args: a b  c
env: x y=z
cwd: $work/sub
stdin: line one" "$(cat .out)"
	grep -qx 'to stderr' .err && ok "the program's stderr line" || fail "the program's stderr line is missing"
	expect_eq "argv and cwd recorded" "[\"$S/passthru\",\"a b\",\"\",\"c\"]|$work/sub" \
		"$(q t.db 'SELECT argv, cwd FROM trace')"
	;;
bad_nonexistent)
	nosco run --engine "$engine" -- "$work/no-such-program"
	expect_error "a path that does not exist"
	PATH=/usr/bin:/bin nosco run --engine "$engine" -- no-such-program-nosco-test
	expect_error "a name not on PATH"
	expect_files "nothing created"
	;;
bad_directory)
	mkdir adir
	nosco run --engine "$engine" -- "$work/adir"
	expect_error "a directory"
	expect_files "nothing created" adir
	;;
bad_noexec)
	cp "$S/hello" noexec
	chmod 644 noexec
	nosco run --engine "$engine" -- "$work/noexec"
	expect_error "a file without execute permission"
	expect_files "nothing created" noexec
	;;
bad_script)
	printf 'echo script ran\n' >script
	chmod 755 script
	nosco run --engine "$engine" -- "$work/script"
	expect_error "a script without #! line"
	expect_files "nothing created" script
	;;
bad_elf32)
	# A minimal valid 32-bit x86 ELF executable (exit(0) via int 0x80):
	# ELF header (52 bytes), one PT_LOAD program header (32), code (9).
	{
		printf '\177ELF\001\001\001\000\000\000\000\000\000\000\000\000'
		printf '\002\000\003\000\001\000\000\000\124\200\004\010\064\000\000\000'
		printf '\000\000\000\000\000\000\000\000\064\000\040\000\001\000\000\000\000\000\000\000'
		printf '\001\000\000\000\000\000\000\000\000\200\004\010\000\200\004\010'
		printf '\135\000\000\000\135\000\000\000\005\000\000\000\000\020\000\000'
		printf '\270\001\000\000\000\061\333\315\200'
	} >elf32
	chmod 755 elf32
	[ "$(wc -c <elf32)" -eq 93 ] || { echo "cli.sh: bad elf32 file"; exit 2; }
	nosco run --engine "$engine" -- "$work/elf32"
	expect_error "a 32-bit ELF"
	grep -qi 'unsupported\|not supported' .err && ok "says unsupported" ||
		fail "the message does not say 'unsupported'"
	expect_files "nothing created" elf32
	;;
bad_outdir_missing)
	nosco run --engine "$engine" -o "$work/nodir/t.db" -- "$S/hello"
	expect_error "output directory does not exist"
	expect_files "nothing created"
	;;
bad_outdir_readonly)
	# Root writes to read-only directories, so make the directory truly
	# read-only: a read-only bind mount in a private mount namespace, or
	# else without the capabilities that let root ignore permissions.
	mkdir ro
	chmod 555 ro
	if unshare -m sh -c 'mount --bind "$1" "$1" && mount -o remount,ro,bind "$1" && ! touch "$1/probe"' sh "$work/ro" 2>/dev/null; then
		echo "  (read-only bind mount)"
		unshare -m sh -c 'mount --bind "$1" "$1" && mount -o remount,ro,bind "$1" && shift && exec "$@"' \
			sh "$work/ro" "$nosco" run --engine "$engine" -o "$work/ro/t.db" -- "$S/hello" \
			</dev/null >.out 2>.err
		status=$?
	elif setpriv --inh-caps=-dac_override,-dac_read_search --bounding-set=-dac_override,-dac_read_search \
		sh -c '! touch "$1/probe"' sh "$work/ro" 2>/dev/null; then
		echo "  (no CAP_DAC_OVERRIDE)"
		setpriv --inh-caps=-dac_override,-dac_read_search --bounding-set=-dac_override,-dac_read_search \
			"$nosco" run --engine "$engine" -o "$work/ro/t.db" -- "$S/hello" </dev/null >.out 2>.err
		status=$?
	else
		echo "SKIP: cannot make a directory read-only for this user"
		exit 77
	fi
	sed 's/^/  stderr: /' .err
	expect_error "output directory read-only"
	expect_eq "nothing in it" "" "$(ls -A ro)"
	;;
bad_depth)
	for d in abc -1 '' 1x 99999999999999999999; do
		nosco run --engine "$engine" --depth "$d" -- "$S/hello"
		expect_error "--depth '$d'"
	done
	expect_files "nothing created"
	;;
bad_options)
	nosco run --engine bogus -- "$S/hello"
	expect_error "--engine bogus"
	nosco run --no-such-option -- "$S/hello"
	expect_error "an unknown option"
	nosco run -o
	[ "$status" -ne 0 ] && ok "-o without a file: exit status $status" || fail "-o without a file: exit status 0"
	nosco run
	[ "$status" -ne 0 ] && ok "no program: exit status $status" || fail "no program: exit status 0"
	expect_files "nothing created"
	;;
interrupt_sigterm | interrupt_sigint)
	# nosco-sql gets SIGTERM/SIGINT while the program runs: it kills the
	# program, commits the trace (end_reason interrupted) and exits non-zero.
	sig=TERM
	[ "$case" = interrupt_sigint ] && sig=INT
	"$nosco" run --engine "$engine" -o t.db -- "$S/forever" </dev/null >.out 2>.err &
	npid=$!
	for _ in $(seq 600); do
		grep -q started .out && break
		kill -0 $npid 2>/dev/null || break
		sleep 0.2
	done
	grep -q started .out || { fail "the program did not start"; kill -KILL $npid; wait; exit 1; }
	sleep 1
	kill -$sig $npid
	wait $npid
	status=$?
	sed 's/^/  stderr: /' .err
	[ "$status" -ne 0 ] && ok "exit status $status" || fail "exit status 0 after SIG$sig"
	expect_eq "trace intact" ok "$(q t.db 'PRAGMA integrity_check')"
	expect_eq "end reason" "interrupted|1" "$(q t.db 'SELECT end_reason, end_time IS NOT NULL FROM trace')"
	expect_eq "spin calls recorded" 1 "$(q t.db "SELECT count(*) > 0 FROM calls c JOIN functions f ON f.id = c.function_id WHERE f.name = 'spin'")"
	expect_eq "no call left open" 0 "$(q t.db 'SELECT count(*) FROM calls WHERE end_kind IS NULL')"
	pid=$(q t.db 'SELECT pid FROM processes WHERE id = 1')
	sleep 0.5
	if [ -n "$pid" ] && [ -d /proc/$pid ] && ! grep -q '^State:.*Z' /proc/$pid/status 2>/dev/null; then
		fail "the program (pid $pid) is still running"; kill -KILL "$pid"
	else
		ok "the program is gone"
	fi
	;;
program_sigkilled)
	# The program is killed with SIGKILL from outside: nosco-sql exits with
	# 128 + 9 and the trace says so.
	"$nosco" run --engine "$engine" -o t.db -- "$S/forever" </dev/null >.out 2>.err &
	npid=$!
	for _ in $(seq 600); do
		grep -q started .out && break
		kill -0 $npid 2>/dev/null || break
		sleep 0.2
	done
	grep -q started .out || { fail "the program did not start"; kill -KILL $npid; wait; exit 1; }
	sleep 1
	child=
	for st in /proc/[0-9]*/stat; do
		read -r p _ _ ppid _ <"$st" 2>/dev/null || continue
		[ "$ppid" = "$npid" ] && child=$p
	done
	[ -n "$child" ] || { fail "cannot find the traced program"; kill -KILL $npid; wait; exit 1; }
	kill -KILL "$child"
	wait $npid
	status=$?
	sed 's/^/  stderr: /' .err
	expect_eq "exit status" 137 "$status"
	expect_eq "trace intact" ok "$(q t.db 'PRAGMA integrity_check')"
	expect_eq "end" "killed||9" "$(q t.db 'SELECT end_reason, exit_status, exit_signal FROM trace')"
	expect_eq "no call left open" 0 "$(q t.db 'SELECT count(*) FROM calls WHERE end_kind IS NULL')"
	;;
*)
	echo "cli.sh: unknown case $case" >&2
	exit 2 ;;
esac

if [ $failures -gt 0 ]; then
	echo "$failures check(s) failed"
	exit 1
fi
echo "all checks passed"
exit 0
