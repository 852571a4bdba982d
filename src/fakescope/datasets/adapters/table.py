"""Any CSV/TSV of paths and labels (the original design's input), mapped onto the manifest with `--column`.

ROOT is the table. `--column FIELD=COLUMN` maps a manifest field (utt_id, path, label, speaker, attack, source,
split, duration_s, language, transcript, family, condition) onto a column; without it, a column named like
the field (or a usual synonym: file, filepath, filename, audio for path; key, class for label; id for utt_id;
speaker_id for speaker) is used. Labels may be bonafide/spoof, real/fake, bona-fide, genuine, ...; other
values (such as 0/1) need `--option bonafide_values=0 --option spoof_values=1`. Relative paths are resolved
against the table's folder (or `--option base=FOLDER`). Unmapped columns are kept as extra columns.
"""

from __future__ import annotations

import csv
import os
from pathlib import Path

from ...errors import DatasetError
from ..manifest import OPTIONAL_COLUMNS, REQUIRED_COLUMNS, ManifestRow
from .base import ADAPTERS, Adapter, label_word, spoof_attack

FIELDS = REQUIRED_COLUMNS + OPTIONAL_COLUMNS
SYNONYMS = {
    "path": ("path", "file", "filepath", "file_path", "filename", "file_name", "audio", "audio_path", "wav"),
    "label": ("label", "key", "class", "target"),
    "utt_id": ("utt_id", "id", "utt", "utterance_id"),
    "speaker": ("speaker", "speaker_id", "spk"),
}
DELIMITERS = (",", "\t", ";", "|")


def parse_columns(items: tuple[str, ...]) -> dict[str, str]:
    """`FIELD=COLUMN` strings → {field: column}."""
    mapping = {}
    for item in items:
        field, sep, column = item.partition("=")
        field, column = field.strip(), column.strip()
        if not sep or not column or field not in FIELDS:
            raise DatasetError(f"--column {item!r}: expected FIELD=COLUMN with FIELD one of {', '.join(FIELDS)}")
        mapping[field] = column
    return mapping


@ADAPTERS.register("csv")
class Table(Adapter):
    name = "csv"
    summary = "a CSV/TSV of paths and labels; map its columns with --column FIELD=COLUMN"
    accepts = frozenset({"columns"})
    root_kind = "file"
    option_help = {
        "delimiter": "the field separator (default: guessed from the header among , tab ; |)",
        "bonafide_values": "comma-separated label values meaning bona fide (e.g. 0)",
        "spoof_values": "comma-separated label values meaning spoof (e.g. 1)",
        "base": "folder relative paths are resolved against (default: the table's folder)",
    }

    def read(self, root: Path) -> list[ManifestRow]:
        base = Path(self.option("base")) if self.option("base") else root.parent
        values = self._label_values()
        rows = []
        with open(root, newline="", encoding="utf-8-sig") as handle:
            header_line = handle.readline()
            handle.seek(0)
            delimiter = self._delimiter(header_line)
            reader = csv.DictReader(handle, delimiter=delimiter)
            header = [h for h in reader.fieldnames or [] if h is not None]
            mapping = self._mapping(root, header)
            mapped = set(mapping.values())
            kept = [c for c in header if c not in mapped and c not in FIELDS]
            for number, record in enumerate(reader, start=2):
                rows.append(self._row(record, mapping, kept, values, base, f"{root}:{number}"))
        return [row for row in rows if row is not None]

    def _delimiter(self, header_line: str) -> str:
        given = self.option("delimiter")
        if given:
            return "\t" if given in ("\\t", "tab") else given
        return max(DELIMITERS, key=header_line.count)

    def _label_values(self) -> dict[str, str]:
        values = {}
        for label, key in (("bonafide", "bonafide_values"), ("spoof", "spoof_values")):
            for value in self.option(key).split(","):
                if value.strip():
                    values[value.strip().lower()] = label
        return values

    def _mapping(self, table: Path, header: list[str]) -> dict[str, str]:
        mapping = parse_columns(self.options.columns)
        for field, column in mapping.items():
            if column not in header:
                raise DatasetError(f"{table}: no column {column!r} for {field} (has: {', '.join(header)})")
        for field in FIELDS:
            if field not in mapping:
                column = next((c for c in SYNONYMS.get(field, (field,)) if c in header), None)
                if column is not None and column not in mapping.values():
                    mapping[field] = column
        for field in ("path", "label"):
            if field not in mapping:
                raise DatasetError(f"{table}: no {field} column found (has: {', '.join(header)}); map one with --column {field}=COLUMN")
        return mapping

    def _row(self, record: dict, mapping: dict[str, str], kept: list[str], values: dict[str, str],
             base: Path, where: str) -> ManifestRow | None:
        get = {field: (record.get(column) or "").strip() for field, column in mapping.items()}
        raw_label = get["label"]
        label = values.get(raw_label.lower()) or label_word(raw_label)
        if not label:
            raise DatasetError(
                f"{where}: label {raw_label!r} is neither bona fide nor spoof; say which with "
                "--option bonafide_values=... --option spoof_values=..."
            )
        relative = get["path"]
        if not relative:
            raise DatasetError(f"{where}: empty path")
        path = os.path.join(os.fspath(base), relative)
        folder, name = os.path.split(path)
        if not self.files.has(folder or ".", name):
            self.missing.add(where, f"{relative} not found" + ("" if os.path.isabs(relative) else f" under {base}"))
            return None
        duration = get.get("duration_s", "")
        try:
            duration_s = float(duration) if duration else None
        except ValueError:
            raise DatasetError(f"{where}: duration_s must be a number, got {duration!r}") from None
        return ManifestRow(
            utt_id=get.get("utt_id") or os.path.splitext(relative.replace("\\", "/"))[0].replace("/", "-"),
            path=path,
            label=label,
            speaker=get.get("speaker") or "-",
            attack=spoof_attack(label, get.get("attack", "")),
            source=get.get("source") or "-",
            split=get.get("split") or "-",
            duration_s=duration_s,
            language=get.get("language", ""),
            transcript=get.get("transcript", ""),
            family=get.get("family", ""),
            condition=get.get("condition", ""),
            extra={c: (record.get(c) or "") for c in kept},
        )
