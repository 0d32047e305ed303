#!/usr/bin/env bash
# bench/alloc.sh: the cost of allocation tracing (issue 9), side by side in
# one run on an allocation-heavy program (bench/allocheavy.c: ROUNDS
# malloc/realloc and as many frees).
#
# usage: bench/alloc.sh [BUILD_DIR] [ROUNDS] [RUNS]
#
#   BUILD_DIR  a configured CMake build directory (default: a Release build
#              in build/bench-release, configured here if needed)
#   ROUNDS     rounds of the workload (default 100000: ~200k allocator calls)
#   RUNS       runs per tool, the median is reported (default 3)
#
# Columns: the median wall time untraced, under `nosco-sql run
# --alloc-only`, under `valgrind --leak-check=full` (what people use for
# leaks today, for scale), and under `nosco-sql run --trace-alloc` (with
# every instruction recorded, on ROUNDS/10 rounds: that row is scaled
# up x10); the allocator calls recorded, ptrace stops per allocator call
# (from --stats), and microseconds of overhead per allocator call.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build/bench-release} rounds=${2:-100000} runs=${3:-3}
if [ ! -f "$build/CMakeCache.txt" ]; then
	cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
fi
cmake --build "$build" -j"$(nproc)" --target nosco-sql bench-allocheavy >/dev/null
nosco=$(realpath "$build/cli/nosco-sql")
prog=$(realpath "$build/bench/bench-allocheavy")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# median LINE: median wall seconds of RUNS runs of a shell command line;
# the last run's stderr is kept in $work/err.
median() {
	local line=$1
	for ((i = 0; i < runs; i++)); do
		local s=$(date +%s.%N)
		bash -c "$line" >/dev/null 2>"$work/err" || true
		echo "$(date +%s.%N) - $s" | bc -l
	done | sort -n | awk '{ a[NR] = $1 } END { printf "%.3f", a[int((NR + 1) / 2)] }'
}
# stops: ptrace stops of the last nosco-sql run (--stats).
stops() { sed -n 's/.*stats .*stops=\([0-9]*\).*/\1/p' "$work/err" | tail -1; }

plain=$(median "$prog $rounds")
only=$(median "$nosco run --alloc-only --stats --force -o $work/a.db -- $prog $rounds")
only_stops=$(stops)
only_calls=$(sqlite3 "$work/a.db" "SELECT count(*) FROM allocations")
vg=-
if command -v valgrind >/dev/null; then
	vg=$(median "valgrind -q --leak-check=full $prog $rounds")
fi
small=$((rounds / 10))
full=$(median "$nosco run --trace-alloc --stats --force -o $work/f.db -- $prog $small")
full_stops=$(stops)
full_calls=$(sqlite3 "$work/f.db" "SELECT count(*) FROM allocations")
full_insns=$(sqlite3 "$work/f.db" "SELECT sum(instructions) FROM threads")

printf '%-28s %9s %9s %10s %11s %12s\n' run "wall s" "x plain" "alloc calls" "stops/call" "us/call over"
row() { # NAME WALL CALLS STOPS
	local x=$(echo "$2 / $plain" | bc -l)
	local spc=- per=-
	[ "$3" != - ] && [ "$3" -gt 0 ] && {
		[ "$4" != - ] && spc=$(printf '%.2f' "$(echo "$4 / $3" | bc -l)")
		per=$(printf '%.1f' "$(echo "($2 - $plain) * 1000000 / $3" | bc -l)")
	}
	printf '%-28s %9.3f %9.1f %10s %11s %12s\n' "$1" "$2" "$x" "$3" "$spc" "$per"
}
row "untraced" "$plain" - -
row "nosco-sql --alloc-only" "$only" "$only_calls" "$only_stops"
[ "$vg" != - ] && row "valgrind --leak-check=full" "$vg" - -
row "nosco-sql --trace-alloc x10" "$(echo "$full * 10" | bc -l)" "$((full_calls * 10))" "$((full_stops * 10))"
echo "(--trace-alloc ran $small rounds: $full_insns instructions recorded, $full_calls allocator calls, $full s)"
