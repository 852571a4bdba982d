#!/usr/bin/env bash
# The main job on a fresh Debian machine: install everything (Debian packages, Python environment,
# synthesisers and speech data), then run the fakescope demo: analyst figure, offline corpus, evaluation of
# the shipped default model on the corpus's eval split (report and plots), and scans of example files.
# Results land in ./demo-out (override with FAKESCOPE_DEMO_OUT); corpus size with FAKESCOPE_CORPUS_SIZE.
set -euo pipefail
cd "$(dirname "$0")/.."
size="${FAKESCOPE_CORPUS_SIZE:-small}"
bash scripts/setup.sh
bash scripts/setup-corpus.sh "$([ "$size" = tiny ] && echo tiny || echo all)"
source scripts/env.sh
.venv/bin/fakescope demo --out "${FAKESCOPE_DEMO_OUT:-demo-out}" --corpus-size "$size"
