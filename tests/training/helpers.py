"""Helpers of the training tests: a tiny tones (bona fide) vs noise (spoof) corpus and a fast run config."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from fakescope.audio import Audio, save_audio
from fakescope.datasets.manifest import ManifestRow, write_manifest

SAMPLE_RATE = 16000


def tone(rng: np.random.Generator, seconds: float) -> np.ndarray:
    t = np.arange(int(seconds * SAMPLE_RATE)) / SAMPLE_RATE
    f0 = rng.uniform(150, 300)
    wave = sum(np.sin(2 * np.pi * k * f0 * t + rng.uniform(0, 2 * np.pi)) / k for k in (1, 2, 3))
    return (0.3 * wave / 1.84 + 0.003 * rng.standard_normal(t.size)).astype(np.float32)


def noise(rng: np.random.Generator, seconds: float) -> np.ndarray:
    return (rng.uniform(0.05, 0.3) * rng.standard_normal(int(seconds * SAMPLE_RATE))).clip(-1, 1).astype(np.float32)


def make_corpus(root: Path, *, per_class: dict[str, int], seed: int = 0, seconds: float = 0.6) -> Path:
    """Write wavs and a manifest with splits; spoofs alternate attacks N1/N2, files alternate sources s1/s2."""
    rng = np.random.default_rng(seed)
    rows = []
    for split, count in per_class.items():
        for label in ("bonafide", "spoof"):
            for i in range(count):
                length = seconds * rng.uniform(0.7, 1.3)  # some shorter than the crop: repeat-padding
                samples = tone(rng, length) if label == "bonafide" else noise(rng, length)
                rel = f"audio/{split}/{label}_{i}.wav"
                save_audio(root / rel, Audio(samples[np.newaxis, :], SAMPLE_RATE))
                rows.append(ManifestRow(
                    utt_id=f"{split}_{label}_{i}", path=rel, label=label, speaker=f"spk{i % 3}",
                    attack="-" if label == "bonafide" else f"N{i % 2 + 1}", source=f"s{i % 2 + 1}",
                    split=split, duration_s=samples.size / SAMPLE_RATE,
                ))
    return write_manifest(root / "manifest.csv", rows)


def quick_overrides(manifest: Path, **extra) -> dict:
    """A fast LFCC (20 rows, no deltas) run on 0.4-s crops; `extra` keys are dotted config paths."""
    overrides = {
        "data.manifest": str(manifest), "data.crop_seconds": 0.4, "frontend.with_deltas": False,
        "train.epochs": 3, "train.batch_size": 8, "train.lr": 0.003, "train.lr_schedule": "constant",
        "train.patience": 5,
    }
    overrides.update(extra)
    return overrides
