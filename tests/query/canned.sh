#!/bin/bash
# Canned queries on real traces of the samples, compared with facts that the
# samples' source fixes (samples/*.c), not with earlier output.
#   canned.sh NOSCO SAMPLES TRACES SRCDIR STEPCOUNT CASE
# CASE: threads binaries calls exec call hot coverage callers callees lines
#       search views signal
NOSCO=$1 SAMPLES=$2 TRACES=$3 SRC=$4 STEPCOUNT=$5 CASE=$6
. "$(dirname "$0")/lib.sh"

# field N of a CSV line (the fields checked here hold no commas)
field() { cut -d, -f"$1"; }

# The call fib(10) made by main: the first call of fib.
fib_call() { q "$1" search fib | grep '^function,fib,' | field 9; }

case $CASE in
threads)
	# threads.c: main starts 3 threads: 4 in all; thread i (in creation
	# order) calls work_item 10 * (i + 1) times.
	db=$(trace_sample threads) || exit $?
	out=$(q "$db" threads)
	check "4 threads" 4 "$(printf '%s\n' "$out" | wc -l)"
	check "thread ids" "1 2 3 4" "$(printf '%s\n' "$out" | field 1 | xargs)"
	check "parents" ",1,1,1" "$(printf '%s\n' "$out" | field 4 | paste -sd,)"
	check "exit statuses" "0,0,0,0" "$(printf '%s\n' "$out" | field 14 | paste -sd,)"
	check "one root call each" "4" "$(printf '%s\n' "$out" | field 9 | grep -c '^[0-9]*$')"
	n=""
	for t in 2 3 4; do
		root=$(printf '%s\n' "$out" | awk -F, -v t=$t '$1 == t { print $7 }')
		n="$n $(q "$db" calls "$root" | field 2 | sed 's/^ *//' | grep -cx work_item)"
	done
	check "work_item calls per thread" " 10 20 30" "$n"
	main=$(printf '%s\n' "$out" | awk -F, '$1 == 1 { print $7 }')
	check "main thread calls work_item never" 0 "$(q "$db" calls "$main" | field 2 | sed 's/^ *//' | grep -cx work_item)"
	;;
binaries)
	# dlmain.c: dlopens libplugin.so from its own directory, then dlcloses it.
	db=$(trace_sample dlopen dlmain) || exit $?
	out=$(q "$db" binaries)
	check "one executable" "dlmain" "$(printf '%s\n' "$out" | awk -F, '$4 == "exe" { print $3 }')"
	plug=$(printf '%s\n' "$out" | grep ',libplugin.so,')
	check "libplugin.so is a lib" "lib" "$(printf '%s' "$plug" | field 4)"
	check "loaded by thread 1" "1" "$(printf '%s' "$plug" | field 10)"
	check_match "loaded in a call of some function" '^[0-9]+,[^,]+$' "$(printf '%s' "$plug" | field 11,12)"
	check_match "unloaded after it was loaded" '^[0-9]+,[0-9]+$' "$(printf '%s' "$plug" | field 9,13)"
	check "unload after load" "yes" "$(printf '%s' "$plug" | awk -F, '{ print ($13 > $9) ? "yes" : "no" }')"
	check "path next to dlmain" "$SAMPLES/libplugin.so" "$(printf '%s' "$plug" | field 15)"
	;;
calls)
	# fib_impl.c: fib(10) makes 177 calls to fib in all, 10 levels deep.
	db=$(trace_sample fib) || exit $?
	id=$(fib_call "$db")
	out=$(q "$db" calls "$id")
	check "177 calls under fib(10)" 177 "$(printf '%s\n' "$out" | field 2 | sed 's/^ *//' | grep -cx fib)"
	check "first row is the call itself" "$id,fib" "$(printf '%s\n' "$out" | head -1 | field 1,2)"
	check "10 levels: deepest indented by 18" 18 "$(printf '%s\n' "$out" | field 2 | awk '{ m = length($0) - length("fib"); if (m > x) x = m } END { print x }')"
	check "--depth 1: fib(10), fib(9), fib(8)" 3 "$("$NOSCO" query "$db" calls "$id" --depth 1 --format csv --no-headers | wc -l)"
	check "positional depth 0" "$id" "$(q "$db" calls "$id" 0 | field 1)"
	check "tree order: seq grows" "yes" "$(printf '%s\n' "$out" | awk -F, 'p != "" && $4 <= p { bad = 1 } { p = $4 } END { print bad ? "no" : "yes" }')"
	check "unknown call: no rows" "" "$(q "$db" calls 999999999 2>/dev/null)"
	check_match "bad id: message" "must be a number" "$("$NOSCO" query "$db" calls xyz 2>&1)"
	;;
exec)
	db=$(trace_sample fib) || exit $?
	id=$(fib_call "$db")
	out=$(q "$db" exec "$id")
	self=$("$NOSCO" query "$db" -e "SELECT instructions FROM calls WHERE id = $id" --format csv --no-headers)
	check "fib(10) calls fib(9) and fib(8) inline" "2" "$(printf '%s\n' "$out" | grep -c ',-> call ')"
	check "sub-call lines name fib" "2" "$(printf '%s\n' "$out" | grep -c ',-> call [0-9]* fib (ret)')"
	check "one row per own instruction" "$self" "$(printf '%s\n' "$out" | grep -vc ',-> call ')"
	check "all in fib" "fib" "$(printf '%s\n' "$out" | field 3 | sort -u | xargs)"
	check "in order of seq" "yes" "$(printf '%s\n' "$out" | awk -F, 'p != "" && $1 <= p { bad = 1 } { p = $1 } END { print bad ? "no" : "yes" }')"
	check_match "lines of fib_impl.c" '^fib_impl\.c:[0-9]+$' "$(printf '%s\n' "$out" | grep -v ',-> call ' | awk -F, '{ print $NF }' | sort -u | head -1)"
	first=$(printf '%s\n' "$out" | head -1 | field 2)
	addr=$(q "$db" search fib | grep '^function,fib,' | field 4)
	check "starts at fib's first instruction" "$addr" "$first"
	check_match "disassembled" '^(push|endbr64|sub|mov)' "$(printf '%s\n' "$out" | head -1 | cut -d, -f4-)"
	;;
call)
	db=$(trace_sample fib) || exit $?
	id=$(fib_call "$db")
	out=$("$NOSCO" query "$db" call "$id")
	check_match "line mode by default" "^ +call = $id$" "$out"
	check_match "function" "function = fib$" "$out"
	check_match "two sub-calls" "subcalls = 2$" "$out"
	check_match "returned" "ended = ret$" "$out"
	bt=$("$NOSCO" query "$db" call "$id" --format csv --no-headers | tail -n +2)
	check "backtrace frame 0 is fib" "0,$id,fib" "$(printf '%s\n' "$bt" | head -1 | field 1-3)"
	check "backtrace frame 1 is main" "1,main" "$(printf '%s\n' "$bt" | sed -n 2p | field 1,3)"
	check_match "main calls fib from fib.c" '^fib\.c:[0-9]+$|/fib\.c:[0-9]+$' "$(printf '%s\n' "$bt" | head -1 | field 6)"
	check "no backtraces table: no third result" "" "$("$NOSCO" query "$db" call "$id" 2>&1 | grep -i 'backtraces')"
	;;
hot)
	db=$(trace_sample fib) || exit $?
	out=$(q "$db" hot)
	fib=$(printf '%s\n' "$out" | grep '^fib,fib,')
	check "fib: 177 calls" 177 "$(printf '%s' "$fib" | field 3)"
	check "fib calls only fib: inclusive = exclusive" "$(printf '%s' "$fib" | field 4)" "$(printf '%s' "$fib" | field 5)"
	check "main: 1 call" 1 "$(printf '%s\n' "$out" | grep '^main,fib,' | field 3)"
	check "most called first" "yes" "$(printf '%s\n' "$out" | awk -F, 'p != "" && $3 > p { bad = 1 } { p = $3 } END { print bad ? "no" : "yes" }')"
	db=$(trace_sample threads) || exit $?
	out=$(q "$db" hot)
	wi=$(printf '%s\n' "$out" | grep '^work_item,')
	wk=$(printf '%s\n' "$out" | grep '^worker,')
	check "work_item: 60 calls" 60 "$(printf '%s' "$wi" | field 3)"
	check "worker: 3 calls" 3 "$(printf '%s' "$wk" | field 3)"
	check "threads interleave: worker inclusive = own + work_item's" \
		"$(( $(printf '%s' "$wk" | field 4) + $(printf '%s' "$wi" | field 4) ))" "$(printf '%s' "$wk" | field 5)"
	;;
coverage)
	db=$(trace_sample fib) || exit $?
	out=$(q "$db" coverage)
	fib=$(printf '%s\n' "$out" | grep '^function,fib,fib,')
	check_match "fib covered partly or fully" '^function,fib,fib,,[0-9]+,[0-9]+,[0-9]+,[0-9.]+$' "$fib"
	check "fib: executed bytes <= size" "yes" "$(printf '%s' "$fib" | awk -F, '{ print ($7 <= $5 && $7 > 0) ? "yes" : "no" }')"
	check "fib: every instruction of fib ran (both branches)" "100.0" "$(printf '%s' "$fib" | field 8)"
	check_match "binary row for fib" '^binary,fib,,[0-9]+/[0-9]+,' "$(printf '%s\n' "$out" | grep '^binary,fib,')"
	check "binary rows first" "binary" "$(printf '%s\n' "$out" | head -1 | field 1)"
	;;
callers)
	db=$(trace_sample fib) || exit $?
	out=$(q "$db" callers fib)
	check "fib from fib (2 sites) and main (1 site)" "fib,fib,176,2 main,fib,1,1" "$(printf '%s\n' "$out" | field 1-4 | xargs)"
	addr=$(q "$db" search fib | grep '^function,fib,' | field 4)
	check "by address inside fib" "$out" "$(q "$db" callers "$(printf '0x%x' $((addr + 1)))")"
	db=$(trace_sample dlopen dlmain) || exit $?
	check "plugin_add: 5 calls from main" "main,dlmain,5" "$(q "$db" callers plugin_add | field 1-3)"
	;;
callees)
	db=$(trace_sample fib) || exit $?
	check "fib calls fib 176 times" "fib,fib,176" "$(q "$db" callees fib | field 1-3)"
	check "main calls fib once" "fib,fib,1" "$(q "$db" callees main | grep '^fib,' | field 1-3)"
	db=$(trace_sample threads) || exit $?
	check "worker calls work_item 60 times" "work_item,threads,60" "$(q "$db" callees worker | field 1-3)"
	;;
lines)
	db=$(trace_sample fib) || exit $?
	line=$(grep -n 'if (n < 2)' "$SRC/samples/fib_impl.c" | cut -d: -f1)
	out=$(q "$db" lines "fib_impl.c:$line")
	check "'if (n < 2)' ran 177 times" 177 "$(printf '%s\n' "$out" | wc -l)"
	check "always in fib" "fib" "$(printf '%s\n' "$out" | field 4 | sort -u)"
	check "same result with a longer path" "$out" "$(q "$db" lines "samples/fib_impl.c:$line")"
	check "a line without code: no rows" "" "$(q "$db" lines "fib_impl.c:1" 2>/dev/null)"
	check_match "bad argument: message" "FILE:LINE" "$("$NOSCO" query "$db" lines fib_impl.c 2>&1)"
	;;
search)
	db=$(trace_sample fib) || exit $?
	out=$(q "$db" search fib)
	row=$(printf '%s\n' "$out" | grep '^function,fib,')
	check "fib ran 177 times" 177 "$(printf '%s' "$row" | field 6)"
	check_match "fib's source" 'fib_impl\.c:[0-9]+$' "$(printf '%s' "$row" | field 5)"
	addr=$(printf '%s' "$row" | field 4)
	ins=$(q "$db" search "$addr" | grep '^instruction,')
	check "its first instruction ran 177 times" 177 "$(printf '%s' "$ins" | field 6)"
	check_match "instruction named fib+0" '^instruction,fib\+0: ' "$ins"
	check "glob pattern" "fib" "$(q "$db" search 'fi?' | grep '^function,' | field 2 | sort -u | xargs)"
	;;
signal)
	# sigalrm.c: 3 signal-handler calls of on_alarm, each calling on_tick.
	db=$(trace_sample sigalrm) || exit $?
	root=$(q "$db" threads | field 7)
	out=$(q "$db" calls "$root")
	check "3 handler calls marked" 3 "$(printf '%s\n' "$out" | grep -c '\[signal\] on_alarm')"
	check "on_tick under each" 3 "$(q "$db" callers on_tick | grep '^on_alarm,' | field 3)"
	;;
views)
	# The q_* views the writer puts in every trace (made from the canned
	# queries' files at build time) must give what the canned queries give.
	db=$(trace_sample fib) || exit $?
	for v in threads binaries hot coverage processes files syscalls; do
		check "q_$v = $v" "$(q "$db" $v)" "$(q "$db" -e "SELECT * FROM q_$v")"
	done
	;;
*)
	echo "unknown case $CASE" >&2
	exit 2
	;;
esac
finish
