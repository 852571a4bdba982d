#!/usr/bin/env bash
# The test suite on a fresh Debian machine: install everything the tests need, then run pytest.
# A run that collects no tests fails (pytest exits 5, which this script passes on).
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh test || exit 1
source scripts/env.sh
.venv/bin/python -m pytest -q -p no:cacheprovider "$@"
status=$?
if [ "$status" -eq 5 ]; then echo "test.sh: no tests were collected" >&2; fi
exit "$status"
