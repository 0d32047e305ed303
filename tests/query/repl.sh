#!/bin/bash
# The REPL driven through a real terminal: tmux runs it, send-keys types,
# capture-pane reads the screen.
#   repl.sh NOSCO SAMPLES TRACES SRCDIR STEPCOUNT CASE
NOSCO=$1 SAMPLES=$2 TRACES=$3 SRC=$4 STEPCOUNT=$5 CASE=$6
. "$(dirname "$0")/lib.sh"
command -v tmux >/dev/null || skip "tmux is not installed (apt-get install tmux)"

work=$(mktemp -d "${TMPDIR:-/tmp}/nosco-repl.XXXXXX") || exit 2
sock=$work/tmux.sock # in the work folder: removed with it
tm() { tmux -u -S "$sock" -f /dev/null "$@"; }
trap 'tm kill-server 2>/dev/null; rm -rf "$work"' EXIT
export HOME=$work/home INPUTRC=/dev/null
mkdir -p "$HOME"

# start ARGS...: nosco-sql ARGS in a fresh 200x50 terminal; waits for the prompt.
start() {
	tm kill-server 2>/dev/null
	for _ in 1 2 3 4 5; do # a server still going away can refuse it
		tm new-session -d -s repl -x 200 -y 50 \
			"env HOME='$HOME' INPUTRC=/dev/null TERM=xterm $(printf "'%s' " "$NOSCO" "$@"); echo '[exited' \$?']'; sleep 30" \
			2>/dev/null && break
		sleep 0.5
	done
	wait_for 'nosco> ?$' || { echo "no prompt:"; screen; exit 1; }
}
screen() { tm capture-pane -p -t repl -S -200 2>/dev/null; }
# wait_for REGEX: until the screen matches (up to 10 s). Returns 1 on timeout.
wait_for() {
	for _ in $(seq 100); do
		screen | grep -Eq -- "$1" && return 0
		sleep 0.1
	done
	return 1
}
# type TEXT: types TEXT literally (no Enter). tmux would take a final ';'
# for its own command separator, so that one goes as a key code.
type() {
	local t=$1
	if [ "${t: -1}" == ";" ]; then
		[ ${#t} -gt 1 ] && tm send-keys -t repl -l -- "${t%;}"
		tm send-keys -t repl -H 3b
	else
		tm send-keys -t repl -l -- "$t"
	fi
}
key() { tm send-keys -t repl "$@" 2>/dev/null; }
clear_screen() { tm clear-history -t repl; key C-l; sleep 0.2; }
# expect NAME REGEX: the screen matches REGEX (waiting for it).
expect() {
	if wait_for "$2"; then
		check "$1" yes yes
	else
		check "$1" "screen matching $2" "$(screen | tail -15)"
	fi
}
prompt_count() { screen | grep -c '^nosco> '; }

db=$(trace_sample fib) || exit $?

case $CASE in
query)
	start "$db"
	expect "banner" 'trace of .*fib.*instructions'
	type "SELECT 6 * 7 AS answer;"; key Enter
	expect "result table" '^\| answer \|$'
	expect "result value" '^\|     42 \|$'
	type "SELECT count(*) AS n"; key Enter
	expect "continuation prompt" '^  \.\.\.> ?$'
	type "  FROM calls WHERE function_id = (SELECT id FROM functions WHERE name = 'fib');"; key Enter
	expect "multi-line statement ran" '^\| 177 \|$'
	type "SELEC 1;"; key Enter
	expect "syntax error with position" 'Error: near "SELEC": syntax error'
	expect "caret under the error" '^  \^$'
	type "SELECT 'still here';"; key Enter
	expect "alive after the error" "still here"
	type ".quit"; key Enter
	expect ".quit leaves with status 0" '^\[exited 0\]$'
	;;
completion)
	start "$db"
	type "sel"; key Tab
	expect "keyword, in the case typed" '^nosco> select ?$'
	type "entry_se"; key Tab
	expect "column name" '^nosco> select entry_seq ?$'
	type "FROM exec_seg"; key Tab
	expect "table name" '^nosco> select entry_seq FROM exec_segments ?$'
	key C-u
	type ".mo"; key Tab
	expect "dot-command" '^nosco> \.mode ?$'
	type "cs"; key Tab
	expect "mode argument" '^nosco> \.mode csv ?$'
	key C-u
	type ".callee"; key Tab
	expect "canned query name" '^nosco> \.callees ?$'
	type "main"; key Enter
	expect "canned query ran" '^\| fib +\| fib +\| +1 \|'
	;;
mode_csv)
	start "$db"
	type ".mode csv"; key Enter
	type "SELECT 1 AS a, 'x,y' AS b;"; key Enter
	expect "csv header" '^a,b$'
	expect "csv quoting" '^1,"x,y"$'
	type ".headers off"; key Enter
	type "SELECT 2, 3;"; key Enter
	expect "no header" '^2,3$'
	type ".mode json"; key Enter
	type "SELECT 1 AS a, NULL AS b;"; key Enter
	expect "json" '^\{"a":1,"b":null\}$'
	type ".mode line"; key Enter
	type "SELECT 5 AS five;"; key Enter
	expect "line" '^five = 5$'
	type ".mode box"; key Enter
	type "SELECT 7 AS seven;"; key Enter
	expect "box (headers still off)" '^│ 7 │$'
	type ".mode nonsense"; key Enter
	expect "bad mode: message" 'Error: unknown mode'
	;;
ctrl_c)
	start "$db"
	type "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 1000000000) SELECT count(*) FROM c;"
	key Enter
	sleep 1
	key C-c
	expect "query interrupted" 'Interrupted\.$'
	expect "back at the prompt" '^nosco> ?$'
	type "SELECT 'after ctrl-c' AS s;"; key Enter
	expect "REPL still works" 'after ctrl-c'
	type "SELECT 1,"; key Enter
	expect "pending statement" '^  \.\.\.> ?$'
	key C-c
	sleep 0.3
	type "SELECT 'fresh' AS s;"; key Enter
	expect "Ctrl-C at the prompt drops the pending statement" '^\| fresh \|$'
	check "still running" "" "$(screen | grep '^\[exited')"
	;;
history)
	start "$db"
	type "SELECT 'from the first run' AS h;"; key Enter
	expect "first run" 'from the first run'
	type ".quit"; key Enter
	expect "quit" '^\[exited 0\]$'
	check_match "history file written" "SELECT 'from the first run' AS h;" "$(cat "$HOME/.nosco_sql_history" 2>&1)"
	start "$db"
	key Up
	key Up # the last entry is .quit
	expect "Up recalls the last run's statement" "^nosco> SELECT 'from the first run' AS h;$"
	key Enter
	expect "and it runs" '^\| from the first run \|$'
	;;
limit)
	start "$db"
	type "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 5000) SELECT x FROM c;"
	key Enter
	expect "default limit 1000" '^\(4000 more rows not shown; \.limit N to change\)$'
	type ".limit 10"; key Enter
	type "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 5000) SELECT x FROM c;"
	key Enter
	expect ".limit 10" '^\(4990 more rows not shown'
	type ".once $work/all.csv"; key Enter
	type ".mode csv"; key Enter
	type "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 5000) SELECT x FROM c;"
	key Enter
	sleep 1
	check "no limit in files (.once)" 5001 "$(wc -l <"$work/all.csv")"
	;;
dot_commands)
	start "$db"
	type ".help"; key Enter
	expect ".help lists dot-commands" '\.schema \[NAME\]'
	expect ".help lists canned queries" '\.calls ID \[--depth N\]'
	clear_screen
	type ".tables"; key Enter
	expect ".tables" 'exec_segments'
	type ".schema calls"; key Enter
	expect ".schema NAME" '^CREATE TABLE calls \($'
	type ".timer on"; key Enter
	type "SELECT 1;"; key Enter
	expect ".timer" '^Run Time: real [0-9.]+ user'
	type ".timer off"; key Enter
	clear_screen
	type ".hot"; key Enter
	expect "canned .hot" '^\| fib +\| fib +\| +177 \|'
	id=$(q "$db" search fib | grep '^function,fib,' | cut -d, -f9)
	type ".calls $id 1"; key Enter
	expect "canned .calls ID DEPTH" "^\| +$id \| fib "
	type ".calls"; key Enter
	expect "canned query usage" 'missing id \(usage: calls ID \[--depth N\]\)'
	type ".output $work/out.txt"; key Enter
	type "SELECT 'to the file' AS f;"; key Enter
	type ".output"; key Enter
	type "SELECT 'to the screen' AS f;"; key Enter
	expect ".output back to the screen" 'to the screen'
	check_match ".output FILE" 'to the file' "$(cat "$work/out.txt")"
	printf '.mode csv\nSELECT 40 + 2;\n' >"$work/script.sql"
	type ".read $work/script.sql"; key Enter
	expect ".read" '^42$'
	type ".nope"; key Enter
	expect "unknown dot-command" "unknown command '\.nope'"
	type ".exit"; key Enter
	expect ".exit" '^\[exited 0\]$'
	;;
*)
	echo "unknown case $CASE" >&2
	exit 2
	;;
esac
finish
