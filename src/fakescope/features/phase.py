"""Phase and spectral-shape rows per frame: what a magnitude-only front-end cannot see of a vocoder.

Magnitude front-ends (LFCC, mel, CQT) discard the STFT phase, yet that is where most synthesis leaves its
mark: Griffin-Lim re-estimates a phase for a given magnitude, neural vocoders generate one sample by sample
from a mel spectrogram, and copy-synthesis replaces the glottal pulses. Each frame gets four groups of rows:

  - spectral shape (`n_bands` rows): the mean log power in equal-width bands, minus the frame's mean log
    power, so the level of the recording does not enter (loudness is a shortcut, DESIGN.md §5);
  - instantaneous-frequency deviation (`n_phase_bands` rows): how far each bin's phase advance from the
    previous frame strays from the advance of a steady sinusoid at the bin's frequency (radians, 0..π),
    averaged over the band with the bins' power as weights. Steady harmonics of real voiced speech advance
    almost as predicted; re-estimated or generated phase wanders;
  - adjacent-bin phase difference (`n_phase_bands` rows): within a frame, the phase step between
    neighbouring bins relative to the window centre (0 for a sinusoid steady over the window), power-weighted.
    It reads where in the frame the energy sits (a group delay), which pulse-like excitation fixes and a
    smeared phase does not;
  - modified group delay cepstrum (`n_mgd` rows, Hegde & Murthy's MODGD as used by the ASVspoof 2015 phase
    systems): the group delay divided by the cepstrally smoothed power spectrum, compressed (|τ|^α) and
    DCT'd, coefficients 1..n_mgd. With the smoothing exponent at 1 (γ = 1) it is level-free too.

The two phase groups cover 0..`phase_fmax` (the whole band by default). The shipped default model reads them
over 0-4 kHz: above 4 kHz they separated the sources' recording chains more than real from fake (docs/MODEL_CARD.md).

Written here because no maintained library computes these inside a torch graph (librosa has none of them;
the phase papers' code is MATLAB), and the detector exports the whole pipeline to ONNX: complex tensors
appear only as rfft outputs read through `.real` / `.imag`, phase differences come from products of those
parts and `acos`, and the smoothing and DCT are matrix products. Frames are those of every STFT front-end
with the same n_fft and hop (centred, zero-padded), so these rows stack with LFCC and excitation rows.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from ..errors import ParameterError
from .base import FRONTENDS, FrontEnd, check_band

# The power floor is relative to each input's loudest bin, so scaling a recording changes no row.
_RELATIVE_FLOOR = 1e-10
_TINY = 1e-30
_SMALLEST = 1e-37  # just above float32's smallest normal number
_COS_LIMIT = 1.0 - 1e-6  # acos' gradient is infinite at ±1; explanations and training stay finite


@FRONTENDS.register("phase")
class PhaseFeatures(FrontEnd):
    """(B, T) → (B, 1, n_bands + 2·n_phase_bands + n_mgd, frames): shape, IF deviation, adjacent-bin phase, MODGD."""

    name = "phase"

    def __init__(
        self,
        *,
        sample_rate: int = 16000,
        n_fft: int = 512,
        hop_length: int = 160,
        win_length: int | None = 320,
        window: str = "hann",
        n_bands: int = 64,
        n_phase_bands: int = 16,
        phase_fmax: float | None = None,
        n_mgd: int = 20,
        mgd_alpha: float = 0.4,
        mgd_lifter: int = 30,
    ) -> None:
        super().__init__(sample_rate=sample_rate, n_fft=n_fft, hop_length=hop_length, win_length=win_length, window=window)
        bins = n_fft // 2 + 1
        for name, value, least in (("n_bands", n_bands, 1), ("n_phase_bands", n_phase_bands, 1), ("n_mgd", n_mgd, 0)):
            if not least <= int(value) <= bins - 1:
                raise ParameterError(f"phase {name} must be in {least}..{bins - 1} for n_fft={n_fft}, got {value}")
        phase_fmax = check_band(sample_rate, 0.0, phase_fmax)
        phase_bins = int(np.floor(phase_fmax * n_fft / sample_rate))  # the last bin at or below phase_fmax
        if phase_bins < int(n_phase_bands):
            raise ParameterError(f"phase_fmax={phase_fmax:g} Hz leaves {phase_bins} bins for {n_phase_bands} phase bands")
        if not 0 < float(mgd_alpha) <= 1:
            raise ParameterError(f"phase mgd_alpha must be in (0, 1], got {mgd_alpha}")
        if not 1 <= int(mgd_lifter) < n_fft // 2:
            raise ParameterError(f"phase mgd_lifter must be in 1..{n_fft // 2 - 1}, got {mgd_lifter}")
        self.n_bands, self.n_phase_bands, self.n_mgd = int(n_bands), int(n_phase_bands), int(n_mgd)
        self.phase_fmax = float(phase_fmax)
        self.mgd_alpha = float(mgd_alpha)
        k = np.arange(bins)
        # Band-averaging matrices: equal-width groups of bins (all bins for the shape; bins 1..phase_fmax for the
        # phase rows, the DC bin has no meaningful phase step).
        self.register_buffer("shape_bands", _band_matrix(np.array_split(k, self.n_bands), bins), persistent=False)
        phase_groups = np.array_split(k[1 : phase_bins + 1], self.n_phase_bands)
        self.register_buffer("phase_bands", _band_matrix(phase_groups, bins, normalise=False), persistent=False)
        # A steady sinusoid at bin k advances by 2πk·hop/n_fft per frame; the window centre sits at sample c.
        advance = 2 * math.pi * k * hop_length / n_fft
        self.register_buffer("advance_cos", torch.tensor(np.cos(advance), dtype=torch.float32), persistent=False)
        self.register_buffer("advance_sin", torch.tensor(np.sin(advance), dtype=torch.float32), persistent=False)
        centre = (n_fft - self.win_length) // 2 + self.win_length / 2
        step = 2 * math.pi * centre / n_fft  # the linear-phase step between neighbouring bins of a centred sinusoid
        self.centre_cos, self.centre_sin = math.cos(step), math.sin(step)
        self.register_buffer("time_ramp", torch.arange(n_fft, dtype=torch.float32) - centre, persistent=False)
        self.register_buffer("lifter", _lifter_matrix(n_fft, int(mgd_lifter)), persistent=False)
        self.register_buffer("dct", _dct_matrix(bins)[:, 1 : 1 + self.n_mgd], persistent=False)
        self.params = dict(sample_rate=sample_rate, n_fft=n_fft, hop_length=hop_length, win_length=win_length,
                           window=window, n_bands=self.n_bands, n_phase_bands=self.n_phase_bands,
                           phase_fmax=self.phase_fmax, n_mgd=self.n_mgd,
                           mgd_alpha=self.mgd_alpha, mgd_lifter=int(mgd_lifter))

    @property
    def num_bins(self) -> int:
        return self.n_bands + 2 * self.n_phase_bands + self.n_mgd

    def frequencies(self) -> torch.Tensor:
        # Rows mix band levels, phase statistics and cepstra: indexed, not placed on a frequency axis.
        return torch.arange(self.num_bins, dtype=torch.float32)

    def row_names(self) -> list[str]:
        width, phase_width = self.sample_rate / 2, self.phase_fmax
        shape = [f"shape {i * width / self.n_bands:.0f}-{(i + 1) * width / self.n_bands:.0f} Hz" for i in range(self.n_bands)]
        edges = [f"{i * phase_width / self.n_phase_bands:.0f}-{(i + 1) * phase_width / self.n_phase_bands:.0f} Hz"
                 for i in range(self.n_phase_bands)]
        return shape + [f"IF deviation {e}" for e in edges] + [f"adjacent-bin phase {e}" for e in edges] + \
            [f"MODGD c{i}" for i in range(1, self.n_mgd + 1)]

    def spectrogram(self, waveform: torch.Tensor) -> torch.Tensor:
        windowed = self.windowed_frames(waveform)  # (B, T, n_fft)
        spec = torch.fft.rfft(windowed)
        re, im = spec.real, spec.imag  # (B, T, K)
        power = re.square() + im.square()
        floor = _RELATIVE_FLOOR * power.flatten(1).amax(dim=1).view(-1, 1, 1) + _TINY
        log_power = torch.log(power + floor)
        shape = torch.matmul(log_power, self.shape_bands) - log_power.mean(dim=-1, keepdim=True)  # (B, T, n_bands)

        # Phase advance of each bin since the previous frame, less a steady sinusoid's: z = X_t · conj(X_{t-1}) · e^{-jω}.
        pr, pi = re[:, 1:] * re[:, :-1] + im[:, 1:] * im[:, :-1], im[:, 1:] * re[:, :-1] - re[:, 1:] * im[:, :-1]
        zr = pr * self.advance_cos + pi * self.advance_sin
        if_dev = self._weighted_angle(zr, pr.square() + pi.square(), floor)  # (B, T-1, P)
        if_dev = torch.cat([if_dev[:, :1], if_dev], dim=1) if if_dev.shape[1] else torch.zeros_like(shape[..., :1]).expand(
            -1, -1, self.n_phase_bands)
        # Phase step between neighbouring bins, relative to the window centre: z = X_k · conj(X_{k-1}) · e^{+j·step}.
        ar = re[..., 1:] * re[..., :-1] + im[..., 1:] * im[..., :-1]
        ai = im[..., 1:] * re[..., :-1] - re[..., 1:] * im[..., :-1]
        zr = ar * self.centre_cos - ai * self.centre_sin
        magnitude = ar.square() + ai.square()
        pad = torch.zeros_like(zr[..., :1])  # bin 0 has no left neighbour: weight 0
        adjacent = self._weighted_angle(torch.cat([pad, zr], -1), torch.cat([pad, magnitude], -1), floor)

        if self.n_mgd == 0:
            return torch.cat([shape, if_dev, adjacent], dim=-1).transpose(1, 2)  # (B, F, T)
        # MODGD: τ(ω) = (X_R·Y_R + X_I·Y_I) / S(ω), Y the spectrum of n·x(n), S the cepstrally smoothed power.
        ramp = torch.fft.rfft(windowed * self.time_ramp)
        group_delay = re * ramp.real + im * ramp.imag
        smooth = torch.exp(torch.matmul(log_power, self.lifter))
        tau = group_delay / (smooth + floor)
        tau = torch.sign(tau) * (tau.abs() + _TINY).pow(self.mgd_alpha)
        mgd = torch.matmul(tau, self.dct)  # (B, T, n_mgd)
        return torch.cat([shape, if_dev, adjacent, mgd], dim=-1).transpose(1, 2)  # (B, F, T)

    def _weighted_angle(self, real: torch.Tensor, magnitude_sq: torch.Tensor, floor: torch.Tensor) -> torch.Tensor:
        """Per band, the power-weighted mean |angle| (0..π) of complex values given their real part and |z|²."""
        # No floor in the modulus: quiet bands would read as noise. A zero |z| has zero weight anyway.
        angle = torch.acos((real / torch.sqrt(magnitude_sq).clamp_min(_SMALLEST)).clamp(-_COS_LIMIT, _COS_LIMIT))
        weight = magnitude_sq  # |z|² = the two bins' powers multiplied
        total = torch.matmul(weight, self.phase_bands) + floor.square()
        # The floor's square underflows float32 for digital silence: never divide by zero there.
        return torch.matmul(angle * weight, self.phase_bands) / total.clamp_min(_SMALLEST)


def _band_matrix(groups: list[np.ndarray], bins: int, *, normalise: bool = True) -> torch.Tensor:
    """(bins, len(groups)) matrix: column g averages (or, unnormalised, sums) the bins of group g."""
    matrix = np.zeros((bins, len(groups)), dtype=np.float32)
    for column, group in enumerate(groups):
        matrix[group, column] = 1.0 / len(group) if normalise else 1.0
    return torch.from_numpy(matrix)


def _lifter_matrix(n_fft: int, lifter: int) -> torch.Tensor:
    """(K, K) matrix that keeps the first `lifter` quefrencies of a real log spectrum (cepstral smoothing)."""
    bins = n_fft // 2 + 1
    cepstra = np.fft.irfft(np.eye(bins), n=n_fft, axis=1)  # row k: the cepstrum of a unit at bin k
    cepstra[:, lifter : n_fft - lifter + 1] = 0.0
    return torch.from_numpy(np.fft.rfft(cepstra, axis=1).real.astype(np.float32))


def _dct_matrix(n: int) -> torch.Tensor:
    """(n, n) orthonormal DCT-II matrix, column j the j-th basis vector (scipy.fft.dct(norm='ortho'))."""
    index = np.arange(n)
    basis = np.cos(np.pi * (index[:, None] + 0.5) * index[None, :] / n) * math.sqrt(2.0 / n)
    basis[:, 0] /= math.sqrt(2.0)
    return torch.from_numpy(basis.astype(np.float32))
