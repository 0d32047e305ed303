#!/bin/bash
# A real consumer: speedscope (from the npm registry) in Debian's chromium,
# headless, loads an export of the fib sample's trace the way speedscope's
# own command line does (a script calling speedscope.loadFileFromBase64,
# named in the URL's #localProfilePath); the test then checks that
#   - the page's title names the loaded profile (speedscope sets it only
#     after a successful import; an import error raises an alert, which
#     is caught into the title), and
#   - a screenshot shows a drawn profile, not a blank, welcome or error
#     page (png_check.py: many frame colors below the toolbar).
# The screenshot is kept in TRACES/viewer.FORMAT.png.
#   viewer.sh NOSCO SAMPLES TRACES SRCDIR STEPCOUNT VIEWERS_DIR FORMAT
# Skipped (77) only without chromium, or without speedscope and npm to
# install it (tools/quickstart.sh deps installs both).
NOSCO=$1 SAMPLES=$2 TRACES=$3 SRC=$4 STEPCOUNT=$5 VIEWERS=$6 FORMAT=$7
HERE=$(dirname "$0")
. "$HERE/../query/lib.sh"
SPEEDSCOPE_VERSION=1.25.0 # tools/quickstart.sh deps installs the same
PY=/usr/bin/python3
[ -x $PY ] || skip "needs /usr/bin/python3 (Debian's python3)"
chromium=$(command -v chromium || command -v chromium-browser) ||
	skip "chromium is not installed (apt-get install chromium)"

index=$VIEWERS/node_modules/speedscope/dist/release/index.html
if [ ! -f "$index" ]; then
	command -v npm >/dev/null || skip "speedscope is not in $VIEWERS and npm is not installed"
	mkdir -p "$VIEWERS" || exit 2
	(
		flock 9
		[ -f "$index" ] || npm install --prefix "$VIEWERS" --no-audit --no-fund --ignore-scripts \
			--loglevel=error "speedscope@$SPEEDSCOPE_VERSION" >&2
	) 9>"$VIEWERS/.lock"
	[ -f "$index" ] || { echo "npm could not install speedscope@$SPEEDSCOPE_VERSION" >&2; exit 1; }
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/nosco-viewer.XXXXXX") || exit 2
trap 'rm -rf "$work"' EXIT
db=$(trace_sample fib) || exit $?
case $FORMAT in
folded) name=fib.folded ;;
chrome) name=fib.json ;;
*) echo "unknown format $FORMAT" >&2; exit 2 ;;
esac
"$NOSCO" export "$db" --format "$FORMAT" -o "$work/$name"
check "export status" 0 $?
{
	echo 'window.alert = function (m) { document.title = "ALERT: " + m; };'
	printf 'speedscope.loadFileFromBase64("%s", "%s");\n' "$name" "$(base64 -w0 "$work/$name")"
} >"$work/load.js"
url="file://$index#localProfilePath=$work/load.js"

# run_chromium ARGS...: headless, own profile, bounded in time.
run_chromium() {
	timeout 120 "$chromium" --headless --no-sandbox --disable-gpu --no-first-run \
		--user-data-dir="$work/profile" --hide-scrollbars --window-size=1200,800 \
		--virtual-time-budget=10000 "$@" 2>>"$work/chromium.log"
}

title=$(run_chromium --dump-dom "$url" | grep -o '<title>[^<]*</title>' | sed 's/<[^>]*>//g')
check "speedscope loaded it (title)" "$name - speedscope" "$title"

rm -f "$work/shot.png"
run_chromium --screenshot="$work/shot.png" "$url" >/dev/null
if [ -s "$work/shot.png" ]; then
	cp "$work/shot.png" "$TRACES/viewer.$FORMAT.png"
	echo "screenshot: $TRACES/viewer.$FORMAT.png"
fi
out=$($PY "$HERE/png_check.py" "$work/shot.png")
check "the screenshot shows a drawn profile ($out)" 0 $?
[ "$fails" -eq 0 ] || tail -5 "$work/chromium.log"
finish
