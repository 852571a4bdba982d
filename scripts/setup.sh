#!/usr/bin/env bash
# Prepare a fresh Debian machine: Debian packages (when missing), a virtual environment in .venv,
# and fakescope with its pinned dependencies. Safe to re-run: it skips what is already in place.
#
#   bash scripts/setup.sh            # runtime
#   bash scripts/setup.sh test       # runtime + test tools
set -euo pipefail
cd "$(dirname "$0")/.."
extras="${1:-}"
venv="${FAKESCOPE_VENV:-.venv}"

# --- Debian packages -------------------------------------------------------------------------------
# scripts/debian-packages.txt lists what the product needs from Debian, one package per line.
missing=()
while read -r pkg; do
  [ -z "$pkg" ] && continue
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done < <(cat scripts/debian-packages.txt $([ "$extras" = test ] && echo scripts/debian-packages-test.txt) | grep -vE '^\s*(#|$)')
# Debian's python3 needs python3-venv for `python3 -m venv`; other Pythons (pyenv) bring their own.
python3 -c 'import ensurepip, venv' 2>/dev/null || missing+=(python3-venv)
if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup: installing Debian packages: ${missing[*]}"
  sudo_cmd=""; [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# --- Python environment ----------------------------------------------------------------------------
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
target=".[${extras}]"; [ -z "$extras" ] && target="."
stamp="$venv/.fakescope-install-$(cat pyproject.toml | sha1sum | cut -c1-12)-${extras:-base}"
if [ ! -f "$stamp" ]; then
  echo "setup: installing fakescope and its pinned dependencies into $venv (a few minutes the first time)"
  # torch is pinned in pyproject and so resolved in this same pip command (a separate unpinned
  # install would pull the multi-GB CUDA build).
  "$venv/bin/python" -m pip install -q --disable-pip-version-check -e "$target" 2>&1 \
    | grep -vE "^WARNING: Location .* is ignored" || true
  "$venv/bin/python" -c "import fakescope, torch, librosa, av, soundfile" \
    || { echo "setup: the install did not complete" >&2; exit 1; }
  rm -f "$venv"/.fakescope-install-*
  touch "$stamp"
fi
