#!/bin/sh
# Run the Python package's tests with Debian's Python (python3-pytest, -pandas, -torch);
# exit 77 (meson: SKIP) when pytest is missing. pytest's "no tests collected" (5) is a failure.
PY=${TC_PYTHON:-/usr/bin/python3}
[ -x "$PY" ] || PY=python3
"$PY" -c 'import pytest' 2>/dev/null || { echo "SKIP: pytest is not installed for $PY (Debian: python3-pytest)"; exit 77; }
exec "$PY" -m pytest -q -p no:cacheprovider "$(dirname "$0")"
