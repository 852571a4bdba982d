"""Recordings attacks draw on: a categorised folder (noise, measured RIRs) and a pool of babble talkers.

A folder is described by a `labels.csv` with a `path` column (relative to the folder) and a `category`
column, as ../shared/data/noise and ../shared/data/rir are; without labels.csv, each sub-folder name is
the category of the audio files below it. Recordings load lazily, resampled to the rate asked for, and
stay cached per process (a laundering run reuses the same few files thousands of times).
"""

from __future__ import annotations

import csv
import functools
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..audio import AUDIO_EXTENSIONS, load_audio
from ..errors import DatasetError, ParameterError


@functools.lru_cache(maxsize=64)
def _load_mono(path: str, sample_rate: int) -> np.ndarray:
    audio = load_audio(path, sample_rate=sample_rate, mono=True)
    samples = audio.samples[0]
    samples.setflags(write=False)  # shared by every caller through the cache
    return samples


def load_recording(path: str | os.PathLike, sample_rate: int) -> np.ndarray:
    """A recording as mono float32 (T,) at `sample_rate`, cached. Raises AudioError naming the file."""
    return _load_mono(os.fspath(path), int(sample_rate))


def loop_to_length(samples: np.ndarray, length: int, rng: np.random.Generator) -> np.ndarray:
    """A `length`-sample excerpt of `samples` (T,) from a random offset, tiled when the recording is shorter."""
    offset = int(rng.integers(0, samples.shape[0]))
    reps = -(-(offset + length) // samples.shape[0])
    return np.tile(samples, reps)[offset : offset + length]


class RecordingLibrary:
    """Categorised recordings in one folder (see the module docstring for the layout)."""

    def __init__(self, root: str | os.PathLike, *, what: str = "recordings") -> None:
        self.root = Path(root)
        self.what = what
        if not self.root.is_dir():
            raise DatasetError(f"{self.root}: {what} folder not found")
        labels = self.root / "labels.csv"
        self.entries: list[tuple[Path, str]] = self._read_labels(labels) if labels.is_file() else self._scan()
        if not self.entries:
            raise DatasetError(f"{self.root}: {what} folder holds no audio files")

    def _read_labels(self, labels: Path) -> list[tuple[Path, str]]:
        entries = []
        with open(labels, newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            if "path" not in (reader.fieldnames or []):
                raise DatasetError(f"{labels}: needs a 'path' column (has: {', '.join(reader.fieldnames or [])})")
            for line, record in enumerate(reader, start=2):
                path = self.root / (record.get("path") or "").strip()
                if not path.is_file():
                    raise DatasetError(f"{labels}:{line}: no such file {path.name!r}")
                entries.append((path, (record.get("category") or "").strip().lower()))
        return entries

    def _scan(self) -> list[tuple[Path, str]]:
        files = sorted(p for p in self.root.rglob("*") if p.is_file() and p.suffix.lower() in AUDIO_EXTENSIONS)
        return [(p, p.relative_to(self.root).parts[0].lower() if p.parent != self.root else "") for p in files]

    def categories(self) -> list[str]:
        """The categories present, sorted ('' when files have none)."""
        return sorted({category for _, category in self.entries})

    def files(self, categories: tuple[str, ...] = ()) -> list[Path]:
        """Files in any of `categories` (all files when empty)."""
        wanted = {c.lower() for c in categories}
        return [path for path, category in self.entries if not wanted or category in wanted]

    def has(self, categories: tuple[str, ...]) -> bool:
        return bool(self.files(categories))

    def pick(self, rng: np.random.Generator, categories: tuple[str, ...], sample_rate: int) -> tuple[Path, np.ndarray]:
        """One recording from `categories`, chosen with `rng`, as (path, mono float32 (T,) at sample_rate)."""
        files = self.files(categories)
        if not files:
            raise ParameterError(
                f"{self.root}: no {self.what} in category {'/'.join(categories)}; "
                f"categories here: {', '.join(c or '(none)' for c in self.categories())}"
            )
        path = files[int(rng.integers(0, len(files)))]
        return path, load_recording(path, sample_rate)


@dataclass(frozen=True)
class Talker:
    """One utterance of the babble pool: a file, or samples with their rate."""

    utt_id: str
    speaker: str = ""
    path: Path | None = None
    samples: np.ndarray | None = None  # (T,) float32
    sample_rate: int = 0

    def load(self, sample_rate: int) -> np.ndarray:
        if self.path is not None:
            return load_recording(self.path, sample_rate)
        from ..audio import ops
        from ..audio.types import Audio

        audio = Audio(np.asarray(self.samples, dtype=np.float32)[np.newaxis, :], self.sample_rate)
        return ops.resample(audio, sample_rate).samples[0]


class BabblePool:
    """Utterances summed into babble noise when no babble recording is available.

    Babble is made of real talkers only: `from_manifest` keeps bona fide rows, since mixing synthetic
    speech into the background would leak the very artefacts a detector is trained to find.
    """

    def __init__(self, talkers: list[Talker]) -> None:
        self.talkers = list(talkers)

    def __len__(self) -> int:
        return len(self.talkers)

    @classmethod
    def from_manifest(cls, path: str | os.PathLike, *, bonafide_only: bool = True) -> "BabblePool":
        """Talkers from a manifest's rows (bona fide only by default)."""
        from ..datasets.manifest import read_manifest

        manifest = read_manifest(path)
        rows = [row for row in manifest if row.is_bonafide or not bonafide_only]
        return cls([Talker(row.utt_id, _speaker(row.speaker), manifest.resolve(row)) for row in rows])

    @classmethod
    def from_arrays(cls, arrays: list[np.ndarray], *, sample_rate: int, speakers: list[str] | None = None) -> "BabblePool":
        """Talkers from mono (T,) arrays at `sample_rate`; speakers default to one per array."""
        speakers = speakers or [f"talker{i}" for i in range(len(arrays))]
        if len(speakers) != len(arrays):
            raise ParameterError(f"need one speaker per array, got {len(speakers)} for {len(arrays)} arrays")
        return cls([
            Talker(f"babble{i}", speaker, samples=np.asarray(a, np.float32).reshape(-1), sample_rate=int(sample_rate))
            for i, (a, speaker) in enumerate(zip(arrays, speakers))
        ])

    def candidates(self, *, exclude_utt: str = "", exclude_speaker: str = "") -> list[Talker]:
        """Talkers other than the utterance (and speaker, when known) under attack."""
        speaker = _speaker(exclude_speaker)
        return [t for t in self.talkers if t.utt_id != exclude_utt and not (speaker and t.speaker == speaker)]

    def mix(
        self,
        rng: np.random.Generator,
        *,
        length: int,
        sample_rate: int,
        talkers: int,
        exclude_utt: str = "",
        exclude_speaker: str = "",
    ) -> np.ndarray:
        """Sum `talkers` utterances (distinct speakers when the pool has enough), each at equal level. → (length,)."""
        pool = self.candidates(exclude_utt=exclude_utt, exclude_speaker=exclude_speaker)
        if len(pool) < talkers:
            raise ParameterError(f"babble needs at least {talkers} other utterances, the pool has {len(pool)}")
        by_speaker: dict[str, list[Talker]] = {}
        for talker in pool:
            by_speaker.setdefault(talker.speaker or talker.utt_id, []).append(talker)
        if len(by_speaker) >= talkers:
            names = sorted(by_speaker)
            chosen_speakers = rng.choice(len(names), size=talkers, replace=False)
            chosen = [by_speaker[names[i]][int(rng.integers(0, len(by_speaker[names[i]])))] for i in chosen_speakers]
        else:
            chosen = [pool[i] for i in rng.choice(len(pool), size=talkers, replace=False)]
        total = np.zeros(length, dtype=np.float64)
        for talker in chosen:
            voice = talker.load(sample_rate).astype(np.float64)
            rms = np.sqrt(np.mean(voice**2))
            if rms > 0:
                total += loop_to_length(voice / rms, length, rng)
        return total.astype(np.float32)


def _speaker(value: str) -> str:
    value = (value or "").strip()
    return "" if value in ("-", "") else value
