"""Shared fixtures: a seeded rng and writers of small synthetic audio files (tests never need ../shared)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import torch

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


@pytest.fixture(scope="session")
def checkpoint(tmp_path_factory):
    """A small untrained but calibrated LFCC-LCNN checkpoint: enough to test scanning mechanics, not accuracy."""
    from fakescope.evaluation.calibration import Calibration
    from fakescope.training.checkpoint import checkpoint_config, model_tensors, save_checkpoint
    from fakescope.training.pipeline import build_pipeline

    torch.manual_seed(0)
    pipeline = build_pipeline(frontend={"name": "lfcc"}, model={"name": "lcnn"}).eval()
    config = checkpoint_config(pipeline, input_spec={"kind": "audio", "sample_rate": 16000, "crop_seconds": 4.0},
                               calibration=Calibration(slope=2.0, offset=0.1), threshold={"score": 0.0})
    path = tmp_path_factory.mktemp("ckpt") / "tiny.safetensors"
    save_checkpoint(path, tensors=model_tensors(pipeline), config=config)
    return path
