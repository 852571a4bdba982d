"""Real human speech shipped in Debian packages, with speaker, language and (where shipped) transcript.

Each source lists its recordings without decoding them. Speakers are the people behind the voices:
asterisk's en and es prompts share one speaker (Allison), so they carry one speaker id.
"""

from __future__ import annotations

import gzip
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from .packages import PackageStore

ASTERISK_LANGUAGES = ("en", "es", "fr", "it", "ru")
FILLETS_LANGUAGES = ("cs", "nl")
# fillets-ng dialogue ids read "<level>-<who>-<name>"; m and v are the two fish, each voiced by one actor.
FILLETS_SPEAKERS = {"m": "small", "v": "big"}
AUDIO_SUFFIXES = (".g722", ".wav", ".ogg", ".opus", ".flac")


@dataclass(frozen=True)
class Recording:
    """One bona fide file: `key` is stable across machines (package-relative), `path` is where it is here."""

    key: str
    path: Path
    speaker: str
    language: str
    transcript: str
    package: str

    @property
    def source_format(self) -> str:
        return self.path.suffix.lstrip(".").lower()


def _asterisk_transcripts(store: PackageStore, language: str) -> dict[str, str]:
    """`core-sounds-L.txt.gz` maps prompt names ("digits/10") to what is said; bracketed lines are tones."""
    package = f"asterisk-core-sounds-{language}"
    path = store.path(package, f"usr/share/doc/{package}/core-sounds-{language}.txt.gz")
    texts: dict[str, str] = {}
    with gzip.open(path, "rt", encoding="utf-8", errors="replace") as handle:
        for line in handle:
            name, sep, text = line.partition(":")
            text = text.strip()
            if not sep or name.startswith(";") or not text or text.startswith("["):
                continue
            texts[name.strip()] = text
    return texts


def _voice_dirs(root: Path, pattern: str) -> list[Path]:
    """The real voice folders ("en_US_f_Allison"); installed systems also hold alternatives symlinks ("en")."""
    return sorted(p for p in root.iterdir() if p.is_dir() and not p.is_symlink() and re.fullmatch(pattern, p.name))


def _asterisk_files(folder: Path, suffix: str) -> list[tuple[str, Path]]:
    return sorted((p.relative_to(folder).with_suffix("").as_posix(), p) for p in folder.rglob(f"*{suffix}"))


def asterisk(store: PackageStore, language: str) -> list[Recording]:
    """asterisk-core-sounds-L-g722: telephone prompts read by one professional speaker per language (16 kHz G.722)."""
    package = f"asterisk-core-sounds-{language}-g722"
    texts = _asterisk_transcripts(store, language)
    root = store.path(package, "usr/share/asterisk/sounds")
    out = []
    for voice_dir in _voice_dirs(root, rf"{language}_[A-Z]{{2}}_[mf]_\w+"):
        speaker = "asterisk-" + voice_dir.name.rsplit("_", 1)[-1]  # en_US_f_Allison → Allison
        for name, path in _asterisk_files(voice_dir, ".g722"):
            if name in texts:  # unlisted files are tones, beeps and silence
                out.append(Recording(f"{package}/{name}", path, speaker, language, texts[name], package))
    return out


def asterisk_menardi(store: PackageStore) -> list[Recording]:
    """asterisk-prompt-it-menardi-wav: Italian prompts by one speaker (8 kHz wav); texts from core-sounds-it."""
    package = "asterisk-prompt-it-menardi-wav"
    texts = _asterisk_transcripts(store, "it")
    root = store.path(package, "usr/share/asterisk/sounds")
    out = []
    for voice_dir in _voice_dirs(root, r"it_IT_[mf]_Menardi"):
        for name, path in _asterisk_files(voice_dir, ".wav"):
            if name in texts:
                out.append(Recording(f"{package}/{name}", path, "asterisk-Menardi", "it", texts[name], package))
    return out


FESTVOX_RU_DIR = "usr/share/festival/voices/russian/msu_ru_nsh_clunits"


def festvox_ru_sentences(store: PackageStore) -> dict[str, str]:
    """The 620 read sentences of festvox-ru, utterance id → text (stress marks removed)."""
    data = store.path("festvox-ru", f"{FESTVOX_RU_DIR}/etc/txt.done.data")
    out = {}
    for match in re.finditer(r'\(\s*(\S+)\s+"(.*?)"\s*\)', data.read_text(encoding="utf-8", errors="replace")):
        out[match.group(1)] = match.group(2).replace("+", "")
    return out


def festvox_ru(store: PackageStore) -> list[Recording]:
    """festvox-ru: the recordings behind festival's Russian unit-selection voice (one speaker, 16 kHz)."""
    texts = festvox_ru_sentences(store)
    wav_dir = store.path("festvox-ru", f"{FESTVOX_RU_DIR}/wav")
    return [
        Recording(f"festvox-ru/{utt}", wav_dir / f"{utt}.wav", "festvox-ru-nsh", "ru", text, "festvox-ru")
        for utt, text in sorted(texts.items())
        if (wav_dir / f"{utt}.wav").is_file()
    ]


def _fillets_dialogues(store: PackageStore, language: str) -> dict[str, str]:
    """Dialogue id → line in `language`, from fillets-ng-data's script/*/dialogs_L.lua."""
    scripts = store.path("fillets-ng-data", "usr/share/games/fillets-ng/script")
    pattern = re.compile(r'dialogId\("([^"]+)"[^\n]*\)\s*dialogStr\("((?:[^"\\]|\\.)*)"\)')
    out: dict[str, str] = {}
    for lua in sorted(scripts.rglob(f"dialogs_{language}.lua")):
        for match in pattern.finditer(lua.read_text(encoding="utf-8", errors="replace")):
            out[match.group(1)] = match.group(2).replace('\\"', '"').strip()
    return out


def fillets(store: PackageStore, language: str) -> list[Recording]:
    """fillets-ng-data-L: acted game dialogue (ogg); the two fish, each one actor per language."""
    package = f"fillets-ng-data-{language}"
    texts = _fillets_dialogues(store, language)
    root = store.path(package, "usr/share/games/fillets-ng/sound")
    out = []
    for path in sorted(root.rglob(f"{language}/*.ogg")):
        parts = path.stem.split("-")
        who = parts[1] if len(parts) >= 3 else ""
        text = texts.get(path.stem, "")
        if who in FILLETS_SPEAKERS and text:
            speaker = f"fillets-{language}-{FILLETS_SPEAKERS[who]}"
            key = f"{package}/{path.relative_to(root).with_suffix('').as_posix()}"
            out.append(Recording(key, path, speaker, language, text, package))
    return out


def _stem_text(path: Path) -> str:
    return re.sub(r"[-_]+", " ", path.stem).strip()


def klettres(store: PackageStore) -> list[Recording]:
    """klettres-data: letters and syllables read aloud, one speaker per language folder; text = file name."""
    root = store.path("klettres-data", "usr/share/klettres")
    out = []
    for lang_dir in sorted(p for p in root.iterdir() if p.is_dir() and p.name not in ("icons", "pics")):
        language = lang_dir.name.split("_")[0]
        for path in sorted(lang_dir.rglob("*.ogg")):
            key = f"klettres-data/{path.relative_to(root).with_suffix('').as_posix()}"
            out.append(Recording(key, path, f"klettres-{lang_dir.name}", language, _stem_text(path), "klettres-data"))
    return out


def ktuberling(store: PackageStore) -> list[Recording]:
    """ktuberling-data: spoken words in ~23 languages, one speaker per language folder; text = file name."""
    root = store.path("ktuberling-data", "usr/share/ktuberling/sounds")
    out = []
    for lang_dir in sorted(p for p in root.iterdir() if p.is_dir()):
        language = re.split(r"[@_]", lang_dir.name)[0]
        for path in sorted(p for p in lang_dir.iterdir() if p.suffix in AUDIO_SUFFIXES):
            key = f"ktuberling-data/{path.relative_to(root).with_suffix('').as_posix()}"
            out.append(Recording(key, path, f"ktuberling-{lang_dir.name}", language, _stem_text(path), "ktuberling-data"))
    return out


TUXPAINT_STAMPS = "usr/share/tuxpaint/stamps"
# "<stamp>_desc.ogg" is the English description, "<stamp>_desc_<lang>.ogg" a translation's.
TUXPAINT_DESC = re.compile(r"(?P<stamp>.+)_desc(?:_(?P<lang>[a-z]{2,3}))?\.ogg")


def _tuxpaint_texts(stamp_txt: Path) -> dict[str, str]:
    """A stamp's descriptions: its first line is the English one, then lines "<lang>.utf8=<text>"."""
    lines = stamp_txt.read_text(encoding="utf-8", errors="replace").splitlines()
    texts = {"en": lines[0].strip()} if lines and "=" not in lines[0] else {}
    for line in lines:
        lang, sep, text = line.partition(".utf8=")
        if sep and text.strip():
            texts.setdefault(lang.strip(), text.strip().strip("|").strip())
    return texts


def tuxpaint(store: PackageStore) -> list[Recording]:
    """tuxpaint-stamps-default: stamp descriptions read aloud by volunteers (44.1 kHz Vorbis), one folder
    of voices per language; the speaker id is the language, so one language's readers share a split.

    Descriptions without their stamp's text file, or without a line in their language, are left out: the
    corpus's TTS systems need what was said.
    """
    package = "tuxpaint-stamps-default"
    root = store.path(package, TUXPAINT_STAMPS)
    out = []
    texts_of: dict[Path, dict[str, str]] = {}  # a stamp's text file serves all of its descriptions
    for path in sorted(root.rglob("*_desc*.ogg")):
        match = TUXPAINT_DESC.fullmatch(path.name)
        if match is None:
            continue
        stamp_txt = path.with_name(f"{match['stamp']}.txt")
        if stamp_txt not in texts_of:
            texts_of[stamp_txt] = _tuxpaint_texts(stamp_txt) if stamp_txt.is_file() else {}
        language = match["lang"] or "en"
        text = texts_of[stamp_txt].get(language, "")
        if text:
            key = f"{package}/{path.relative_to(root).with_suffix('').as_posix()}"
            out.append(Recording(key, path, f"tuxpaint-{language}", language, text, package))
    return out


def _asterisk_source(language: str) -> Callable[[PackageStore], list[Recording]]:
    return lambda store: asterisk(store, language)


def _fillets_source(language: str) -> Callable[[PackageStore], list[Recording]]:
    return lambda store: fillets(store, language)


# name → (lister, the Debian packages it reads). The names appear in corpus.json and --allow-missing reports.
SOURCES: dict[str, tuple[Callable[[PackageStore], list[Recording]], tuple[str, ...]]] = {
    **{
        f"asterisk-{lang}": (_asterisk_source(lang), (f"asterisk-core-sounds-{lang}-g722", f"asterisk-core-sounds-{lang}"))
        for lang in ASTERISK_LANGUAGES
    },
    "asterisk-it-menardi": (asterisk_menardi, ("asterisk-prompt-it-menardi-wav", "asterisk-core-sounds-it")),
    "festvox-ru": (festvox_ru, ("festvox-ru",)),
    **{
        f"fillets-{lang}": (_fillets_source(lang), (f"fillets-ng-data-{lang}", "fillets-ng-data"))
        for lang in FILLETS_LANGUAGES
    },
    "klettres": (klettres, ("klettres-data",)),
    "ktuberling": (ktuberling, ("ktuberling-data",)),
    "tuxpaint": (tuxpaint, ("tuxpaint-stamps-default",)),
}
