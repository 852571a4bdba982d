"""The manifest: the one dataset format every command reads (DESIGN.md §2).

CSV, UTF-8, paths relative to the manifest's folder, columns
`utt_id,path,label,speaker,attack,source,split,duration_s` plus optional `language,transcript,family,condition`.
"""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Iterable, Iterator

from ..errors import DatasetError

REQUIRED_COLUMNS = ("utt_id", "path", "label", "speaker", "attack", "source", "split", "duration_s")
OPTIONAL_COLUMNS = ("language", "transcript", "family", "condition")
LABELS = ("bonafide", "spoof")
NO_ATTACK = "-"


@dataclass
class ManifestRow:
    """One utterance. `path` is as written in the manifest (relative to its folder, or absolute)."""

    utt_id: str
    path: str
    label: str
    speaker: str = "-"
    attack: str = NO_ATTACK
    source: str = "-"
    split: str = "-"
    duration_s: float | None = None
    language: str = ""
    transcript: str = ""
    family: str = ""
    condition: str = ""
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def is_bonafide(self) -> bool:
        return self.label == "bonafide"


class Manifest:
    """Rows plus the folder their relative paths are resolved against."""

    def __init__(self, rows: Iterable[ManifestRow], root: str | os.PathLike = ".") -> None:
        self.rows: list[ManifestRow] = list(rows)
        self.root = Path(root)

    def __len__(self) -> int:
        return len(self.rows)

    def __iter__(self) -> Iterator[ManifestRow]:
        return iter(self.rows)

    def resolve(self, row: ManifestRow) -> Path:
        """The audio file of `row` on disk."""
        path = Path(row.path)
        return path if path.is_absolute() else self.root / path


def _row_from_record(record: dict[str, str], where: str) -> ManifestRow:
    known = {f.name for f in fields(ManifestRow)} - {"extra"}
    values = {k: (v or "").strip() for k, v in record.items() if k in known}
    extra = {k: v for k, v in record.items() if k not in known and k is not None}
    label = values.get("label", "")
    if label not in LABELS:
        raise DatasetError(f"{where}: label must be one of {', '.join(LABELS)}, got {label!r}")
    if not values.get("utt_id") or not values.get("path"):
        raise DatasetError(f"{where}: utt_id and path must not be empty")
    duration = values.pop("duration_s", "")
    try:
        duration_s = float(duration) if duration not in ("", "-") else None
    except ValueError:
        raise DatasetError(f"{where}: duration_s must be a number, got {duration!r}") from None
    return ManifestRow(**values, duration_s=duration_s, extra=extra)


def read_manifest(path: str | os.PathLike) -> Manifest:
    """Read and validate a manifest CSV. Raises DatasetError naming the file and line of any problem."""
    path = Path(path)
    if not path.is_file():
        raise DatasetError(f"{path}: manifest not found")
    with open(path, newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        header = reader.fieldnames or []
        missing = [c for c in ("utt_id", "path", "label") if c not in header]
        if missing:
            raise DatasetError(f"{path}: manifest lacks the column(s) {', '.join(missing)} (has: {', '.join(header)})")
        rows = [_row_from_record(rec, f"{path}:{line}") for line, rec in enumerate(reader, start=2)]
    return Manifest(rows, root=path.parent)


def write_manifest(path: str | os.PathLike, rows: Iterable[ManifestRow]) -> Path:
    """Write rows atomically; optional columns appear only when some row uses them."""
    path = Path(path)
    rows = list(rows)
    optional = [c for c in OPTIONAL_COLUMNS if any(getattr(r, c) for r in rows)]
    extra = sorted({k for r in rows for k in r.extra})
    header = list(REQUIRED_COLUMNS) + optional + extra
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        for row in rows:
            record = dict(vars(row))  # not asdict(): its deep copy made writing 100,000 rows take 1.5 s
            record.update(row.extra)
            if record["duration_s"] is not None:
                record["duration_s"] = f"{record['duration_s']:.3f}"
            writer.writerow(["" if record.get(c) is None else record.get(c, "") for c in header])
    os.replace(tmp, path)
    return path
