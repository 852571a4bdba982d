"""The report's PNG figures, drawn with matplotlib's Agg canvas (no display, no global backend switch)."""

from __future__ import annotations

from pathlib import Path

import numpy as np


def _figure(width: float = 5.0, height: float = 4.0):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height), dpi=100)
    FigureCanvasAgg(figure)
    return figure


def confusion_matrix_png(path: Path, confusion: list[list[int]], *, title: str = "") -> Path:
    """2×2 confusion matrix (rows true, columns predicted; bona fide first) with counts and row shares."""
    figure = _figure(4.2, 3.8)
    axes = figure.add_subplot()
    matrix = np.asarray(confusion, dtype=float)
    shares = matrix / np.maximum(matrix.sum(axis=1, keepdims=True), 1)
    axes.imshow(shares, cmap="Blues", vmin=0, vmax=1)
    names = ["bona fide", "spoof"]
    axes.set_xticks([0, 1], names)
    axes.set_yticks([0, 1], names)
    axes.set_xlabel("predicted")
    axes.set_ylabel("true")
    for i in range(2):
        for j in range(2):
            colour = "white" if shares[i, j] > 0.5 else "black"
            axes.text(j, i, f"{int(matrix[i, j])}\n{100 * shares[i, j]:.1f} %", ha="center", va="center", color=colour)
    axes.set_title(f"Confusion matrix {title}".strip())
    figure.tight_layout()
    figure.savefig(path)
    return path


def det_curve_png(path: Path, bonafide: np.ndarray, spoof: np.ndarray, *, eer: float, title: str = "") -> Path:
    """DET curve (miss rate of bona fide vs acceptance of spoofs) on normal-deviate axes, EER marked."""
    from scipy.stats import norm

    from .metrics import det_points

    far, frr = det_points(bonafide_scores=bonafide, spoof_scores=spoof)
    floor = min(0.5 / max(bonafide.size, spoof.size), 0.01)  # keep 0 % and 100 % on the probit scale
    x, y = (norm.ppf(np.clip(v, floor, 1 - floor)) for v in (far, frr))
    figure = _figure()
    axes = figure.add_subplot()
    axes.plot(x, y, color="tab:blue", label="system")
    point = norm.ppf(np.clip(eer, floor, 1 - floor))
    axes.plot([point], [point], "o", color="tab:red", label=f"EER {100 * eer:.2f} %")
    ticks = np.array([0.001, 0.01, 0.02, 0.05, 0.1, 0.2, 0.4, 0.6, 0.8, 0.9, 0.95, 0.99])
    ticks = ticks[(ticks >= floor) & (ticks <= 1 - floor)]
    labels = [f"{100 * t:g}" for t in ticks]
    axes.set_xticks(norm.ppf(ticks), labels)
    axes.set_yticks(norm.ppf(ticks), labels)
    low, high = norm.ppf(floor), norm.ppf(1 - floor)
    axes.plot([low, high], [low, high], ":", color="grey", linewidth=0.8)
    axes.set_xlim(low, high)
    axes.set_ylim(low, high)
    axes.set_xlabel("spoofs accepted (FAR, %)")
    axes.set_ylabel("bona fide rejected (FRR, %)")
    axes.set_title(f"DET curve {title}".strip())
    axes.grid(True, alpha=0.3)
    axes.legend(loc="upper right")
    figure.tight_layout()
    figure.savefig(path)
    return path


def histogram_png(path: Path, bonafide: np.ndarray, spoof: np.ndarray, *, threshold: float, title: str = "") -> Path:
    """Overlaid score histograms of both classes with the decision threshold."""
    figure = _figure(6.0, 3.8)
    axes = figure.add_subplot()
    both = np.concatenate([bonafide, spoof])
    low, high = float(both.min()), float(both.max())
    if high - low < 1e-9:
        low, high = low - 0.5, high + 0.5
    bins = np.linspace(low, high, 51)
    axes.hist(bonafide, bins=bins, alpha=0.6, color="tab:green", label=f"bona fide ({bonafide.size})", density=True)
    axes.hist(spoof, bins=bins, alpha=0.6, color="tab:red", label=f"spoof ({spoof.size})", density=True)
    if np.isfinite(threshold):
        axes.axvline(threshold, color="black", linestyle="--", linewidth=1, label=f"threshold {threshold:.3g}")
    axes.set_xlabel("score (higher = more likely bona fide)")
    axes.set_ylabel("density")
    axes.set_title(f"Score distributions {title}".strip())
    axes.legend()
    figure.tight_layout()
    figure.savefig(path)
    return path
