"""Excitation features: how the LPC residual of each frame is shaped, which vocoders get wrong.

A magnitude front-end (LFCC, mel, CQT) sees the spectral envelope and the harmonics, and that is exactly
what copy-synthesis keeps: Griffin-Lim reproduces the STFT magnitude by construction, WORLD, LPC vocoders
and codec2 re-synthesise the envelope and the pitch of the real recording. What they replace is the
excitation: the glottal pulses and their phase. Inverse-filtering a frame by its own all-pole (LPC)
envelope leaves that excitation, the residual, and a few numbers describe its shape:

  - kurtosis (log): natural voiced speech has moderately peaky pulses; pulse-train vocoders (LPC,
    codec2, WORLD's minimum-phase pulses) are far peakier, and Griffin-Lim's re-estimated phase smears
    them towards Gaussian noise;
  - crest factor (log): the largest residual sample over its RMS, the same property seen by one sample;
  - kurtosis in sub-bands (log): in which bands the pulses are sharp, which differs between glottal
    pulses and a synthetic excitation;
  - the strongest normalised autocorrelation peak of the residual at pitch lags (60–400 Hz by default):
    how periodic the excitation is. It is not divided by the window's own autocorrelation (as Boersma's
    pitch tracker does), which would amplify noise at lags near the window length; a perfectly periodic
    pulse train reads as the window's autocorrelation at its period (0.56 at 8 ms for 25 ms Hamming).

Written here because no maintained library computes per-frame LPC residual statistics inside a torch
graph: librosa.lpc fits the coefficients in NumPy, outside the graph that the detector exports to ONNX.
Everything below is FFTs, elementwise products and reductions, so it runs in one batched graph with the
other front-ends, on CPU or GPU, and exports to ONNX. The frames are the same as every STFT front-end's with the same n_fft and hop (centred,
zero-padded), so its rows stack with LFCC rows frame by frame (`features/stack.py`).
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from ..errors import ParameterError
from .base import FRONTENDS, FrontEnd, check_positive, make_window

# Per-frame statistics are ratios, so the level of a recording does not change them (loudness is a shortcut,
# DESIGN.md §5). These floors only keep digital silence finite: they sit far below any float32 recording's
# content (a frame at -140 dBFS has an energy of about 1e-12), so they never make the rows depend on the level.
_POWER_FLOOR = 1e-30
_AMPLITUDE_FLOOR = 1e-15
_LOG_FLOOR = 1e-3


def _band_pass(low: float, high: float, sample_rate: int, taps: int) -> np.ndarray:
    from scipy.signal import firwin

    return firwin(taps, [low, high], pass_zero=False, fs=sample_rate).astype(np.float32)


@FRONTENDS.register("excitation")
class Excitation(FrontEnd):
    """LPC-residual statistics per frame. (B, T) → (B, 1, 3 + len(bands), frames).

    Rows: log kurtosis, log crest factor, log kurtosis in each of `bands` (Hz), and the pitch-lag
    autocorrelation peak. Frames: centred, `hop_length` apart, a `win_length` window inside `n_fft`
    (the defaults give LFCC's frame centres with a 25-ms window).
    """

    name = "excitation"

    def __init__(
        self,
        *,
        sample_rate: int = 16000,
        n_fft: int = 512,
        hop_length: int = 160,
        win_length: int | None = 400,
        window: str = "hamming",
        fmax: float | None = None,
        lpc_order: int = 20,
        bands: list[list[float]] | tuple[tuple[float, float], ...] = ((100.0, 1000.0), (1000.0, 2200.0), (2200.0, 3800.0)),
        band_taps: int = 63,
        pitch_range: list[float] | tuple[float, float] = (60.0, 400.0),
    ) -> None:
        super().__init__(sample_rate=sample_rate, n_fft=n_fft, hop_length=hop_length, win_length=win_length, window=window)
        # fmax: analyse only 0..fmax, at a rate of 2·fmax (low-pass, then keep every d-th sample), e.g. 4000 for
        # the band every channel keeps, as the default model's LFCC does (with lpc_order 10 and band_taps 31 at
        # 8 kHz). On the comparison fold that was worse on dev (docs/MODEL_COMPARISON.md), so the default is the
        # whole band. n_fft, hop_length and win_length are at `sample_rate` (frames line up with the other
        # front-ends); lpc_order and band_taps are at the analysis rate.
        factor = 1 if fmax is None else sample_rate / (2.0 * float(fmax))
        if fmax is not None and (float(factor) != int(factor) or factor < 1):
            raise ParameterError(f"fmax must be None or sample_rate / (2·d) for a whole d >= 1, got {fmax}")
        factor = int(factor)
        if n_fft % factor or hop_length % factor or self.win_length % factor:
            raise ParameterError(f"n_fft, hop_length and win_length must be multiples of {factor} (fmax {fmax})")
        self.factor = factor
        self.rate = sample_rate // factor
        self.frame = n_fft // factor
        self.step = hop_length // factor
        self.span = self.win_length // factor
        check_positive("lpc_order", lpc_order)
        if not lpc_order < self.span // 2:
            raise ParameterError(f"lpc_order must be < win_length / 2 = {self.span // 2} at the analysis rate, got {lpc_order}")
        if band_taps < 3 or band_taps % 2 == 0:
            raise ParameterError(f"band_taps must be an odd number >= 3, got {band_taps}")
        if not self.span > 2 * band_taps or (self.frame - self.span) // 2 < band_taps // 2 + lpc_order \
                or self.frame - self.span <= lpc_order:
            raise ParameterError(f"win_length must exceed 2 × band_taps = {2 * band_taps} and leave n_fft − win_length >= "
                                 f"band_taps + 2 × lpc_order at the analysis rate, got win_length {self.span}, "
                                 f"n_fft {self.frame}")
        nyquist = self.rate / 2
        bands = [tuple(float(edge) for edge in band) for band in bands]
        for low, high in bands:
            if not 0 < low < high < nyquist:
                raise ParameterError(f"each band must satisfy 0 < low < high < {nyquist:g} Hz, got ({low}, {high})")
        low_f0, high_f0 = (float(value) for value in pitch_range)
        if not 0 < low_f0 < high_f0:
            raise ParameterError(f"pitch_range must be (low, high) with 0 < low < high, got {pitch_range}")
        min_lag, max_lag = int(round(self.rate / high_f0)), int(round(self.rate / low_f0))
        if not 1 <= min_lag < max_lag < self.span:
            raise ParameterError(f"pitch_range {pitch_range} needs lags {min_lag}..{max_lag} inside the "
                                 f"{self.span}-sample window")
        self.lpc_order = int(lpc_order)
        self.bands = bands
        self.lags = (min_lag, max_lag)
        if factor > 1:
            # Anti-aliasing low-pass before keeping every factor-th sample: 32·factor + 1 taps put the transition
            # band just below the new Nyquist frequency.
            from scipy.signal import firwin

            taps = firwin(32 * factor + 1, 0.95 * nyquist, fs=sample_rate).astype(np.float32)
            self.register_buffer("anti_alias", torch.from_numpy(taps).view(1, 1, -1), persistent=False)
        left = (self.frame - self.span) // 2
        self.register_buffer("analysis_window", F.pad(make_window(window, self.span), (left, self.frame - self.span - left)),
                             persistent=False)
        # Correlations of a frame with itself, by way of its power spectrum: 2·n_fft points avoid wrap-around
        # up to the longest pitch lag.
        self.corr_fft = 2 * self.frame
        kernels = np.stack([_band_pass(low, high, self.rate, band_taps) for low, high in bands]) if bands else \
            np.zeros((0, band_taps), dtype=np.float32)
        # Real FIR taps; their spectra are taken where used (a complex buffer would not export to ONNX).
        self.register_buffer("band_kernels", torch.from_numpy(kernels), persistent=False)  # (K, band_taps)
        self.support = (left, left + self.span)  # where the window is non-zero inside a frame
        self.band_margin = band_taps  # filter edge transients excluded from the band statistics
        self.params = dict(sample_rate=sample_rate, n_fft=n_fft, hop_length=hop_length, win_length=self.win_length,
                           window=window, fmax=None if fmax is None else float(fmax), lpc_order=lpc_order,
                           bands=[list(band) for band in bands], band_taps=band_taps, pitch_range=[low_f0, high_f0])

    @property
    def num_bins(self) -> int:
        return 3 + len(self.bands)

    def frequencies(self) -> torch.Tensor:
        # Statistic rows have no frequency; index them instead (as LFCC indexes its cepstra).
        return torch.arange(self.num_bins, dtype=torch.float32)

    def row_names(self) -> list[str]:
        return (["log kurtosis", "log crest"] + [f"log kurtosis {low:g}-{high:g} Hz" for low, high in self.bands]
                + ["pitch autocorrelation"])

    def analysis_signal(self, waveform: torch.Tensor) -> torch.Tensor:
        """(B, T) at sample_rate → (B, ⌈T / factor⌉) at the analysis rate (low-passed to fmax)."""
        if self.factor == 1:
            return waveform
        taps = self.anti_alias.shape[-1]
        smooth = F.conv1d(waveform.unsqueeze(1), self.anti_alias, padding=taps // 2).squeeze(1)
        return smooth[:, :: self.factor]

    def windowed_frames(self, waveform: torch.Tensor) -> torch.Tensor:
        """(B, T) → (B, frames, n_fft / factor): centred, zero-padded frames of the analysis signal, windowed.

        Frame m is centred on sample m·hop_length of the input, as in every STFT front-end.
        """
        half = self.frame // 2
        padded = F.pad(self.analysis_signal(waveform), (half, half))
        frames = padded.unfold(-1, self.frame, self.step) * self.analysis_window
        # ⌈T / factor⌉ samples can hold one frame more than T // hop_length + 1 (T just below a multiple of the
        # hop); that frame lies past the input's last frame centre, and other front-ends do not have it.
        return frames[:, : self.num_frames(waveform.shape[-1])]

    def lpc(self, power: torch.Tensor) -> torch.Tensor:
        """All-pole coefficients [1, a1 … ap] by Levinson–Durbin from (N, n_fft // 2 + 1) power spectra → (N, p + 1).

        The spectra are on the frame's own n_fft grid: lags 0..p wrap around only past n_fft − win_length.
        float64: the recursion divides by the shrinking prediction error and loses float32 precision by
        order 20 on narrow-band frames.
        """
        r = torch.fft.irfft(power, n=self.frame)[:, : self.lpc_order + 1].to(torch.float64)  # lags 0..p
        r0 = r[:, 0] * (1.0 + 1e-4) + _POWER_FLOOR  # white-noise correction keeps the recursion well conditioned
        a = [torch.ones_like(r0)]
        error = r0
        for i in range(1, self.lpc_order + 1):
            acc = r[:, i] + sum(a[j] * r[:, i - j] for j in range(1, i))
            k = -acc / error
            a = [a[0]] + [a[j] + k * a[i - j] for j in range(1, i)] + [k]
            error = error * (1.0 - k * k)
        return torch.stack(a, dim=1)

    @staticmethod
    def _log_kurtosis(x: torch.Tensor) -> torch.Tensor:
        centred = x - x.mean(dim=-1, keepdim=True)
        # Normalise first: m4 / m2² of a quiet frame would be a ratio of numbers near float32's floor.
        z = centred / (centred.square().mean(dim=-1, keepdim=True).sqrt() + _AMPLITUDE_FLOOR)
        return torch.log(z.square().square().mean(dim=-1) + _LOG_FLOOR)

    def spectrogram(self, waveform: torch.Tensor) -> torch.Tensor:
        # Inverse filtering by [1, a1 … ap] is a product of spectra. On the frame's n_fft grid that product is
        # the exact (linear) filter: the residual ends lpc_order samples after the window, still inside n_fft.
        # A band-passed residual reaches band_taps further and folds onto the start of the frame, which the
        # statistics never read. Only the pitch lags need a 2·n_fft grid. Complex tensors are only ever rfft
        # outputs multiplied elementwise and fed to irfft: that much of complex arithmetic exports to ONNX.
        batch = waveform.shape[0]
        frames = self.windowed_frames(waveform)  # (B, M, n_fft)
        count = frames.shape[1]
        flat = frames.reshape(batch * count, self.frame)
        spec = torch.fft.rfft(flat)
        a = self.lpc(spec.real.square() + spec.imag.square()).to(flat.dtype)  # (N, p + 1)
        res_spec = spec * torch.fft.rfft(a, n=self.frame)
        start, stop = self.support
        inside = torch.fft.irfft(res_spec, n=self.frame)[:, start:stop]  # the residual under the window
        rows = [self._log_kurtosis(inside)]
        peak = inside.abs().amax(dim=-1)
        rows.append(torch.log((peak + _AMPLITUDE_FLOOR) / (inside.square().mean(dim=-1).sqrt() + _AMPLITUDE_FLOOR)))
        delay = self.band_margin // 2  # the causal FIR delays by half its length
        for band in range(len(self.bands)):
            response = torch.fft.rfft(self.band_kernels[band], n=self.frame)
            filtered = torch.fft.irfft(res_spec * response, n=self.frame)
            rows.append(self._log_kurtosis(filtered[:, start + delay + self.band_margin : stop + delay - self.band_margin]))
        wide = torch.fft.rfft(flat, n=self.corr_fft)
        inverse = torch.fft.rfft(a, n=self.corr_fft)
        power = (wide.real.square() + wide.imag.square()) * (inverse.real.square() + inverse.imag.square())
        correlations = torch.fft.irfft(power, n=self.corr_fft)  # the residual's autocorrelation, no wrap-around
        low, high = self.lags
        rows.append(correlations[:, low : high + 1].amax(dim=-1) / (correlations[:, 0] + _POWER_FLOOR))
        return torch.stack(rows, dim=1).reshape(batch, count, self.num_bins).transpose(1, 2)  # (B, R, M)
