"""Shared fixtures: a seeded rng and writers of small synthetic audio files (tests never need ../shared)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("MPLBACKEND", "Agg")
os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(1234)


@pytest.fixture
def speech(rng):
    """A 1.5 s speech-like mono signal at 16 kHz (an Audio)."""
    from fakescope.audio.synthetic import voice_like

    return voice_like(seconds=1.5, rng=rng)


@pytest.fixture
def write_wav(tmp_path: Path, rng):
    """write_wav(name, seconds=1.0, sample_rate=16000, channels=1, subtype=None) → Path of a new audio file."""
    import soundfile as sf

    from fakescope.audio.synthetic import voice_like

    def write(name: str, *, seconds: float = 1.0, sample_rate: int = 16000, channels: int = 1, subtype: str | None = None) -> Path:
        mono = voice_like(seconds=seconds, sample_rate=sample_rate, rng=rng).samples[0]
        data = np.stack([mono * (0.5 + 0.5 * c / max(channels, 1)) for c in range(channels)], axis=1)
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        sf.write(path, data, sample_rate, subtype=subtype)
        return path

    return write
