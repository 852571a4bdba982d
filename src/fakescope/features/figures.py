"""Analyst figures: one PNG that shows a recording the way the detector sees it, in plain language.

Panels: waveform; linear and mel spectrograms; the four morphology operations; the signatures of pitch
shift (±2 semitones) and time stretch (0.8×, 1.2×); and, with a reference recording, both spectrograms
side by side with their difference. Axes are in seconds and Hz, colour bars in dB.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from ..audio import Audio
from ..fileio import atomic_path
from .base import build_frontend
from .morphology import Morphology

SAMPLE_RATE = 16000
HOP = 160
N_FFT = 512
DISPLAY_RANGE_DB = 80.0
MAX_SECONDS = 10.0  # longer inputs are cropped: the figure is for looking, not for scoring

MORPHOLOGY_CAPTIONS = {
    "erosion": "Erosion: keeps energy only where its whole\nneighbourhood is loud; thin lines vanish",
    "dilation": "Dilation: spreads every loud point over its\nneighbourhood; gaps between harmonics fill in",
    "opening": "Opening (erosion, then dilation): removes\nsmall bright specks, keeps broad structure",
    "closing": "Closing (dilation, then erosion): fills small\ndark holes, keeps harmonic outlines",
}


@dataclass(frozen=True)
class Spectra:
    """dB spectrograms of one signal as the figure shows them."""

    linear: np.ndarray  # (F, frames)
    mel: np.ndarray  # (n_mels, frames)


@torch.no_grad()
def _linear_db(samples: np.ndarray) -> np.ndarray:
    frontend = build_frontend("stft", sample_rate=SAMPLE_RATE, n_fft=N_FFT, hop_length=HOP)
    return frontend(torch.from_numpy(samples).unsqueeze(0))[0, 0].numpy()  # (F, frames)


@torch.no_grad()
def _mel_db(samples: np.ndarray) -> np.ndarray:
    frontend = build_frontend("mel", sample_rate=SAMPLE_RATE, n_fft=N_FFT, hop_length=HOP, n_mels=128)
    return frontend(torch.from_numpy(samples).unsqueeze(0))[0, 0].numpy()


def _floor(db: np.ndarray) -> np.ndarray:
    """Clip to the display range below the peak so quiet noise does not wash out the image."""
    return np.maximum(db, db.max() - DISPLAY_RANGE_DB)


def analysis_figure(
    audio: Audio,
    out: str | os.PathLike,
    *,
    title: str,
    reference: Audio | None = None,
    reference_title: str = "reference",
    morphology_size: tuple[int, int] = (5, 5),
) -> Path:
    """Draw the analyst figure of `audio` (mono, 16 kHz) and save it as PNG at `out`."""
    import librosa
    import librosa.display
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    samples = _prepare(audio)
    linear = _floor(_linear_db(samples))
    rows = 5 if reference is not None else 4
    fig = plt.figure(figsize=(20, 4.2 * rows + 1.5), dpi=80)
    grid = fig.add_gridspec(rows, 4, hspace=0.65, wspace=0.32, top=1 - 1.3 / (4.2 * rows + 1.5), bottom=0.04, left=0.05, right=0.97)
    cropped = " (first 10 s)" if audio.duration_s > MAX_SECONDS else ""
    fig.suptitle(f"{title}{cropped}\n{audio.duration_s:.2f} s, analysed as 16 kHz mono. Brighter = louder; "
                 f"colour bars give the level in dB.", fontsize=16, fontweight="bold")

    ax = fig.add_subplot(grid[0, :2])
    times = np.arange(len(samples)) / SAMPLE_RATE
    ax.plot(times, samples, linewidth=0.5, color="#1f4e79")
    ax.set(title="Waveform: air pressure over time", xlabel="Time (s)", ylabel="Amplitude", xlim=(0, times[-1]))
    _spectrogram_panel(fig, fig.add_subplot(grid[0, 2:]), linear,
                       "Linear spectrogram: every frequency band equally wide", "linear")

    _spectrogram_panel(fig, fig.add_subplot(grid[1, :2]), _floor(_mel_db(samples)),
                       "Mel spectrogram: frequencies spaced as the ear hears them", "mel")
    _spectrum_panel(fig.add_subplot(grid[1, 2:]), linear)

    element_label = f"{morphology_size[0]}×{morphology_size[1]} ellipse"
    tensor = torch.from_numpy(linear)[None, None]  # (1, 1, F, frames)
    for col, op in enumerate(MORPHOLOGY_CAPTIONS):
        filtered = Morphology(op, size=morphology_size, shape="ellipse")(tensor)[0, 0].numpy()
        _spectrogram_panel(fig, fig.add_subplot(grid[2, col]), filtered,
                           f"{MORPHOLOGY_CAPTIONS[op]} ({element_label})", "linear", small=True)

    variants = [
        ("Pitch shifted down 2 semitones:\nharmonics move closer together", librosa.effects.pitch_shift(samples, sr=SAMPLE_RATE, n_steps=-2)),
        ("Pitch shifted up 2 semitones:\nharmonics move apart", librosa.effects.pitch_shift(samples, sr=SAMPLE_RATE, n_steps=2)),
        ("Time stretched to 0.8× speed:\nsame pitch, longer events", librosa.effects.time_stretch(samples, rate=0.8)),
        ("Time stretched to 1.2× speed:\nsame pitch, shorter events", librosa.effects.time_stretch(samples, rate=1.2)),
    ]
    for col, (caption, variant) in enumerate(variants):
        _spectrogram_panel(fig, fig.add_subplot(grid[3, col]), _floor(_linear_db(variant.astype(np.float32))),
                           caption, "linear", small=True)

    if reference is not None:
        ref_linear = _floor(_linear_db(_prepare(reference)))
        frames = min(ref_linear.shape[1], linear.shape[1])
        _spectrogram_panel(fig, fig.add_subplot(grid[4, 0]), ref_linear, f"Reference: {reference_title}", "linear", small=True)
        _spectrogram_panel(fig, fig.add_subplot(grid[4, 1]), linear, f"Analysed: {title}", "linear", small=True)
        difference = linear[:, :frames] - ref_linear[:, :frames]
        _difference_panel(fig, fig.add_subplot(grid[4, 2:]), difference)

    with atomic_path(out, suffix=".png") as tmp:
        fig.savefig(tmp, format="png")
    plt.close(fig)
    return Path(out)


def _prepare(audio: Audio) -> np.ndarray:
    from ..audio import ops

    mono = ops.resample(ops.to_mono(audio), SAMPLE_RATE).samples[0]
    return np.ascontiguousarray(mono[: int(MAX_SECONDS * SAMPLE_RATE)], dtype=np.float32)


def _spectrogram_panel(fig, ax, db: np.ndarray, title: str, scale: str, *, small: bool = False) -> None:
    import librosa.display

    image = librosa.display.specshow(db, sr=SAMPLE_RATE, hop_length=HOP, n_fft=N_FFT, x_axis="time",
                                     y_axis="mel" if scale == "mel" else "linear", ax=ax, cmap="magma",
                                     fmax=SAMPLE_RATE / 2 if scale == "mel" else None)
    ax.set_title(title, fontsize=11 if small else 13)
    ax.set_xlabel("Time (s)")
    ax.set_ylabel("Frequency (Hz)")
    fig.colorbar(image, ax=ax, format="%+.0f dB", pad=0.01).set_label("Level (dB)")


def _spectrum_panel(ax, linear_db: np.ndarray) -> None:
    """The average spectrum: where the energy sits, and where a band limit or vocoder cut-off would show."""
    freqs = np.linspace(0, SAMPLE_RATE / 2, linear_db.shape[0])
    power = 10 ** (linear_db / 10)
    ax.plot(freqs, 10 * np.log10(power.mean(axis=1) + 1e-12), color="#8b1a1a")
    ax.set(title="Average spectrum: a sharp drop-off hints at band-limited or vocoded audio",
           xlabel="Frequency (Hz)", ylabel="Level (dB)", xlim=(0, SAMPLE_RATE / 2))
    ax.grid(alpha=0.3)


def _difference_panel(fig, ax, difference: np.ndarray) -> None:
    import librosa.display

    limit = max(float(np.percentile(np.abs(difference), 99)), 1.0)
    image = librosa.display.specshow(difference, sr=SAMPLE_RATE, hop_length=HOP, n_fft=N_FFT, x_axis="time",
                                     y_axis="linear", ax=ax, cmap="RdBu_r", vmin=-limit, vmax=limit)
    ax.set_title("Difference (analysed − reference): red = louder in the analysed file, blue = quieter", fontsize=12)
    ax.set_xlabel("Time (s)")
    ax.set_ylabel("Frequency (Hz)")
    fig.colorbar(image, ax=ax, format="%+.0f dB", pad=0.01).set_label("Difference (dB)")
