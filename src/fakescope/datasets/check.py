"""`datasets check`: decode every file of a manifest, find duplicates (and leakage across splits), check labels.

Each file is decoded with `load_audio` at its native rate (in `jobs` worker processes) and its samples are
hashed, so the same audio stored twice (even as .wav and .flac) is found. Problems (exit code 1):
missing or undecodable files, repeated utt_ids, identical audio under different rows (a leak when the rows
are in different splits, a contradiction when their labels differ), the same file listed in several
splits, and attack ids that contradict the label. Warnings: a split holding one label only, and the same
file listed twice within one split (what over-sampling does on purpose).
"""

from __future__ import annotations

import hashlib
import os
from collections import Counter, defaultdict
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field

from .manifest import NO_ATTACK, Manifest

_MAX_LISTED = 20


@dataclass
class FileResult:
    """One decoded file: its content digest, rate, channels and duration, or why it failed."""

    error: str = ""
    missing: bool = False
    digest: str = ""
    sample_rate: int = 0
    channels: int = 0
    duration_s: float = 0.0


@dataclass
class CheckReport:
    """Everything `check_manifest` found. Lists hold human-readable lines naming utt_ids and paths."""

    rows: int
    missing: list[str] = field(default_factory=list)
    undecodable: list[str] = field(default_factory=list)
    duplicate_ids: list[str] = field(default_factory=list)
    duplicate_content: list[str] = field(default_factory=list)
    leakage: list[str] = field(default_factory=list)
    label_conflicts: list[str] = field(default_factory=list)
    label_problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    sample_rates: Counter = field(default_factory=Counter)
    channels: Counter = field(default_factory=Counter)
    total_s: float = 0.0
    durations: dict[int, float] = field(default_factory=dict)  # row index → seconds (decoded rows)

    PROBLEM_KINDS = ("missing", "undecodable", "duplicate_ids", "duplicate_content", "leakage",
                     "label_conflicts", "label_problems")

    @property
    def problems(self) -> int:
        return sum(len(getattr(self, kind)) for kind in self.PROBLEM_KINDS)

    def to_dict(self) -> dict:
        """A JSON-ready form."""
        out = {kind: getattr(self, kind) for kind in (*self.PROBLEM_KINDS, "warnings")}
        out.update(rows=self.rows, problems=self.problems, total_s=round(self.total_s, 3),
                   sample_rates={str(k): v for k, v in sorted(self.sample_rates.items())},
                   channels={str(k): v for k, v in sorted(self.channels.items())})
        return out


def probe_file(path: str) -> FileResult:
    """Decode one file at its native rate and hash its samples (runs in worker processes)."""
    from ..audio import load_audio
    from ..errors import AudioError

    if not os.path.isfile(path):
        return FileResult(error="no such file", missing=True)
    try:
        audio = load_audio(path, sample_rate=None, mono=False)
    except AudioError as exc:
        return FileResult(error=exc.reason)
    digest = hashlib.blake2b(audio.samples.tobytes(), digest_size=16)
    digest.update(f"{audio.sample_rate}/{audio.num_channels}".encode())
    return FileResult(digest=digest.hexdigest(), sample_rate=audio.sample_rate,
                      channels=audio.num_channels, duration_s=audio.duration_s)


def check_manifest(manifest: Manifest, *, jobs: int = 1) -> CheckReport:
    """Decode, hash and cross-check every row of `manifest` (see the module docstring)."""
    from ..progress import progress

    rows = manifest.rows
    report = CheckReport(rows=len(rows))
    paths = [os.fspath(manifest.resolve(r)) for r in rows]
    unique_paths = list(dict.fromkeys(paths))  # a file listed twice is decoded once
    results: dict[str, FileResult] = {}
    bar = progress(total=len(unique_paths), desc="checking")
    try:
        if jobs > 1 and len(unique_paths) > 1:
            chunk = max(1, min(32, len(unique_paths) // (jobs * 8)))
            with ProcessPoolExecutor(max_workers=jobs) as pool:
                for path, result in zip(unique_paths, pool.map(probe_file, unique_paths, chunksize=chunk)):
                    results[path] = result
                    bar.update(1)
        else:
            for path in unique_paths:
                results[path] = probe_file(path)
                bar.update(1)
    finally:
        bar.close()
    for index, (row, path) in enumerate(zip(rows, paths)):
        result = results[path]
        if result.missing:
            report.missing.append(f"{row.utt_id}: {path}")
        elif result.error:
            report.undecodable.append(f"{row.utt_id}: {path}: {result.error}")
        else:
            report.durations[index] = result.duration_s
    for path, result in results.items():
        if not result.error:
            report.sample_rates[result.sample_rate] += 1
            report.channels[result.channels] += 1
            report.total_s += result.duration_s
    _check_ids(manifest, report)
    _check_content(manifest, paths, results, report)
    _check_labels(manifest, report)
    return report


def _check_ids(manifest: Manifest, report: CheckReport) -> None:
    counts = Counter(r.utt_id for r in manifest.rows)
    report.duplicate_ids += [f"{utt}: listed {n} times" for utt, n in counts.items() if n > 1]


def _check_content(manifest: Manifest, paths: list[str], results: dict[str, FileResult], report: CheckReport) -> None:
    """Identical audio under different files, and one file under several rows, split by split."""
    by_path: dict[str, list[int]] = defaultdict(list)
    for index, path in enumerate(paths):
        by_path[path].append(index)
    by_digest: dict[str, list[str]] = defaultdict(list)
    for path, result in results.items():
        if result.digest:
            by_digest[result.digest].append(path)
    rows = manifest.rows
    for path, indices in by_path.items():
        if len(indices) < 2:
            continue
        names = ", ".join(rows[i].utt_id for i in indices[:6])
        splits = sorted({rows[i].split for i in indices})
        if len(splits) > 1:
            report.leakage.append(f"{path} is listed in splits {', '.join(splits)} ({names})")
        else:
            report.warnings.append(f"{path} is listed {len(indices)} times in split {splits[0]} ({names})")
    for digest, same in by_digest.items():
        if len(same) < 2:
            continue
        indices = [i for p in same for i in by_path[p]]
        names = ", ".join(f"{rows[i].utt_id} ({rows[i].split}, {rows[i].label})" for i in indices[:6])
        line = f"{len(same)} files hold the same audio: {names}"
        labels = {rows[i].label for i in indices}
        if len(labels) > 1:
            report.label_conflicts.append(line)
        if len({rows[i].split for i in indices}) > 1:
            report.leakage.append(line)
        elif len(labels) == 1:
            report.duplicate_content.append(line)


def _check_labels(manifest: Manifest, report: CheckReport) -> None:
    """Attack ids that contradict labels, and splits or manifests that hold a single label."""
    per_split: dict[str, Counter] = defaultdict(Counter)
    for row in manifest.rows:
        per_split[row.split][row.label] += 1
        if row.label == "bonafide" and row.attack not in (NO_ATTACK, ""):
            report.label_problems.append(f"{row.utt_id}: bona fide but attack is {row.attack!r} (should be '-')")
        elif row.label == "spoof" and row.attack in (NO_ATTACK, ""):
            report.label_problems.append(f"{row.utt_id}: spoof without an attack id (use 'unknown' when not known)")
    totals = Counter(r.label for r in manifest.rows)
    if len(totals) == 1:
        report.warnings.append(f"every row is {next(iter(totals))}: a detector needs both labels")
        return
    for split, counts in sorted(per_split.items()):
        if len(counts) == 1:
            report.warnings.append(f"split {split} holds {next(iter(counts))} rows only ({sum(counts.values())})")


def format_report(report: CheckReport) -> str:
    """The report as text: a summary line, then each kind of problem with up to 20 examples."""
    lines = [f"{report.rows} rows checked; {report.problems} problem(s), {len(report.warnings)} warning(s)"]
    if report.sample_rates:
        rates = ", ".join(f"{rate} Hz: {n}" for rate, n in sorted(report.sample_rates.items()))
        channels = ", ".join(f"{c} ch: {n}" for c, n in sorted(report.channels.items()))
        total = f"{report.total_s / 3600:.2f} h" if report.total_s >= 3600 else f"{report.total_s:.1f} s"
        lines.append(f"decoded {total}; sample rates: {rates}; {channels}")
    titles = {
        "missing": "missing files", "undecodable": "files that do not decode", "duplicate_ids": "repeated utt_ids",
        "duplicate_content": "duplicate audio", "leakage": "leakage across splits",
        "label_conflicts": "same audio with different labels", "label_problems": "label problems",
        "warnings": "warnings",
    }
    for kind, title in titles.items():
        entries = getattr(report, kind)
        if entries:
            lines.append(f"{title} ({len(entries)}):")
            lines += [f"  {entry}" for entry in entries[:_MAX_LISTED]]
            if len(entries) > _MAX_LISTED:
                lines.append(f"  ... and {len(entries) - _MAX_LISTED} more")
    return "\n".join(lines)
