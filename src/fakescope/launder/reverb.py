"""Reverberation: simulated shoebox rooms (pyroomacoustics) at a target RT60, or measured room responses.

pyroomacoustics' `inverse_sabine` turns an RT60 into wall absorption, but simulated rooms then ring longer
or shorter than asked (measured here: 0.9 s asked → 1.16–1.3 s in the 10 × 7.5 × 3.5 m room, 0.75 s in a
4 × 4 × 3 m one; Sabine's formula assumes a diffuse field a shoebox does not have). So the RT60 is calibrated: simulate, measure the RT60
of the impulse response (T30, `measure_rt60`), rescale the request and simulate again until within 5 %.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
from scipy import signal

from ..errors import ParameterError
from .base import ATTACKS, Attack, Resources, check_choice, check_range, signal_power

FIXED_ROOM_M = (10.0, 7.5, 3.5)  # the reference study's room (DESIGN.md §5)
# Talker and microphone in the fixed room: 1.5 m high, 4.1 m apart, away from walls and the centre.
FIXED_SOURCE_M = (3.0, 3.75, 1.5)
FIXED_MIC_M = (7.0, 4.6, 1.5)
ROOM_RANGES_M = ((3.0, 10.0), (3.0, 8.0), (2.5, 4.0))  # sampled rooms: length, width, height
WALL_MARGIN_M = 0.5
MIN_DISTANCE_M = 1.0
RT60_TOLERANCE = 0.05
MAX_CALIBRATIONS = 4
RAYS = 3000
ROOMS = ("sampled", "fixed")


@ATTACKS.register("reverb")
@dataclass(frozen=True)
class Reverb(Attack):
    """Convolve with the impulse response of a simulated room whose RT60 is `rt60_s`.

    room: "sampled" draws size and positions from the rng; "fixed" is the 10 × 7.5 × 3.5 m room with
    fixed positions (its response is computed once per process). The output keeps the input's RMS level,
    and the direct path is aligned with the input.
    """

    name: ClassVar[str] = "reverb"
    positional: ClassVar[tuple[str, ...]] = ("rt60_s",)
    aliases: ClassVar[dict[str, str]] = {"rt60": "rt60_s"}

    rt60_s: float = 0.6
    room: str = "sampled"

    def __post_init__(self) -> None:
        check_range("rt60_s", self.rt60_s, 0.1, 2.0)
        check_choice("room", self.room, ROOMS)

    def impulse_response(self, sample_rate: int, rng: np.random.Generator) -> np.ndarray:
        """The room's impulse response at `sample_rate`, (L,) float64, starting at the direct path."""
        if self.room == "fixed":
            return _fixed_room_rir(float(self.rt60_s), int(sample_rate))
        dims, source, mic = sample_room(rng, self.rt60_s)
        seed = int(rng.integers(0, 2**63 - 1))
        return simulate_rir(dims, source, mic, rt60_s=self.rt60_s, sample_rate=sample_rate, seed=seed)

    def apply(self, samples, sample_rate, rng, resources):
        return convolve_keep_level(samples, self.impulse_response(sample_rate, rng))


@ATTACKS.register("rir")
@dataclass(frozen=True)
class MeasuredRir(Attack):
    """Convolve with a measured impulse response from the RIR folder (`--rir-dir`), one of `category`
    (any when empty), chosen with the rng. Level kept, direct path aligned."""

    name: ClassVar[str] = "rir"
    positional: ClassVar[tuple[str, ...]] = ("category",)

    category: str = ""

    def check_resources(self, resources: Resources) -> None:
        if resources.rirs is None:
            raise ParameterError("measured reverberation (rir) needs a folder of impulse responses (--rir-dir)")
        if self.category and not resources.rirs.has((self.category,)):
            raise ParameterError(
                f"{resources.rirs.root}: no impulse responses in category {self.category!r}; "
                f"categories here: {', '.join(c or '(none)' for c in resources.rirs.categories())}"
            )

    def apply(self, samples, sample_rate, rng, resources):
        self.check_resources(resources)
        _, rir = resources.rirs.pick(rng, (self.category,) if self.category else (), sample_rate)  # type: ignore[union-attr]
        return convolve_keep_level(samples, trim_to_direct_path(rir.astype(np.float64)))


def sample_room(rng: np.random.Generator, rt60_s: float) -> tuple[list[float], list[float], list[float]]:
    """A random shoebox (length, width, height in m) with talker and microphone >= 1 m apart, off the walls."""
    dims = [float(rng.uniform(low, high)) for low, high in ROOM_RANGES_M]
    for _ in range(100):
        source = [float(rng.uniform(WALL_MARGIN_M, d - WALL_MARGIN_M)) for d in dims]
        mic = [float(rng.uniform(WALL_MARGIN_M, d - WALL_MARGIN_M)) for d in dims]
        if np.linalg.norm(np.subtract(source, mic)) >= MIN_DISTANCE_M:
            return dims, source, mic
    raise RuntimeError("could not place talker and microphone in the sampled room")  # pragma: no cover


def simulate_rir(
    dims: list[float] | tuple[float, ...],
    source: list[float] | tuple[float, ...],
    mic: list[float] | tuple[float, ...],
    *,
    rt60_s: float,
    sample_rate: int,
    seed: int,
) -> np.ndarray:
    """Impulse response (L,) of a shoebox room calibrated to `rt60_s` (see the module docstring)."""
    import pyroomacoustics as pra

    requested = rt60_s
    rir = np.zeros(1)
    for _ in range(MAX_CALIBRATIONS):
        rir = _shoebox(pra, dims, source, mic, requested, sample_rate, seed)
        measured = measure_rt60(rir, sample_rate)
        if not np.isfinite(measured) or abs(measured / rt60_s - 1.0) <= RT60_TOLERANCE:
            break
        requested *= rt60_s / measured
    return trim_to_direct_path(rir)


def _shoebox(pra, dims, source, mic, rt60_s: float, sample_rate: int, seed: int) -> np.ndarray:
    try:
        absorption, _ = pra.inverse_sabine(rt60_s, dims)
    except ValueError:
        # The room is too large to be this dry even with fully absorbing walls: use the driest it can be.
        absorption = 0.99
    # Hybrid simulation: image sources up to order 3 for the early reflections, ray tracing for the tail.
    # Pure image sources need order ~100 for a 0.9 s tail (1-4 s per room here); the hybrid takes ~0.1 s.
    # Ray tracing draws from pyroomacoustics' global generators; seeding them from our rng keeps the
    # response a function of the attack's Generator.
    pra.random.seed(numpy=seed, libroom=seed)
    room = pra.ShoeBox(list(dims), fs=int(sample_rate), materials=pra.Material(float(absorption)),
                       max_order=3, ray_tracing=True, air_absorption=False)
    room.set_ray_tracing(receiver_radius=0.5, n_rays=RAYS, energy_thres=1e-7)
    room.add_source(list(source))
    room.add_microphone(list(mic))
    room.compute_rir()
    return np.asarray(room.rir[0][0], dtype=np.float64)


@functools.lru_cache(maxsize=16)
def _fixed_room_rir(rt60_s: float, sample_rate: int) -> np.ndarray:
    rir = simulate_rir(FIXED_ROOM_M, FIXED_SOURCE_M, FIXED_MIC_M, rt60_s=rt60_s, sample_rate=sample_rate, seed=0)
    rir.setflags(write=False)
    return rir


def measure_rt60(rir: np.ndarray, sample_rate: int) -> float:
    """RT60 in seconds from the T30 decay of an impulse response (pyroomacoustics' Schroeder fit)."""
    from pyroomacoustics.experimental import measure_rt60 as pra_measure_rt60

    return float(pra_measure_rt60(np.asarray(rir, dtype=np.float64), fs=sample_rate, decay_db=30))


def trim_to_direct_path(rir: np.ndarray) -> np.ndarray:
    """Drop what precedes the strongest tap (the direct path), so the reverberant output stays aligned."""
    if rir.size == 0 or not np.any(rir):
        raise ParameterError("impulse response is empty or silent")
    return rir[int(np.argmax(np.abs(rir))) :]


def convolve_keep_level(samples: np.ndarray, rir: np.ndarray) -> np.ndarray:
    """samples (C, T) * rir (L,) cut to T samples and rescaled to the input's RMS level. → (C, T)."""
    length = samples.shape[1]
    wet = signal.fftconvolve(samples.astype(np.float64), rir[np.newaxis, :], axes=-1)[:, :length]  # (C, T)
    before, after = signal_power(samples), signal_power(wet)
    if after > 0.0:
        wet *= np.sqrt(before / after)
    return wet.astype(np.float32)
