#!/usr/bin/env bash
# bench/run.sh: how fast nosco-sql records a full instruction trace, measured
# side by side with a bare PTRACE_SINGLESTEP loop that records nothing
# (bench/bare_step.c). See bench/README.md.
#
# usage: bench/run.sh [--quick | --full] [BUILD_DIR]
#
#   BUILD_DIR  a configured CMake build directory to build in and take the
#              binaries from; default: a Release build in build/bench-release
#              (configured here if needed)
#   --quick    skip the python3 workload
#   --full     also single-step python3 (nosco-sql --engine step and
#              bare-step pinned and unpinned: ~20 min pinned, over an hour
#              unpinned each); without it python3 is traced only with the
#              default engine and compared to the bare-step rates of `ls /`
#
# Workloads, in this order: /bin/true, ls /, bench-compute, python3 -c pass.
# For each: nosco-sql run (default engine), nosco-sql run --engine step,
# bare-step --pin, bare-step --no-pin. Every run gets the same environment
# (env -i PATH=/usr/bin:/bin HOME=$HOME), no address-space randomization
# (setarch -R: otherwise glibc's paths, and so the counts, vary a little from
# run to run), and writes the program's output to a file. Progress goes to
# stderr, the table to stdout.
#
# Needs /usr/bin/time (apt-get install time) for peak RSS and sqlite3
# (apt-get install sqlite3) to read the trace.
set -euo pipefail

usage() { sed -n '6,15p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }

quick=0 full=0 build=
for a in "$@"; do
	case $a in
	--quick) quick=1 ;;
	--full) full=1 ;;
	-h | --help) usage ;;
	-*) usage ;;
	*) [ -z "$build" ] || usage; build=$a ;;
	esac
done

for tool in /usr/bin/time sqlite3 cmake; do
	if ! command -v "$tool" >/dev/null; then
		pkg=${tool##*/}
		echo "run.sh: $tool not found (apt-get install $pkg)" >&2
		exit 1
	fi
done

repo=$(cd "$(dirname "$0")/.." && pwd)
if [ -z "$build" ]; then
	build=$repo/build/bench-release
	cmake -S "$repo" -B "$build" -DCMAKE_BUILD_TYPE=Release >&2
fi
cmake --build "$build" -j2 --target nosco-sql bare-step stop-cost bench-compute bench-scoped >&2
nosco=$build/cli/nosco-sql
bare=$build/bench/bare-step
stopcost=$build/bench/stop-cost
compute=$build/bench/bench-compute
scoped=$build/bench/bench-scoped
for f in "$nosco" "$bare" "$stopcost" "$compute" "$scoped"; do
	[ -x "$f" ] || { echo "run.sh: $f was not built" >&2; exit 1; }
done

# Pass --stats only if this nosco-sql has it (stops per instruction).
stats=()
if "$nosco" run --help 2>&1 | grep -q -- --stats; then
	stats=(--stats)
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
rows=$tmp/rows # one TSV line per run, formatted at the end

# run LABEL ENGINE COMMAND...: time one run, append its row to $rows.
# Row: workload engine instructions seconds stops db_bytes rss_kb
run() {
	local label=$1 engine=$2
	shift 2
	local db=$tmp/trace.db cmd
	rm -f "$db" "$db"-*
	case $engine in
	default) cmd=("$nosco" run "${stats[@]}" -o "$db" --force -- "$@") ;;
	step) cmd=("$nosco" run "${stats[@]}" -o "$db" --force --engine step -- "$@") ;;
	pinned) cmd=("$bare" --pin -- "$@") ;;
	unpinned) cmd=("$bare" --no-pin -- "$@") ;;
	esac
	echo "run.sh: $label: $engine ..." >&2
	local t0=$EPOCHREALTIME rc=0
	env -i PATH=/usr/bin:/bin HOME="$HOME" setarch -R /usr/bin/time -f %M -o "$tmp/rss" \
		"${cmd[@]}" >"$tmp/out" 2>"$tmp/err" || rc=$?
	local t1=$EPOCHREALTIME
	local secs n=- stops=- bytes=- rss=- name=$engine
	secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
	case $engine in
	default | step)
		# Instructions recorded, and the engine that ran, from the trace.
		if [ -s "$db" ]; then
			n=$(sqlite3 "$db" 'SELECT instructions FROM trace' 2>/dev/null || true)
			name=$(sqlite3 "$db" 'SELECT engine FROM trace' 2>/dev/null || true)
			bytes=0
			for f in "$db" "$db"-wal "$db"-journal; do
				[ ! -e "$f" ] || bytes=$((bytes + $(stat -c %s "$f")))
			done
		fi
		local line
		line=$(grep -o 'nosco-sql: stats instructions=[0-9]* stops=[0-9]*' "$tmp/err" | tail -n1 || true)
		if [ -n "$line" ]; then
			stops=${line##*stops=}
			[ -n "$n" ] && [ "$n" != - ] || { n=${line#*instructions=}; n=${n%% *}; }
		fi
		rss=$(tail -n1 "$tmp/rss")
		name="nosco-sql ${name:-$engine}"
		;;
	*)
		local line
		line=$(grep '^instructions=' "$tmp/out" | tail -n1 || true)
		if [ -n "$line" ]; then
			n=${line#instructions=}; n=${n%% *}
			stops=${line#*steps=}; stops=${stops%% *}
		fi
		name="bare-step $engine"
		;;
	esac
	if [ -z "$n" ] || [ "$n" = - ] || [ "$rc" -ne 0 ]; then
		echo "run.sh: $label: $name exited with $rc; its stderr ends with:" >&2
		tail -n5 "$tmp/err" >&2
		[ -n "$n" ] || n=-
	fi
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$label" "$name" "$n" "$secs" "$stops" "$bytes" "$rss" >>"$rows"
}

: >"$rows"
workloads=("/bin/true" "ls /" "bench-compute")
[ $quick = 1 ] || workloads+=("python3 -c pass")
for w in "${workloads[@]}"; do
	case $w in
	"/bin/true") cmd=(/bin/true) ;;
	"ls /") cmd=(/usr/bin/ls /) ;;
	bench-compute) cmd=("$compute") ;;
	"python3 -c pass") cmd=(/usr/bin/python3 -c pass) ;;
	esac
	run "$w" default "${cmd[@]}"
	# Single-stepping python3 takes 20 min to over an hour a run: only with --full.
	if [ "$w" != "python3 -c pass" ] || [ $full = 1 ]; then
		run "$w" step "${cmd[@]}"
		run "$w" pinned "${cmd[@]}"
		run "$w" unpinned "${cmd[@]}"
	fi
done

echo "nosco-sql bench: $(git -C "$repo" describe --always --dirty 2>/dev/null || echo "?")," \
	"$(uname -r), $(nproc) CPUs, $(date -u +%Y-%m-%dT%H:%MZ)"
echo
# Derived columns, and the table aligned. The reference rates of a workload
# are its own bare-step rows; a workload without them (python3 without
# --full) takes those of `ls /`, marked with '*'.
awk -F'\t' '
function rate(i) { return (N[i] != "-" && T[i] > 0) ? N[i] / T[i] : 0 }
{ n++; W[n] = $1; E[n] = $2; N[n] = $3; T[n] = $4; S[n] = $5; B[n] = $6; R[n] = $7
  if ($2 == "bare-step pinned") pin[$1] = rate(n)
  if ($2 == "bare-step unpinned") unpin[$1] = rate(n) }
END {
	row[0] = "workload\tengine\tinstructions\twall s\tinstr/s\tstops/instr\tus/stop\tdb B/instr\tpeak RSS MB\tx pinned\tx unpinned"
	for (i = 1; i <= n; i++) {
		r = rate(i); ok = (r > 0)
		w = W[i]; mark = ""
		if (!(w in pin)) { w = "ls /"; mark = "*"; star = 1 }
		row[i] = sprintf("%s\t%s\t%s\t%.2f\t%s\t%s\t%s\t%s\t%s\t%s\t%s", W[i], E[i], N[i], T[i],
			ok ? sprintf("%.0f", r) : "-",
			ok && S[i] != "-" ? sprintf("%.3f", S[i] / N[i]) : "-",
			ok && S[i] != "-" && S[i] > 0 ? sprintf("%.1f", T[i] * 1e6 / S[i]) : "-",
			ok && B[i] != "-" ? sprintf("%.2f", B[i] / N[i]) : "-",
			R[i] != "-" && R[i] != "" ? sprintf("%.1f", R[i] / 1024) : "-",
			ok && pin[w] > 0 ? sprintf("%.2f%s", r / pin[w], mark) : "-",
			ok && unpin[w] > 0 ? sprintf("%.2f%s", r / unpin[w], mark) : "-")
	}
	for (i = 0; i <= n; i++) {
		c = split(row[i], f, "\t")
		for (j = 1; j <= c; j++) if (length(f[j]) > wd[j]) wd[j] = length(f[j])
	}
	for (i = 0; i <= n; i++) {
		c = split(row[i], f, "\t"); line = ""
		for (j = 1; j <= c; j++)
			line = line (j > 1 ? "  " : "") sprintf(j <= 2 ? "%-*s" : "%*s", wd[j], f[j])
		print line
	}
	print ""
	print "x pinned / x unpinned: instr/s over that of bare-step (bare PTRACE_SINGLESTEP loop, nothing recorded) on the same workload, pinned to one CPU / not pinned."
	print "wall s includes the tracer startup; stops/instr: ptrace stops per recorded instruction (nosco-sql --stats; for bare-step, steps); us/stop: wall s per stop."
	print "peak RSS: /usr/bin/time %M of nosco-sql (the larger of it and the traced program)."
	if (star) print "* python3 is not single-stepped without --full: its reference is the bare-step rates on `ls /` in this run."
}' "$rows"

# The floor: one ptrace stop with nothing recorded (bench/stop_cost.c), pinned
# like the rows above, to set us/stop against.
echo
echo "run.sh: stop cost ..." >&2
echo "ptrace stop cost on this machine (stop-cost --pin 200000: a bare loop, nothing recorded):"
"$stopcost" --pin 200000

# Scoped tracing (issue 5): bench-scoped computes about a second outside any
# scope and calls the small scoped_step() 1000 times; traced with
# --trace scoped_step it should take at most 1.5x its untraced time. Three
# runs of each, alternating, the best of each kept.
echo
echo "run.sh: scoped tracing ..." >&2
best() { sort -n | head -n1; }
: >"$tmp/plain"
: >"$tmp/traced"
for i in 1 2 3; do
	t0=$EPOCHREALTIME
	env -i PATH=/usr/bin:/bin setarch -R "$scoped" >/dev/null
	t1=$EPOCHREALTIME
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f\n", b - a }' >>"$tmp/plain"
	rm -f "$tmp/scoped.db"
	t0=$EPOCHREALTIME
	env -i PATH=/usr/bin:/bin setarch -R "$nosco" run -o "$tmp/scoped.db" --trace scoped_step \
		-- "$scoped" >/dev/null
	t1=$EPOCHREALTIME
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f\n", b - a }' >>"$tmp/traced"
done
plain=$(best <"$tmp/plain")
traced=$(best <"$tmp/traced")
calls=$(sqlite3 "$tmp/scoped.db" "SELECT count(*) FROM calls WHERE kind = 'scope'")
awk -v p="$plain" -v t="$traced" -v c="$calls" 'BEGIN {
	printf "scoped tracing: bench-scoped untraced %.2f s, nosco-sql run --trace scoped_step %.2f s" \
		" (%d scope entries recorded): %.2fx\n", p, t, c, t / p }'
