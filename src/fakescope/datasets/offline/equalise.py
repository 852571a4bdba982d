"""One channel-equalisation pipeline for both classes, so that no recording-chain cue tells them apart.

Measured before equalising (DESIGN.md §6): the share of exact-zero samples alone separates bona fide from
TTS output (AUC 0.81) and so does the noise floor (0.71); leading silence is the known ASVspoof shortcut.
The pipeline: mono at 16 kHz, DC removal, a common band-pass, a VAD trim, a random gentle EQ, loudness to a
common active level, re-padding with random 0.1–0.3 s margins and a low noise floor at a random SNR.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import signal

from ...audio import Audio
from ...audio import ops
from ...errors import ParameterError


@dataclass(frozen=True)
class Equaliser:
    """Settings of the equalisation (recorded in corpus.json). All randomness comes from the rng passed in."""

    sample_rate: int = 16000
    low_hz: float = 80.0
    high_hz: float = 3800.0
    vad_floor_db: float = -40.0  # frames this far below the loudest frame count as silence
    min_margin_s: float = 0.1
    max_margin_s: float = 0.3
    target_db: float = -26.0  # active speech level (RMS of the voiced frames), dBFS
    min_snr_db: float = 30.0
    max_snr_db: float = 45.0
    max_eq_db: float = 3.0

    def __post_init__(self) -> None:
        nyquist = self.sample_rate / 2
        if not 0 < self.low_hz < self.high_hz < nyquist:
            raise ParameterError(f"band must satisfy 0 < low_hz < high_hz < {nyquist:g}, got {self.low_hz}–{self.high_hz}")
        if not 0 <= self.min_margin_s <= self.max_margin_s:
            raise ParameterError(f"margins must satisfy 0 <= min <= max, got {self.min_margin_s}–{self.max_margin_s}")
        if not self.min_snr_db <= self.max_snr_db:
            raise ParameterError(f"SNR range must satisfy min <= max, got {self.min_snr_db}–{self.max_snr_db}")

    def __call__(self, audio: Audio, rng: np.random.Generator) -> Audio:
        """Equalise one recording: (C, T) at any rate → (1, T') float32 at `sample_rate`."""
        audio = ops.resample(ops.to_mono(audio), self.sample_rate)
        x = ops.remove_dc(audio.samples)[0].astype(np.float64)  # (T,)
        x = band_limit(x, self.sample_rate, low_hz=self.low_hz, high_hz=self.high_hz)
        start, end = voiced_span(x, self.sample_rate, floor_db=self.vad_floor_db)
        x = x[start:end]
        x = random_eq(x, self.sample_rate, rng, max_gain_db=self.max_eq_db, low_hz=self.low_hz, high_hz=self.high_hz)
        active_db = active_level_db(x, self.sample_rate, floor_db=self.vad_floor_db)
        x = x * 10.0 ** ((self.target_db - active_db) / 20.0)
        lead, trail = (int(rng.uniform(self.min_margin_s, self.max_margin_s) * self.sample_rate) for _ in range(2))
        x = np.concatenate([np.zeros(lead), x, np.zeros(trail)])
        snr_db = rng.uniform(self.min_snr_db, self.max_snr_db)
        noise = band_limit(rng.standard_normal(len(x)), self.sample_rate, low_hz=self.low_hz, high_hz=self.high_hz)
        noise *= 10.0 ** ((self.target_db - snr_db) / 20.0) / max(float(np.std(noise)), 1e-12)
        x = x + noise
        peak = float(np.max(np.abs(x)))
        if peak > 0.99:  # rare loud transients: scale down rather than clip
            x *= 0.99 / peak
        return Audio(x.astype(np.float32)[np.newaxis, :], self.sample_rate)


def band_limit(x: np.ndarray, sample_rate: int, *, low_hz: float, high_hz: float) -> np.ndarray:
    """Zero-phase 8th-order Butterworth band-pass. (T,) → (T,)."""
    sos = signal.butter(8, [low_hz, high_hz], btype="bandpass", fs=sample_rate, output="sos")
    if len(x) <= 3 * 2 * len(sos):
        return x
    return signal.sosfiltfilt(sos, x)


def frame_levels_db(x: np.ndarray, sample_rate: int, *, frame_s: float = 0.02) -> np.ndarray:
    """RMS level in dBFS of consecutive non-overlapping frames. (T,) → (frames,)."""
    size = max(int(frame_s * sample_rate), 1)
    count = max(len(x) // size, 1)
    frames = np.resize(x, count * size).reshape(count, size) if len(x) >= size else x[np.newaxis, :]
    power = np.mean(np.square(frames, dtype=np.float64), axis=1)
    return 10.0 * np.log10(np.maximum(power, 1e-20))


def voiced_span(x: np.ndarray, sample_rate: int, *, floor_db: float = -40.0, frame_s: float = 0.02) -> tuple[int, int]:
    """First and last sample of the frames within `floor_db` of the loudest frame (energy VAD)."""
    levels = frame_levels_db(x, sample_rate, frame_s=frame_s)
    active = np.flatnonzero(levels > activity_threshold_db(levels, floor_db=floor_db))
    size = max(int(frame_s * sample_rate), 1)
    if active.size == 0:
        return 0, len(x)
    return int(active[0] * size), int(min((active[-1] + 1) * size, len(x)))


def activity_threshold_db(levels: np.ndarray, *, floor_db: float = -40.0, above_noise_db: float = 12.0) -> float:
    """Frame level above which a frame is speech: `floor_db` under the loudest frame, but at least
    `above_noise_db` over the noise floor (10th percentile) so a recording's room noise counts as silence;
    never closer than 20 dB to the peak, so a file that is all speech keeps its quiet syllables."""
    peak = float(levels.max())
    noise = float(np.percentile(levels, 10))
    return min(max(peak + floor_db, noise + above_noise_db), peak - 20.0)


def active_level_db(x: np.ndarray, sample_rate: int, *, floor_db: float = -40.0) -> float:
    """Mean power in dBFS of the active frames, a simple stand-in for ITU-T P.56 active speech level."""
    levels = frame_levels_db(x, sample_rate)
    active = levels[levels > activity_threshold_db(levels, floor_db=floor_db)]
    return float(10.0 * np.log10(np.mean(10.0 ** (active / 10.0)))) if active.size else float(levels.max())


def random_eq(x: np.ndarray, sample_rate: int, rng: np.random.Generator, *, max_gain_db: float = 3.0,
              low_hz: float = 80.0, high_hz: float = 3800.0, bands: int = 2) -> np.ndarray:
    """A few random peaking filters of up to ±max_gain_db (RBJ cookbook), inside the pass band."""
    if max_gain_db <= 0:
        return x
    for _ in range(bands):
        centre = float(np.exp(rng.uniform(np.log(low_hz * 2), np.log(high_hz * 0.9))))
        gain_db = rng.uniform(-max_gain_db, max_gain_db)
        q = rng.uniform(0.7, 2.0)
        amp = 10.0 ** (gain_db / 40.0)
        w0 = 2 * np.pi * centre / sample_rate
        alpha = np.sin(w0) / (2 * q)
        b = [1 + alpha * amp, -2 * np.cos(w0), 1 - alpha * amp]
        a = [1 + alpha / amp, -2 * np.cos(w0), 1 - alpha / amp]
        x = signal.lfilter(b, a, x)
    return x


def plain(audio: Audio, sample_rate: int = 16000) -> Audio:
    """The unequalised variant (for the before/after audit): mono at 16 kHz, nothing else."""
    return ops.resample(ops.to_mono(audio), sample_rate)
