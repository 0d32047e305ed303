#!/bin/bash
# quickstart.sh demo|test|deps
#   deps  install the Debian 12 packages nosco-sql builds, tests and runs with
#         (and the Python ones the notebook tests use, for /usr/bin/python3),
#         and the export tests' viewer (speedscope, npm) under build/viewers
#   demo  deps, a release build, then trace a sample and summarize the trace
#   test  deps, the developer build (-Werror) and the whole test suite, then
#         the ASan+UBSan build and the whole test suite again
# Idempotent: rerunning reuses the build folders under build/.
set -euo pipefail
cd "$(dirname "$0")/.."

deps() {
	local pkgs=(gcc g++ make cmake pkg-config libsqlite3-dev libcapstone-dev libdw-dev
		libelf-dev libreadline-dev sqlite3 tmux time util-linux mount procps clang
		libclang-rt-14-dev strace chromium
		python3 python3-pandas python3-matplotlib python3-nbformat jupyter-nbconvert
		python3-ipykernel)
	local missing=()
	# npm fetches the export tests' viewer (speedscope); a Node.js from
	# elsewhere may bring its own npm, which Debian's would conflict with.
	command -v npm >/dev/null || pkgs+=(npm)
	for p in "${pkgs[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
	done
	if [ ${#missing[@]} -gt 0 ]; then
		echo "quickstart: installing ${missing[*]}"
		local sudo=
		[ "$(id -u)" = 0 ] || sudo=sudo
		$sudo apt-get update -qq
		DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
	fi
	# speedscope, the viewer tests/export/viewer.sh loads the exports in (the
	# same version as its SPEEDSCOPE_VERSION).
	local viewers=build/viewers speedscope=speedscope@1.25.0
	if [ ! -f "$viewers/node_modules/speedscope/dist/release/index.html" ]; then
		echo "quickstart: installing $speedscope into $viewers (npm)"
		mkdir -p "$viewers"
		npm install --prefix "$viewers" --no-audit --no-fund --ignore-scripts --loglevel=error \
			"$speedscope" >/dev/null ||
			echo "quickstart: npm could not install $speedscope (export.viewer.* tests will fail)" >&2
	fi
}

build() { # build PRESET
	cmake --preset "$1" >/dev/null
	cmake --build --preset "$1" -j"$(nproc)"
}

case "${1:-}" in
deps)
	deps
	;;
demo)
	deps
	build release
	nosco=build/release/cli/nosco-sql
	out=$(mktemp -d)/fib.trace.db
	echo "== nosco-sql run -o $out -- build/release/samples/fib"
	"$nosco" run -o "$out" -- build/release/samples/fib
	echo "== a summary of the trace (plain sqlite3 on the file)"
	sqlite3 -box "$out" <<'SQL'
SELECT argv, engine, end_reason, exit_status, instructions FROM trace;
SELECT id, tid, root_function, instructions, calls FROM thread_info;
SELECT name, kind, lo, hi FROM binary_info;
SELECT f.name AS function, count(*) AS calls, sum(c.instructions) AS own_instructions
FROM calls c JOIN functions f ON f.id = c.function_id
GROUP BY f.id ORDER BY calls DESC LIMIT 5;
SQL
	echo "== the trace is $out: try 'sqlite3 $out' or 'build/release/cli/nosco-sql repl $out'"
	;;
test)
	deps
	build dev
	ctest --preset dev -j"$(nproc)"
	build asan
	ctest --preset asan -j"$(nproc)"
	;;
*)
	echo "usage: tools/quickstart.sh demo|test|deps" >&2
	exit 2
	;;
esac
