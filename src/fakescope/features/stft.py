"""Linear-frequency log-power spectrogram: the front-end that beats mel for LCNN (DESIGN.md §5)."""

from __future__ import annotations

import torch

from .base import FRONTENDS, FrontEnd, check_band, power_to_db


@FRONTENDS.register("stft")
class LinearSpectrogram(FrontEnd):
    """Log-power STFT in dB, optionally restricted to the bins inside [fmin, fmax].

    (B, T) → (B, 1, F, frames) with F = number of FFT bins in the band (n_fft // 2 + 1 for the full band).
    """

    name = "stft"

    def __init__(
        self,
        *,
        sample_rate: int = 16000,
        n_fft: int = 512,
        hop_length: int = 160,
        win_length: int | None = None,
        window: str = "hann",
        fmin: float = 0.0,
        fmax: float | None = None,
        top_db: float | None = None,
    ) -> None:
        super().__init__(sample_rate=sample_rate, n_fft=n_fft, hop_length=hop_length, win_length=win_length, window=window)
        fmax = check_band(sample_rate, fmin, fmax)
        freqs = torch.arange(n_fft // 2 + 1, dtype=torch.float64) * sample_rate / n_fft
        keep = torch.nonzero((freqs >= fmin) & (freqs <= fmax)).flatten()
        self.first_bin, self.last_bin = int(keep[0]), int(keep[-1]) + 1
        self.top_db = top_db
        self.register_buffer("bin_freqs", freqs[self.first_bin : self.last_bin].float(), persistent=False)
        self.params = dict(sample_rate=sample_rate, n_fft=n_fft, hop_length=hop_length, win_length=win_length,
                           window=window, fmin=fmin, fmax=fmax, top_db=top_db)

    @property
    def num_bins(self) -> int:
        return self.last_bin - self.first_bin

    def frequencies(self) -> torch.Tensor:
        return self.bin_freqs

    def spectrogram(self, waveform: torch.Tensor) -> torch.Tensor:
        power = self.power(waveform)[:, self.first_bin : self.last_bin]  # (B, F, frames)
        return power_to_db(power, top_db=self.top_db)
