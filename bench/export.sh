#!/usr/bin/env bash
# bench/export.sh: how long nosco-sql export takes, and how much memory, on
# the trace of /usr/bin/python3 -c pass (issue 7: under a minute, peak RSS
# at most 256 MB, for each format).
#
# usage: bench/export.sh [BUILD_DIR] [TRACE]
#
#   BUILD_DIR  a configured CMake build directory (default: a Release build
#              in build/bench-release, configured here if needed)
#   TRACE      an existing trace to export instead of tracing python3 here
#              (tracing it takes a few minutes)
#
# Each export runs RUNS times (default 3, environment) under /usr/bin/time
# -v, writing to a file in a temporary directory; the table gives the
# median wall time, the largest peak RSS and the size of the output.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build/bench-release} trace=${2:-} runs=${RUNS:-3}
[ -x /usr/bin/time ] || { echo "bench/export.sh: needs /usr/bin/time (apt-get install time)" >&2; exit 2; }
command -v sqlite3 >/dev/null || { echo "bench/export.sh: needs sqlite3" >&2; exit 2; }
if [ ! -f "$build/CMakeCache.txt" ]; then
	cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
fi
cmake --build "$build" -j"$(nproc)" --target nosco-sql >/dev/null
nosco=$(realpath "$build/cli/nosco-sql")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

if [ -z "$trace" ]; then
	trace=$work/python3.trace.db
	echo "bench/export.sh: tracing /usr/bin/python3 -c pass (a few minutes)" >&2
	env -i PATH=/usr/bin:/bin HOME="$HOME" "$nosco" run -o "$trace" -- /usr/bin/python3 -c pass
fi
read -r instr calls < <(sqlite3 -separator ' ' "$trace" \
	"SELECT (SELECT instructions FROM trace), (SELECT count(*) FROM calls)")
echo "trace: $trace: $instr instructions, $calls calls"

names=("chrome" "chrome --no-args" "folded" "folded --weight calls" "codetracer")
opts=("--format chrome" "--format chrome --no-args" "--format folded"
      "--format folded --weight calls" "--format codetracer")
printf '%-24s %8s %12s %12s %8s\n' export "wall s" "peak RSS MB" "output MB" lines
for k in "${!opts[@]}"; do
	walls=() rss=0
	# codetracer writes a directory: its size, and the lines of its trace.json.
	out=$work/out size=$work/out lines=$work/out
	if [[ ${opts[$k]} == *codetracer* ]]; then
		out=$work/ct size=$work/ct lines=$work/ct/trace.json
	fi
	for ((i = 0; i < runs; i++)); do
		# shellcheck disable=SC2086 # opts are words
		/usr/bin/time -v -o "$work/time" "$nosco" export "$trace" ${opts[$k]} -o "$out" --force 2>/dev/null
		w=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$work/time" |
			awk -F: '{ s = 0; for (i = 1; i <= NF; i++) s = s * 60 + $i; print s }')
		r=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$work/time")
		walls+=("$w")
		[ "$r" -gt "$rss" ] && rss=$r
	done
	median=$(printf '%s\n' "${walls[@]}" | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')
	awk -v n="${names[$k]}" -v w="$median" -v r="$rss" -v b="$(du -sb "$size" | cut -f1)" \
		-v l="$(wc -l <"$lines")" 'BEGIN { printf "%-24s %8.2f %12.1f %12.1f %8d\n", n, w, r / 1024, b / 1048576, l }'
done
