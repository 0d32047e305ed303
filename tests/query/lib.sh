# Helpers for the query tests (sourced). The caller sets:
#   NOSCO      path to nosco-sql          SAMPLES  the built samples' directory
#   TRACES     where traces of samples are kept between tests (build tree)
#   STEPCOUNT  optional: trace-step-count, the probe for "ptrace permitted"
# Exit codes: 0 passed, 1 a check failed, 77 skipped.

fails=0
passes=0

# check NAME EXPECTED ACTUAL: one comparison, reported either way.
check() {
	if [ "$2" == "$3" ]; then
		passes=$((passes + 1))
		echo "ok   $1"
	else
		fails=$((fails + 1))
		echo "FAIL $1"
		echo "  expected: $(printf '%s' "$2" | head -c 2000)"
		echo "  actual:   $(printf '%s' "$3" | head -c 2000)"
	fi
}

# check_match NAME REGEX ACTUAL: ACTUAL matches the extended REGEX.
check_match() {
	if printf '%s' "$3" | grep -Eq -- "$2"; then
		passes=$((passes + 1))
		echo "ok   $1"
	else
		fails=$((fails + 1))
		echo "FAIL $1"
		echo "  expected to match: $2"
		echo "  actual: $(printf '%s' "$3" | head -c 2000)"
	fi
}

finish() {
	echo "$passes passed, $fails failed"
	[ "$fails" -eq 0 ]
	exit $?
}

skip() {
	echo "SKIP: $*"
	exit 77
}

# q FILE ARGS...: nosco-sql query as CSV without headers (stderr kept apart).
q() {
	local f=$1
	shift
	"$NOSCO" query "$f" "$@" --format csv --no-headers
}

# trace_sample NAME [PROG]: prints the path of a trace of sample PROG (default
# NAME), made once (under a lock) and reused while nosco-sql is unchanged.
trace_sample() {
	local name=$1 prog=${2:-$1}
	local db=$TRACES/$name.db
	mkdir -p "$TRACES" || exit 2
	(
		flock 9
		if [ -s "$db" ] && [ "$db" -nt "$NOSCO" ]; then
			exit 0
		fi
		if [ -n "$STEPCOUNT" ] && [ -x "$STEPCOUNT" ]; then
			"$STEPCOUNT" -- /bin/true >/dev/null 2>&1
			[ $? -eq 77 ] && exit 77
		fi
		rm -f "$db"
		if ! "$NOSCO" run -f -o "$db.tmp" -- "$SAMPLES/$prog" >"$TRACES/$name.out" 2>"$TRACES/$name.err"; then
			if grep -qi "not permitted" "$TRACES/$name.err"; then
				exit 77
			fi
			# The sample's own exit status is passed through: keep the trace.
			[ -s "$db.tmp" ] || { cat "$TRACES/$name.err" >&2; exit 1; }
		fi
		mv "$db.tmp" "$db"
	) 9>"$TRACES/$name.lock"
	case $? in
	0) echo "$db" ;;
	77) skip "ptrace is not permitted here" ;;
	*) echo "cannot trace sample $prog" >&2; exit 1 ;;
	esac
}
