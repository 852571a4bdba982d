"""Writing audio files atomically (a crash never leaves a half-written file under the final name)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from .types import Audio


def save_audio(path: str | os.PathLike, audio: Audio, *, subtype: str | None = None) -> Path:
    """Write `audio` with soundfile; the format follows the suffix (.wav, .flac, .ogg, ...)."""
    import soundfile as sf

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fmt = path.suffix.lstrip(".").upper() or "WAV"
    try:
        sf.write(tmp, np.ascontiguousarray(audio.samples.T), audio.sample_rate, format=fmt, subtype=subtype)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return path
