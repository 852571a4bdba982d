"""Copy-synthesis spoofs: a bona fide recording analysed and re-synthesised by a vocoder.

WORLD, Griffin-Lim and LPC run at the recording's own sample rate, so the spoof inherits its source's
band and rate (the rate is not a class cue); codec2 works at 8 kHz by design; HiFi-GAN (neural_vocoder.py)
runs at its 16 kHz and returns to the recording's rate. The spoof keeps the speaker
and the split of its source recording.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import linalg, signal

from ...errors import DatasetError
from .neural_vocoder import checkpoint_path, hifigan
from .packages import require_module, require_program, run_tool


@dataclass(frozen=True)
class VocoderSystem:
    """A copy-synthesis spoof system; `splits` are the splits whose recordings it re-synthesises."""

    system_id: str
    name: str
    family: str
    splits: tuple[str, ...]
    packages: tuple[str, ...]
    # The highest frequency its output can hold, where that is below the recording's own (None): a corpus whose
    # common band reaches above it would tell this system's spoofs by their empty top band.
    band_hz: float | None = None
    # An added system is drawn after the balanced share of the others, from its own random stream: adding it
    # left every earlier utterance of the corpus as it was (the eval split included), and it puts its share of
    # spoofs on top of a split's balance (training weights the classes).
    added: bool = False

    @property
    def eval_only(self) -> bool:
        return self.splits == ("eval",)


VOCODER_SYSTEMS: tuple[VocoderSystem, ...] = (
    VocoderSystem("S05", "world", "vocoder", ("train", "dev", "eval"), ()),
    VocoderSystem("S06", "griffin-lim", "vocoder", ("train", "dev", "eval"), ()),
    VocoderSystem("S10", "lpc", "vocoder", ("eval",), ()),
    VocoderSystem("S11", "codec2", "vocoder", ("eval",), ("codec2",), band_hz=4000.0),  # 8-kHz audio by design
    # A neural vocoder in training: without one, copy synthesis taught only WORLD's and Griffin-Lim's excitation.
    VocoderSystem("S12", "hifigan", "neural-vocoder", ("train", "dev", "eval"), (), added=True),
)


def check_vocoder(system: VocoderSystem) -> None:
    """Raise MissingPackageError when what `system` runs on is not installed."""
    if system.name in ("world", "lpc"):
        require_module("pyworld", "pyworld-prebuilt")
    if system.name == "codec2":
        require_program("c2enc", "codec2")
        require_program("c2dec", "codec2")
    if system.name == "hifigan":
        checkpoint_path()


def vocode(system: VocoderSystem, samples: np.ndarray, sample_rate: int, rng: np.random.Generator) -> tuple[np.ndarray, int]:
    """Re-synthesise a mono recording (T,) → (samples float32 (T',), sample_rate)."""
    x = np.asarray(samples, dtype=np.float64)
    if system.name == "world":
        return world(x, sample_rate), sample_rate
    if system.name == "griffin-lim":
        return griffin_lim(x, sample_rate, rng=rng), sample_rate
    if system.name == "lpc":
        return lpc_vocoder(x, sample_rate, rng=rng), sample_rate
    if system.name == "codec2":
        mode = str(rng.choice(["3200", "2400", "1600"]))
        return codec2(x, sample_rate, mode=mode), 8000
    if system.name == "hifigan":
        return hifigan(x, sample_rate), sample_rate
    raise DatasetError(f"unknown vocoder {system.name!r}")


def _f0(x: np.ndarray, sample_rate: int, frame_period_ms: float = 5.0) -> tuple[np.ndarray, np.ndarray]:
    import pyworld

    f0, times = pyworld.dio(x, sample_rate, f0_floor=60.0, f0_ceil=600.0, frame_period=frame_period_ms)
    return pyworld.stonemask(x, f0, times, sample_rate), times


def world(x: np.ndarray, sample_rate: int) -> np.ndarray:
    """WORLD analysis (DIO + StoneMask, CheapTrick, D4C) and synthesis."""
    import pyworld

    f0, times = _f0(x, sample_rate)
    envelope = pyworld.cheaptrick(x, f0, times, sample_rate)
    aperiodicity = pyworld.d4c(x, f0, times, sample_rate)
    out = pyworld.synthesize(f0, envelope, aperiodicity, sample_rate, frame_period=5.0)
    return out.astype(np.float32)


def _fft_size(sample_rate: int) -> int:
    return int(2 ** round(np.log2(0.032 * sample_rate)))  # ~32 ms at any rate


def griffin_lim(x: np.ndarray, sample_rate: int, *, rng: np.random.Generator, iterations: int = 32) -> np.ndarray:
    """Keep only the STFT magnitude and recover a phase by Griffin-Lim (random initial phase)."""
    n_fft = _fft_size(sample_rate)
    overlap = n_fft * 3 // 4
    _, _, spec = signal.stft(x, nperseg=n_fft, noverlap=overlap, window="hann")
    magnitude = np.abs(spec)
    phase = np.exp(2j * np.pi * rng.random(magnitude.shape))
    out = x
    for _ in range(iterations):
        _, out = signal.istft(magnitude * phase, nperseg=n_fft, noverlap=overlap, window="hann")
        _, _, rebuilt = signal.stft(out, nperseg=n_fft, noverlap=overlap, window="hann")
        frames = min(rebuilt.shape[1], magnitude.shape[1])
        phase[:, :frames] = np.exp(1j * np.angle(rebuilt[:, :frames]))
    _, out = signal.istft(magnitude * phase, nperseg=n_fft, noverlap=overlap, window="hann")
    return out[: len(x)].astype(np.float32)


def lpc_vocoder(x: np.ndarray, sample_rate: int, *, rng: np.random.Generator) -> np.ndarray:
    """A classic LPC vocoder: per 10 ms, an all-pole envelope driven by a pulse train (voiced) or noise."""
    hop = int(0.010 * sample_rate)
    window = int(0.025 * sample_rate)
    order = int(np.clip(2 + sample_rate // 1000, 10, 40))
    f0, times = _f0(x, sample_rate, frame_period_ms=10.0)
    emphasised = signal.lfilter([1.0, -0.9], [1.0], x)
    n_frames = int(np.ceil(len(x) / hop))
    f0_track = np.interp(np.arange(len(x)) / sample_rate, times, f0)
    voiced = f0_track > 0
    phase = np.cumsum(np.where(voiced, f0_track, 0.0)) / sample_rate
    pulses = np.diff(np.floor(phase), prepend=0.0) * np.sqrt(np.maximum(sample_rate / np.maximum(f0_track, 1.0), 1.0))
    excitation = np.where(voiced, pulses, rng.standard_normal(len(x)))
    out = np.zeros(len(x))
    state = np.zeros(order)
    taper = np.hanning(window)
    for frame in range(n_frames):
        start = frame * hop
        centre = start + hop // 2
        segment = emphasised[max(centre - window // 2, 0): centre + window // 2]
        if len(segment) < order + 1:
            segment = np.pad(segment, (0, order + 1 - len(segment)))
        segment = segment * taper[: len(segment)] if len(segment) == window else segment
        autocorr = np.correlate(segment, segment, mode="full")[len(segment) - 1: len(segment) + order]
        if autocorr[0] <= 1e-10:
            coeffs, gain = np.zeros(order), 0.0
        else:
            autocorr[0] *= 1.0 + 1e-6  # white-noise correction keeps the system well conditioned
            coeffs = linalg.solve_toeplitz(autocorr[:-1], -autocorr[1:])
            error = autocorr[0] + float(np.dot(coeffs, autocorr[1:]))
            gain = np.sqrt(max(error, 0.0) / max(len(segment), 1))
        denominator = np.concatenate([[1.0], coeffs])
        if np.any(np.abs(np.roots(denominator)) >= 1.0):  # an unstable frame would blow up: keep the last state quiet
            denominator, gain = np.array([1.0] + [0.0] * order), 0.0
        piece, state = signal.lfilter([gain], denominator, excitation[start: start + hop], zi=state * (gain > 0))
        out[start: start + hop] = piece
    return signal.lfilter([1.0], [1.0, -0.9], out).astype(np.float32)


def codec2(x: np.ndarray, sample_rate: int, *, mode: str = "3200") -> np.ndarray:
    """Encode and decode with Debian's codec2 programs (8 kHz, 16-bit raw in and out)."""
    import soxr

    c2enc = require_program("c2enc", "codec2")
    c2dec = require_program("c2dec", "codec2")
    narrow = soxr.resample(x, sample_rate, 8000, quality="HQ") if sample_rate != 8000 else x
    peak = max(float(np.max(np.abs(narrow))), 1e-9)
    pcm = (np.clip(narrow / peak * 0.7, -1, 1) * 32767).astype("<i2")
    with tempfile.TemporaryDirectory(prefix="fakescope-codec2-") as tmp:
        raw_in, bits, raw_out = (Path(tmp) / name for name in ("in.raw", "out.bit", "out.raw"))
        raw_in.write_bytes(pcm.tobytes())
        for command in ([c2enc, mode, str(raw_in), str(bits)], [c2dec, mode, str(bits), str(raw_out)]):
            result = run_tool(command, what=f"codec2 {mode}: {Path(command[0]).name}")
            if result.returncode != 0:
                raise DatasetError(f"codec2 {mode}: {Path(command[0]).name} failed: {result.stderr.decode(errors='replace').strip()}")
        decoded = np.frombuffer(raw_out.read_bytes(), dtype="<i2").astype(np.float32) / 32768.0
    return decoded
