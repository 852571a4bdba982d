"""Linear-frequency cepstral coefficients, the front-end of the ASVspoof LFCC-LCNN and LFCC-GMM baselines."""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F

from ..errors import ParameterError
from .base import FRONTENDS, FrontEnd, check_band, check_positive


def linear_filterbank(*, sample_rate: int, n_fft: int, n_filters: int, fmin: float, fmax: float) -> np.ndarray:
    """Triangular filters with linearly spaced centres, (n_filters, n_fft // 2 + 1).

    Written here because librosa only ships mel and constant-Q filterbanks; this is the linear
    triangular bank of the ASVspoof 2019 LFCC baseline.
    """
    edges = np.linspace(fmin, fmax, n_filters + 2)
    freqs = np.arange(n_fft // 2 + 1) * sample_rate / n_fft
    lower, centre, upper = edges[:-2, None], edges[1:-1, None], edges[2:, None]
    rising = (freqs[None, :] - lower) / (centre - lower)
    falling = (upper - freqs[None, :]) / (upper - centre)
    return np.maximum(0.0, np.minimum(rising, falling)).astype(np.float32)


def dct_matrix(n_coefficients: int, n_inputs: int) -> np.ndarray:
    """Orthonormal DCT-II as a matrix (n_coefficients, n_inputs), equal to scipy.fft.dct(norm="ortho")."""
    k = np.arange(n_coefficients)[:, None]
    n = np.arange(n_inputs)[None, :]
    basis = np.cos(np.pi * k * (2 * n + 1) / (2 * n_inputs)) * math.sqrt(2.0 / n_inputs)
    basis[0] /= math.sqrt(2.0)
    return basis.astype(np.float32)


def deltas(features: torch.Tensor, width: int = 9) -> torch.Tensor:
    """Regression deltas along time over `width` frames, edges repeated. (B, F, T) → (B, F, T).

    Equal to `librosa.feature.delta(x, width=width, mode="nearest")`: a first-order Savitzky-Golay
    derivative is the least-squares slope, Σ n·(x[t+n] − x[t−n]) / (2 Σ n²).
    """
    half = width // 2
    batch, bins, frames = features.shape
    padded = F.pad(features.reshape(batch * bins, 1, frames), (half, half), mode="replicate")
    taps = torch.arange(-half, half + 1, dtype=features.dtype, device=features.device)
    kernel = (taps / taps.square().sum()).view(1, 1, -1)  # conv1d correlates: no flip
    return F.conv1d(padded, kernel).view(batch, bins, frames)


@FRONTENDS.register("lfcc")
class LFCC(FrontEnd):
    """LFCC with optional deltas and delta-deltas. (B, T) → (B, 1, n_lfcc × (1 + 2·with_deltas), frames).

    Defaults follow the ASVspoof 2019 baseline: 20 ms frames, 10 ms hop, 512-point FFT, 20 filters,
    20 coefficients, deltas and delta-deltas (60 rows).
    """

    name = "lfcc"

    def __init__(
        self,
        *,
        sample_rate: int = 16000,
        n_fft: int = 512,
        hop_length: int = 160,
        win_length: int | None = 320,
        window: str = "hann",
        n_filters: int = 20,
        n_lfcc: int = 20,
        fmin: float = 0.0,
        fmax: float | None = None,
        with_deltas: bool = True,
        delta_width: int = 9,
    ) -> None:
        super().__init__(sample_rate=sample_rate, n_fft=n_fft, hop_length=hop_length, win_length=win_length, window=window)
        check_positive("n_filters", n_filters)
        if not 0 < n_lfcc <= n_filters:
            raise ParameterError(f"n_lfcc must be in 1..n_filters={n_filters}, got {n_lfcc}")
        if delta_width < 3 or delta_width % 2 == 0:
            raise ParameterError(f"delta_width must be an odd number >= 3, got {delta_width}")
        fmax = check_band(sample_rate, fmin, fmax)
        bank = linear_filterbank(sample_rate=sample_rate, n_fft=n_fft, n_filters=n_filters, fmin=fmin, fmax=fmax)
        self.register_buffer("filterbank", torch.from_numpy(bank), persistent=False)  # (n_filters, n_fft//2+1)
        self.register_buffer("dct", torch.from_numpy(dct_matrix(n_lfcc, n_filters)), persistent=False)
        self.with_deltas = with_deltas
        self.delta_width = delta_width
        self.n_lfcc = n_lfcc
        self.params = dict(sample_rate=sample_rate, n_fft=n_fft, hop_length=hop_length, win_length=win_length,
                           window=window, n_filters=n_filters, n_lfcc=n_lfcc, fmin=fmin, fmax=fmax,
                           with_deltas=with_deltas, delta_width=delta_width)

    @property
    def num_bins(self) -> int:
        return self.n_lfcc * (3 if self.with_deltas else 1)

    def frequencies(self) -> torch.Tensor:
        # Cepstral rows have no frequency; index them by coefficient number instead.
        return torch.arange(self.num_bins, dtype=torch.float32)

    def spectrogram(self, waveform: torch.Tensor) -> torch.Tensor:
        energies = self.apply_filterbank(waveform, self.filterbank)  # (B, n_filters, frames)
        cepstra = torch.matmul(self.dct, torch.log(energies + 1e-10))  # (B, n_lfcc, frames)
        if not self.with_deltas:
            return cepstra
        d1 = deltas(cepstra, self.delta_width)
        d2 = deltas(d1, self.delta_width)
        return torch.cat([cepstra, d1, d2], dim=1)  # (B, 3·n_lfcc, frames)
