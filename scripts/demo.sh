#!/usr/bin/env bash
# The main job on a fresh Debian machine: install everything, then run the fakescope demo.
# Results land in ./demo-out (override with FAKESCOPE_DEMO_OUT).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
source scripts/env.sh
.venv/bin/fakescope demo --out "${FAKESCOPE_DEMO_OUT:-demo-out}"
