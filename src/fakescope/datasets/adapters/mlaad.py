"""MLAAD (Müller et al. 2024): TTS output in many languages, with M-AILABS as the bona fide side.

MLAAD tree: `fake/<language>/<model folder>/` holds the wav files and a pipe-separated `meta.csv`:
    path|original_file|language|is_original_language|duration|training_data|model_name|architecture|transcript
    ./fake/de/tts_models_de_thorsten_vits/ab12.wav|de_DE/by_book/female/eva_k/grune_haus/wavs/grune_haus_01_f000001.wav|de|...
`original_file` is the M-AILABS utterance whose text was spoken, relative to the M-AILABS root:
    <locale>/by_book/<female|male>/<reader>/<book>/wavs/<utt>.wav   (or by_book/mix/<book>/...), with
    <book>/metadata.csv lines `utt|text|normalised text`.
Spoofs take their M-AILABS reader as `speaker`, so a speaker-disjoint split keeps a reader's recordings and
every model's rendition of the same texts on one side; the extra `original` column pairs them exactly.
Bona fide (`--option bonafide=`): `referenced` (default) imports the M-AILABS utterances MLAAD used,
`all` every M-AILABS wav of the languages present, `none` none. M-AILABS is found at ROOT/m-ailabs,
beside ROOT, or given with `--bonafide-root`.
"""

from __future__ import annotations

import csv
import os
from pathlib import Path

from ...audio import AUDIO_EXTENSIONS
from ...errors import DatasetError
from ..manifest import ManifestRow
from .base import ADAPTERS, Adapter, audio_files, find_child

BONAFIDE_MODES = ("referenced", "all", "none")


def reader_of(original: str) -> str:
    """The M-AILABS reader of `<locale>/by_book/<gender>/<reader>/<book>/wavs/x.wav` ('<locale>-mix' for mix books)."""
    parts = [p for p in original.replace("\\", "/").split("/") if p not in ("", ".")]
    if "by_book" not in parts:
        return ""
    at = parts.index("by_book")
    if len(parts) <= at + 2:
        return ""
    if parts[at + 1] == "mix":
        return f"{parts[at - 1] if at else 'unknown'}-mix"
    return parts[at + 2]


@ADAPTERS.register("mlaad")
class MLAAD(Adapter):
    name = "mlaad"
    summary = "MLAAD: fake/<language>/<model>/meta.csv, with M-AILABS as bona fide"
    accepts = frozenset({"subsets", "bonafide_roots"})
    subset_help = "language folders, e.g. de, en (default: all)"
    option_help = {"bonafide": "referenced (default: the M-AILABS utterances MLAAD used), all, or none"}

    def read(self, root: Path) -> list[ManifestRow]:
        mode = self.option("bonafide", "referenced")
        if mode not in BONAFIDE_MODES:
            raise DatasetError(f"mlaad: option bonafide must be one of {', '.join(BONAFIDE_MODES)}, got {mode!r}")
        fake = root if root.name == "fake" else find_child(root, "fake")
        if fake is None:
            raise DatasetError(f"{root / 'fake'}: not found (MLAAD keeps its audio in fake/<language>/<model>/)")
        languages = sorted(d for d in os.listdir(fake) if (fake / d).is_dir())
        chosen, _ = self.chosen_subsets(tuple(languages))
        mailabs = None if mode == "none" else self._mailabs(fake.parent)
        rows: list[ManifestRow] = []
        originals: dict[str, str] = {}  # original_file → where it is first referenced
        for language in chosen:
            models = sorted(d for d in os.listdir(fake / language) if (fake / language / d).is_dir())
            for model in models:
                rows.extend(self._read_model(fake.parent, fake / language / model, language, originals))
        if not rows and not self.missing:
            raise DatasetError(f"{fake}: no model folders with meta.csv found")
        if mailabs is not None:
            rows.extend(self._bonafide(mailabs, originals, mode, {r.language for r in rows}))
        return rows

    def _mailabs(self, base: Path) -> Path:
        if self.options.bonafide_roots:
            given = Path(self.options.bonafide_roots[0])
            if not given.is_dir():
                raise DatasetError(f"{given}: M-AILABS folder not found")
            return given
        for folder in (base, base.parent):
            found = find_child(folder, "m-ailabs", "mailabs", "M-AILABS_Speech_Dataset")
            if found is not None:
                return found
        raise DatasetError(
            f"{base / 'm-ailabs'}: not found; MLAAD holds spoofs only and takes M-AILABS (the folder holding "
            "en_US/, de_DE/, ...) as bona fide: pass --bonafide-root, or --option bonafide=none"
        )

    def _read_model(self, root: Path, folder: Path, language: str, originals: dict[str, str]) -> list[ManifestRow]:
        meta = folder / "meta.csv"
        if not meta.is_file():
            self.missing.add(os.fspath(folder), "meta.csv not found (model folder skipped)")
            return []
        present = self.files.names(folder)
        rows = []
        with open(meta, newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle, delimiter="|")
            columns = reader.fieldnames or []
            if "path" not in columns:
                raise DatasetError(f"{meta}: lacks the column path (has: {', '.join(columns)})")
            for number, record in enumerate(reader, start=2):
                where = f"{meta}:{number}"
                name = os.path.basename((record.get("path") or "").strip())
                if not name:
                    raise DatasetError(f"{where}: empty path")
                if name not in present:
                    self.missing.add(where, f"{name} not in {folder}")
                    continue
                original = (record.get("original_file") or "").strip().removeprefix("./")
                if original:
                    originals.setdefault(original, where)
                rows.append(ManifestRow(
                    utt_id=f"{language}-{folder.name}-{os.path.splitext(name)[0]}",
                    path=os.path.join(os.fspath(folder), name),
                    label="spoof",
                    speaker=reader_of(original) or (record.get("reference_speaker") or "").strip() or "-",
                    attack=(record.get("model_name") or "").strip() or folder.name,
                    source="mlaad",
                    duration_s=_number(record.get("duration"), where),
                    language=(record.get("language") or "").strip() or language,
                    transcript=(record.get("transcript") or "").strip(),
                    family=(record.get("architecture") or "").strip(),
                    extra={"original": original},
                ))
        return rows

    def _bonafide(self, mailabs: Path, originals: dict[str, str], mode: str, languages: set[str]) -> list[ManifestRow]:
        if mode == "all":
            wanted = _all_mailabs(mailabs, languages)
        else:
            wanted = []
            for original, where in originals.items():
                folder, name = os.path.split(original)
                if self.files.has(mailabs / folder, name):
                    wanted.append(original)
                else:
                    self.missing.add(where, f"original_file {original} not under {mailabs}")
        texts: dict[str, dict[str, str]] = {}
        rows = []
        for original in sorted(wanted):
            folder, name = os.path.split(original)
            book = os.path.dirname(folder)
            if book not in texts:
                texts[book] = _book_texts(mailabs / book / "metadata.csv")
            utt = os.path.splitext(name)[0]
            locale = original.split("/", 1)[0]
            rows.append(ManifestRow(
                utt_id=utt, path=os.path.join(os.fspath(mailabs), original), label="bonafide",
                speaker=reader_of(original) or "-", source="m-ailabs", language=locale.split("_")[0],
                transcript=texts[book].get(utt, ""), extra={"original": original},
            ))
        if not rows and not self.missing:
            raise DatasetError(f"{mailabs}: no M-AILABS utterances found for MLAAD's languages")
        return rows


def _all_mailabs(mailabs: Path, languages: set[str]) -> list[str]:
    """Every `<locale>/by_book/.../wavs/*.wav` under M-AILABS whose language MLAAD covers, relative to it."""
    found = []
    for locale in sorted(os.listdir(mailabs)):
        if not (mailabs / locale / "by_book").is_dir() or locale.split("_")[0] not in languages:
            continue
        for folder, dirs, _files in os.walk(mailabs / locale / "by_book"):
            dirs.sort()
            if os.path.basename(folder) == "wavs":
                relative = os.path.relpath(folder, mailabs).replace(os.sep, "/")
                found.extend(f"{relative}/{name}" for name in audio_files(Path(folder), AUDIO_EXTENSIONS))
    return found


def _book_texts(meta: Path) -> dict[str, str]:
    texts: dict[str, str] = {}
    if meta.is_file():
        for line in meta.read_text(encoding="utf-8", errors="replace").splitlines():
            fields = line.split("|")
            if len(fields) >= 2:
                texts[fields[0]] = fields[2] if len(fields) > 2 and fields[2] else fields[1]
    return texts


def _number(value: str | None, where: str) -> float | None:
    text = (value or "").strip()
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        raise DatasetError(f"{where}: duration must be a number, got {text!r}") from None
