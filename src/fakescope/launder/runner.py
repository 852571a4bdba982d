"""Laundering a manifest to files: every (condition, utterance) pair becomes a FLAC file plus a manifest row.

Each pair gets its own Generator from (seed, utt_id, condition), so the result of a file never depends on
the order, the number of workers or whether the run was resumed. Outputs are written atomically and an
existing output is skipped, so an interrupted run resumes where it stopped; `launder.json` in the output
folder records the seed, rate and conditions, and a resumed run must match them.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import os
import zlib
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..datasets.manifest import ManifestRow, read_manifest, write_manifest
from ..errors import FakescopeError, ParameterError
from ..fileio import file_stems, write_text_atomic
from .base import Attack, Resources
from .grids import Condition
from .library import BabblePool, RecordingLibrary

SETTINGS_FILE = "launder.json"
MANIFEST_FILE = "manifest.csv"


def item_rng(seed: int, utt_id: str, condition: str) -> np.random.Generator:
    """The Generator for one utterance under one condition (stable across runs, workers and orders)."""
    if seed < 0:
        raise ParameterError(f"seed must be >= 0, got {seed}")
    return np.random.default_rng([seed, zlib.crc32(f"{utt_id}\0{condition}".encode("utf-8"))])


@dataclass(frozen=True)
class ResourceConfig:
    """Where the recordings are: picklable, so each worker builds (and caches) its own Resources."""

    noise_dir: str | None = None
    rir_dir: str | None = None
    babble_manifest: str | None = None

    def build(self) -> Resources:
        return _build_resources(self)


@functools.lru_cache(maxsize=4)
def _build_resources(config: ResourceConfig) -> Resources:
    return Resources(
        noise=RecordingLibrary(config.noise_dir, what="noise recordings") if config.noise_dir else None,
        rirs=RecordingLibrary(config.rir_dir, what="impulse responses") if config.rir_dir else None,
        babble=BabblePool.from_manifest(config.babble_manifest) if config.babble_manifest else None,
    )


@dataclass(frozen=True)
class Job:
    """One output file to make."""

    source: str
    target: str
    utt_id: str
    speaker: str
    condition: str
    attack: Attack
    seed: int
    sample_rate: int
    resources: ResourceConfig


def run_job(job: Job) -> float:
    """Load, attack and write one file; returns its duration in seconds. Raises FakescopeError for bad input."""
    from ..audio import Audio, load_audio, save_audio

    audio = load_audio(job.source, sample_rate=job.sample_rate, mono=True)
    resources = job.resources.build().for_item(utt_id=job.utt_id, speaker=job.speaker)
    out = job.attack(audio.samples, audio.sample_rate, item_rng(job.seed, job.utt_id, job.condition),
                     resources=resources)
    peak = float(np.max(np.abs(out)))
    if peak > 1.0:
        # FLAC stores 16-bit integers: scale an overshoot (noise at 0 dB, gain) down instead of clipping it,
        # which would add a distortion nobody asked for. Scaling leaves SNRs unchanged.
        out = out * np.float32(0.999 / peak)
    save_audio(job.target, Audio(out, audio.sample_rate), subtype="PCM_16")
    return audio.duration_s


def _job_or_failure(job: Job) -> tuple[float | None, str]:
    try:
        return run_job(job), ""
    except FakescopeError as exc:
        return None, str(exc)


@dataclass
class LaunderResult:
    """What a run made: manifest rows (in condition, then input order), counts and the failures."""

    rows: list[ManifestRow] = field(default_factory=list)
    written: int = 0
    skipped: int = 0
    failures: list[tuple[str, str]] = field(default_factory=list)
    manifest_path: Path | None = None


def check_settings(out_dir: Path, *, seed: int, sample_rate: int, conditions: list[Condition]) -> None:
    """Refuse to resume into a folder laundered with other settings; record these settings there."""
    path = out_dir / SETTINGS_FILE
    recorded = {c.name: c.attack.to_dict() for c in conditions}
    if path.is_file():
        try:
            previous = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ParameterError(f"{path}: unreadable settings of an earlier run ({exc})") from None
        clashes = [f"seed {previous.get('seed')} vs {seed}"] if previous.get("seed") != seed else []
        if previous.get("sample_rate") != sample_rate:
            clashes.append(f"sample rate {previous.get('sample_rate')} vs {sample_rate}")
        for name, attack in recorded.items():
            if name in previous.get("conditions", {}) and previous["conditions"][name] != attack:
                clashes.append(f"condition {name!r} had another attack")
        if clashes:
            raise ParameterError(f"{out_dir} was laundered with other settings ({'; '.join(clashes)}): "
                                 "use another --out, or the same settings to resume")
        recorded = {**previous.get("conditions", {}), **recorded}
    out_dir.mkdir(parents=True, exist_ok=True)
    write_text_atomic(path, json.dumps({"seed": seed, "sample_rate": sample_rate, "conditions": recorded}, indent=2))


def launder_manifest(
    manifest_path: str | os.PathLike,
    conditions: list[Condition],
    out_dir: str | os.PathLike,
    *,
    seed: int = 0,
    workers: int = 1,
    sample_rate: int = 16000,
    resources: ResourceConfig = ResourceConfig(),
    progress_bar: bool = True,
) -> LaunderResult:
    """Write every utterance of the manifest under every condition to `out_dir`/audio/<condition>/, and
    `out_dir`/manifest.csv with a `condition` column. utt_ids get a `__<condition>` suffix when there is
    more than one condition (the original id stays in `original_utt_id`; the drawn chain in `laundering`)."""
    from ..progress import progress

    if workers < 1:
        raise ParameterError(f"workers must be >= 1, got {workers}")
    if not conditions:
        raise ParameterError("nothing to do: give at least one attack or a grid")
    out_dir = Path(out_dir)
    manifest = read_manifest(manifest_path)
    check_settings(out_dir, seed=seed, sample_rate=sample_rate, conditions=conditions)
    names = file_stems([row.utt_id for row in manifest])
    result = LaunderResult()
    jobs: list[tuple[int, Job]] = []
    for condition in conditions:
        for row, file_name in zip(manifest, names):
            target = out_dir / "audio" / condition.name / f"{file_name}.flac"
            concrete = condition.attack.resolve(item_rng(seed, row.utt_id, condition.name)).to_spec()
            utt_id = row.utt_id if len(conditions) == 1 else f"{row.utt_id}__{condition.name}"
            result.rows.append(dataclasses.replace(
                row, utt_id=utt_id, path=target.relative_to(out_dir).as_posix(), condition=condition.name,
                extra={**row.extra, "original_utt_id": row.utt_id, "laundering": concrete},
            ))
            index = len(result.rows) - 1
            if target.is_file():
                result.rows[index].duration_s = _duration(target)
                result.skipped += 1
                continue
            jobs.append((index, Job(str(manifest.resolve(row)), str(target), row.utt_id, row.speaker,
                                    condition.name, condition.attack, seed, sample_rate, resources)))
    failed: set[int] = set()
    by_index = dict(jobs)
    with progress(total=len(jobs), desc="launder", unit="file") if progress_bar else _NoBar() as bar:
        for index, (duration, error) in _run_all(jobs, workers, bar):
            if error:
                failed.add(index)
                result.failures.append((f"{by_index[index].source} [{by_index[index].condition}]", error))
            else:
                result.rows[index].duration_s = duration
                result.written += 1
    result.rows = [row for i, row in enumerate(result.rows) if i not in failed]
    result.manifest_path = write_manifest(out_dir / MANIFEST_FILE, result.rows)
    return result


def _run_all(jobs: list[tuple[int, Job]], workers: int, bar):
    """Yield (row index, (duration, error)) as jobs finish; at most a few jobs per worker in flight."""
    if workers == 1 or len(jobs) <= 1:
        for index, job in jobs:
            outcome = _job_or_failure(job)
            bar.update(1)
            yield index, outcome
        return
    pending = iter(jobs)
    in_flight: dict[Future, int] = {}
    with ProcessPoolExecutor(max_workers=workers) as pool:
        try:
            for index, job in pending:
                in_flight[pool.submit(_job_or_failure, job)] = index
                if len(in_flight) >= 4 * workers:
                    break
            while in_flight:
                done, _ = wait(in_flight, return_when=FIRST_COMPLETED)
                for future in done:
                    index = in_flight.pop(future)
                    bar.update(1)
                    yield index, future.result()
                    next_job = next(pending, None)
                    if next_job is not None:
                        in_flight[pool.submit(_job_or_failure, next_job[1])] = next_job[0]
        except BaseException:
            pool.shutdown(wait=False, cancel_futures=True)
            raise


def _duration(path: Path) -> float | None:
    import soundfile as sf

    try:
        return float(sf.info(str(path)).duration)
    except RuntimeError:
        return None


class _NoBar:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def update(self, count: int) -> None:
        pass
