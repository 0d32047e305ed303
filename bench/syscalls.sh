#!/usr/bin/env bash
# bench/syscalls.sh: nosco-sql run --syscalls-only against strace -f, side by
# side on the same commands (issue 6: at most 1.5x strace's wall time).
#
# usage: bench/syscalls.sh [BUILD_DIR] [RUNS]
#
#   BUILD_DIR  a configured CMake build directory (default: a Release build
#              in build/bench-release, configured here if needed)
#   RUNS       runs per command and tool, the median is reported (default 5)
#
# Commands: a shell pipeline (sh -c 'seq 1 2000 | sort -r | head -5 >
# /dev/null'), ls -R /usr/share/doc, and a build of a small sample (cc -O1 -c
# samples/fib.c). Each runs untraced, under `strace -f -o /dev/null`, under
# `strace -f -y -o /dev/null` (strace's own path decoding, as nosco-sql
# does), and under `nosco-sql run --syscalls-only` (writing its trace to a
# temporary file), in the same environment, the four in turn in each of
# RUNS rounds. The table gives the median wall times and the ratio of
# nosco-sql's to strace's.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build/bench-release} runs=${2:-5}
if [ ! -f "$build/CMakeCache.txt" ]; then
	cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
fi
cmake --build "$build" -j"$(nproc)" --target nosco-sql >/dev/null
nosco=$(realpath "$build/cli/nosco-sql")
command -v strace >/dev/null || { echo "bench/syscalls.sh: needs strace" >&2; exit 2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

names=("pipeline" "ls -R /usr/share/doc" "cc -c fib.c")
cmds=("sh -c 'seq 1 2000 | sort -r | head -5 > /dev/null'"
      "ls -R /usr/share/doc > /dev/null"
      "cc -O1 -c $(pwd)/samples/fib.c -o $work/fib.o")

# Wall seconds of one run of a shell command line.
wall() {
	local s e
	s=$(date +%s.%N)
	env -i PATH=/usr/bin:/bin HOME="$HOME" bash -c "$1" >/dev/null 2>&1 || true
	e=$(date +%s.%N)
	echo "$e - $s" | bc -l
}

# The median of the numbers on stdin.
median() {
	sort -n | awk '{ a[NR] = $1 } END { printf "%.3f", a[int((NR + 1) / 2)] }'
}

printf '%-22s %9s %9s %9s %11s %9s %9s %8s\n' command plain strace "strace-y" \
	nosco-sql "/strace" "/strace-y" syscalls
for k in "${!cmds[@]}"; do
	c=${cmds[$k]}
	echo "bench/syscalls.sh: ${names[$k]}" >&2
	# The four side by side in each round, so that a change of the
	# machine's load between rounds weighs on all of them alike.
	lines=("$c" "strace -f -o /dev/null $c" "strace -f -y -o /dev/null $c"
	       "$nosco run --syscalls-only --force -o $work/t.db -- $c")
	for t in 0 1 2 3; do : >"$work/times$t"; done
	for ((i = 0; i < runs; i++)); do
		for t in 0 1 2 3; do
			wall "${lines[$t]}" >>"$work/times$t"
		done
	done
	plain=$(median <"$work/times0")
	st=$(median <"$work/times1")
	sty=$(median <"$work/times2")
	ns=$(median <"$work/times3")
	n=$(sqlite3 "$work/t.db" "SELECT count(*) FROM syscalls")
	printf '%-22s %9s %9s %9s %11s %9.2f %9.2f %8s\n' "${names[$k]}" "$plain" "$st" "$sty" \
		"$ns" "$(echo "$ns / $st" | bc -l)" "$(echo "$ns / $sty" | bc -l)" "$n"
done
