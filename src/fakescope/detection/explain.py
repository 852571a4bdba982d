"""Explanations: where in time and frequency the evidence for "fake" lies, drawn over the spectrogram.

Saliency is by occlusion (Zeiler & Fergus 2014), done on the sound itself: each time-frequency patch of the
window's STFT is silenced, the waveform is rebuilt (inverse STFT) and re-scored through the whole pipeline.
A patch whose removal makes the window look more genuine was evidence of synthesis. Working on the sound
rather than on the model's input keeps the map in Hz for every front-end (LFCC rows are not frequencies),
needs no gradients (the GMM baseline is explained alike) and is in the score's own units.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import BinaryIO

import numpy as np
import torch

from ..audio import Audio
from ..errors import ParameterError
from ..fileio import atomic_path
from .verdict import Verdict, WindowScore

MAX_WINDOWS = 30  # explanations cover the first 30 windows: a minute at 4-s windows, two at the default model's 8-s ones


@torch.no_grad()
def occlusion_map(pipeline: torch.nn.Module, window: np.ndarray, *, patches: tuple[int, int] = (8, 16),
                  n_fft: int = 512, hop_length: int = 160) -> np.ndarray:
    """Score increase when each STFT patch is silenced, (n_fft // 2 + 1, frames) for one window.

    window: (T,) float32 waveform. Positive values: the patch pushed the score towards spoof.
    """
    signal = torch.from_numpy(np.ascontiguousarray(window, dtype=np.float32))
    hann = torch.hann_window(n_fft)
    spec = torch.stft(signal, n_fft, hop_length, window=hann, center=True, return_complex=True)  # (F, frames)
    bins, frames = spec.shape
    rows = np.linspace(0, bins, min(patches[0], bins) + 1).astype(int)
    cols = np.linspace(0, frames, min(patches[1], frames) + 1).astype(int)
    boxes = [(r0, r1, c0, c1) for r0, r1 in zip(rows[:-1], rows[1:]) for c0, c1 in zip(cols[:-1], cols[1:])]
    masked = spec.unsqueeze(0).repeat(len(boxes), 1, 1)  # (P, F, frames)
    for index, (r0, r1, c0, c1) in enumerate(boxes):
        masked[index, r0:r1, c0:c1] = 0
    waves = torch.istft(masked, n_fft, hop_length, window=hann, center=True, length=signal.numel())  # (P, T)
    base = _score(pipeline, signal[None])[0]
    scores = np.concatenate([_score(pipeline, waves[i : i + 32]) for i in range(0, len(boxes), 32)])
    saliency = np.zeros((bins, frames), dtype=np.float32)
    for (r0, r1, c0, c1), value in zip(boxes, scores - base):
        saliency[r0:r1, c0:c1] = value
    return saliency


def _score(pipeline: torch.nn.Module, waves: torch.Tensor) -> np.ndarray:
    logits = pipeline(waves).float()  # (B, 2)
    return (logits[:, 1] - logits[:, 0]).numpy()


def explanation_figure(detector, audio: Audio, verdict: Verdict, out: str | os.PathLike | BinaryIO) -> Path | BinaryIO:
    """Spectrogram with the occlusion saliency overlaid, and the window timeline below. audio: 16 kHz mono."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    if detector.pipeline is None:
        raise ParameterError("explanations need the torch checkpoint, not an ONNX export")
    from ..audio.ops import model_crop
    from ..features import build_frontend

    samples = audio.samples[0]
    rate = audio.sample_rate
    # The windows the verdict scored (none inside the pauses scanning leaves out), as the model saw them.
    scored = verdict.windows[:MAX_WINDOWS] or [WindowScore(0.0, audio.duration_s, verdict.score, verdict.p_fake)]
    size = int(round(detector.plan.window_s * rate))
    shown_s = min(audio.duration_s, max(w.end_s for w in scored))
    spectrogram = build_frontend("stft", sample_rate=rate)(torch.from_numpy(samples[: int(shown_s * rate)])[None])[0, 0].numpy()
    spectrogram = np.maximum(spectrogram, spectrogram.max() - 80.0)
    frames = spectrogram.shape[1]
    evidence = np.zeros((spectrogram.shape[0], frames), dtype=np.float32)
    weight = np.zeros(frames, dtype=np.float32)
    hop_s = 160 / rate
    for scored_window in scored:
        part = samples[int(round(scored_window.start_s * rate)) : int(round(scored_window.end_s * rate))]
        window = model_crop(part, size, pad=detector.plan.pad, sample_rate=rate)  # as the model scored it
        saliency = occlusion_map(detector.pipeline, window.astype(np.float32))
        first = int(round(scored_window.start_s / hop_s))
        span = min(int(round((scored_window.end_s - scored_window.start_s) / hop_s)), saliency.shape[1], frames - first)
        if span <= 0:
            continue
        evidence[:, first : first + span] += saliency[:, :span]
        weight[first : first + span] += 1
    evidence /= np.maximum(weight, 1)
    fake_evidence = np.clip(evidence, 0, None)

    fig, (top, bottom) = plt.subplots(2, 1, figsize=(14, 8), dpi=90, height_ratios=[3, 1.3], sharex=True,
                                      layout="constrained")
    extent = (0, shown_s, 0, rate / 2)
    image = top.imshow(spectrogram, origin="lower", aspect="auto", extent=extent, cmap="gray_r")
    # Both panels take the colour bar's width, so the spectrogram and the timeline keep one time axis.
    fig.colorbar(image, ax=(top, bottom), format="%+.0f dB", pad=0.01, fraction=0.03).set_label("Level (dB)")
    if fake_evidence.max() > 0:
        overlay = np.ma.masked_less(fake_evidence / fake_evidence.max(), 0.15)
        top.imshow(overlay, origin="lower", aspect="auto", extent=extent, cmap="autumn_r", alpha=0.55, vmin=0, vmax=1)
    top.set(title=f"{verdict.source}: {verdict.verdict.upper()} (p_fake {verdict.p_fake:.2f})\n"
                  "Coloured: regions whose removal makes the audio look more genuine = evidence of synthesis",
            ylabel="Frequency (Hz)")
    _timeline(bottom, detector, verdict, shown_s,
              f"Timeline: probability of synthetic speech in each {detector.plan.window_s:g}-second window")
    return _save(fig, out)


def timeline_figure(detector, verdict: Verdict, out: str | os.PathLike | BinaryIO) -> Path | BinaryIO:
    """The window timeline alone (cheap: no saliency), for `scan --timeline-png`."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(10, 3), dpi=90)
    _timeline(ax, detector, verdict, max(verdict.duration_s, 0.1),
              f"{verdict.source}: {verdict.verdict} (p_fake {verdict.p_fake:.2f})")
    fig.tight_layout()
    return _save(fig, out)


def _timeline(ax, detector, verdict: Verdict, until_s: float, title: str) -> None:
    """Window p_fake over time on `ax`, with the fake and real bands of the detector's thresholds."""
    shown = [w for w in verdict.windows if w.start_s < until_s]
    for run in _contiguous_runs(shown):  # a pause between runs was not scored: no line across it
        ax.plot([(w.start_s + w.end_s) / 2 for w in run], [w.p_fake for w in run], marker="o", color="#b22222")
    for before, after in zip(shown, shown[1:]):
        if after.start_s > before.end_s:
            ax.axvspan(before.end_s, after.start_s, color="#e6e6e6", zorder=2, label="pause (not scored)")
    ax.axhspan(detector.thresholds.fake_above, 1.0, color="#f4cccc", label="fake")
    ax.axhspan(0.0, detector.thresholds.real_below, color="#d9ead3", label="real")
    ax.set(ylim=(0, 1), xlim=(0, until_s), xlabel="Time (s)", ylabel="p_fake per window", title=title)
    handles, labels = ax.get_legend_handles_labels()
    unique = dict(zip(labels, handles))  # one "pause" entry however many pauses
    ax.legend(unique.values(), unique.keys(), loc="upper right", fontsize=8)


def _contiguous_runs(windows: list) -> list[list]:
    """Windows split where one starts after the previous ended (the pauses scanning leaves out)."""
    runs: list[list] = []
    for window in windows:
        if runs and window.start_s <= runs[-1][-1].end_s:
            runs[-1].append(window)
        else:
            runs.append([window])
    return runs


def _save(fig, out: str | os.PathLike | BinaryIO) -> Path | BinaryIO:
    """Save a figure as PNG to a stream, or atomically to a path; close it either way."""
    import matplotlib.pyplot as plt

    try:
        if hasattr(out, "write"):
            fig.savefig(out, format="png")
            return out
        with atomic_path(out, suffix=".png") as tmp:
            fig.savefig(tmp, format="png")
        return Path(out)
    finally:
        plt.close(fig)
