"""WaveFake (Frank & Schönherr 2021): one folder of vocoded copies per vocoder, LJSpeech and JSUT as bona fide.

Tree: ROOT is `generated_audio/` (or the folder holding it) with folders such as `ljspeech_melgan/`,
`ljspeech_hifiGAN/`, `jsut_parallel_wavegan/` and the TTS set
`common_voices_prompts_from_conformer_fastspeech2_pwg_ljspeech/`. File names keep the source utterance id,
with a suffix that differs per vocoder: `LJ008-0217_gen.wav`, `LJ008-0217_generated.wav`, `LJ008-0217.wav`.
Bona fide: `LJSpeech-1.1/wavs/LJ*.wav` (+ metadata.csv) and `jsut_ver1.1/basic5000/wav/BASIC5000_*.wav`
(+ transcript_utf8.txt), found beside `generated_audio/` or given with `--bonafide-root`.
Each row's extra `original` column names the bona fide utterance it derives from, so
`datasets split --by original` keeps an utterance and its vocoded copies on one side.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from ...audio import AUDIO_EXTENSIONS
from ...errors import DatasetError
from ..manifest import ManifestRow
from .base import ADAPTERS, Adapter, audio_files, find_child

_SUFFIX = re.compile(r"_(gen|generated)$")
CORPORA = {
    "ljspeech": {"speaker": "LJ", "language": "en", "folders": ("LJSpeech-1.1", "LJSpeech"), "title": "LJSpeech"},
    "jsut": {"speaker": "jsut", "language": "ja", "folders": ("jsut_ver1.1", "jsut"), "title": "JSUT"},
}


def corpus_of(folder: str) -> str:
    """ljspeech, jsut, or '' for a WaveFake folder name (`ljspeech_melgan`, `..._pwg_ljspeech`, ...)."""
    lowered = folder.lower()
    for corpus in CORPORA:
        if lowered.startswith(corpus + "_") or lowered.endswith("_" + corpus):
            return corpus
    return ""


@ADAPTERS.register("wavefake")
class WaveFake(Adapter):
    name = "wavefake"
    summary = "WaveFake: generated_audio/<vocoder>/ folders, LJSpeech and JSUT as bona fide"
    accepts = frozenset({"subsets", "bonafide_roots"})
    subset_help = "vocoder folder names, e.g. ljspeech_melgan (default: all)"
    option_help = {"bonafide": "include (default) or none: import the vocoded side only"}

    def read(self, root: Path) -> list[ManifestRow]:
        generated = find_child(root, "generated_audio") or root
        folders = [f for f in sorted(os.listdir(generated)) if audio_files(generated / f, AUDIO_EXTENSIONS)]
        if not folders:
            raise DatasetError(f"{generated}: no vocoder folders with audio (expected e.g. ljspeech_melgan/)")
        chosen, _ = self.chosen_subsets(tuple(folders))
        mode = self.option("bonafide", "include")
        if mode not in ("include", "none"):
            raise DatasetError(f"wavefake: option bonafide must be include or none, got {mode!r}")
        corpora = sorted({corpus_of(f) for f in chosen} - {""})
        found = self._bonafide_roots([generated.parent, generated]) if mode == "include" else {}
        transcripts = {corpus: self._transcripts(corpus, path) for corpus, path in found.items()}
        rows: list[ManifestRow] = []
        for corpus in corpora:
            if mode == "include":
                if corpus not in found:
                    folder = next(f for f in chosen if corpus_of(f) == corpus)
                    expected = generated.parent / CORPORA[corpus]["folders"][0]
                    raise DatasetError(
                        f"{expected}: not found; WaveFake's {folder}/ needs {CORPORA[corpus]['title']} as bona fide "
                        "(pass --bonafide-root, or --option bonafide=none)"
                    )
                rows.extend(self._bonafide_rows(corpus, found[corpus], transcripts[corpus]))
        for folder in chosen:
            rows.extend(self._spoof_rows(generated / folder, transcripts.get(corpus_of(folder), {})))
        return rows

    def _bonafide_roots(self, bases: list[Path]) -> dict[str, Path]:
        """corpus → audio folder, from --bonafide-root first, then beside generated_audio/."""
        found: dict[str, Path] = {}
        for given in self.options.bonafide_roots:
            corpus, folder = _identify(Path(given))
            if not corpus:
                raise DatasetError(f"{given}: neither LJSpeech (wavs/, metadata.csv) nor JSUT (basic5000/wav/)")
            found.setdefault(corpus, folder)
        for corpus, spec in CORPORA.items():
            for base in bases:
                if corpus in found:
                    break
                child = find_child(base, *spec["folders"])
                if child is not None:
                    kind, folder = _identify(child)
                    if kind == corpus:
                        found[corpus] = folder
        return found

    @staticmethod
    def _transcripts(corpus: str, audio_dir: Path) -> dict[str, str]:
        """utterance id → text, from LJSpeech's metadata.csv or JSUT's transcript_utf8.txt (when present)."""
        texts: dict[str, str] = {}
        if corpus == "ljspeech":
            meta = audio_dir.parent / "metadata.csv"
            if meta.is_file():
                for line in meta.read_text(encoding="utf-8").splitlines():
                    fields = line.split("|")
                    if len(fields) >= 2:
                        texts[fields[0]] = fields[2] if len(fields) > 2 and fields[2] else fields[1]
        else:
            meta = audio_dir.parent / "transcript_utf8.txt"
            if meta.is_file():
                for line in meta.read_text(encoding="utf-8").splitlines():
                    utt, sep, text = line.partition(":")
                    if sep:
                        texts[utt] = text
        return texts

    def _bonafide_rows(self, corpus: str, audio_dir: Path, texts: dict[str, str]) -> list[ManifestRow]:
        spec = CORPORA[corpus]
        names = audio_files(audio_dir, AUDIO_EXTENSIONS)
        if not names:
            raise DatasetError(f"{audio_dir}: no audio files ({spec['title']} bona fide)")
        rows = []
        for name in names:
            utt = os.path.splitext(name)[0]
            rows.append(ManifestRow(
                utt_id=utt, path=os.path.join(os.fspath(audio_dir), name), label="bonafide",
                speaker=spec["speaker"], source=corpus, language=spec["language"], transcript=texts.get(utt, ""),
                extra={"original": utt},
            ))
        return rows

    def _spoof_rows(self, folder: Path, texts: dict[str, str]) -> list[ManifestRow]:
        corpus = corpus_of(folder.name)
        spec = CORPORA.get(corpus, {})
        # The conformer/FastSpeech2 folder is full TTS in LJSpeech's voice; the rest re-vocode LJSpeech/JSUT.
        family = "neural-vocoder" if folder.name.lower().startswith(corpus + "_") and corpus else "neural-tts"
        rows = []
        for name in audio_files(folder, AUDIO_EXTENSIONS):
            utt = _SUFFIX.sub("", os.path.splitext(name)[0])
            rows.append(ManifestRow(
                utt_id=f"{folder.name}_{utt}", path=os.path.join(os.fspath(folder), name), label="spoof",
                speaker=spec.get("speaker", "-"), attack=folder.name, source=corpus or "wavefake",
                language=spec.get("language", ""), transcript=texts.get(utt, ""), family=family,
                extra={"original": utt if utt in texts or family == "neural-vocoder" else ""},
            ))
        return rows


def _identify(folder: Path) -> tuple[str, Path]:
    """(corpus, audio folder) for an LJSpeech or JSUT root given at any of its usual levels."""
    if (folder / "wavs").is_dir():
        return "ljspeech", folder / "wavs"
    if (folder / "basic5000" / "wav").is_dir():
        return "jsut", folder / "basic5000" / "wav"
    if folder.name == "wav" and folder.parent.name.lower() == "basic5000":
        return "jsut", folder
    if folder.name == "wavs":
        return "ljspeech", folder
    for corpus, spec in CORPORA.items():
        child = find_child(folder, *spec["folders"])
        if child is not None and child != folder:
            kind, audio = _identify(child)
            if kind:
                return kind, audio
    return "", folder
