"""Turning command-line inputs (files, folders, manifests) into a list of audio items for batch commands."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from .audio import AUDIO_EXTENSIONS
from .errors import DatasetError

_BONAFIDE_WORDS = {"real", "bonafide", "bona-fide", "bona_fide", "genuine", "human"}
_SPOOF_WORDS = {"fake", "spoof", "spoofed", "synthetic", "deepfake"}


@dataclass(frozen=True)
class InputItem:
    """One audio input. `relative` is a path-like key unique within the batch (used to name outputs)."""

    path: Path
    relative: str
    label: str = ""
    utt_id: str = ""


def label_from_path(path: Path) -> str:
    """'bonafide' or 'spoof' when a folder on the path says so (real/, fake/, bonafide/, spoof/), else ''."""
    for part in reversed(path.parent.parts):
        word = part.lower()
        if word in _BONAFIDE_WORDS:
            return "bonafide"
        if word in _SPOOF_WORDS:
            return "spoof"
    return ""


def collect_inputs(paths: list[str | os.PathLike], *, recursive: bool = True) -> tuple[list[InputItem], list[tuple[str, str]]]:
    """Expand files, folders (audio files below them) and manifests (*.csv) into items.

    Returns (items, failures); a missing input is a failure to report, not a reason to stop.
    """
    items: list[InputItem] = []
    failures: list[tuple[str, str]] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            pattern = "**/*" if recursive else "*"
            found = sorted(p for p in path.glob(pattern) if p.is_file() and p.suffix.lower() in AUDIO_EXTENSIONS)
            if not found:
                failures.append((str(path), "folder holds no audio files"))
            for file in found:
                items.append(InputItem(file, file.relative_to(path).as_posix(), label_from_path(file)))
        elif path.suffix.lower() == ".csv" and path.is_file():
            from .datasets.manifest import read_manifest

            try:
                manifest = read_manifest(path)
            except DatasetError as exc:
                failures.append((str(path), str(exc)))
                continue
            for row in manifest:
                items.append(InputItem(manifest.resolve(row), row.utt_id, row.label, row.utt_id))
        elif path.is_file():
            items.append(InputItem(path, path.name, label_from_path(path)))
        else:
            failures.append((str(path), "no such file or folder"))
    return _unique(items), failures


def _unique(items: list[InputItem]) -> list[InputItem]:
    """Make `relative` keys unique (two folders may both hold a.wav) by suffixing repeats."""
    seen: dict[str, int] = {}
    unique = []
    for item in items:
        key = item.relative
        count = seen.get(key, 0)
        seen[key] = count + 1
        if count:
            stem, dot, ext = key.rpartition(".")
            key = f"{stem}-{count}.{ext}" if dot else f"{key}-{count}"
            item = InputItem(item.path, key, item.label, item.utt_id)
        unique.append(item)
    return unique
