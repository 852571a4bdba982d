"""Harmonic phase rows per frame: the relative phase shift (RPS) of each harmonic to the fundamental.

In a voiced frame, the phase of harmonic k at the frame centre is φ_k = k·φ_1 + ψ_k: a linear part set by when
the glottal pulse happens to fall, and a residue ψ_k, the relative phase shift (Saratxaga et al., the RPS of
the ASVspoof 2015 and 2019 phase systems), set by the shape of the glottal pulse and the vocal tract. A real
voice's pulse shape changes slowly, so ψ_k is nearly the same from one 10-ms frame to the next and keeps a
preferred direction over an utterance. Copy synthesis breaks that: Griffin-Lim re-estimates every phase,
WORLD and LPC vocoders build pulses of their own, and neural vocoders generate the phase sample by sample.
Each frame gets

  - cos ψ_k and sin ψ_k for k = 2..`n_harmonics` (their means over an utterance give the direction and,
    through their length, how stable ψ_k is);
  - |ψ_k(t) − ψ_k(t−1)| (0..π), how far ψ_k moved since the previous frame;
  - two voicing rows: 1 where the frame is voiced (its harmonics up to `n_harmonics` lie below `harmonic_fmax`
    and it is not digital silence), and 1 where the previous frame is voiced too.

Rows of unvoiced frames, and the change rows of frames whose predecessor is unvoiced, are 0. A mean over all
frames would count those as evidence of stability, so statistics over these rows should be weighted by the
matching voicing row (the `svm` model's `weight_row`): the shipped default pools the mean change over voiced
frame pairs.

The fundamental comes from YIN (de Cheveigné & Kawahara 2002): the cumulative-mean-normalised difference
function, the first local minimum below `yin_threshold` in the pitch range (the global minimum when none is),
refined by a parabola, as librosa.yin does. The harmonics' phases come from the frame's Fourier sums at the
exact harmonic frequencies k·f0, measured from the frame centre, not from the nearest FFT bin, whose phase
would move with the distance to the harmonic.

Written here because no maintained library computes these inside a torch graph: librosa.yin and the RPS
papers' code run in NumPy or MATLAB, outside the graph the detector exports to ONNX. Everything below is
FFTs, products, cumulative sums, argmax and gathers. Frames are centred on the same instants as every STFT
front-end with the same hop (sample m·hop_length), so these rows stack with LFCC and phase rows; the
analysis frame (`frame_length`, 40 ms by default) may be longer than n_fft, because YIN needs two periods of
the lowest pitch.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from ..errors import ParameterError
from .base import FRONTENDS, FrontEnd, check_positive, make_window

_TINY = 1e-30
_SMALLEST = 1e-37  # just above float32's smallest normal number
_COS_LIMIT = 1.0 - 1e-6  # acos' gradient is infinite at ±1
_CHUNK_ROWS = 128  # frames per chunk of the harmonic sums, over the whole batch: 128 × 640 samples stay in cache


@FRONTENDS.register("harmonic")
class HarmonicPhase(FrontEnd):
    """(B, T) → (B, 1, 3·(n_harmonics − 1) + 2, frames): cos ψ_k, sin ψ_k, |Δψ_k| (k = 2..n_harmonics), voicing."""

    name = "harmonic"

    def __init__(
        self,
        *,
        sample_rate: int = 16000,
        n_fft: int = 512,
        hop_length: int = 160,
        win_length: int | None = None,
        window: str = "hann",
        frame_length: int = 640,
        n_harmonics: int = 12,
        harmonic_fmax: float = 4000.0,
        pitch_range: list[float] | tuple[float, float] = (70.0, 400.0),
        yin_threshold: float = 0.1,
    ) -> None:
        # n_fft / win_length only tie this front-end to its stack's framing (num_frames depends on the hop alone);
        # the analysis frame is frame_length samples.
        super().__init__(sample_rate=sample_rate, n_fft=n_fft, hop_length=hop_length, win_length=win_length, window=window)
        check_positive("frame_length", frame_length)
        low, high = (float(value) for value in pitch_range)
        if not 0 < low < high < sample_rate / 2:
            raise ParameterError(f"harmonic pitch_range must be (low, high) with 0 < low < high < Nyquist, got {pitch_range}")
        # YIN integrates over half the frame and compares it with itself up to the longest period.
        self.integration = int(frame_length) // 2
        self.min_lag = max(2, int(math.floor(sample_rate / high)))
        self.max_lag = int(math.ceil(sample_rate / low))
        if self.max_lag + 1 > int(frame_length) - self.integration:
            raise ParameterError(f"harmonic frame_length={frame_length} is too short for a lowest pitch of {low:g} Hz: "
                                 f"it needs at least {2 * (self.max_lag + 1)} samples")
        if not 2 <= int(n_harmonics) <= 64:
            raise ParameterError(f"harmonic n_harmonics must be in 2..64, got {n_harmonics}")
        if not 0 < float(harmonic_fmax) <= sample_rate / 2:
            raise ParameterError(f"harmonic harmonic_fmax must be in (0, {sample_rate / 2:g}] Hz, got {harmonic_fmax}")
        if not 0 < float(yin_threshold) < 1:
            raise ParameterError(f"harmonic yin_threshold must be in (0, 1), got {yin_threshold}")
        self.frame_length = int(frame_length)
        self.n_harmonics = int(n_harmonics)
        self.harmonic_fmax = float(harmonic_fmax)
        self.yin_threshold = float(yin_threshold)
        self.corr_fft = 1 << (self.frame_length + self.integration - 1).bit_length()
        self.register_buffer("analysis_window", make_window(window, self.frame_length), persistent=False)
        # Time of each sample from the frame centre, in seconds·2π: the Fourier sum at frequency f is Σ x·e^{-j f·ramp}.
        ramp = (torch.arange(self.frame_length, dtype=torch.float64) - self.frame_length / 2) * 2 * math.pi / sample_rate
        self.register_buffer("ramp", ramp.to(torch.float32), persistent=False)
        self.register_buffer("lag_index", torch.arange(self.max_lag + 2, dtype=torch.float32), persistent=False)
        self.params = dict(sample_rate=sample_rate, n_fft=n_fft, hop_length=hop_length, win_length=win_length,
                           window=window, frame_length=self.frame_length, n_harmonics=self.n_harmonics,
                           harmonic_fmax=self.harmonic_fmax, pitch_range=[low, high], yin_threshold=self.yin_threshold)

    @property
    def num_bins(self) -> int:
        return 3 * (self.n_harmonics - 1) + 2

    def frequencies(self) -> torch.Tensor:
        # Statistic rows have no frequency of their own: indexed.
        return torch.arange(self.num_bins, dtype=torch.float32)

    def row_names(self) -> list[str]:
        ks = range(2, self.n_harmonics + 1)
        return ([f"cos RPS h{k}" for k in ks] + [f"sin RPS h{k}" for k in ks] + [f"RPS change h{k}" for k in ks]
                + ["voiced", "voiced pair"])

    def frames(self, waveform: torch.Tensor) -> torch.Tensor:
        """(B, T) → (B, frames, frame_length), frame m centred on sample m·hop_length, zero-padded."""
        half = self.frame_length // 2
        padded = F.pad(waveform, (half, self.frame_length - half))
        return padded.unfold(-1, self.frame_length, self.hop_length)[:, : self.num_frames(waveform.shape[-1])]

    def fundamental(self, frames: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """YIN over (..., frame_length) frames → (f0 in Hz, the frame's energy Σx²), each (...).

        The energy falls out of YIN's running sums and is 0 for digital silence, which has no pitch.
        """
        w, top = self.integration, self.max_lag + 2
        # r(τ) = Σ_{j<w} x_j·x_{j+τ}, by FFT as the convolution of the frame with its reversed head:
        # (x ∗ reversed head)[τ + w − 1] = r(τ). A product of two rfft outputs, which exports to ONNX (a conjugate
        # would not).
        head = torch.flip(frames[..., :w], dims=[-1])
        spectrum = torch.fft.rfft(frames, n=self.corr_fft) * torch.fft.rfft(head, n=self.corr_fft)
        corr = torch.fft.irfft(spectrum, n=self.corr_fft)[..., w - 1 : w - 1 + top]
        energy = F.pad(torch.cumsum(frames.square(), dim=-1), (1, 0))
        shifted = energy[..., w : w + top] - energy[..., :top]  # Σ_{j<w} x_{j+τ}²
        diff = (energy[..., w : w + 1] + shifted - 2.0 * corr).clamp_min(0.0)  # d(τ), τ = 0..top-1
        # Cumulative mean normalised difference d'(τ) = d(τ)·τ / Σ_{1..τ} d; d'(0) = 1.
        running = torch.cumsum(diff[..., 1:], dim=-1)
        cmnd = torch.cat([torch.ones_like(diff[..., :1]),
                          diff[..., 1:] * self.lag_index[1:top] / running.clamp_min(_TINY)], dim=-1)
        lo, hi = self.min_lag, self.max_lag
        inner = cmnd[..., lo : hi + 1]
        # First local minimum under the threshold, else the global minimum of the pitch range.
        below = (inner < self.yin_threshold) & (inner <= cmnd[..., lo - 1 : hi]) & (inner <= cmnd[..., lo + 1 : hi + 2])
        first = torch.argmax(below.to(torch.float32), dim=-1)
        best = torch.where(below.any(dim=-1), first, torch.argmin(inner, dim=-1)) + lo
        # Parabolic refinement over the neighbouring lags.
        left = torch.gather(cmnd, -1, (best - 1).unsqueeze(-1)).squeeze(-1)
        centre = torch.gather(cmnd, -1, best.unsqueeze(-1)).squeeze(-1)
        right = torch.gather(cmnd, -1, (best + 1).unsqueeze(-1)).squeeze(-1)
        curvature = left - 2.0 * centre + right
        shift = torch.where(curvature > 0, 0.5 * (left - right) / curvature.clamp_min(_TINY), torch.zeros_like(curvature))
        period = best.to(torch.float32) + shift.clamp(-1.0, 1.0)
        return self.sample_rate / period, energy[..., -1]

    def spectrogram(self, waveform: torch.Tensor) -> torch.Tensor:
        frames = self.frames(waveform)  # (B, T, L)
        f0, energy = self.fundamental(frames)  # (B, T) each
        voiced = ((f0 * self.n_harmonics <= self.harmonic_fmax) & (energy > 0)).to(torch.float32)
        re, im = self.harmonic_sums(frames, f0)  # (B, T, K)
        modulus = torch.sqrt(re.square() + im.square()).clamp_min(_SMALLEST)
        re, im = re / modulus, im / modulus  # unit phasors e^{jφ_k}
        # e^{-j k φ_1} by repeated multiplication of the unit phasor's conjugate.
        base_re, base_im = re[..., 0], -im[..., 0]
        power_re, power_im = [base_re], [base_im]
        for _ in range(2, self.n_harmonics + 1):
            pr, pi = power_re[-1], power_im[-1]
            power_re.append(pr * base_re - pi * base_im)
            power_im.append(pr * base_im + pi * base_re)
        shift_re = torch.stack(power_re[1:], -1)  # k = 2..K
        shift_im = torch.stack(power_im[1:], -1)
        cos_rps = re[..., 1:] * shift_re - im[..., 1:] * shift_im  # e^{jψ_k} = e^{jφ_k}·e^{-jkφ_1}
        sin_rps = re[..., 1:] * shift_im + im[..., 1:] * shift_re
        norm = torch.sqrt(cos_rps.square() + sin_rps.square()).clamp_min(_SMALLEST)
        cos_rps, sin_rps = cos_rps / norm, sin_rps / norm
        gate = voiced.unsqueeze(-1)
        # Change since the previous frame: the angle of e^{jψ(t)}·e^{-jψ(t-1)}, where both frames are voiced.
        dot = cos_rps[:, 1:] * cos_rps[:, :-1] + sin_rps[:, 1:] * sin_rps[:, :-1]
        # Frame 0 has no predecessor: padded with 0 (also when the input holds a single frame).
        pair = F.pad(voiced[:, 1:] * voiced[:, :-1], (1, 0))  # (B, T)
        change = F.pad(torch.acos(dot.clamp(-_COS_LIMIT, _COS_LIMIT)), (0, 0, 1, 0)) * pair.unsqueeze(-1)
        rows = torch.cat([cos_rps * gate, sin_rps * gate, change, voiced.unsqueeze(-1), pair.unsqueeze(-1)], dim=-1)
        return rows.transpose(1, 2)

    def harmonic_sums(self, frames: torch.Tensor, f0: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The windowed frames' Fourier sums at k·f0, k = 1..n_harmonics: (real, imaginary parts), each (B, T, K).

        Every harmonic costs a few elementwise passes over all the frames' samples, and those passes are
        memory-bound: over a batch of 4-s windows each one streams tens of MB. Frames therefore go through in
        chunks small enough to stay in the CPU cache: the sums ran 4–5× faster on one core (the whole front-end 2.5×),
        with the same values.
        Under graph capture (ONNX export) all frames go at once: the batch size is symbolic there, and an unrolled
        loop of chunks took the export from 23 to 197 s.
        """
        if torch.compiler.is_compiling():
            # One pass, with no loop over a symbolic frame count either: its bounds would pin the length.
            return self._sums(frames, f0)
        step = max(1, _CHUNK_ROWS // max(1, frames.shape[0]))
        parts = [self._sums(frames[:, i : i + step], f0[:, i : i + step]) for i in range(0, frames.shape[1], step)]
        if len(parts) == 1:
            return parts[0]
        return torch.cat([p[0] for p in parts], dim=1), torch.cat([p[1] for p in parts], dim=1)

    def _sums(self, frames: torch.Tensor, f0: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        # q_k = w·x·e^{jkθ} with θ = f0·ramp: q_1 from one cos and one sin per sample, then q_k = q_{k-1}·e^{jθ}, one
        # complex product (four real ones) instead of two transcendental calls; the rounding this accumulates over
        # 12 harmonics stays below 1e-6 of the sums. X_k = Σ conj(q_k), e^{-jkθ} being the Fourier kernel.
        windowed = frames * self.analysis_window
        angle = f0.unsqueeze(-1) * self.ramp  # (B, C, L)
        cos1, sin1 = torch.cos(angle), torch.sin(angle)
        q_re, q_im = windowed * cos1, windowed * sin1
        re_parts, im_parts = [q_re.sum(-1)], [-q_im.sum(-1)]
        for _ in range(2, self.n_harmonics + 1):
            q_re, q_im = q_re * cos1 - q_im * sin1, q_im * cos1 + q_re * sin1
            re_parts.append(q_re.sum(-1))
            im_parts.append(-q_im.sum(-1))
        return torch.stack(re_parts, -1), torch.stack(im_parts, -1)
