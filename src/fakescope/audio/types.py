"""The one audio container that travels through the pipeline."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import ParameterError


@dataclass(frozen=True)
class Audio:
    """Float32 samples shaped (channels, time) with their sample rate.

    Channels-first always: pyannote-audio's convention, and the shape torch front-ends batch over.
    """

    samples: np.ndarray  # (C, T) float32
    sample_rate: int

    def __post_init__(self) -> None:
        if not isinstance(self.samples, np.ndarray) or self.samples.ndim != 2:
            raise ParameterError(
                f"Audio.samples must be a 2-D (channels, time) array, got shape {np.shape(self.samples)}"
            )
        if self.samples.dtype != np.float32:
            raise ParameterError(f"Audio.samples must be float32, got {self.samples.dtype}")
        if int(self.sample_rate) <= 0:
            raise ParameterError(f"sample_rate must be > 0, got {self.sample_rate}")

    @property
    def num_channels(self) -> int:
        return int(self.samples.shape[0])

    @property
    def num_samples(self) -> int:
        return int(self.samples.shape[1])

    @property
    def duration_s(self) -> float:
        return self.num_samples / float(self.sample_rate)

    def mono(self) -> np.ndarray:
        """The channel mean as a 1-D float32 array of length T."""
        return self.samples.mean(axis=0, dtype=np.float32)
