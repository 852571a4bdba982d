"""In-the-Wild (Müller et al. 2022): `release_in_the_wild/meta.csv` beside the wav files.

meta.csv has the header `file,speaker,label` and lines such as `0.wav,Alec Guinness,spoof` or
`2.wav,Barack Obama,bona-fide`. The generators are not named, so spoofs get attack `unknown`; the dataset
has no partitions (it is usually a test set: `--split eval`).
"""

from __future__ import annotations

import csv
import os
from pathlib import Path

from ...errors import DatasetError
from ..manifest import ManifestRow
from .base import ADAPTERS, UNKNOWN_ATTACK, Adapter, label_word

LABELS = {"bona-fide": "bonafide", "bonafide": "bonafide", "spoof": "spoof"}


@ADAPTERS.register("in-the-wild")
class InTheWild(Adapter):
    name = "in-the-wild"
    summary = "In-the-Wild: meta.csv (file,speaker,label) beside the wav files"
    root_kind = "any"  # the folder, or its meta.csv

    def read(self, root: Path) -> list[ManifestRow]:
        meta = self._meta(root)
        folder = meta.parent
        present = self.files.names(folder)
        rows = []
        with open(meta, newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            missing = [c for c in ("file", "speaker", "label") if c not in (reader.fieldnames or [])]
            if missing:
                raise DatasetError(f"{meta}: lacks the column(s) {', '.join(missing)} (has: {', '.join(reader.fieldnames or [])})")
            for number, record in enumerate(reader, start=2):
                where = f"{meta}:{number}"
                name = (record["file"] or "").strip()
                raw = (record["label"] or "").strip()
                label = LABELS.get(raw.lower()) or label_word(raw)
                if not label:
                    raise DatasetError(f"{where}: label must be bona-fide or spoof, got {raw!r}")
                if not name:
                    raise DatasetError(f"{where}: empty file name")
                if name not in present:
                    self.missing.add(where, f"{name} not in {folder}")
                    continue
                rows.append(ManifestRow(
                    utt_id=os.path.splitext(name)[0],
                    path=os.path.join(os.fspath(folder), name),
                    label=label,
                    speaker=(record["speaker"] or "").strip() or "-",
                    attack=UNKNOWN_ATTACK if label == "spoof" else "-",
                    source="in-the-wild",
                    language="en",
                ))
        return rows

    @staticmethod
    def _meta(root: Path) -> Path:
        if root.is_file():
            return root
        for candidate in (root / "meta.csv", root / "release_in_the_wild" / "meta.csv"):
            if candidate.is_file():
                return candidate
        raise DatasetError(f"{root / 'meta.csv'}: not found (In-the-Wild keeps its labels in meta.csv)")
