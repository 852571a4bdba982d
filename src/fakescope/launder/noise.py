"""Additive noise at a target SNR: recorded (babble, cafe, street, volvo, ...) or synthetic (white, pink, brown,
babble summed from other talkers), continuous or intermittent.

SNR is 10·log10(P_signal / P_noise), with P_signal the mean square of the whole input and P_noise the mean
square of the added noise over the samples where it sounds (all of them when continuous, the bursts when
intermittent, so a burst is as loud as continuous noise of the same SNR would be).

Written here rather than with audiomentations' AddBackgroundNoise / AddColorNoise / AddShortNoises: those
draw from the global `random` / `np.random` state, so their output cannot be tied to the Generator each
attack receives (determinism per file and per worker is part of the contract).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from ..errors import ParameterError
from .base import ATTACKS, Attack, Resources, check_choice, check_range, signal_power
from .library import loop_to_length

# Kind → categories of a noise folder (labels.csv `category`) that stand for it. NOISEX-92's "volvo" is
# labelled "car" in ../shared/data/noise, hence the alias.
NOISE_KINDS: dict[str, tuple[str, ...]] = {
    "babble": ("babble",),
    "cafe": ("cafe", "restaurant", "cafeteria"),
    "street": ("street", "traffic"),
    "volvo": ("volvo", "car"),
    "white": ("white",),
    "pink": ("pink",),
    "brown": ("brown", "brownian", "red"),
}
COLORED = {"white": 0.0, "pink": 0.5, "brown": 1.0}  # amplitude spectrum ∝ f^-exponent
SYNTHETIC_KINDS = (*COLORED, "babble")
MODES = ("continuous", "intermittent")
SOURCES = ("auto", "recorded", "synthetic")
MIN_TALKERS = 6


@ATTACKS.register("noise")
@dataclass(frozen=True)
class Noise(Attack):
    """Add noise of `kind` at `snr_db`. Any other category of the noise folder (factory, ...) works as a kind.

    source: "auto" uses recordings of the kind when the noise folder has them, else the synthetic fallback;
    "recorded" / "synthetic" force one. Intermittent noise comes in bursts of min_burst_s..max_burst_s
    covering about `coverage` of the time. Synthetic babble sums `talkers` (>= 6) other utterances.
    """

    name: ClassVar[str] = "noise"
    positional: ClassVar[tuple[str, ...]] = ("kind",)
    aliases: ClassVar[dict[str, str]] = {"snr": "snr_db"}
    shown: ClassVar[tuple[str, ...]] = ("snr_db",)

    kind: str = "white"
    snr_db: float = 10.0
    mode: str = "continuous"
    source: str = "auto"
    coverage: float = 0.5
    min_burst_s: float = 0.2
    max_burst_s: float = 1.0
    talkers: int = MIN_TALKERS

    def __post_init__(self) -> None:
        if not re.fullmatch(r"[a-z0-9_]+", str(self.kind)):
            raise ParameterError(f"noise kind must be a lower-case name such as {', '.join(NOISE_KINDS)}, got {self.kind!r}")
        check_range("snr_db", self.snr_db, -30.0, 80.0)
        check_choice("mode", self.mode, MODES)
        check_choice("source", self.source, SOURCES)
        check_range("coverage", self.coverage, 0.0, 1.0, low_open=True)
        check_range("min_burst_s", self.min_burst_s, 0.0, 60.0, low_open=True)
        check_range("max_burst_s", self.max_burst_s, self.min_burst_s, 60.0)
        check_range("talkers", self.talkers, MIN_TALKERS, 64)
        if self.source == "synthetic" and self.kind not in SYNTHETIC_KINDS:
            raise ParameterError(
                f"noise kind {self.kind!r} has no synthetic form; synthetic kinds: {', '.join(SYNTHETIC_KINDS)}"
            )

    @property
    def categories(self) -> tuple[str, ...]:
        return NOISE_KINDS.get(self.kind, (self.kind,))

    def origin(self, resources: Resources) -> str:
        """'recorded' or 'synthetic': where this attack's noise will come from with these resources."""
        has_recordings = resources.noise is not None and resources.noise.has(self.categories)
        if self.source == "recorded" or (self.source == "auto" and has_recordings):
            if not has_recordings:
                where = f"the noise folder {resources.noise.root}" if resources.noise else "no noise folder (--noise-dir)"
                raise ParameterError(f"noise {self.kind!r} needs recordings in category {'/'.join(self.categories)}; got {where}")
            return "recorded"
        if self.kind not in SYNTHETIC_KINDS:
            raise ParameterError(
                f"noise {self.kind!r} needs recordings: pass a noise folder (--noise-dir) with a "
                f"{'/'.join(self.categories)} category; synthetic fallbacks exist for {', '.join(SYNTHETIC_KINDS)}"
            )
        if self.kind == "babble":
            available = 0 if resources.babble is None else len(
                resources.babble.candidates(exclude_utt=resources.utt_id, exclude_speaker=resources.speaker))
            if available < self.talkers:
                raise ParameterError(
                    f"babble without a babble recording sums {self.talkers} other utterances; {available} available "
                    "(give a noise folder with babble, or utterances with --babble-manifest)"
                )
        return "synthetic"

    def check_resources(self, resources: Resources) -> None:
        self.origin(resources)

    def apply(self, samples, sample_rate, rng, resources):
        length = samples.shape[1]
        noise = self.noise(length, sample_rate, rng, resources)  # (T,)
        if self.mode == "intermittent":
            noise = noise * burst_envelope(length, sample_rate, rng, coverage=self.coverage,
                                           min_burst_s=self.min_burst_s, max_burst_s=self.max_burst_s)
        return add_at_snr(samples, noise, self.snr_db)

    def noise(self, length: int, sample_rate: int, rng: np.random.Generator, resources: Resources) -> np.ndarray:
        """The unscaled noise signal, (length,) float64."""
        if self.origin(resources) == "recorded":
            _, recording = resources.noise.pick(rng, self.categories, sample_rate)  # type: ignore[union-attr]
            return loop_to_length(recording, length, rng).astype(np.float64)
        if self.kind == "babble":
            return resources.babble.mix(  # type: ignore[union-attr]
                rng, length=length, sample_rate=sample_rate, talkers=self.talkers,
                exclude_utt=resources.utt_id, exclude_speaker=resources.speaker,
            ).astype(np.float64)
        return colored_noise(self.kind, length, rng)


def add_at_snr(samples: np.ndarray, noise: np.ndarray, snr_db: float) -> np.ndarray:
    """samples (C, T) + noise (T,) scaled so P_signal / P_noise(where noise ≠ 0) = 10^(snr_db / 10).

    A silent input or silent noise is returned unchanged: an SNR relative to nothing is undefined.
    """
    active = noise != 0
    signal_level = signal_power(samples)
    if signal_level == 0.0 or not active.any():
        return samples.copy()
    noise_level = float(np.mean(np.square(noise[active])))
    if noise_level == 0.0:
        return samples.copy()
    gain = np.sqrt(signal_level / (10.0 ** (snr_db / 10.0) * noise_level))
    return (samples.astype(np.float64) + gain * noise[np.newaxis, :]).astype(np.float32)


def colored_noise(kind: str, length: int, rng: np.random.Generator) -> np.ndarray:
    """White, pink (−3 dB/octave) or brown (−6 dB/octave) Gaussian noise, (length,) float64, zero mean."""
    check_choice("colour", kind, tuple(COLORED))
    white = rng.standard_normal(length)
    if COLORED[kind] == 0.0 or length < 4:
        return white
    spectrum = np.fft.rfft(white)
    frequencies = np.fft.rfftfreq(length)
    spectrum[1:] /= frequencies[1:] ** COLORED[kind]
    spectrum[0] = 0.0  # no DC: brown noise would otherwise wander far from zero
    shaped = np.fft.irfft(spectrum, n=length)
    return shaped / max(float(np.std(shaped)), 1e-12)


def burst_envelope(
    length: int,
    sample_rate: int,
    rng: np.random.Generator,
    *,
    coverage: float,
    min_burst_s: float,
    max_burst_s: float,
) -> np.ndarray:
    """(length,) gains in [0, 1]: bursts of min..max_burst_s with 10 ms raised-cosine edges, about `coverage` on."""
    envelope = np.zeros(length, dtype=np.float64)
    mean_burst = max((min_burst_s + max_burst_s) / 2 * sample_rate, 1.0)
    count = max(1, int(round(coverage * length / mean_burst)))
    fade = max(1, int(0.01 * sample_rate))
    for _ in range(count):
        burst = int(np.clip(rng.uniform(min_burst_s, max_burst_s) * sample_rate, 1, length))
        start = int(rng.integers(0, length - burst + 1))
        window = np.ones(burst)
        edge = min(fade, burst // 2)
        if edge:
            ramp = 0.5 - 0.5 * np.cos(np.pi * (np.arange(edge) + 0.5) / edge)  # never exactly 0: the burst is "on"
            window[:edge] = ramp
            window[burst - edge :] = ramp[::-1]
        envelope[start : start + burst] = np.maximum(envelope[start : start + burst], window)
    return envelope
