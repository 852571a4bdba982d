"""Spectrogram images: the original design's data product (one fixed-size PNG per audio file).

The writer runs the torch front-end on batches of clips and encodes PNGs with Pillow directly; the
original route drew a matplotlib figure per file, which costs far more than the spectrogram itself.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import torch
import torch.nn.functional as F

from ..errors import ParameterError
from ..fileio import atomic_path
from .base import build_frontend
from .morphology import Morphology, MorphologySpec


@dataclass(frozen=True)
class ImageSpec:
    """How an audio clip becomes an image.

    frontend / frontend_params: a registered front-end and its parameters.
    size: (height, width) in pixels; the spectrogram is resized to it (low frequencies at the bottom).
    colormap: None for grayscale, or a matplotlib colormap name (viridis, magma, ...).
    morphology: an optional op applied to the dB spectrogram before scaling.
    db_range: the dynamic range mapped to black..white, below each clip's peak.
    max_seconds: crop longer clips to this duration (None keeps all).
    """

    frontend: str = "mel"
    frontend_params: dict[str, Any] = field(default_factory=dict)
    size: tuple[int, int] = (128, 128)
    colormap: str | None = None
    morphology: MorphologySpec | None = None
    db_range: float = 80.0
    sample_rate: int = 16000
    max_seconds: float | None = None

    def __post_init__(self) -> None:
        if len(self.size) != 2 or min(self.size) < 8 or max(self.size) > 4096:
            raise ParameterError(f"image size must be two numbers in 8..4096, got {self.size}")
        if not self.db_range > 0:
            raise ParameterError(f"db_range must be > 0, got {self.db_range}")
        if self.colormap is not None:
            import matplotlib

            if self.colormap not in matplotlib.colormaps:
                raise ParameterError(f"unknown colormap {self.colormap!r}; try gray, viridis, magma or inferno")


class SpectrogramImager:
    """Turns 1-D waveforms into uint8 images: (H, W) grayscale or (H, W, 3) RGB."""

    def __init__(self, spec: ImageSpec) -> None:
        self.spec = spec
        params = {"sample_rate": spec.sample_rate, **spec.frontend_params}
        self.frontend = build_frontend(spec.frontend, **params).eval()
        self.morphology = Morphology.from_spec(spec.morphology) if spec.morphology else None
        # Cepstra (LFCC) are not in dB: scale them by their own range instead of a dB window.
        self.is_db = spec.frontend != "lfcc"
        self.lut = None
        if spec.colormap and spec.colormap not in ("gray", "grey"):
            import matplotlib

            table = matplotlib.colormaps[spec.colormap](np.linspace(0.0, 1.0, 256))[:, :3]
            self.lut = (table * 255.0 + 0.5).astype(np.uint8)  # (256, 3)

    @torch.no_grad()
    def render(self, waveforms: Sequence[np.ndarray]) -> list[np.ndarray]:
        """Render a batch of 1-D float32 waveforms (any lengths) at `spec.sample_rate` into images."""
        if not waveforms:
            return []
        limit = int(self.spec.max_seconds * self.spec.sample_rate) if self.spec.max_seconds else None
        clips = [np.asarray(w, dtype=np.float32)[:limit] for w in waveforms]
        longest = max(len(c) for c in clips)
        batch = torch.zeros(len(clips), longest)  # (B, T), zero-padded to the longest clip
        for i, clip in enumerate(clips):
            batch[i, : len(clip)] = torch.from_numpy(clip)
        spectra = self.frontend(batch)  # (B, 1, F, frames)
        images = []
        for i, clip in enumerate(clips):
            frames = self.frontend.num_frames(len(clip))
            images.append(self._to_image(spectra[i : i + 1, :, :, :frames]))
        return images

    def _to_image(self, spectrum: torch.Tensor) -> np.ndarray:
        """(1, 1, F, frames) → uint8 image, low frequencies at the bottom."""
        if self.morphology is not None:
            spectrum = self.morphology(spectrum)
        peak = spectrum.max()
        if self.is_db:
            scaled = (spectrum - (peak - self.spec.db_range)) / self.spec.db_range
        else:
            low = spectrum.min()
            scaled = (spectrum - low) / torch.clamp(peak - low, min=1e-6)
        scaled = scaled.clamp(0.0, 1.0)
        resized = F.interpolate(scaled, size=self.spec.size, mode="bilinear", align_corners=False, antialias=True)
        gray = (resized[0, 0].flip(0).clamp(0.0, 1.0) * 255.0 + 0.5).to(torch.uint8).numpy()  # (H, W)
        return gray if self.lut is None else self.lut[gray]


def write_png(path: str | os.PathLike, image: np.ndarray) -> Path:
    """Write a uint8 (H, W) or (H, W, 3) image as PNG, atomically (temp file, then rename)."""
    from PIL import Image

    with atomic_path(path) as tmp:
        # Fast zlib level: PNG size matters far less than throughput for datasets of thousands of images.
        Image.fromarray(image).save(tmp, format="PNG", compress_level=1)
    return Path(path)
