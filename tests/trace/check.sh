#!/bin/bash
# check.sh: runs one .test file: traces sample programs with nosco-sql and
# compares the results of SQL queries on the trace with expected results
# written in the file (facts fixed by the samples' source, never output
# copied from a run).
#
# usage: check.sh --nosco PATH --samples DIR --engine step|block
#                 [--step-count PATH] FILE.test [NAME=VALUE...]
#
# A .test file is a sequence of directives; lines starting with '#' outside
# a query's expected result are comments. {NAME} is replaced everywhere by
# the value of NAME: the NAME=VALUE arguments, {samples} (the samples
# directory), {engine}, {work} (the test's own temporary directory, the cwd
# of every run) and the variables made by 'set'.
#
#   run ARGS...      nosco-sql run -o {work}/trace.db --engine {engine} ARGS
#                    (a fresh trace; stdin /dev/null, stdout and stderr kept
#                    for 'stdout'). The queries that follow use this trace.
#   status N         the last run exited with status N
#   stdout           the last run's stdout is exactly the lines that follow,
#                    up to a blank line
#   stderr-has TEXT  the last run's stderr has a line containing TEXT
#   stderr-lacks TEXT  ... and no line containing TEXT (the directive's
#                    name may come from a variable: stderr-{v} TEXT)
#   set NAME SQL     NAME = the result of SQL (one line) on the last trace
#   stops-at-most SQL  the last run (made with --stats) stopped the program
#                    at most as many times as the result of SQL on its trace
#   canned COLS ARGS...  like query, for `nosco-sql query TRACE ARGS` (a
#                    canned query) as CSV without headers, keeping the
#                    comma-separated fields COLS (`cut -f` syntax, e.g.
#                    1,3-5); the expected output follows at once
#   include FILE     the directives of FILE (relative to this file's folder)
#   query NAME       a query: the SQL on the following lines, up to a line
#                    '----'; then the expected output, up to a blank line or
#                    the end of the file (so it has no blank lines; it may be
#                    empty). The output is sqlite3's default: columns
#                    separated by '|', NULL as an empty string.
#
# The SQL runs in `sqlite3 -readonly` after prelude.sql (TEMP helper views).
# Exit status: 0 all passed, 1 a check failed, 77 ptrace is not permitted
# here (skip), 2 usage or setup error.

set -u
here=$(cd -P "$(dirname "${BASH_SOURCE[0]}")" && pwd)

nosco= samples= engine= step_count= file=
declare -A var
while [ $# -gt 0 ]; do
	case $1 in
	--nosco) nosco=$2; shift 2 ;;
	--samples) samples=$2; shift 2 ;;
	--engine) engine=$2; shift 2 ;;
	--step-count) step_count=$2; shift 2 ;;
	*=*) var[${1%%=*}]=${1#*=}; shift ;;
	*) [ -z "$file" ] || { echo "check.sh: extra argument $1" >&2; exit 2; }
	   file=$1; shift ;;
	esac
done
if [ -z "$nosco" ] || [ -z "$samples" ] || [ -z "$engine" ] || [ -z "$file" ]; then
	echo "usage: check.sh --nosco PATH --samples DIR --engine E [--step-count PATH] FILE.test [NAME=VALUE...]" >&2
	exit 2
fi
command -v sqlite3 >/dev/null || { echo "check.sh: the sqlite3 command-line tool is missing (apt-get install sqlite3)" >&2; exit 2; }
[ -x "$nosco" ] || { echo "check.sh: $nosco is not built" >&2; exit 2; }

# Skip (77) where ptrace is not permitted, e.g. in a restricted container.
if [ -n "$step_count" ]; then
	"$step_count" --probe >/dev/null 2>&1
	[ $? -eq 77 ] && { echo "SKIP: ptrace is not permitted here"; exit 77; }
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/nosco-trace-test.XXXXXX") || exit 2
work=$(cd -P "$work" && pwd)
db=$work/trace.db
var[samples]=$samples
var[engine]=$engine
var[work]=$work
ulimit -c 0 # the killed sample must not leave core files

failures=0 checks=0 ran=0
status=

fail() { # NAME MESSAGE
	failures=$((failures + 1))
	echo "FAIL $1: $2"
}

subst() { # TEXT -> TEXT with {NAME} replaced
	local s=$1 k
	for k in "${!var[@]}"; do
		s=${s//"{$k}"/"${var[$k]}"}
	done
	printf '%s' "$s"
}

sql() { # SQL: runs it on the trace, prints its output (and errors)
	{ cat "$here/prelude.sql"; printf '%s\n' "$1"; } |
		sqlite3 -batch -bail -readonly "$db" 2>&1
}

do_run() { # ARGS (one string, split on blanks)
	local args
	read -r -a args <<<"$1"
	rm -f "$db" "$db-wal" "$db-shm" "$db-journal"
	echo "run: nosco-sql run -o $db --engine $engine ${args[*]}"
	(cd "$work" && exec "$nosco" run -o "$db" --engine "$engine" "${args[@]}") \
		</dev/null >"$work/stdout" 2>"$work/stderr"
	status=$?
	ran=1
	echo "  exit status $status, $(wc -l <"$work/stderr") line(s) on stderr"
	sed -n '1,20s/^/  stderr: /p' "$work/stderr"
}

process() { # FILE
	local f=$1 lines i n line name sqltext expected got
	mapfile -t lines <"$f" || { fail "$f" "cannot read"; return; }
	n=${#lines[@]}
	i=0
	while [ $i -lt $n ]; do
		line=${lines[i]}
		i=$((i + 1))
		case $line in
		'' | '#'*) ;;
		'run '*)
			do_run "$(subst "${line#run }")" ;;
		'status '*)
			checks=$((checks + 1))
			expected=$(subst "${line#status }")
			if [ "$status" = "$expected" ]; then
				echo "ok   status $expected"
			else
				fail status "nosco-sql exited with $status, expected $expected"
			fi ;;
		stdout)
			checks=$((checks + 1))
			expected=
			while [ $i -lt $n ] && [ -n "${lines[i]}" ]; do
				expected+=$(subst "${lines[i]}")$'\n'
				i=$((i + 1))
			done
			got=$(cat "$work/stdout"; echo .)
			got=${got%.}
			if [ "$got" = "$expected" ]; then
				echo "ok   stdout"
			else
				fail stdout "the program's stdout differs"
				printf '  expected:\n%s  got:\n%s' "$expected" "$got" | sed 's/^/  /'
			fi ;;
		'stderr-'*)
			checks=$((checks + 1))
			line=$(subst "$line")
			expected=${line#* }
			if grep -qF -- "$expected" "$work/stderr"; then got=has; else got=lacks; fi
			case ${line%% *} in stderr-has | stderr-lacks) ;; *)
				echo "check.sh: $f: cannot parse: $line" >&2; exit 2 ;; esac
			if [ "stderr-$got" = "${line%% *}" ]; then
				echo "ok   ${line%% *} $expected"
			else
				fail "${line%% *}" "stderr $got '$expected'"
			fi ;;
		'set '*)
			line=$(subst "${line#set }")
			name=${line%% *}
			got=$(sql "${line#* }")
			if [ $? -ne 0 ] || [ -z "$got" ] || [[ $got == *$'\n'* ]]; then
				fail "set $name" "query gave no single value: $got"
			fi
			var[$name]=$got
			echo "set  $name = $got" ;;
		'stops-at-most '*)
			checks=$((checks + 1))
			expected=$(sql "$(subst "${line#stops-at-most }")")
			got=$(sed -n 's/^nosco-sql: stats .*stops=\([0-9]*\).*/\1/p' "$work/stderr")
			if ! [[ $expected =~ ^[0-9]+$ ]] || ! [[ $got =~ ^[0-9]+$ ]]; then
				fail stops-at-most "no stop count (run with --stats?) or bound: '$got' '$expected'"
			elif [ "$got" -le "$expected" ]; then
				echo "ok   stops-at-most $expected ($got)"
			else
				fail stops-at-most "$got stops, expected at most $expected"
			fi ;;
		'include '*)
			process "$(dirname "$f")/${line#include }" ;;
		'canned '*)
			line=$(subst "${line#canned }")
			local cols=${line%% *} args
			read -r -a args <<<"${line#* }"
			expected=
			while [ $i -lt $n ] && [ -n "${lines[i]}" ]; do
				expected+=$(subst "${lines[i]}")$'\n'
				i=$((i + 1))
			done
			expected=${expected%$'\n'}
			checks=$((checks + 1))
			got=$("$nosco" query "$db" "${args[@]}" --format csv --no-headers 2>&1 | cut -d, -f"$cols")
			if [ "$got" = "$expected" ]; then
				echo "ok   canned ${args[*]}"
			else
				fail "canned ${args[*]}" "the canned query's result differs"
				echo "  expected:"
				[ -n "$expected" ] && printf '%s\n' "$expected" | sed 's/^/    /'
				echo "  got:"
				[ -n "$got" ] && printf '%s\n' "$got" | sed 's/^/    /'
			fi ;;
		'query '*)
			name=${line#query }
			sqltext=
			while [ $i -lt $n ] && [ "${lines[i]}" != ---- ]; do
				sqltext+=${lines[i]}$'\n'
				i=$((i + 1))
			done
			i=$((i + 1))
			expected=
			while [ $i -lt $n ] && [ -n "${lines[i]}" ]; do
				expected+=$(subst "${lines[i]}")$'\n'
				i=$((i + 1))
			done
			expected=${expected%$'\n'}
			sqltext=$(subst "$sqltext")
			checks=$((checks + 1))
			if [ ! -s "$db" ]; then
				fail "$name" "no trace file"
				continue
			fi
			got=$(sql "$sqltext")
			if [ "$got" = "$expected" ]; then
				echo "ok   $name"
			else
				fail "$name" "the query's result differs"
				printf '%s\n' "$sqltext" | sed 's/^/    | /'
				echo "  expected:"
				[ -n "$expected" ] && printf '%s\n' "$expected" | sed 's/^/    /'
				echo "  got:"
				[ -n "$got" ] && printf '%s\n' "$got" | sed 's/^/    /'
			fi ;;
		*)
			echo "check.sh: $f: cannot parse: $line" >&2
			exit 2 ;;
		esac
	done
}

process "$file"

if [ $ran -eq 0 ] || [ $checks -eq 0 ]; then
	echo "check.sh: $file ran nothing or checked nothing" >&2
	exit 2
fi
echo "$checks checks, $failures failed"
if [ $failures -gt 0 ]; then
	echo "trace and output kept in $work"
	exit 1
fi
rm -rf "$work"
exit 0
