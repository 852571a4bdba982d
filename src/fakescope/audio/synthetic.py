"""Seeded synthetic signals for demos, tests and benchmarks (no recordings ship with the package).

`voice_like` is a source-filter model (a glottal pulse train with jitter through vowel formants), so
spectrograms show harmonics, formants and pauses as speech does.
"""

from __future__ import annotations

import numpy as np
from scipy import signal

from .types import Audio

# (F1, F2, F3) in Hz of a few vowels (Peterson & Barney averages, adult male).
VOWEL_FORMANTS = {
    "a": (730, 1090, 2440),
    "i": (270, 2290, 3010),
    "u": (300, 870, 2240),
    "e": (530, 1840, 2480),
    "o": (570, 840, 2410),
}


def voice_like(
    *,
    seconds: float = 3.0,
    sample_rate: int = 16000,
    rng: np.random.Generator | None = None,
    f0_hz: float = 120.0,
    vowels: str = "aeiou",
) -> Audio:
    """A speech-like mono signal: voiced vowels with gliding pitch, separated by short pauses and fricative noise."""
    rng = rng if rng is not None else np.random.default_rng(0)
    total = int(seconds * sample_rate)
    out = np.zeros(total, dtype=np.float64)
    segment = max(total // max(len(vowels), 1), 1)
    for index, vowel in enumerate(vowels):
        start = index * segment
        voiced = int(segment * rng.uniform(0.55, 0.75))
        t = np.arange(voiced) / sample_rate
        glide = f0_hz * (1.0 + 0.15 * np.sin(2 * np.pi * rng.uniform(0.5, 2.0) * t + rng.uniform(0, np.pi)))
        jitter = 1.0 + 0.01 * rng.standard_normal(voiced)
        phase = np.cumsum(glide * jitter) / sample_rate
        pulses = np.diff(np.floor(phase), prepend=0.0)  # one impulse per glottal period
        source = signal.lfilter([1.0], [1.0, -0.95], pulses)  # spectral tilt of the glottal flow
        shaped = source
        for formant, bandwidth in zip(VOWEL_FORMANTS[vowel], (80, 100, 120)):
            shaped = _resonator(shaped, formant, bandwidth, sample_rate)
        envelope = np.hanning(voiced) ** 0.5
        shaped = shaped / max(np.max(np.abs(shaped)), 1e-12)  # resonator gains differ by vowel; level them
        out[start : start + voiced] += shaped * envelope
        fricative = min(int(0.06 * sample_rate), segment - voiced)
        if fricative > 0:
            noise = rng.standard_normal(fricative)
            noise = signal.sosfilt(signal.butter(4, min(3500 / (sample_rate / 2), 0.95), "high", output="sos"), noise)
            noise = noise / max(np.max(np.abs(noise)), 1e-12)
            out[start + voiced : start + voiced + fricative] += 0.15 * noise * np.hanning(fricative)
    out += 1e-4 * rng.standard_normal(total)  # a recording's noise floor, never digital silence
    out *= 0.5 / max(np.max(np.abs(out)), 1e-9)
    return Audio(out.astype(np.float32)[np.newaxis, :], sample_rate)


def tone(*, frequency_hz: float = 440.0, seconds: float = 1.0, sample_rate: int = 16000, amplitude: float = 0.5) -> Audio:
    """A pure sine tone, (1, T)."""
    t = np.arange(int(seconds * sample_rate)) / sample_rate
    return Audio((amplitude * np.sin(2 * np.pi * frequency_hz * t)).astype(np.float32)[np.newaxis, :], sample_rate)


def _resonator(x: np.ndarray, frequency: float, bandwidth: float, sample_rate: int) -> np.ndarray:
    if frequency >= sample_rate / 2:
        return x
    radius = np.exp(-np.pi * bandwidth / sample_rate)
    theta = 2 * np.pi * frequency / sample_rate
    return signal.lfilter([1.0 - radius], [1.0, -2 * radius * np.cos(theta), radius**2], x)
