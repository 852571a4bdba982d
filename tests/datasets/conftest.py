"""Fixtures for the dataset tests: tiny distinct audio files and protocol writers (all under tmp_path)."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest


@pytest.fixture
def make_audio():
    """make_audio(path, seconds=0.05, sample_rate=16000) writes a short speech-like file (wav/flac by suffix).

    Every call draws from its own seed, so no two files hold the same audio unless a test copies one.
    """
    from fakescope.audio import save_audio
    from fakescope.audio.synthetic import voice_like

    seeds = itertools.count(100)

    def make(path: Path, *, seconds: float = 0.05, sample_rate: int = 16000) -> Path:
        rng = np.random.default_rng(next(seeds))
        save_audio(path, voice_like(seconds=seconds, sample_rate=sample_rate, rng=rng, vowels="ai"))
        return path

    return make


@pytest.fixture
def write_lines():
    """write_lines(path, lines) writes text lines (creating folders) and returns the path."""

    def write(path: Path, lines: list[str]) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
        return path

    return write
