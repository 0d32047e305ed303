#!/bin/bash
# py.sh PYTHON SCRIPT ARGS...: run SCRIPT with PYTHON, or skip (77) when
# there is no such Python (the scripts themselves skip when a package is
# missing).
py=$1
shift
if ! [ -x "$py" ]; then
	echo "SKIP: $py not found (tools/quickstart.sh deps installs Debian's python3 packages)"
	exit 77
fi
exec "$py" "$@"
