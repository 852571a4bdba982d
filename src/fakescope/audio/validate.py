"""Checks every decoded signal must pass before it enters the pipeline."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import AudioError, ParameterError

MIN_SAMPLE_RATE = 1_000
MAX_SAMPLE_RATE = 768_000
MAX_CHANNELS = 64


@dataclass(frozen=True)
class Limits:
    """Guard rails against inputs that would take unbounded time or memory.

    max_duration_s: longest accepted signal, at its native rate.
    max_decoded_bytes: largest accepted decoded size (float32, all channels), so that a tiny compressed
        file cannot expand into hours of multichannel audio.
    max_input_bytes: largest accepted encoded input (file size or byte string).
    """

    max_duration_s: float = 3600.0
    max_decoded_bytes: int = 1 << 30
    max_input_bytes: int = 2 << 30

    def __post_init__(self) -> None:
        if not self.max_duration_s > 0:
            raise ParameterError(f"max_duration_s must be > 0, got {self.max_duration_s}")
        if self.max_decoded_bytes <= 0:
            raise ParameterError(f"max_decoded_bytes must be > 0, got {self.max_decoded_bytes}")
        if self.max_input_bytes <= 0:
            raise ParameterError(f"max_input_bytes must be > 0, got {self.max_input_bytes}")

    def max_frames(self, sample_rate: int, channels: int) -> int:
        """The most frames (samples per channel) accepted at this rate and channel count."""
        by_duration = int(self.max_duration_s * sample_rate)
        by_bytes = self.max_decoded_bytes // (4 * max(channels, 1))
        return max(1, min(by_duration, by_bytes))


def check_format(name: str, sample_rate: int, channels: int) -> None:
    """Reject declared stream parameters that no real recording has."""
    if not MIN_SAMPLE_RATE <= sample_rate <= MAX_SAMPLE_RATE:
        raise AudioError(
            name, f"sample rate {sample_rate} Hz is outside {MIN_SAMPLE_RATE}–{MAX_SAMPLE_RATE} Hz"
        )
    if not 1 <= channels <= MAX_CHANNELS:
        raise AudioError(name, f"{channels} channels is outside 1–{MAX_CHANNELS}")


def too_long(name: str, limits: Limits, sample_rate: int, channels: int) -> AudioError:
    """The error for a signal past the duration or decoded-size limit."""
    return AudioError(
        name,
        f"longer than the limit of {limits.max_duration_s:g} s or {limits.max_decoded_bytes / 2**20:.0f} MiB decoded "
        f"({channels} ch at {sample_rate} Hz)",
    )


def check_samples(name: str, samples: np.ndarray, *, allow_silence: bool = False) -> None:
    """Reject empty, non-finite and (unless allowed) all-zero signals. samples: (C, T) float32."""
    if samples.size == 0:
        raise AudioError(name, "contains no audio samples (empty)")
    if not np.isfinite(samples).all():
        raise AudioError(name, "contains NaN or infinite samples")
    if not allow_silence and not np.any(samples):
        raise AudioError(name, "is digital silence (all samples are zero)")
