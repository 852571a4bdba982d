"""Channel effects: low-pass, high-pass, band-pass (telephone 300–3400 Hz), a random equaliser (a microphone's or
a room's colouration), gain, clipping and packet loss.

Filters are Butterworth sections from scipy, run forwards and backwards (zero phase) by default so the
output stays aligned with the input. Written on scipy rather than through audiomentations' filter
classes: those clamp a cutoff above Nyquist instead of leaving the band alone, fail on signals shorter
than the filter's padding, and draw their settings from the global random state. Clipping and the
equaliser do use audiomentations (ClippingDistortion; the shelf and peaking biquads of its
SevenBandParametricEQ), with their settings set from the attack's Generator instead of drawn. Packet loss
has no library implementation to reuse.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
from scipy import signal

from ..errors import ParameterError
from .base import ATTACKS, Attack, check_choice, check_range


def butterworth(samples: np.ndarray, sample_rate: int, *, low_hz: float | None, high_hz: float | None,
                order: int, zero_phase: bool) -> np.ndarray:
    """Keep low_hz..high_hz of (C, T) (None: no edge on that side). Bands beyond Nyquist are left alone.

    An edge at or above Nyquist removes nothing, so it is dropped; a band starting there is empty (zeros).
    """
    nyquist = sample_rate / 2
    if low_hz is not None and low_hz >= nyquist:
        return np.zeros_like(samples)
    if high_hz is not None and high_hz >= nyquist:
        high_hz = None
    if low_hz is None and high_hz is None:
        return samples.copy()
    if low_hz is None:
        sos = signal.butter(order, high_hz, btype="lowpass", fs=sample_rate, output="sos")
    elif high_hz is None:
        sos = signal.butter(order, low_hz, btype="highpass", fs=sample_rate, output="sos")
    else:
        sos = signal.butter(order, [low_hz, high_hz], btype="bandpass", fs=sample_rate, output="sos")
    x = samples.astype(np.float64)
    if zero_phase:
        # Default padding needs T > 3·(2·sections + 1); shorter signals get the padding they can hold.
        padlen = min(3 * (2 * sos.shape[0] + 1), x.shape[1] - 1)
        y = signal.sosfiltfilt(sos, x, axis=-1, padlen=max(padlen, 0))
    else:
        y = signal.sosfilt(sos, x, axis=-1)
    return y.astype(np.float32)


def _check_filter(order: int) -> None:
    check_range("order", order, 1, 16)


@ATTACKS.register("lowpass")
@dataclass(frozen=True)
class LowPass(Attack):
    """Remove content above `cutoff_hz` (the reference study's 7 kHz by default)."""

    name: ClassVar[str] = "lowpass"
    positional: ClassVar[tuple[str, ...]] = ("cutoff_hz",)
    aliases: ClassVar[dict[str, str]] = {"cutoff": "cutoff_hz"}

    cutoff_hz: float = 7000.0
    order: int = 8
    zero_phase: bool = True

    def __post_init__(self) -> None:
        check_range("cutoff_hz", self.cutoff_hz, 0.0, 192000.0, low_open=True)
        _check_filter(self.order)

    def apply(self, samples, sample_rate, rng, resources):
        return butterworth(samples, sample_rate, low_hz=None, high_hz=self.cutoff_hz, order=self.order,
                           zero_phase=self.zero_phase)


@ATTACKS.register("highpass")
@dataclass(frozen=True)
class HighPass(Attack):
    """Remove content below `cutoff_hz`."""

    name: ClassVar[str] = "highpass"
    positional: ClassVar[tuple[str, ...]] = ("cutoff_hz",)
    aliases: ClassVar[dict[str, str]] = {"cutoff": "cutoff_hz"}

    cutoff_hz: float = 300.0
    order: int = 4
    zero_phase: bool = True

    def __post_init__(self) -> None:
        check_range("cutoff_hz", self.cutoff_hz, 0.0, 192000.0, low_open=True)
        _check_filter(self.order)

    def apply(self, samples, sample_rate, rng, resources):
        return butterworth(samples, sample_rate, low_hz=self.cutoff_hz, high_hz=None, order=self.order,
                           zero_phase=self.zero_phase)


@ATTACKS.register("bandpass")
@dataclass(frozen=True)
class BandPass(Attack):
    """Keep low_hz..high_hz only: the telephone band 300–3400 Hz by default."""

    name: ClassVar[str] = "bandpass"
    positional: ClassVar[tuple[str, ...]] = ("low_hz", "high_hz")
    aliases: ClassVar[dict[str, str]] = {"low": "low_hz", "high": "high_hz"}

    low_hz: float = 300.0
    high_hz: float = 3400.0
    order: int = 4
    zero_phase: bool = True

    def __post_init__(self) -> None:
        check_range("low_hz", self.low_hz, 0.0, 192000.0, low_open=True)
        if not self.high_hz > self.low_hz:
            raise ParameterError(f"high_hz must be > low_hz={self.low_hz:g}, got {self.high_hz}")
        _check_filter(self.order)

    def apply(self, samples, sample_rate, rng, resources):
        return butterworth(samples, sample_rate, low_hz=self.low_hz, high_hz=self.high_hz, order=self.order,
                           zero_phase=self.zero_phase)


# audiomentations' SevenBandParametricEQ: a low shelf, five peaking bands and a high shelf, each with its centre
# drawn (uniform in mel) from its own range, in Hz.
EQ_BANDS = ((42.0, 95.0), (91.0, 204.0), (196.0, 441.0), (421.0, 948.0), (909.0, 2045.0), (1957.0, 4404.0),
            (4216.0, 9486.0))


@ATTACKS.register("eq")
@dataclass(frozen=True)
class Equaliser(Attack):
    """A microphone's or room's colouration: seven bands, each cut or boosted by up to `max_gain_db`.

    A low shelf, five peaking bands and a high shelf (audiomentations' SevenBandParametricEQ layout), with
    every centre, gain and Q drawn from the Generator per call. A band whose centre falls within 10 % of
    Nyquist is left out, as the filters above leave a band beyond Nyquist alone. Causal (minimum phase), as a
    microphone is; the level may rise (floats carry the overshoot; use `clip` to clip).
    """

    name: ClassVar[str] = "eq"
    positional: ClassVar[tuple[str, ...]] = ("max_gain_db",)
    aliases: ClassVar[dict[str, str]] = {"gain": "max_gain_db", "db": "max_gain_db"}

    max_gain_db: float = 6.0

    def __post_init__(self) -> None:
        check_range("max_gain_db", self.max_gain_db, 0.0, 24.0)

    def bands(self, sample_rate: int, rng: np.random.Generator) -> list[tuple[Any, dict[str, float]]]:
        """(audiomentations filter, its settings) per band kept at this rate, drawn from `rng`."""
        from audiomentations import HighShelfFilter, LowShelfFilter, PeakingFilter
        from librosa import hz_to_mel, mel_to_hz

        chosen = []
        for index, (low, high) in enumerate(EQ_BANDS):
            kind = LowShelfFilter if index == 0 else HighShelfFilter if index == len(EQ_BANDS) - 1 else PeakingFilter
            q_low, q_high = (0.5, 5.0) if kind is PeakingFilter else (0.1, 0.999)  # the library's own Q ranges
            centre = float(mel_to_hz(rng.uniform(hz_to_mel(low, htk=True), hz_to_mel(high, htk=True)), htk=True))
            settings = {"should_apply": True, "center_freq": centre, "q_factor": float(rng.uniform(q_low, q_high)),
                        "gain_db": float(rng.uniform(-self.max_gain_db, self.max_gain_db))}
            if centre < 0.45 * sample_rate:
                chosen.append((kind(min_center_freq=low, max_center_freq=high, p=1.0), settings))
        return chosen

    def apply(self, samples, sample_rate, rng, resources):
        out = np.ascontiguousarray(samples, dtype=np.float32)
        for band, settings in self.bands(sample_rate, rng):
            band.parameters = settings  # set, not drawn: `randomize_parameters` would use the global random state
            out = np.asarray(band.apply(out, sample_rate), dtype=np.float32)
        return out


@ATTACKS.register("gain")
@dataclass(frozen=True)
class Gain(Attack):
    """Multiply by 10^(gain_db / 20); no clipping (floats carry the overshoot; use `clip` to clip)."""

    name: ClassVar[str] = "gain"
    positional: ClassVar[tuple[str, ...]] = ("gain_db",)
    aliases: ClassVar[dict[str, str]] = {"db": "gain_db"}

    gain_db: float = -6.0

    def __post_init__(self) -> None:
        check_range("gain_db", self.gain_db, -60.0, 40.0)

    def apply(self, samples, sample_rate, rng, resources):
        return (samples * np.float32(10.0 ** (self.gain_db / 20.0))).astype(np.float32)


@ATTACKS.register("clip")
@dataclass(frozen=True)
class Clip(Attack):
    """Hard-clip the `percentile` % most extreme samples (half at each polarity), as an overdriven input does."""

    name: ClassVar[str] = "clip"
    positional: ClassVar[tuple[str, ...]] = ("percentile",)

    percentile: int = 10

    def __post_init__(self) -> None:
        check_range("percentile", self.percentile, 0, 100)

    def apply(self, samples, sample_rate, rng, resources):
        from audiomentations import ClippingDistortion

        clipper = ClippingDistortion(min_percentile_threshold=int(self.percentile),
                                     max_percentile_threshold=int(self.percentile), p=1.0)
        # Fixed parameters instead of `randomize_parameters`, which would draw from the global `random`.
        clipper.parameters = {"should_apply": True, "percentile_threshold": int(self.percentile)}
        return np.asarray(clipper.apply(samples, sample_rate), dtype=np.float32)


CONCEALMENTS = ("zero", "repeat")


@ATTACKS.register("packet_loss")
@dataclass(frozen=True)
class PacketLoss(Attack):
    """Drop `loss_rate` of the `packet_ms` packets, as a VoIP call does.

    burst: mean length of a loss burst in packets (1: independent losses; more: a Gilbert two-state
    channel with the same average loss). concealment: "zero" leaves silence, "repeat" replays the last
    packet received (the simplest packet-loss concealment).
    """

    name: ClassVar[str] = "packet_loss"
    positional: ClassVar[tuple[str, ...]] = ("loss_rate",)
    aliases: ClassVar[dict[str, str]] = {"rate": "loss_rate", "loss": "loss_rate"}

    loss_rate: float = 0.1
    packet_ms: float = 20.0
    burst: float = 1.0
    concealment: str = "zero"

    def __post_init__(self) -> None:
        check_range("loss_rate", self.loss_rate, 0.0, 0.9)
        check_range("packet_ms", self.packet_ms, 1.0, 500.0)
        check_range("burst", self.burst, 1.0, 100.0)
        check_choice("concealment", self.concealment, CONCEALMENTS)
        if self.burst > 1 and self.loss_rate / ((1 - self.loss_rate) * self.burst) > 1:
            raise ParameterError(f"loss_rate {self.loss_rate} is too high for bursts of {self.burst} packets")

    def lost_packets(self, count: int, rng: np.random.Generator) -> np.ndarray:
        """(count,) bool, True where a packet is lost."""
        draws = rng.random(count)
        if self.burst <= 1:
            return draws < self.loss_rate
        leave_bad = 1.0 / self.burst
        enter_bad = self.loss_rate * leave_bad / (1.0 - self.loss_rate)  # keeps the average loss at loss_rate
        lost = np.zeros(count, dtype=bool)
        bad = rng.random() < self.loss_rate  # start in the stationary distribution
        for index in range(count):
            lost[index] = bad
            bad = draws[index] >= leave_bad if bad else draws[index] < enter_bad
        return lost

    def apply(self, samples, sample_rate, rng, resources):
        packet = max(1, int(round(self.packet_ms * sample_rate / 1000.0)))
        count = -(-samples.shape[1] // packet)
        lost = self.lost_packets(count, rng)
        out = samples.copy()
        last: np.ndarray | None = None
        for index in range(count):
            span = slice(index * packet, (index + 1) * packet)
            if not lost[index]:
                last = samples[:, span]
                continue
            width = out[:, span].shape[1]
            if self.concealment == "repeat" and last is not None:
                out[:, span] = np.resize(last, (samples.shape[0], packet))[:, :width]
            else:
                out[:, span] = 0.0
        return out
