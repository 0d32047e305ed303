#!/bin/bash
# Files from elsewhere: nosco-sql must refuse or contain them with a clear
# one-line message and a non-zero exit, never crash, never run their code.
#   hostile.sh NOSCO SAMPLES TRACES SRCDIR STEPCOUNT EVIL_SO CASE
NOSCO=$1 SAMPLES=$2 TRACES=$3 SRC=$4 STEPCOUNT=$5 EVIL=$6 CASE=$7
. "$(dirname "$0")/lib.sh"
command -v sqlite3 >/dev/null || { echo "the sqlite3 command-line tool is missing (apt-get install sqlite3)" >&2; exit 2; }

work=$(mktemp -d "${TMPDIR:-/tmp}/nosco-hostile.XXXXXX") || exit 2
trap 'rm -rf "$work"' EXIT
f=$work/trace.db
export NOSCO_EVIL_MARKER=$work/evil-was-loaded

# A minimal, valid trace: the schema and its one trace row.
mk_trace() {
	sqlite3 -bail "$1" <"$SRC/schema/schema.sql" || exit 2
	sqlite3 -bail "$1" "INSERT INTO trace (id, format, tool_version, argv, engine, options, start_time)
		VALUES (1, 'nosco-sql trace', '0.1.0', '[\"x\"]', 'step', '{}', '2026-01-01T00:00:00Z');
		PRAGMA user_version = 1;" || exit 2
}

# expect_refused NAME REGEX CMD...: exit status 1, one line on stderr that
# matches REGEX, no crash.
expect_refused() {
	local name=$1 re=$2
	shift 2
	"$@" >"$work/out" 2>"$work/err" </dev/null
	local rc=$?
	check "$name: exit status 1" 1 "$rc"
	check_match "$name: message" "$re" "$(cat "$work/err")"
	check "$name: one line" 1 "$(wc -l <"$work/err")"
}

no_evil() {
	check "$1: evil.so never loaded" "no" "$([ -e "$NOSCO_EVIL_MARKER" ] && echo yes || echo no)"
}

case $CASE in
not_sqlite)
	head -c 65536 /dev/urandom >"$f"
	expect_refused "random bytes" "^nosco-sql: .*: not a SQLite database" "$NOSCO" query "$f" threads
	: >"$f"
	expect_refused "empty file" "empty file" "$NOSCO" query "$f" threads
	echo "hello" >"$f"
	expect_refused "text file" "not a SQLite database" "$NOSCO" "$f"
	expect_refused "directory" "not a regular file" "$NOSCO" repl "$work"
	expect_refused "missing file" "No such file" "$NOSCO" query "$work/none.db" hot
	;;
not_trace)
	sqlite3 "$f" "CREATE TABLE t(x); INSERT INTO t VALUES (1);"
	expect_refused "other SQLite file" "not a nosco-sql trace \(no trace table\)" "$NOSCO" query "$f" -e "SELECT * FROM t"
	rm -f "$f"
	sqlite3 "$f" "CREATE TABLE trace(id, format); INSERT INTO trace VALUES (1, 'something else');"
	expect_refused "other format" "not a nosco-sql trace \(trace.format" "$NOSCO" query "$f" hot
	;;
newer)
	mk_trace "$f"
	sqlite3 "$f" "PRAGMA user_version = 2"
	expect_refused "schema version 2" "trace schema version 2 is newer than this nosco-sql supports \(1\)" "$NOSCO" query "$f" threads
	;;
truncated)
	db=$(trace_sample hello) || exit $?
	size=$(stat -c %s "$db")
	head -c $((size / 2)) "$db" >"$f"
	expect_refused "half a trace" "truncated" "$NOSCO" query "$f" threads
	head -c 100 "$db" >"$f"
	expect_refused "just the header" "truncated" "$NOSCO" "$f"
	;;
corrupt)
	# Pages overwritten in the middle, size unchanged: SQLite finds out while
	# reading. Every canned query must fail cleanly or answer, never crash.
	db=$(trace_sample fib) || exit $?
	cp "$db" "$f"
	size=$(stat -c %s "$f")
	pages=$((size / 4096))
	for p in $(seq 2 3 $pages); do
		head -c 512 /dev/urandom | dd of="$f" bs=1 seek=$((p * 4096 + 100)) conv=notrunc status=none
	done
	for args in threads binaries "calls 1" "exec 2" "call 2" hot coverage "callers fib" "callees main" "lines fib_impl.c:9" "search fib"; do
		"$NOSCO" query "$f" $args >/dev/null 2>"$work/err"
		rc=$?
		check "corrupt: $args: no crash" "yes" "$([ $rc -le 1 ] && echo yes || echo "no (status $rc)")"
		[ $rc -eq 1 ] && check_match "corrupt: $args: message" "corrupt|malformed|not a database|Error" "$(cat "$work/err")"
	done
	cp "$db" "$f"
	sqlite3 "$f" "PRAGMA writable_schema = ON; UPDATE sqlite_schema SET sql = 'CREATE TABLE calls(' WHERE name = 'calls';" 2>/dev/null
	expect_refused "malformed schema" "corrupt|malformed" "$NOSCO" query "$f" hot
	;;
view_load_extension)
	# The trace's own table replaced by a view that loads a shared object.
	mk_trace "$f"
	sqlite3 "$f" "DROP TABLE threads; CREATE VIEW threads AS SELECT load_extension('$EVIL') AS id, 1 AS process_id;
		CREATE VIEW evil AS SELECT load_extension('$EVIL') AS x;"
	"$NOSCO" query "$f" threads >/dev/null 2>"$work/err"
	check "canned query on the view: fails" 1 $?
	check_match "canned query on the view: message" "not authorized|unsafe use of load_extension" "$(cat "$work/err")"
	"$NOSCO" query "$f" -e "SELECT * FROM evil" >/dev/null 2>"$work/err"
	check "SELECT from the view: fails" 1 $?
	check_match "SELECT from the view: message" "not authorized|unsafe use" "$(cat "$work/err")"
	"$NOSCO" query "$f" -e "SELECT load_extension('$EVIL')" >/dev/null 2>"$work/err"
	check "typed load_extension: fails too" 1 $?
	no_evil "load_extension"
	;;
trigger)
	# A trigger that would run on a write: even with --write, triggers are
	# off, so the row goes in and nothing else happens.
	mk_trace "$f"
	sqlite3 "$f" "CREATE TABLE notes(x); CREATE TRIGGER evil AFTER INSERT ON notes BEGIN SELECT load_extension('$EVIL'); END;"
	"$NOSCO" query "$f" -e "INSERT INTO notes VALUES (1)" >/dev/null 2>"$work/err"
	check "read-only by default: write refused" 1 $?
	check_match "read-only: message" "readonly" "$(cat "$work/err")"
	"$NOSCO" query "$f" --write -e "INSERT INTO notes VALUES (2)" >/dev/null 2>"$work/err"
	check "--write: insert runs" 0 $?
	check "--write: the row is there" 1 "$("$NOSCO" query "$f" -e "SELECT count(*) FROM notes" --format csv --no-headers)"
	no_evil "trigger"
	;;
view_functions)
	# The sqlite3 shell's file functions do not exist here; a view using
	# them fails with SQLite's message and writes nothing.
	mk_trace "$f"
	sqlite3 "$f" "CREATE VIEW w AS SELECT writefile('$work/written', 'x') AS x;
		CREATE VIEW e AS SELECT edit('x', 'sh -c \"touch $work/edited\"') AS x;
		CREATE VIEW r AS SELECT readfile('/etc/passwd') AS x;
		CREATE VIEW a AS SELECT fts3_tokenizer('simple') AS x;" 2>/dev/null
	for v in w e r a; do
		"$NOSCO" query "$f" -e "SELECT * FROM $v" >/dev/null 2>"$work/err"
		check "view $v: fails" 1 $?
		check_match "view $v: message" "no such function|not authorized|unsafe use" "$(cat "$work/err")"
	done
	check "nothing written" "" "$(ls "$work" | grep -E 'written|edited')"
	;;
repl_survives)
	# In the REPL (a script on stdin) a hostile view is one failed statement.
	mk_trace "$f"
	sqlite3 "$f" "CREATE VIEW evil AS SELECT load_extension('$EVIL') AS x;"
	out=$(printf 'SELECT * FROM evil;\nSELECT 41 + 1;\n' | "$NOSCO" "$f" 2>"$work/err")
	check "exit status 1 (a statement failed)" 1 $?
	check "went on after the error" "+--------+
| 41 + 1 |
+--------+
|     42 |
+--------+" "$out"
	check_match "error shown" "^Error: " "$(cat "$work/err")"
	no_evil "repl"
	;;
no_writes)
	# A trace whose paths (binaries, source files) name a file of ours:
	# every canned query, .tables and .schema, under strace (an independent
	# witness): nothing is opened for writing or created, nothing renamed
	# or removed, and the file named is untouched.
	command -v strace >/dev/null || skip "strace is missing"
	db=$(trace_sample fib) || exit $?
	cp "$db" "$f"
	canary=$work/canary
	echo precious >"$canary"
	sqlite3 "$f" "UPDATE binaries SET path = '$canary'; UPDATE source_files SET path = '$canary';"
	: >"$work/strace"
	for args in threads binaries "calls 1" "exec 2" "call 2" hot coverage "callers fib" "callees main" \
		"lines fib_impl.c:9" "search fib" processes files syscalls; do
		strace -f -qq -e trace=open,openat,openat2,creat,rename,renameat,renameat2,unlink,unlinkat,mkdir,mkdirat,truncate \
			-o "$work/strace.one" "$NOSCO" query "$f" $args >/dev/null 2>&1
		cat "$work/strace.one" >>"$work/strace"
	done
	export HOME=$work # the REPL's history file is ours to write, not the trace's
	printf '.tables\n.schema calls\nSELECT path FROM binaries LIMIT 1;\n' |
		strace -f -qq -e trace=open,openat,openat2,creat,rename,renameat,renameat2,unlink,unlinkat,mkdir,mkdirat,truncate \
			-o "$work/strace.one" "$NOSCO" repl "$f" >/dev/null 2>&1
	cat "$work/strace.one" >>"$work/strace"
	check "syscalls seen" yes "$([ -s "$work/strace" ] && echo yes || echo no)"
	check "nothing opened for writing or created" "" \
		"$(grep -E 'O_WRONLY|O_RDWR|O_CREAT|O_TRUNC|creat\(' "$work/strace" | grep -v '/dev/null\|/dev/tty\|nosco_sql_history' | head -5)"
	check "nothing renamed, removed or made" "" \
		"$(grep -E '^[0-9]+ +(rename|unlink|mkdir|truncate)' "$work/strace" | head -5)"
	check "the path in the trace never opened" "" "$(grep -F "$canary" "$work/strace" | head -3)"
	check "the file it names is untouched" precious "$(cat "$canary")"
	;;
terminal_escapes)
	# Control characters in a file's names, schema and values never reach
	# the terminal raw: no ESC byte in anything printed.
	mk_trace "$f"
	esc=$(printf '\033')
	sqlite3 "$f" "CREATE TABLE \"x${esc}]0;pwned${esc}\\\" (a); CREATE VIEW v AS SELECT 'a${esc}[2Jb' AS s /* ${esc}[31m */;"
	out=$(printf '.tables\n.schema\nSELECT * FROM v;\n.mode box\nSELECT * FROM v;\n.mode line\nSELECT * FROM v;\n' | "$NOSCO" "$f" 2>&1)
	check "no ESC in .tables/.schema/table/box/line output" 0 "$(printf '%s' "$out" | grep -c "$esc")"
	cp "$f" "$work/bad.db"
	sqlite3 "$work/bad.db" "PRAGMA writable_schema = ON;
		UPDATE sqlite_schema SET sql = 'CREATE VIEW v AS SELECT ${esc}[2J' || char(10) || 'x' WHERE name = 'v';" 2>/dev/null
	"$NOSCO" query "$work/bad.db" -e "SELECT 1" >/dev/null 2>"$work/err"
	check "malformed schema: fails" 1 $?
	check "malformed schema: one line" 1 "$(wc -l <"$work/err")"
	check "malformed schema: no ESC in the message" 0 "$(grep -c "$esc" "$work/err")"
	;;
*)
	echo "unknown case $CASE" >&2
	exit 2
	;;
esac
finish
