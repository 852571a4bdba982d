"""Log-mel spectrogram: librosa's mel filterbank applied to a torch STFT."""

from __future__ import annotations

import librosa
import torch

from .base import FRONTENDS, FrontEnd, check_band, check_positive, power_to_db


@FRONTENDS.register("mel")
class MelSpectrogram(FrontEnd):
    """Log-power mel spectrogram in dB. (B, T) → (B, 1, n_mels, frames)."""

    name = "mel"

    def __init__(
        self,
        *,
        sample_rate: int = 16000,
        n_fft: int = 512,
        hop_length: int = 160,
        win_length: int | None = None,
        window: str = "hann",
        n_mels: int = 80,
        fmin: float = 0.0,
        fmax: float | None = None,
        htk: bool = False,
        top_db: float | None = None,
    ) -> None:
        super().__init__(sample_rate=sample_rate, n_fft=n_fft, hop_length=hop_length, win_length=win_length, window=window)
        check_positive("n_mels", n_mels)
        fmax = check_band(sample_rate, fmin, fmax)
        basis = librosa.filters.mel(sr=sample_rate, n_fft=n_fft, n_mels=n_mels, fmin=fmin, fmax=fmax, htk=htk)
        self.register_buffer("basis", torch.from_numpy(basis).float(), persistent=False)  # (n_mels, n_fft//2+1)
        centres = librosa.mel_frequencies(n_mels=n_mels, fmin=fmin, fmax=fmax, htk=htk)
        self.register_buffer("centre_freqs", torch.from_numpy(centres).float(), persistent=False)
        self.top_db = top_db
        self.params = dict(sample_rate=sample_rate, n_fft=n_fft, hop_length=hop_length, win_length=win_length,
                           window=window, n_mels=n_mels, fmin=fmin, fmax=fmax, htk=htk, top_db=top_db)

    @property
    def num_bins(self) -> int:
        return int(self.basis.shape[0])

    def frequencies(self) -> torch.Tensor:
        return self.centre_freqs

    def spectrogram(self, waveform: torch.Tensor) -> torch.Tensor:
        mel = self.apply_filterbank(waveform, self.basis)  # (B, n_mels, frames)
        return power_to_db(mel, top_db=self.top_db)
