"""Writing audio files atomically (a crash never leaves a half-written file under the final name)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from ..fileio import atomic_path
from .types import Audio


def save_audio(path: str | os.PathLike, audio: Audio, *, subtype: str | None = None) -> Path:
    """Write `audio` with soundfile; the format follows the suffix (.wav, .flac, .ogg, ...)."""
    import soundfile as sf

    path = Path(path)
    fmt = path.suffix.lstrip(".").upper() or "WAV"
    with atomic_path(path) as tmp:
        sf.write(tmp, np.ascontiguousarray(audio.samples.T), audio.sample_rate, format=fmt, subtype=subtype)
    return path
