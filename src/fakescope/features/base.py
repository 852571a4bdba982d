"""Shared machinery of the spectrogram front-ends: the registry, windows, the STFT and the dB scale.

Every front-end maps a waveform batch (B, T) float32 at its `sample_rate` to a log-scaled
spectrogram batch (B, 1, F, frames). STFTs use `pad_mode="constant"`, which matches librosa to 0.001 dB
(the default reflect padding differs by up to 47 dB at the edges; DESIGN.md §4).
"""

from __future__ import annotations

from abc import ABCMeta, abstractmethod
from typing import Any

import torch
from torch import nn

from ..errors import ParameterError
from ..registry import Registry

FRONTENDS: Registry[type["FrontEnd"]] = Registry("front-end")

_WINDOWS = {
    "hann": torch.hann_window,
    "hamming": torch.hamming_window,
    "blackman": torch.blackman_window,
    "rect": lambda n, periodic=True, dtype=torch.float32: torch.ones(n, dtype=dtype),
}
WINDOW_NAMES = tuple(_WINDOWS)


def make_window(name: str, length: int) -> torch.Tensor:
    """A periodic analysis window (the same as scipy's `get_window(name, length, fftbins=True)`)."""
    if name not in _WINDOWS:
        raise ParameterError(f"window must be one of {', '.join(WINDOW_NAMES)}, got {name!r}")
    return _WINDOWS[name](length, periodic=True, dtype=torch.float32)


def check_positive(name: str, value: float) -> None:
    if not value > 0:
        raise ParameterError(f"{name} must be > 0, got {value}")


def check_band(sample_rate: int, fmin: float, fmax: float | None) -> float:
    """Validate the band and return fmax (Nyquist when None)."""
    nyquist = sample_rate / 2
    fmax = nyquist if fmax is None else float(fmax)
    if not 0 <= fmin < fmax <= nyquist:
        raise ParameterError(f"need 0 <= fmin < fmax <= {nyquist:g} Hz (Nyquist), got fmin={fmin}, fmax={fmax}")
    return fmax


def as_batch(waveform: torch.Tensor) -> torch.Tensor:
    """Accept (T,), (B, T) or (B, 1, T) and return (B, T)."""
    if waveform.dim() == 1:
        return waveform.unsqueeze(0)
    if waveform.dim() == 3 and waveform.shape[1] == 1:
        return waveform.squeeze(1)
    if waveform.dim() != 2:
        raise ParameterError(f"waveform must be (T,), (B, T) or (B, 1, T), got shape {tuple(waveform.shape)}")
    return waveform


class FrontEnd(nn.Module, metaclass=ABCMeta):
    """Base of every front-end: waveform (B, T) → log spectrogram (B, 1, F, frames).

    Subclasses set `self.params` (the keyword arguments that rebuild them, saved in checkpoints) and
    implement `spectrogram` returning (B, F, frames).
    """

    name: str = ""

    def __init__(self, *, sample_rate: int, n_fft: int, hop_length: int, win_length: int | None, window: str):
        super().__init__()
        check_positive("sample_rate", sample_rate)
        check_positive("n_fft", n_fft)
        check_positive("hop_length", hop_length)
        win_length = n_fft if win_length is None else int(win_length)
        if not 0 < win_length <= n_fft:
            raise ParameterError(f"win_length must be in 1..n_fft={n_fft}, got {win_length}")
        self.sample_rate = int(sample_rate)
        self.n_fft = int(n_fft)
        self.hop_length = int(hop_length)
        self.win_length = win_length
        self.window_name = window
        self.register_buffer("window", make_window(window, win_length), persistent=False)
        # The window centred in an n_fft frame, as torch.stft places a shorter window.
        left = (n_fft - win_length) // 2
        self.register_buffer("frame_window", torch.nn.functional.pad(self.window, (left, n_fft - win_length - left)),
                             persistent=False)
        self.params: dict[str, Any] = {}

    def power_frames(self, waveform: torch.Tensor) -> torch.Tensor:
        """|STFT|² of (B, T) → (B, frames, n_fft // 2 + 1), centred frames with zero padding.

        Equal to `torch.stft(center=True, pad_mode="constant")` (tests compare with librosa), but framed with
        unfold and transformed with rfft: on 2 CPU cores that ran 2.4× faster than torch.stft on batches of 4
        clips. Frames first, so filterbanks multiply contiguous rows.
        """
        spec = torch.fft.rfft(self.windowed_frames(waveform))  # (B, frames, n_fft // 2 + 1)
        return spec.real.square() + spec.imag.square()

    def windowed_frames(self, waveform: torch.Tensor) -> torch.Tensor:
        """Centred, zero-padded frames of (B, T) times the window → (B, frames, n_fft), as every STFT here frames."""
        half = self.n_fft // 2
        padded = torch.nn.functional.pad(waveform, (half, half))  # zeros, as centre=True with constant padding
        return padded.unfold(-1, self.n_fft, self.hop_length) * self.frame_window

    def power(self, waveform: torch.Tensor) -> torch.Tensor:
        """|STFT|² of (B, T) → (B, n_fft // 2 + 1, frames)."""
        return self.power_frames(waveform).transpose(1, 2)

    def apply_filterbank(self, waveform: torch.Tensor, basis: torch.Tensor) -> torch.Tensor:
        """basis (K, n_fft // 2 + 1) applied to the power spectrum of (B, T) → (B, K, frames)."""
        return torch.matmul(self.power_frames(waveform), basis.T).transpose(1, 2)

    @abstractmethod
    def spectrogram(self, waveform: torch.Tensor) -> torch.Tensor:
        """(B, T) → (B, F, frames), before the channel axis is added."""

    @property
    @abstractmethod
    def num_bins(self) -> int:
        """F, the number of rows of the output."""

    def num_frames(self, num_samples: int) -> int:
        """Frames produced for a signal of `num_samples` (centred STFT)."""
        return num_samples // self.hop_length + 1

    @abstractmethod
    def frequencies(self) -> torch.Tensor:
        """Centre frequency in Hz of each output row (for axes and band masks)."""

    def forward(self, waveform: torch.Tensor) -> torch.Tensor:
        x = as_batch(waveform).to(torch.float32)  # (B, T)
        return self.spectrogram(x).unsqueeze(1)  # (B, 1, F, frames)

    def config(self) -> dict[str, Any]:
        """Name and parameters, enough to rebuild this front-end with `build_frontend`."""
        return {"name": self.name, **self.params}


def power_to_db(power: torch.Tensor, *, amin: float = 1e-10, top_db: float | None = None) -> torch.Tensor:
    """10·log10(max(power, amin)); with top_db, floor each example at its maximum minus top_db.

    Matches `librosa.power_to_db(power, ref=1.0, amin=amin, top_db=top_db)` per example.
    """
    db = 10.0 * torch.log10(torch.clamp(power, min=amin))
    if top_db is not None:
        peak = db.flatten(1).amax(dim=1).view(-1, *([1] * (db.dim() - 1)))
        db = torch.maximum(db, peak - top_db)
    return db


def build_frontend(name: str, **params: Any) -> FrontEnd:
    """Instantiate a registered front-end by name: `build_frontend("mel", n_mels=80)`."""
    return FRONTENDS.create(name, **params)


def frontend_from_config(config: dict[str, Any]) -> FrontEnd:
    """Rebuild a front-end from `FrontEnd.config()`."""
    params = dict(config)
    return build_frontend(params.pop("name"), **params)
