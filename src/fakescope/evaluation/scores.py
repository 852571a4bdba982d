"""Score files: the ASVspoof-like text form `utt_id score label attack` and CSV (which can also carry source).

Scores follow the ASVspoof convention, higher = more likely bona fide. Reading is lenient about the
order of the text form's fields (the official 2019 CM files write `utt_id attack key score`): the field
that parses as a number is the score and the one that reads as a label is the label.
"""

from __future__ import annotations

import csv
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from ..errors import DatasetError

LABEL_WORDS = {
    "bonafide": "bonafide", "bona-fide": "bonafide", "bona_fide": "bonafide", "genuine": "bonafide",
    "real": "bonafide", "human": "bonafide", "spoof": "spoof", "spoofed": "spoof", "fake": "spoof",
    "deepfake": "spoof", "synthetic": "spoof",
}
CSV_COLUMNS = ("utt_id", "score", "label", "attack", "source")


@dataclass
class ScoreRow:
    """One scored trial. `label` is '' when the score file carries no key."""

    utt_id: str
    score: float
    label: str = ""
    attack: str = "-"
    source: str = "-"


def normalise_label(word: str) -> str:
    """'bonafide', 'spoof', or '' for anything else."""
    return LABEL_WORDS.get(word.strip().lower(), "")


def write_scores(path: str | os.PathLike, rows: Iterable[ScoreRow]) -> Path:
    """Write a score file; `.csv` gives CSV with a header, anything else the space-separated text form."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "w", newline="", encoding="utf-8") as handle:
        if path.suffix.lower() == ".csv":
            writer = csv.writer(handle)
            writer.writerow(CSV_COLUMNS)
            for row in rows:
                writer.writerow([row.utt_id, repr(float(row.score)), row.label or "-", row.attack or "-", row.source or "-"])
        else:
            for row in rows:
                if not row.utt_id or any(c.isspace() for c in row.utt_id):
                    raise DatasetError(f"{path}: ids in a space-separated score file cannot hold spaces: {row.utt_id!r}")
                # Generator names such as "Glow-TTS + HiFi-GAN" are free text: join their words so the line
                # keeps four fields (the CSV form keeps them verbatim).
                attack = "_".join((row.attack or "-").split())
                handle.write(f"{row.utt_id} {float(row.score)!r} {row.label or '-'} {attack}\n")
    os.replace(tmp, path)
    return path


def read_scores(path: str | os.PathLike) -> list[ScoreRow]:
    """Read a score file (CSV by suffix or header, else whitespace-separated). Raises DatasetError with file:line."""
    path = Path(path)
    if not path.is_file():
        raise DatasetError(f"{path}: score file not found")
    with open(path, encoding="utf-8", newline="") as handle:
        text = handle.read()
    first = text.lstrip().split("\n", 1)[0]
    if path.suffix.lower() == ".csv" or first.replace(" ", "").lower().startswith("utt_id,"):
        rows = _read_csv(path, text)
    else:
        rows = [_parse_line(line, f"{path}:{number}") for number, line in enumerate(text.splitlines(), start=1)
                if line.strip() and not line.lstrip().startswith("#")]
    if not rows:
        raise DatasetError(f"{path}: score file holds no scores")
    return rows


def _number(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _parse_line(line: str, where: str) -> ScoreRow:
    fields = line.split()
    if not 2 <= len(fields) <= 4:
        raise DatasetError(f"{where}: expected 'utt_id score [label [attack]]', got {len(fields)} fields")
    utt_id, rest = fields[0], fields[1:]
    numeric = [i for i, f in enumerate(rest) if _number(f) is not None]
    labels = [i for i, f in enumerate(rest) if normalise_label(f)]
    if not numeric:
        raise DatasetError(f"{where}: no finite numeric score in {line.strip()!r}")
    # `utt score label attack` has the score first; the official 2019 CM order `utt attack key score` has it last.
    score_at = 0 if 0 in numeric else numeric[-1]
    label_at = next((i for i in labels if i != score_at), None)
    label = normalise_label(rest[label_at]) if label_at is not None else ""
    others = [f for i, f in enumerate(rest) if i not in (score_at, label_at)]
    if len(fields) >= 3 and label_at is None and not all(f == "-" for f in others):
        raise DatasetError(f"{where}: no label (bonafide/spoof) among {' '.join(rest)!r}")
    attack = others[0] if others else "-"
    return ScoreRow(utt_id=utt_id, score=float(rest[score_at]), label=label, attack=attack)


def _read_csv(path: Path, text: str) -> list[ScoreRow]:
    reader = csv.DictReader(text.splitlines())
    header = [h.strip() for h in (reader.fieldnames or [])]
    if "utt_id" not in header or "score" not in header:
        raise DatasetError(f"{path}: a CSV score file needs utt_id and score columns (has: {', '.join(header)})")
    rows = []
    for number, record in enumerate(reader, start=2):
        record = {(k or "").strip(): (v or "").strip() for k, v in record.items()}
        score = _number(record["score"])
        if score is None:
            raise DatasetError(f"{path}:{number}: score must be a finite number, got {record['score']!r}")
        raw_label = record.get("label", "")
        label = normalise_label(raw_label)
        if raw_label not in ("", "-") and not label:
            raise DatasetError(f"{path}:{number}: label must be bonafide or spoof, got {raw_label!r}")
        rows.append(ScoreRow(record["utt_id"], score, label, record.get("attack") or "-", record.get("source") or "-"))
    return rows


def attach_keys(rows: list[ScoreRow], keys: dict[str, tuple[str, str, str]], *, where: str) -> list[ScoreRow]:
    """Fill label, attack and source from `keys` (utt_id → (label, attack, source)), e.g. from a manifest.

    Raises DatasetError listing how many scored trials the keys do not cover.
    """
    missing = [row.utt_id for row in rows if row.utt_id not in keys]
    if missing:
        raise DatasetError(f"{where}: {len(missing)} scored utterance(s) are not in the key, e.g. {missing[0]!r}")
    out = []
    for row in rows:
        label, attack, source = keys[row.utt_id]
        out.append(ScoreRow(row.utt_id, row.score, label, attack, source))
    return out
