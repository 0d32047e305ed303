#!/bin/bash
# nosco-sql query from scripts: output formats, -e, errors, usage.
#   cli.sh NOSCO SAMPLES TRACES SRCDIR STEPCOUNT CASE
NOSCO=$1 SAMPLES=$2 TRACES=$3 SRC=$4 STEPCOUNT=$5 CASE=$6
. "$(dirname "$0")/lib.sh"

db=$(trace_sample fib) || exit $?
sql="SELECT 1 AS n, 'a,b' AS s, NULL AS z, 2.5 AS r, 'say \"hi\"' AS q, x'00ff' AS b"

case $CASE in
formats)
	check "table" "+---+-----+---+-----+----------+------+
| n | s   | z | r   | q        | b    |
+---+-----+---+-----+----------+------+
| 1 | a,b |   | 2.5 | say \"hi\" | 00ff |
+---+-----+---+-----+----------+------+" "$("$NOSCO" query "$db" -e "$sql")"
	check "box" "┌───┬─────┐
│ n │ s   │
├───┼─────┤
│ 1 │ a,b │
└───┴─────┘" "$("$NOSCO" query "$db" -e "SELECT 1 AS n, 'a,b' AS s" --format box)"
	check "csv" 'n,s,z,r,q,b
1,"a,b",,2.5,"say ""hi""",00ff' "$("$NOSCO" query "$db" -e "$sql" --format csv)"
	check "csv --no-headers" '1,"a,b",,2.5,"say ""hi""",00ff' "$("$NOSCO" query "$db" -e "$sql" --format=csv --no-headers)"
	check "json" '[
{"n":1,"s":"a,b","z":null,"r":2.5,"q":"say \"hi\"","b":"00ff"}
]' "$("$NOSCO" query "$db" -e "$sql" --format json)"
	check "json, empty result" "[]" "$("$NOSCO" query "$db" -e "SELECT 1 WHERE 0" --format json)"
	check "line" "n = 1
s = a,b
z = 
r = 2.5
q = say \"hi\"
b = 00ff" "$("$NOSCO" query "$db" -e "$sql" --format line)"
	if command -v python3 >/dev/null; then
		check "hot as JSON parses, fib has 177 calls" 177 "$("$NOSCO" query "$db" hot --format json |
			python3 -c 'import json,sys; print([r["calls"] for r in json.load(sys.stdin) if r["function"] == "fib"][0])')"
	fi
	check "several statements, several results" "1
2" "$("$NOSCO" query "$db" -e "SELECT 1; SELECT 2" --format csv --no-headers)"
	;;
errors)
	"$NOSCO" query "$db" -e "SELEC 1" >/dev/null 2>"$TRACES/cli-err.$$"
	check "syntax error: status 1" 1 $?
	check "syntax error: message and place" 'Error: near "SELEC": syntax error
  at line 1, column 1:
  SELEC 1
  ^' "$(cat "$TRACES/cli-err.$$")"
	"$NOSCO" query "$db" -e "SELECT nosuch FROM calls" >/dev/null 2>"$TRACES/cli-err.$$"
	check "unknown column: status 1" 1 $?
	check_match "unknown column: message" "no such column: nosuch" "$(cat "$TRACES/cli-err.$$")"
	"$NOSCO" query "$db" nosuch >/dev/null 2>"$TRACES/cli-err.$$"
	check "unknown canned query: status 2" 2 $?
	check_match "unknown canned query: message" "no canned query 'nosuch'" "$(cat "$TRACES/cli-err.$$")"
	"$NOSCO" query "$db" calls >/dev/null 2>"$TRACES/cli-err.$$"
	check "missing argument: status 2" 2 $?
	check_match "missing argument: message" 'calls: missing id \(usage: calls ID \[--depth N\]\)' "$(cat "$TRACES/cli-err.$$")"
	"$NOSCO" query "$db" calls 1 --depth >/dev/null 2>"$TRACES/cli-err.$$"
	check "option without value: status 2" 2 $?
	"$NOSCO" query "$db" calls 1 2 3 >/dev/null 2>"$TRACES/cli-err.$$"
	check "too many arguments: status 2" 2 $?
	"$NOSCO" query "$db" hot --format xml >/dev/null 2>"$TRACES/cli-err.$$"
	check "unknown format: status 2" 2 $?
	"$NOSCO" query "$db" >/dev/null 2>&1
	check "no query: status 2" 2 $?
	check_match "--help lists the canned queries" 'search ADDR\|SYMBOL' "$("$NOSCO" query --help)"
	check_match "nosco-sql --help lists query and repl" 'repl FILE' "$("$NOSCO" --help)"
	"$NOSCO" query "$db" -e "INSERT INTO calls (id) VALUES (0)" >/dev/null 2>"$TRACES/cli-err.$$"
	check "read-only by default" 1 $?
	check_match "read-only: message" "readonly" "$(cat "$TRACES/cli-err.$$")"
	rm -f "$TRACES/cli-err.$$"
	;;
*)
	echo "unknown case $CASE" >&2
	exit 2
	;;
esac
finish
