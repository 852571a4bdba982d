"""Dataset statistics: counts by split × label × attack, durations, sample rates and speaker overlap.

Durations come from the manifest's `duration_s` column; `probe=True` reads the missing ones and every
file's sample rate from the file headers (no decoding), which `datasets check --write-durations` avoids
having to repeat.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field

from .manifest import Manifest


@dataclass
class DurationSummary:
    """Duration figures of one (split, label) cell; `files` counts rows with a known duration."""

    files: int = 0
    total_s: float = 0.0
    min_s: float = float("inf")
    max_s: float = 0.0

    def add(self, seconds: float) -> None:
        self.files += 1
        self.total_s += seconds
        self.min_s = min(self.min_s, seconds)
        self.max_s = max(self.max_s, seconds)

    @property
    def mean_s(self) -> float:
        return self.total_s / self.files if self.files else 0.0


@dataclass
class DatasetStats:
    """What `compute_stats` found. Keys are split names, labels and attack ids as in the manifest."""

    rows: int
    counts: Counter = field(default_factory=Counter)  # (split, label, attack) → rows
    durations: dict = field(default_factory=dict)  # (split, label) → DurationSummary
    sample_rates: Counter = field(default_factory=Counter)  # Hz (0: unreadable header) → files
    speakers: dict = field(default_factory=dict)  # split → distinct speakers
    shared_speakers: dict = field(default_factory=dict)  # "a|b" → speakers found in both splits
    probed: bool = False

    def to_dict(self) -> dict:
        """A JSON-ready form."""
        return {
            "rows": self.rows,
            "counts": [{"split": s, "label": l, "attack": a, "rows": n} for (s, l, a), n in sorted(self.counts.items())],
            "durations": [
                {"split": s, "label": l, "files": d.files, "total_s": round(d.total_s, 3), "mean_s": round(d.mean_s, 3),
                 "min_s": round(d.min_s, 3) if d.files else None, "max_s": round(d.max_s, 3) if d.files else None}
                for (s, l), d in sorted(self.durations.items())
            ],
            "sample_rates": {str(rate): n for rate, n in sorted(self.sample_rates.items())},
            "speakers": self.speakers,
            "shared_speakers": self.shared_speakers,
            "probed": self.probed,
        }


def compute_stats(manifest: Manifest, *, probe: bool = False) -> DatasetStats:
    """Counts, durations, sample rates (with `probe`) and per-split speakers of a manifest."""
    stats = DatasetStats(rows=len(manifest), probed=probe)
    speakers: dict[str, set[str]] = defaultdict(set)
    headers = _probe_headers(manifest) if probe else {}
    for index, row in enumerate(manifest.rows):
        stats.counts[(row.split, row.label, row.attack)] += 1
        cell = stats.durations.setdefault((row.split, row.label), DurationSummary())
        rate, seconds = headers.get(index, (None, None))
        duration = row.duration_s if row.duration_s is not None else seconds
        if duration is not None:
            cell.add(duration)
        if probe:
            stats.sample_rates[rate or 0] += 1
        if row.speaker not in ("", "-"):
            speakers[row.split].add(row.speaker)
    stats.speakers = {split: len(names) for split, names in sorted(speakers.items())}
    splits = sorted(speakers)
    for i, first in enumerate(splits):
        for second in splits[i + 1:]:
            shared = len(speakers[first] & speakers[second])
            if shared:
                stats.shared_speakers[f"{first}|{second}"] = shared
    return stats


def _probe_headers(manifest: Manifest) -> dict[int, tuple[int | None, float | None]]:
    """row index → (sample rate, duration in s) from the file header; (None, None) when unreadable."""
    import soundfile as sf

    from ..progress import progress

    found = {}
    for index, row in enumerate(progress(manifest.rows, desc="reading headers")):
        try:
            info = sf.info(str(manifest.resolve(row)))
            found[index] = (int(info.samplerate), float(info.frames) / info.samplerate if info.frames > 0 else None)
        except Exception:  # noqa: BLE001 — libsndfile reports unreadable headers through several types
            found[index] = _probe_pyav(manifest.resolve(row))
    return found


def _probe_pyav(path) -> tuple[int | None, float | None]:
    """Header figures of containers libsndfile cannot open (m4a, ...), through PyAV."""
    try:
        import av

        with av.open(str(path), metadata_errors="ignore") as container:
            stream = next((s for s in container.streams if s.type == "audio"), None)
            if stream is None:
                return None, None
            seconds = float(stream.duration * stream.time_base) if stream.duration and stream.time_base else None
            if seconds is None and container.duration:
                seconds = container.duration / 1_000_000  # av.time_base: microseconds
            return int(stream.sample_rate or stream.codec_context.sample_rate) or None, seconds
    except Exception:  # noqa: BLE001 — missing or corrupt files are `datasets check`'s business
        return None, None


def format_stats(stats: DatasetStats) -> str:
    """The statistics as plain-text tables."""
    lines = [f"{stats.rows} rows"]
    lines += ["", *_table(["split", "label", "attack", "rows"],
                          [[s, l, a, str(n)] for (s, l, a), n in sorted(stats.counts.items())])]
    totals = Counter()
    for (split, label, _), n in stats.counts.items():
        totals[(split, label)] += n
    lines += ["", *_table(["split", "label", "rows", "with duration", "hours", "mean s", "min s", "max s"], [
        [s, l, str(totals[(s, l)]), str(d.files), f"{d.total_s / 3600:.2f}",
         *((f"{d.mean_s:.2f}", f"{d.min_s:.2f}", f"{d.max_s:.2f}") if d.files else ("-", "-", "-"))]
        for (s, l), d in sorted(stats.durations.items())
    ])]
    if stats.probed:
        rates = ", ".join(f"{rate} Hz: {n}" if rate else f"unreadable: {n}" for rate, n in sorted(stats.sample_rates.items()))
        lines += ["", f"sample rates: {rates}"]
    else:
        lines += ["", "sample rates: not read (--probe reads them from the file headers)"]
    if stats.speakers:
        lines += ["", "speakers per split: " + ", ".join(f"{s}: {n}" for s, n in stats.speakers.items())]
        if stats.shared_speakers:
            lines.append("speakers shared between splits: " + ", ".join(
                f"{pair.replace('|', ' & ')}: {n}" for pair, n in stats.shared_speakers.items()))
    return "\n".join(lines)


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    widths = [max(len(str(c)) for c in column) for column in zip(header, *rows)]
    numeric = [all(_is_number(r[i]) for r in rows) and bool(rows) for i in range(len(header))]

    def line(cells: list[str]) -> str:
        return "  ".join(c.rjust(w) if num else c.ljust(w) for c, w, num in zip(cells, widths, numeric)).rstrip()

    return [line(header), *(line(r) for r in rows)]


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return text == "-"
    return True
