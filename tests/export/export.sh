#!/bin/bash
# nosco-sql export: Chrome trace-event JSON and folded stacks of traces of
# the samples, checked against facts fixed by the samples' source (fib(10)
# makes 177 calls to fib, 1, 2, 4, ... of them at each recursion depth; the
# threads sample has 4 threads whose workers call work_item 10, 20 and 30
# times; forker calls fib(10) before and after a fork) and against the trace's own tables; bad input and output files.
#   export.sh NOSCO SAMPLES TRACES SRCDIR STEPCOUNT CASE
NOSCO=$1 SAMPLES=$2 TRACES=$3 SRC=$4 STEPCOUNT=$5 CASE=$6
HERE=$(dirname "$0")
. "$HERE/../query/lib.sh"
PY=/usr/bin/python3
[ -x $PY ] || skip "needs /usr/bin/python3 (Debian's python3)"
command -v sqlite3 >/dev/null || { echo "needs the sqlite3 command-line tool" >&2; exit 2; }

work=$(mktemp -d "${TMPDIR:-/tmp}/nosco-export.XXXXXX") || exit 2
trap 'rm -rf "$work"' EXIT

sql() { sqlite3 -readonly "$1" "$2"; }
# chrome_fact FILE KEY [FUNCTION]: one value from chrome_check.py.
chrome_fact() {
	$PY "$HERE/chrome_check.py" "$1" "${@:3}" | sed -n "s/^$2=//p"
}
# fib_depths: how many calls fib(10) makes at each recursion depth, from
# the recursion itself (fib(n) calls fib(n-1) and fib(n-2) when n >= 2).
fib_depths() {
	$PY -c '
from collections import Counter
c = Counter()
def fib(n, d):
    c[d] += 1
    if n >= 2:
        fib(n - 1, d + 1)
        fib(n - 2, d + 1)
fib(10, 0)
print(" ".join(str(c[d]) for d in sorted(c)))'
}
# no_leftovers TEST DIR NAME: no NAME and no NAME.tmp-* in DIR.
no_leftovers() {
	local left
	left=$(cd "$2" && ls -A | grep -E "^$3(\.tmp-[0-9]+)?\$")
	check "$1: no output file left" "" "$left"
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

case $CASE in
chrome_measured)
	# samples/naps.c: 3 calls of nap() sleeping 200 ms each, 3 of blink()
	# returning at once, all from main.
	db=$(trace_sample naps) || exit $?
	"$NOSCO" export "$db" --format chrome --time measured -o "$work/naps.json"
	check "export status" 0 $?
	$PY - "$work/naps.json" >"$work/facts" <<'PY'
import json, sys
ev = [e for e in json.load(open(sys.argv[1]))["traceEvents"] if e["ph"] == "X"]
by = lambda name: [e for e in ev if e["name"] == name]
naps, blinks, main = by("nap"), by("blink"), by("main")
print("naps=%d blinks=%d mains=%d" % (len(naps), len(blinks), len(main)))
print("naps_200ms=%s" % all(e["dur"] >= 200000 for e in naps))
# The calls under nap that do the sleeping (nanosleep's PLT stub, glibc's
# clock_nanosleep) too: a call is timed from when it began, even though the
# tracer reports it only after its first instructions (here, the syscall).
sleepers = [e for e in ev if "nanosleep" in e["name"]]
print("sleepers_200ms=%s" % (len(sleepers) >= 3 and all(e["dur"] >= 200000 for e in sleepers)))
print("blinks_short=%s" % all(e["dur"] < 100000 for e in blinks))
m = main[0]
print("main_600ms=%s" % (m["dur"] >= 600000))
inside = all(m["ts"] <= e["ts"] and e["ts"] + e["dur"] <= m["ts"] + m["dur"] for e in naps + blinks)
print("inside_main=%s" % inside)
# Calls in entry order: each begins no earlier than the one before, and
# nap i ends before blink i begins.
ts = [e["ts"] for e in ev]
print("ordered=%s" % (ts == sorted(ts)))
print("nap_then_blink=%s" % all(n["ts"] + n["dur"] <= b["ts"] for n, b in zip(naps, blinks)))
PY
	check "valid JSON" 0 $?
	fact() { sed -n "s/.*\b$1=\([^ ]*\).*/\1/p" "$work/facts"; }
	check "3 nap, 3 blink, 1 main events (the source fixes them)" "3 3 1" \
		"$(fact naps) $(fact blinks) $(fact mains)"
	check "each nap lasts at least its 200 ms sleep" True "$(fact naps_200ms)"
	check "each nanosleep call inside a nap lasts at least 200 ms" True "$(fact sleepers_200ms)"
	check "each blink is far shorter than a nap" True "$(fact blinks_short)"
	check "main lasts at least its 3 naps" True "$(fact main_600ms)"
	check "naps and blinks lie inside main" True "$(fact inside_main)"
	check "events in entry order have increasing ts" True "$(fact ordered)"
	check "each nap ends before the next blink begins" True "$(fact nap_then_blink)"
	check "the trace's calls all have measured times" 0 \
		"$(sql "$db" "SELECT count(*) FROM calls WHERE entry_ns IS NULL OR exit_ns < entry_ns")"
	# A trace made before calls had measured times.
	cp "$db" "$work/old.db"
	sqlite3 "$work/old.db" "ALTER TABLE calls DROP COLUMN exit_ns; ALTER TABLE calls DROP COLUMN entry_ns" ||
		fail "cannot make an old trace"
	refused "old trace: --time measured" 1 "has no measured times .*use --time seq" \
		"$NOSCO" export "$work/old.db" --format chrome --time measured
	"$NOSCO" export "$work/old.db" --format chrome --time seq >/dev/null
	check "old trace: --time seq works" 0 $?
	;;
chrome_fib)
	db=$(trace_sample fib) || exit $?
	"$NOSCO" export "$db" --format chrome -o "$work/fib.json"
	check "export status" 0 $?
	f=$work/fib.json
	$PY "$HERE/chrome_check.py" "$f" fib >"$work/facts"
	check "valid JSON of the {\"traceEvents\":[...]} form" 0 $?
	fact() { sed -n "s/^$1=//p" "$work/facts"; }
	check "177 X events for fib (the source fixes it)" 177 "$(fact fn_calls)"
	check "one X event per call" "$(sql "$db" "SELECT count(*) FROM calls")" "$(fact x_events)"
	check "one process named" 1 "$(fact processes)"
	check "one thread named" 1 "$(fact threads)"
	check "events nest on the thread" yes "$(fact nested)"
	check "ts = entry_seq (sum over fib)" \
		"$(sql "$db" "SELECT sum(c.entry_seq) FROM calls c JOIN functions f ON f.id = c.function_id WHERE f.name = 'fib'")" \
		"$(fact fn_ts_sum)"
	check "dur = exit_seq - entry_seq (sum over fib)" \
		"$(sql "$db" "SELECT sum(c.exit_seq - c.entry_seq) FROM calls c JOIN functions f ON f.id = c.function_id WHERE f.name = 'fib'")" \
		"$(fact fn_dur_sum)"
	check "pid is the process's pid" "$(sql "$db" "SELECT pid FROM processes")" \
		"$(grep -m1 '"process_name"' "$f" | sed 's/.*"pid":\([0-9]*\).*/\1/')"
	check "the root call spans the whole trace" \
		"$(sql "$db" "SELECT instructions FROM trace")" \
		"$(grep -m1 '"ph":"X"' "$f" | sed 's/.*"dur":\([0-9]*\).*/\1/')"
	check_match "args: call id and own instructions" '"args":\{"call":1,"instructions":[0-9]+\}' \
		"$(grep -m1 '"ph":"X"' "$f")"
	"$NOSCO" export "$db" --format chrome --time seq >"$work/stdout.json"
	check "no -o: the same on stdout (--time seq is the default)" "" \
		"$(cmp "$f" "$work/stdout.json" 2>&1)"
	"$NOSCO" export "$db" --format chrome --no-args -o "$work/noargs.json"
	check "--no-args: no args, the same events" "0 $(fact x_events)" \
		"$(grep -c '"args":{"call"' "$work/noargs.json") $(chrome_fact "$work/noargs.json" x_events)"
	;;
chrome_threads)
	db=$(trace_sample threads) || exit $?
	"$NOSCO" export "$db" --format chrome -o "$work/t.json"
	check "export status" 0 $?
	$PY "$HERE/chrome_check.py" "$work/t.json" work_item >"$work/facts"
	fact() { sed -n "s/^$1=//p" "$work/facts"; }
	check "4 threads named (main + 3 workers)" 4 "$(fact threads)"
	check "X events on 4 threads" 4 "$(fact tids)"
	check "work_item per thread, in creation order: 0, 10, 20, 30" "0,10,20,30" \
		"$(fact fn_per_thread)"
	check "events nest on every thread" yes "$(fact nested)"
	check "one X event per call" "$(sql "$db" "SELECT count(*) FROM calls")" "$(fact x_events)"
	check "thread tids are the trace's" \
		"$(sql "$db" "SELECT group_concat(tid, ' ') FROM (SELECT tid FROM threads ORDER BY id)")" \
		"$(grep '"thread_sort_index"' "$work/t.json" | sed 's/.*"tid":\([0-9]*\).*/\1/' | tr '\n' ' ' | sed 's/ $//')"
	;;
chrome_processes)
	# forker: fib(10) in the parent, a fork, fib(10) in the child.
	db=$(trace_sample forker) || exit $?
	"$NOSCO" export "$db" --format chrome -o "$work/p.json"
	check "export status" 0 $?
	$PY "$HERE/chrome_check.py" "$work/p.json" fib >"$work/facts"
	fact() { sed -n "s/^$1=//p" "$work/facts"; }
	check "2 processes named, 2 threads" "2 2" "$(fact processes) $(fact threads)"
	check "177 fib events on each process's thread" "177,177" "$(fact fn_per_thread)"
	check "events nest on every thread" yes "$(fact nested)"
	check "pids are the trace's" \
		"$(sql "$db" "SELECT group_concat(pid, ' ') FROM (SELECT pid FROM processes ORDER BY id)")" \
		"$(grep '"process_sort_index"' "$work/p.json" | sed 's/.*"pid":\([0-9]*\).*/\1/' | tr '\n' ' ' | sed 's/ $//')"
	;;
folded_fib)
	db=$(trace_sample fib) || exit $?
	"$NOSCO" export "$db" --format folded -o "$work/fib.folded"
	check "export status" 0 $?
	f=$work/fib.folded
	check "every line is 'a;b;c COUNT'" 0 "$(grep -cvE '^[^;]+(;[^;]+)* [1-9][0-9]*$' "$f")"
	check "weights add up to the thread's instructions" \
		"$(sql "$db" "SELECT instructions FROM threads WHERE id = 1")" \
		"$(awk '{ s += $NF } END { print s }' "$f")"
	check "weights add up to the trace's instructions" \
		"$(sql "$db" "SELECT instructions FROM trace")" \
		"$(awk '{ s += $NF } END { print s }' "$f")"
	check "one line per distinct stack" "$(wc -l <"$f")" "$(awk '{ $NF = ""; print }' "$f" | sort -u | wc -l)"
	check "fib's own instructions" \
		"$(sql "$db" "SELECT sum(c.instructions) FROM calls c JOIN functions f ON f.id = c.function_id WHERE f.name = 'fib'")" \
		"$(awk '/;fib [0-9]+$/ { s += $NF } END { print s }' "$f")"
	check_match "fib under main under _start" '^_start;(.*;)?main;fib [0-9]+$' "$(grep -m1 ';fib ' "$f")"
	"$NOSCO" export "$db" --format folded --weight calls -o "$work/calls.folded"
	check "--weight calls: 177 calls of fib" 177 \
		"$(awk '/;fib [0-9]+$/ { s += $NF } END { print s }' "$work/calls.folded")"
	check "--weight calls: fib calls per recursion depth" "$(fib_depths)" \
		"$(grep -E ';fib [0-9]+$' "$work/calls.folded" | awk '{ print gsub(/;fib/, "") " " $NF }' |
			sort -n | awk '{ printf "%s%s", (NR > 1 ? " " : ""), $2 }')"
	check "--weight calls: weights add up to the calls" "$(sql "$db" "SELECT count(*) FROM calls")" \
		"$(awk '{ s += $NF } END { print s }' "$work/calls.folded")"
	"$NOSCO" export "$db" --format folded | cmp -s - "$f"
	check "no -o: the same on stdout" 0 $?
	;;
folded_threads)
	db=$(trace_sample threads) || exit $?
	"$NOSCO" export "$db" --format folded -o "$work/t.folded"
	check "export status" 0 $?
	check "weights add up to the 4 threads' instructions" \
		"$(sql "$db" "SELECT sum(instructions) FROM threads")" \
		"$(awk '{ s += $NF } END { print s }' "$work/t.folded")"
	check "4 threads in the trace" 4 "$(sql "$db" "SELECT count(*) FROM threads")"
	"$NOSCO" export "$db" --format folded --weight calls -o "$work/c.folded"
	check "--weight calls: 60 calls of work_item, all under worker" "60 60" \
		"$(awk '/;work_item [0-9]+$/ { s += $NF } /;worker;work_item [0-9]+$/ { w += $NF }
			END { print s, w }' "$work/c.folded")"
	;;
call)
	db=$(trace_sample fib) || exit $?
	id=$(sql "$db" "SELECT min(c.id) FROM calls c JOIN functions f ON f.id = c.function_id WHERE f.name = 'fib'")
	"$NOSCO" export "$db" --format chrome --call "$id" -o "$work/sub.json"
	check "--call: export status" 0 $?
	$PY "$HERE/chrome_check.py" "$work/sub.json" fib >"$work/facts"
	fact() { sed -n "s/^$1=//p" "$work/facts"; }
	check "--call fib(10): 177 X events, all fib" "177 177" "$(fact x_events) $(fact fn_calls)"
	check "--call: its thread and process only" "1 1" "$(fact threads) $(fact processes)"
	check "--call: the first event is the call" "\"call\":$id" \
		"$(grep -m1 '"ph":"X"' "$work/sub.json" | grep -o "\"call\":$id")"
	"$NOSCO" export "$db" --format folded --call "$id" --weight calls -o "$work/sub.folded"
	check "--call, --weight calls: the call is the root; calls per depth" "$(fib_depths)" \
		"$(awk '{ print gsub(/;/, ";") " " $NF }' "$work/sub.folded" | sort -n |
			awk '{ printf "%s%s", (NR > 1 ? " " : ""), $2 }')"
	"$NOSCO" export "$db" --format folded --call "$id" -o "$work/subi.folded"
	check "--call: instructions add up to the call's" \
		"$(sql "$db" "SELECT exit_seq - entry_seq FROM calls WHERE id = $id")" \
		"$(awk '{ s += $NF } END { print s }' "$work/subi.folded")"
	main=$(sql "$db" "SELECT c.id FROM calls c JOIN functions f ON f.id = c.function_id WHERE f.name = 'main'")
	"$NOSCO" export "$db" --format folded --call "$main" --weight calls -o "$work/main.folded"
	check "--call main: main, then its callees" "main 1
main;fib 1" "$(head -2 "$work/main.folded")"
	;;
hostile_names)
	# Names a symbol table can hold but the formats cannot as they are:
	# quotes, backslashes, control characters, ';', bytes that are not UTF-8.
	db=$(trace_sample fib) || exit $?
	cp "$db" "$work/h.db"
	sqlite3 "$work/h.db" "UPDATE functions SET name = 'fi\"b;\\x' || char(10) || 'y' || char(9) || CAST(x'ff' AS TEXT) || 'é' WHERE name = 'fib'"
	"$NOSCO" export "$work/h.db" --format chrome -o "$work/h.json"
	check "chrome: export status" 0 $?
	check "chrome: still valid JSON, 177 events of the renamed fib" "177" \
		"$(chrome_fact "$work/h.json" fn_calls "$(printf 'fi"b;\\x\ny\t\xef\xbf\xbd\xc3\xa9')")"
	"$NOSCO" export "$work/h.db" --format folded --weight calls -o "$work/h.folded"
	check "folded: every line is 'a;b;c COUNT'" 0 \
		"$(LC_ALL=C grep -cvE '^[^;]+(;[^;]+)* [1-9][0-9]*$' "$work/h.folded")"
	check "folded: ';' and control characters became '_', a bad byte U+FFFD" 177 \
		"$(grep -aF "$(printf 'fi"b_\\x_y_\xef\xbf\xbd\xc3\xa9')" "$work/h.folded" |
			awk '{ s += $NF } END { print s }')"
	check "folded: valid UTF-8" 0 "$($PY -c 'import sys; open(sys.argv[1], encoding="utf-8").read()' \
		"$work/h.folded" >/dev/null 2>&1; echo $?)"
	;;
errors)
	db=$(trace_sample fib) || exit $?
	d=$work/out
	mkdir "$d"
	refused "missing trace" 1 '^nosco-sql: .*/none.db: No such file or directory$' \
		"$NOSCO" export "$work/none.db" --format chrome -o "$d/x.json"
	no_leftovers "missing trace" "$d" x.json
	echo "hello" >"$work/text"
	refused "not a trace (text)" 1 'not a SQLite database, so not a nosco-sql trace' \
		"$NOSCO" export "$work/text" --format folded -o "$d/x.folded"
	no_leftovers "not a trace (text)" "$d" x.folded
	sqlite3 "$work/other.db" "CREATE TABLE t(x)"
	refused "not a trace (other SQLite file)" 1 'not a nosco-sql trace \(no trace table\)' \
		"$NOSCO" export "$work/other.db" --format chrome -o "$d/x.json"
	no_leftovers "not a trace (other SQLite file)" "$d" x.json
	refused "unknown call id" 1 "^nosco-sql: .*: no call 99999999 in this trace \(call ids go from 1 to [0-9]+\)$" \
		"$NOSCO" export "$db" --format chrome --call 99999999 -o "$d/x.json"
	no_leftovers "unknown call id" "$d" x.json
	refused "unknown call id (folded, stdout)" 1 "no call 99999999 in this trace" \
		"$NOSCO" export "$db" --format folded --call 99999999
	refused "--call abc" 2 "^nosco-sql export: --call abc: not a call id" \
		"$NOSCO" export "$db" --format chrome --call abc
	refused "unknown format" 2 "^nosco-sql export: unknown format 'svg' \(chrome, folded or codetracer\)$" \
		"$NOSCO" export "$db" --format svg -o "$d/x.svg"
	no_leftovers "unknown format" "$d" x.svg
	refused "no --format" 2 "missing --format" "$NOSCO" export "$db"
	refused "unknown clock" 2 "^nosco-sql export: unknown clock 'cpu' \(seq or measured\)$" \
		"$NOSCO" export "$db" --format chrome --time cpu -o "$d/x.json"
	no_leftovers "unknown clock" "$d" x.json
	refused "--time with folded" 2 "--time is for --format chrome" \
		"$NOSCO" export "$db" --format folded --time seq
	refused "--weight with chrome" 2 "--weight is for --format folded" \
		"$NOSCO" export "$db" --format chrome --weight calls
	refused "unknown weight" 2 "unknown weight 'bytes'" \
		"$NOSCO" export "$db" --format folded --weight bytes
	refused "unknown option" 2 "unknown option '--bogus'" "$NOSCO" export "$db" --format chrome --bogus
	refused "-o without a value" 2 "-o needs a value" "$NOSCO" export "$db" --format chrome -o
	echo "keep me" >"$d/old.json"
	refused "existing output without --force" 1 "old.json exists \(use --force to replace it\)" \
		"$NOSCO" export "$db" --format chrome -o "$d/old.json"
	check "existing output: untouched" "keep me" "$(cat "$d/old.json")"
	"$NOSCO" export "$db" --format chrome -o "$d/old.json" --force 2>"$work/stderr"
	check "--force: replaced" "0 {\"traceEvents\":[" "$? $(head -1 "$d/old.json")"
	check "--force: no temporary file left" "old.json" "$(ls -A "$d")"
	cp "$db" "$d/t.db"
	refused "output is the trace" 1 "t.db is the trace being exported: not overwriting it" \
		"$NOSCO" export "$d/t.db" --format folded -o "$d/t.db" --force
	check "output is the trace: still a trace" 177 \
		"$(sql "$d/t.db" "SELECT count(*) FROM calls c JOIN functions f ON f.id = c.function_id WHERE f.name = 'fib'")"
	refused "output is another trace" 1 "is a SQLite database: not overwriting it" \
		"$NOSCO" export "$db" --format folded -o "$d/t.db" --force
	refused "output is a directory" 1 "is a directory" "$NOSCO" export "$db" --format folded -o "$d"
	refused "output directory missing" 1 "^nosco-sql: .*/nodir/x.json: cannot create it: No such file or directory$" \
		"$NOSCO" export "$db" --format chrome -o "$d/nodir/x.json"
	"$NOSCO" export "$db" --format folded >/dev/full 2>"$work/stderr"
	check "full disk (stdout): exit status 1" 1 $?
	check_match "full disk: message" "cannot write it: No space left on device" "$(cat "$work/stderr")"
	check_match "export --help" "--format chrome" "$("$NOSCO" export --help)"
	check_match "nosco-sql --help lists export" "export FILE --format" "$("$NOSCO" --help)"
	;;
*)
	echo "unknown case $CASE" >&2
	exit 2
	;;
esac
finish
