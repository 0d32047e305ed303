#!/bin/bash
# nosco-sql export --format codetracer, and run --embed-sources: the exports
# of traces of the samples checked against the runtime_tracing JSON
# specification (codetracer_check.py) and against facts fixed by the
# samples' source (fib(10) makes 177 calls to fib; the lines a call of fib
# steps through follow from fib_impl.c's statements, found by their text;
# the threads sample's workers call work_item 10 + 20 + 30 times); the
# embedded sources against the files (bytes, SHA-256); bad input and output
# directories.
#   codetracer.sh NOSCO SAMPLES TRACES SRCDIR STEPCOUNT CASE
NOSCO=$1 SAMPLES=$2 TRACES=$3 SRC=$4 STEPCOUNT=$5 CASE=$6
HERE=$(dirname "$0")
. "$HERE/../query/lib.sh"
PY=/usr/bin/python3
[ -x $PY ] || skip "needs /usr/bin/python3 (Debian's python3)"
command -v sqlite3 >/dev/null || { echo "needs the sqlite3 command-line tool" >&2; exit 2; }

work=$(mktemp -d "${TMPDIR:-/tmp}/nosco-codetracer.XXXXXX") || exit 2
trap 'chmod -R u+rwx "$work" 2>/dev/null; rm -rf "$work"' EXIT

sql() { sqlite3 -readonly "$1" "$2"; }
# facts DIR [FUNCTION]: codetracer_check.py's KEY=VALUE lines into $work/facts
# (its status is the check that the export follows the specification).
facts() {
	$PY "$HERE/codetracer_check.py" "$@" >"$work/facts"
}
fact() { sed -n "s/^$1=//p" "$work/facts"; }
# line_of TEXT FILE: the number of the line of FILE holding TEXT.
line_of() { grep -nF -- "$1" "$2" | head -1 | cut -d: -f1; }
# fib_lines FILE: the lines a call of fib steps through, from its source at
# -O0, where each statement's code stays on its line: a call with n < 2
# enters on '{' (the prologue), tests n, returns n and leaves on '}'; the
# others test n, make the two calls (C), each statement's line again after
# its call returns (the result is stored), the asm, the sum and '}'.
fib_lines() {
	local f=$1 open if ret_n a b asm ret close
	open=$(($(line_of 'int fib(int n)' "$f") + 1))
	if=$(line_of 'if (n < 2)' "$f")
	ret_n=$(line_of 'return n;' "$f")
	a=$(line_of 'int a = fib(n - 1);' "$f")
	b=$(line_of 'int b = fib(n - 2);' "$f")
	asm=$(line_of '__asm__' "$f")
	ret=$(line_of 'return a + b;' "$f")
	close=$((ret + 1))
	# fib(10) makes 89 calls with n < 2 and 88 others (from the recursion).
	local leaves inner
	read -r leaves inner < <($PY -c '
def fib(n, c):
    c[n < 2] += 1
    if n >= 2:
        fib(n - 1, c)
        fib(n - 2, c)
c = [0, 0]
fib(10, c)
print(c[1], c[0])')
	echo "$open,$if,$ret_n,$close:$leaves $open,$if,$a,C,$a,$b,C,$b,$asm,$ret,$close:$inner"
}
# refused NAME STATUS REGEX CMD...: exit status, one line on stderr matching
# REGEX, nothing on stdout.
refused() {
	local name=$1 status=$2 re=$3
	shift 3
	"$@" >"$work/stdout" 2>"$work/stderr" </dev/null
	check "$name: exit status $status" "$status" "$?"
	check_match "$name: message" "$re" "$(cat "$work/stderr")"
	check "$name: one line on stderr" 1 "$(wc -l <"$work/stderr")"
	check "$name: nothing on stdout" 0 "$(wc -c <"$work/stdout")"
}
# no_temp DIR: no NAME.tmp-* or NAME.old-* left in DIR.
no_temp() {
	check "$1: no temporary directory left" "" "$(ls -A "$2" | grep -E '\.(tmp|old)-[0-9]+$')"
}
# build_fib DIR: fib built from a copy of its sources in DIR/src (-O0 -g, as
# the samples are), so that a test can change or delete them.
build_fib() {
	mkdir -p "$1/src" &&
		cp "$SRC/samples/fib.c" "$SRC/samples/fib_impl.c" "$SRC/samples/fib.h" "$1/src/" &&
		${CC:-cc} -O0 -g -o "$1/src/fib" "$1/src/fib.c" "$1/src/fib_impl.c" ||
		{ echo "cannot build fib" >&2; exit 2; }
}
# trace_fib DB [OPTIONS]: a trace of DIR/src/fib; stderr in $work/run.err.
trace_fib() {
	local db=$1
	shift
	"$NOSCO" run -o "$db" "$@" -- "$work/src/fib" 2>"$work/run.err"
	local rc=$?
	grep -qi "not permitted" "$work/run.err" && skip "ptrace is not permitted here"
	return $rc
}

case $CASE in
fib)
	db=$(trace_sample fib) || exit $?
	"$NOSCO" export "$db" --format codetracer -o "$work/ct" 2>"$work/stderr"
	check "export status" 0 $?
	facts "$work/ct" fib
	check "the export follows the specification (codetracer_check.py)" 0 $?
	check "177 Call events of fib (the source fixes it)" 177 "$(fact fn_calls)"
	check "the lines of each call of fib, from fib_impl.c's text" \
		"$(fib_lines "$SRC/samples/fib_impl.c")" "$(fact fn_lines)"
	check "one Call per call of the trace, and <toplevel>" \
		"$(($(sql "$db" "SELECT count(*) FROM calls") + 1))" "$(fact calls)"
	check "Call and Return balanced on every thread" yes "$(fact balanced)"
	check "one thread, started and exited" "1 1" "$(fact threads) $(fact exited)"
	for f in fib.c fib_impl.c; do
		check "files/ holds $f byte for byte" 0 \
			"$(cmp "$work/ct/files$SRC/samples/$f" "$SRC/samples/$f" >/dev/null; echo $?)"
	done
	check "metadata: program and args" "$SAMPLES/fib []" \
		"$($PY -c 'import json, sys; m = json.load(open(sys.argv[1])); print(m["program"], json.dumps(m["args"]))' "$work/ct/trace_metadata.json")"
	check_match "metadata: workdir is the trace's cwd" "\"workdir\":\"$(sql "$db" "SELECT cwd FROM trace")\"" \
		"$(cat "$work/ct/trace_metadata.json")"
	check_match "relative paths (glibc's) are left out, in one warning" \
		'^nosco-sql: warning: codetracer: [0-9]+ of [0-9]+ source files left out of files/' \
		"$(cat "$work/stderr")"
	check "at most one line on stderr" 1 "$(wc -l <"$work/stderr" | awk '{ print ($1 <= 1) }')"
	no_temp "export" "$work"
	;;
threads)
	db=$(trace_sample threads) || exit $?
	"$NOSCO" export "$db" --format codetracer -o "$work/ct" 2>/dev/null
	check "export status" 0 $?
	facts "$work/ct" work_item
	check "the export follows the specification (codetracer_check.py)" 0 $?
	check "4 threads, each started and exited" "4 4" "$(fact threads) $(fact exited)"
	check "10 + 20 + 30 Call events of work_item" 60 "$(fact fn_calls)"
	check "Call and Return balanced on every thread" yes "$(fact balanced)"
	check "Call events: the trace's calls and <toplevel>" \
		"$(($(sql "$db" "SELECT count(*) FROM calls") + 1))" "$(fact calls)"
	;;
errors)
	db=$(trace_sample fib) || exit $?
	echo "hello" >"$work/text"
	refused "not a trace" 1 'not a SQLite database, so not a nosco-sql trace' \
		"$NOSCO" export "$work/text" --format codetracer -o "$work/o1"
	check "not a trace: no directory" "no" "$([ -e "$work/o1" ] && echo yes || echo no)"
	no_temp "not a trace" "$work"
	refused "missing -o" 2 '^nosco-sql export: --format codetracer writes a directory: give it with -o DIR$' \
		"$NOSCO" export "$db" --format codetracer
	refused "-o -" 2 'writes a directory' "$NOSCO" export "$db" --format codetracer -o -
	refused "--call" 2 '--call is for --format chrome and folded' \
		"$NOSCO" export "$db" --format codetracer -o "$work/o2" --call 1
	refused "--embedded-only with chrome" 2 '--embedded-only is for --format codetracer' \
		"$NOSCO" export "$db" --format chrome --embedded-only
	mkdir "$work/mine"
	echo "keep me" >"$work/mine/notes.txt"
	refused "existing non-empty DIR" 1 'mine exists and is not empty \(use --force to replace a previous codetracer export\)' \
		"$NOSCO" export "$db" --format codetracer -o "$work/mine"
	refused "--force over a DIR that is not an export" 1 'mine is not a codetracer export .*: not replacing it' \
		"$NOSCO" export "$db" --format codetracer -o "$work/mine" --force
	check "the user's DIR untouched" "notes.txt keep me" "$(ls "$work/mine") $(cat "$work/mine/notes.txt")"
	echo "a file" >"$work/afile"
	refused "DIR is a file" 1 'afile exists and is not a directory' \
		"$NOSCO" export "$db" --format codetracer -o "$work/afile" --force
	check "the file untouched" "a file" "$(cat "$work/afile")"
	refused "parent missing" 1 'nodir/ct: cannot create it: No such file or directory' \
		"$NOSCO" export "$db" --format codetracer -o "$work/nodir/ct"
	mkdir "$work/empty"
	"$NOSCO" export "$db" --format codetracer -o "$work/empty" 2>/dev/null
	check "an existing empty DIR is used" "0 yes" "$? $([ -s "$work/empty/trace.json" ] && echo yes)"
	refused "a previous export without --force" 1 'exists and is not empty' \
		"$NOSCO" export "$db" --format codetracer -o "$work/empty"
	echo stale >"$work/empty/files/stale.c"
	"$NOSCO" export "$db" --format codetracer -o "$work/empty" --force 2>/dev/null
	check "--force replaces a previous export" "0 no" \
		"$? $([ -e "$work/empty/files/stale.c" ] && echo yes || echo no)"
	facts "$work/empty" fib
	check "the replacement is complete" 177 "$(fact fn_calls)"
	no_temp "--force" "$work"
	# A write error (a full disk): the directory is removed, not left half written.
	if [ "$(id -u)" = 0 ] && mkdir "$work/tiny" && mount -t tmpfs -o size=256k tmpfs "$work/tiny" 2>/dev/null; then
		"$NOSCO" export "$db" --format codetracer -o "$work/tiny/ct" 2>"$work/stderr"
		check "full disk: exit status 1" 1 $?
		check_match "full disk: message" "export failed: .*No space left on device" "$(cat "$work/stderr")"
		check "full disk: nothing left" "" "$(ls -A "$work/tiny")"
		umount "$work/tiny"
	fi
	;;
embed)
	build_fib "$work"
	trace_fib "$work/e.db" --embed-sources
	check "run --embed-sources: exit status of fib" 0 $?
	impl=$work/src/fib_impl.c
	check "sources: fib.c and fib_impl.c embedded" "$work/src/fib.c|ok
$impl|ok" "$(sql "$work/e.db" "SELECT path, status FROM sources WHERE path LIKE '$work/%' ORDER BY path")"
	check "sources: the SHA-256 of fib_impl.c" "$(sha256sum "$impl" | cut -d' ' -f1)" \
		"$(sql "$work/e.db" "SELECT sha256 FROM sources WHERE path = '$impl'")"
	check "sources: its size" "$(stat -c %s "$impl")" \
		"$(sql "$work/e.db" "SELECT size FROM sources WHERE path = '$impl'")"
	check "sources: its content, byte for byte" "$(sha256sum <"$impl" | cut -d' ' -f1)" \
		"$(sql "$work/e.db" "SELECT hex(content) FROM sources WHERE path = '$impl'" | xxd -r -p | sha256sum | cut -d' ' -f1)"
	check "source_lines: as many lines as the file" "$(wc -l <"$impl")" \
		"$(sql "$work/e.db" "SELECT count(*) FROM source_lines l JOIN sources s ON s.file_id = l.file_id WHERE s.path = '$impl'")"
	check "options: embed_sources" 1 "$(sql "$work/e.db" "SELECT json_extract(options, '$.embed_sources') FROM trace")"
	# exec shows the code of each line: the first instruction of fib(10) is
	# on '{', then 'if (n < 2)' comes.
	call=$(sql "$work/e.db" "SELECT min(c.id) FROM calls c JOIN functions f ON f.id = c.function_id WHERE f.name = 'fib'")
	q "$work/e.db" exec "$call" >"$work/exec.csv"
	check "exec: the code column holds the line's text" \
		"fib_impl.c:$(($(line_of 'int fib(int n)' "$impl") + 1))|{
fib_impl.c:$(line_of 'if (n < 2)' "$impl")|if (n < 2)" \
		"$($PY -c 'import csv, sys
seen = []
for r in csv.reader(open(sys.argv[1])):
    k = r[4] + "|" + r[5]
    if k not in seen:
        seen.append(k)
print("\n".join(seen[:2]))' "$work/exec.csv")"
	check_match "exec: headers with code" '^seq,address,function,disasm,source,code$' \
		"$("$NOSCO" query "$work/e.db" exec "$call" --format csv | head -1)"
	# The trace moved elsewhere, the sources deleted: the export takes them from the trace.
	cp "$impl" "$work/impl.saved"
	mkdir "$work/elsewhere"
	mv "$work/e.db" "$work/elsewhere/e.db"
	rm "$work/src/fib.c" "$impl"
	"$NOSCO" export "$work/elsewhere/e.db" --format codetracer --embedded-only -o "$work/ct" 2>/dev/null
	check "export of the moved trace" 0 $?
	check "files/ has fib_impl.c from the trace, byte for byte" 0 \
		"$(cmp "$work/ct/files$impl" "$work/impl.saved" >/dev/null; echo $?)"
	facts "$work/ct" fib
	check "the export follows the specification" 0 $?
	check "177 Call events of fib" 177 "$(fact fn_calls)"
	check "nosco_trace.source_lines reads the embedded file" "if (n < 2)" \
		"$(cd "$SRC/samples" && $PY -c 'import sys, nosco_trace as nt
t = nt.open_trace(sys.argv[1]); print(t.source_lines(sys.argv[2], 9, 9)[9].strip())' "$work/elsewhere/e.db" "$impl" 2>&1)"
	# Without embedded sources, a deleted file is left out with a warning.
	cp "$work/impl.saved" "$impl"
	cp "$SRC/samples/fib.c" "$work/src/fib.c"
	trace_fib "$work/plain.db"
	rm "$impl"
	"$NOSCO" export "$work/plain.db" --format codetracer -o "$work/ct2" 2>"$work/stderr"
	check "export without embedded sources: status 0" 0 $?
	check_match "a missing source file: one warning naming one" \
		"left out of files/ .*1 neither embedded in the trace nor on this disk, e\.g\. $impl\).*1 from the disk" \
		"$(cat "$work/stderr")"
	check "fib.c copied from the disk, fib_impl.c left out" "yes no" \
		"$([ -f "$work/ct2/files$work/src/fib.c" ] && echo yes) $([ -e "$work/ct2/files$impl" ] && echo yes || echo no)"
	;;
embed_unreadable)
	# A source path that is a FIFO (reading it would block), one that is a
	# directory, one deleted: warnings, a status each, the trace complete.
	build_fib "$work"
	rm "$work/src/fib_impl.c" "$work/src/fib.c"
	mkfifo "$work/src/fib_impl.c"
	mkdir "$work/src/fib.c"
	timeout 120 "$NOSCO" run -o "$work/u.db" --embed-sources -- "$work/src/fib" 2>"$work/run.err"
	check "run: the program's exit status, not a failure" 0 $?
	grep -qi "not permitted" "$work/run.err" && skip "ptrace is not permitted here"
	check_match "a warning for the FIFO" "^nosco-sql: warning: --embed-sources: $work/src/fib_impl.c: not a regular file \(not embedded\)$" \
		"$(cat "$work/run.err")"
	check_match "a warning for the directory" "^nosco-sql: warning: --embed-sources: $work/src/fib.c: a directory \(not embedded\)$" \
		"$(cat "$work/run.err")"
	check "statuses" "not_regular|not_regular" \
		"$(sql "$work/u.db" "SELECT group_concat(status, '|') FROM sources WHERE path LIKE '$work/%'")"
	check "the trace is complete: 177 calls of fib" 177 \
		"$(sql "$work/u.db" "SELECT count(*) FROM calls c JOIN functions f ON f.id = c.function_id WHERE f.name = 'fib'")"
	check "integrity" ok "$(sql "$work/u.db" "PRAGMA integrity_check")"
	rm "$work/src/fib_impl.c"
	rmdir "$work/src/fib.c"
	"$NOSCO" run -f -o "$work/u.db" --embed-sources -- "$work/src/fib" 2>"$work/run.err"
	check "a deleted source: run status 0" 0 $?
	check "a deleted source: status missing" "missing|missing" \
		"$(sql "$work/u.db" "SELECT group_concat(status, '|') FROM sources WHERE path LIKE '$work/%'")"
	check_match "a deleted source: a warning" "fib_impl.c: No such file or directory \(not embedded\)" \
		"$(cat "$work/run.err")"
	;;
embed_old)
	# Traces without the tables (made without --embed-sources, or before it
	# existed): exec keeps its columns.
	db=$(trace_sample fib) || exit $?
	check "no sources table without --embed-sources" "" \
		"$(sql "$db" "SELECT name FROM sqlite_master WHERE name IN ('sources', 'source_lines')")"
	call=$(sql "$db" "SELECT min(c.id) FROM calls c JOIN functions f ON f.id = c.function_id WHERE f.name = 'fib'")
	check "exec without embedded sources: its columns" "seq,address,function,disasm,source" \
		"$("$NOSCO" query "$db" exec "$call" --format csv | head -1)"
	check "exec: fib(10)'s first line, on '{'" \
		"fib_impl.c:$(($(line_of 'int fib(int n)' "$SRC/samples/fib_impl.c") + 1))" \
		"$(q "$db" exec "$call" | head -1 | $PY -c 'import csv, sys; print(next(csv.reader(sys.stdin))[4])')"
	printf '.exec %s\n' "$call" | "$NOSCO" "$db" >"$work/repl.out" 2>&1
	check "REPL .exec on it" 0 $?
	check_match "REPL .exec: a row of fib" '\| fib +\| push rbp' "$(cat "$work/repl.out")"
	;;
*)
	echo "unknown case $CASE" >&2
	exit 2
	;;
esac
finish
