"""Resampling round trip: down (or up) to another rate and back with soxr, keeping rate and length.

Going down removes everything above the intermediate Nyquist frequency; going up and back adds the
resampler's own small errors, which is what a detector meets when audio passed through 44.1 kHz tools.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import soxr

from .base import ATTACKS, Attack, check_choice, check_range

QUALITIES = ("QQ", "LQ", "MQ", "HQ", "VHQ")


@ATTACKS.register("resample")
@dataclass(frozen=True)
class Resample(Attack):
    """Resample to `sample_rate` Hz and back to the input's rate (soxr, `quality` QQ..VHQ)."""

    name: ClassVar[str] = "resample"
    positional: ClassVar[tuple[str, ...]] = ("sample_rate",)
    aliases: ClassVar[dict[str, str]] = {"rate": "sample_rate"}

    sample_rate: int = 8000
    quality: str = "HQ"

    def __post_init__(self) -> None:
        check_range("sample_rate", self.sample_rate, 1000, 384000)
        check_choice("quality", self.quality, QUALITIES)

    def apply(self, samples, sample_rate, rng, resources):
        return round_trip(samples, sample_rate, int(self.sample_rate), quality=self.quality)


def resample_array(samples: np.ndarray, from_rate: int, to_rate: int, *, quality: str = "HQ") -> np.ndarray:
    """(C, T) at from_rate → (C, T') at to_rate with soxr (a copy when the rates match)."""
    if from_rate == to_rate:
        return samples.copy()
    # soxr wants (time, channels); our contract is (channels, time).
    out = soxr.resample(np.ascontiguousarray(samples.T), from_rate, to_rate, quality=quality)
    return np.ascontiguousarray(np.asarray(out, dtype=np.float32).reshape(-1, samples.shape[0]).T)


def round_trip(samples: np.ndarray, sample_rate: int, via_rate: int, *, quality: str = "HQ") -> np.ndarray:
    """(C, T) → via_rate → back to sample_rate, cut or zero-padded to exactly T samples. → (C, T)."""
    length = samples.shape[1]
    there = resample_array(samples, sample_rate, via_rate, quality=quality)
    if there.shape[1] == 0:  # shorter than one sample at the intermediate rate: nothing survives
        return np.zeros_like(samples)
    back = resample_array(there, via_rate, sample_rate, quality=quality)
    return fit_length(back, length)


def fit_length(samples: np.ndarray, length: int) -> np.ndarray:
    """Cut or zero-pad the time axis of (C, T') to `length` samples (rounding makes round trips ±1 off)."""
    if samples.shape[1] >= length:
        return samples[:, :length]
    return np.pad(samples, ((0, 0), (0, length - samples.shape[1])))
