"""Fixtures of the laundering tests: signals, and small noise / RIR / talker folders made in tmp dirs."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from hypothesis import settings

from fakescope.audio.synthetic import voice_like
from fakescope.launder import BabblePool, RecordingLibrary, Resources
from fakescope.launder.noise import colored_noise

# Small, fast, reproducible: no example database, no per-example deadline (first codec calls calibrate).
FAST = settings(max_examples=6, deadline=None, database=None, derandomize=True)
RATE = 16000


def make_signal(*, seconds: float, sample_rate: int, channels: int, seed: int) -> np.ndarray:
    """Speech-like (channels, T) float32: channel c is the voice at a different level plus its own noise."""
    rng = np.random.default_rng(seed)
    mono = voice_like(seconds=seconds, sample_rate=sample_rate, rng=rng).samples[0]
    rows = [mono * (1.0 - 0.3 * c) + 0.01 * rng.standard_normal(mono.size) for c in range(channels)]
    return np.stack(rows).astype(np.float32)  # (C, T)


def _write_table(folder: Path, entries: list[tuple[str, str]]) -> None:
    with open(folder / "labels.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["path", "category", "description"])
        for path, category in entries:
            writer.writerow([path, category, f"synthetic {category}"])


@pytest.fixture(scope="session")
def noise_dir(tmp_path_factory) -> Path:
    """A labels.csv noise folder laid out as ../shared/data/noise (volvo is filed as 'car'), 22.05 kHz files."""
    folder = tmp_path_factory.mktemp("noise")
    rng = np.random.default_rng(7)
    rate = 22050
    entries = []
    for index, (category, colour) in enumerate([("babble", "pink"), ("car", "brown"), ("cafe", "pink"),
                                                ("street", "brown"), ("white", "white"), ("factory", "white")]):
        samples = colored_noise(colour, int(1.3 * rate), rng) * 0.1
        name = f"rec{index}_{category}.flac"
        sf.write(folder / name, samples.astype(np.float32), rate)
        entries.append((name, category))
    _write_table(folder, entries)
    return folder


@pytest.fixture(scope="session")
def rir_dir(tmp_path_factory) -> Path:
    """Two measured-like impulse responses: exponentially decaying noise after a direct-path spike."""
    folder = tmp_path_factory.mktemp("rir")
    rng = np.random.default_rng(8)
    entries = []
    for name, category, rt60 in [("hall.flac", "hall", 0.8), ("room.flac", "room", 0.3)]:
        t = np.arange(int(rt60 * RATE)) / RATE
        rir = rng.standard_normal(t.size) * 10 ** (-3 * t / rt60) * 0.3
        rir = np.concatenate([np.zeros(40), [1.0], rir])
        sf.write(folder / name, (0.9 * rir / np.max(np.abs(rir))).astype(np.float32), RATE)
        entries.append((name, category))
    _write_table(folder, entries)
    return folder


@pytest.fixture(scope="session")
def talkers() -> BabblePool:
    """Eight talkers of different pitch (arrays, no files)."""
    arrays = [voice_like(seconds=0.7, rng=np.random.default_rng(100 + i), f0_hz=90 + 15 * i).samples[0]
              for i in range(8)]
    return BabblePool.from_arrays(arrays, sample_rate=RATE)


@pytest.fixture(scope="session")
def resources(noise_dir, rir_dir, talkers) -> Resources:
    return Resources(noise=RecordingLibrary(noise_dir), rirs=RecordingLibrary(rir_dir), babble=talkers)


@pytest.fixture(scope="session")
def corpus(tmp_path_factory) -> Path:
    """A manifest of 8 bona fide utterances (8 speakers) and 2 spoofs, 0.4 s WAVs, in its own folder."""
    folder = tmp_path_factory.mktemp("corpus")
    (folder / "wav").mkdir()
    lines = ["utt_id,path,label,speaker,attack,source,split,duration_s"]
    for index in range(10):
        label = "bonafide" if index < 8 else "spoof"
        audio = voice_like(seconds=0.4, rng=np.random.default_rng(200 + index), f0_hz=95 + 12 * index)
        sf.write(folder / "wav" / f"u{index}.wav", audio.samples[0], RATE)
        lines.append(f"u{index},wav/u{index}.wav,{label},spk{index},{'-' if label == 'bonafide' else 'A01'},test,eval,0.4")
    (folder / "manifest.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder / "manifest.csv"

