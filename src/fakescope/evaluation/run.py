"""Evaluation runs behind `fakescope evaluate`: score a manifest (or PNG folder) with a checkpoint, or take
any system's score file, and write the report (see report.py) plus the score files.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset

from ..errors import AudioError, DatasetError, ParameterError
from ..models.registry import scores_from_logits
from .report import write_report
from .scores import ScoreRow, attach_keys, read_scores, write_scores


def manifest_keys(manifest_path: str | os.PathLike) -> dict[str, tuple[str, str, str]]:
    """utt_id → (label, attack, source) from a manifest, the key for score files without labels."""
    from ..datasets.manifest import read_manifest

    return {row.utt_id: (row.label, row.attack or "-", row.source or "-") for row in read_manifest(manifest_path)}


def evaluate_score_file(
    scores: str | os.PathLike, *, out_dir: str | os.PathLike, manifest: str | os.PathLike | None = None,
    threshold: float | None = None, tdcf: str = "auto", versus: str | os.PathLike | None = None,
) -> dict[str, Any]:
    """Report on an existing score file; labels, attacks and sources come from `manifest` when given.
    `versus`: another system's score file of the same trials, compared in the report."""
    other = read_scores(versus) if versus is not None else None
    rows = read_scores(scores)
    if manifest is not None:
        rows = attach_keys(rows, manifest_keys(manifest), where=str(scores))
    elif not any(r.label for r in rows):
        raise DatasetError(f"{scores}: the score file has no labels; pass --manifest to supply them")
    source = "given threshold" if threshold is not None else ""
    return write_report(rows, out_dir, threshold=threshold, threshold_source=source, tdcf=tdcf, title=Path(scores).stem,
                        versus=other, versus_name=str(versus or ""))


class _TrialDataset(Dataset):
    """Items decoded on demand (in DataLoader workers): (input or None, index, error). No cache, so a
    70,000-file evaluation set costs one batch of memory, and an unreadable file is reported, not fatal."""

    def __init__(self, items: Sequence[Any], load: Callable[[Any], np.ndarray]) -> None:
        self.items, self.load = list(items), load

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, index: int) -> tuple[np.ndarray | None, int, str]:
        try:
            return self.load(self.items[index]), index, ""
        except (AudioError, DatasetError) as exc:
            return None, index, getattr(exc, "reason", None) or str(exc)


def _collate(batch: list[tuple[np.ndarray | None, int, str]]) -> tuple[list[tuple[torch.Tensor, list[int]]], list[tuple[int, str]]]:
    """Readable inputs stacked by length ((inputs, indices) per length: checkpoints that keep short files at
    their own length give inputs of several lengths), and (index, error) of the unreadable ones."""
    groups: dict[int, list[tuple[np.ndarray, int]]] = {}
    for x, i, _ in batch:
        if x is not None:
            groups.setdefault(x.shape[-1], []).append((x, i))
    stacked = [(torch.from_numpy(np.stack([x for x, _ in group])), [i for _, i in group]) for group in groups.values()]
    return stacked, [(i, error) for x, i, error in batch if x is None]


def score_items(
    pipeline: torch.nn.Module, items: Sequence[Any], load: Callable[[Any], np.ndarray], *, device: torch.device,
    batch_size: int = 32, workers: int = 0, skip_bad_files: bool = False, show_progress: bool = False,
) -> tuple[dict[int, float], list[tuple[int, str]]]:
    """Scores {item index: score} of every readable item, and (index, reason) of those that were not.

    Raises AudioError for the first unreadable item unless `skip_bad_files`.
    """
    loader = DataLoader(_TrialDataset(items, load), batch_size=batch_size, shuffle=False, num_workers=workers,
                        collate_fn=_collate)
    bar = None
    if show_progress:
        from ..progress import progress

        bar = progress(total=len(items), desc="scoring", unit="file")
    scores: dict[int, float] = {}
    failures: list[tuple[int, str]] = []
    pipeline.eval()
    try:
        with torch.no_grad():
            for groups, failed in loader:
                if failed and not skip_bad_files:
                    index, reason = failed[0]
                    raise AudioError(getattr(items[index], "path", index), f"{reason} (--skip-bad-files goes on without it)")
                failures += failed
                for inputs, indices in groups:
                    logits = pipeline(inputs.to(device)).float()  # (B, 2)
                    scores.update(zip(indices, scores_from_logits(logits).cpu().tolist()))
                if bar is not None:
                    bar.update(sum(len(indices) for _, indices in groups) + len(failed))
    finally:
        if bar is not None:
            bar.close()
    return scores, failures


def evaluate_checkpoint(
    checkpoint: str | os.PathLike, *, out_dir: str | os.PathLike, manifest: str | os.PathLike | None = None,
    images: str | os.PathLike | None = None, splits: Sequence[str] = (), threshold: float | None = None,
    tdcf: str = "auto", batch_size: int = 32, device: str = "auto", workers: int = 0, skip_bad_files: bool = False,
    show_progress: bool = False, versus: str | os.PathLike | None = None,
) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """Score every trial with the checkpoint, write scores.txt / scores.csv and the report.

    Audio is cropped to the checkpoint's training length from the start, after its quiet edges are cut
    (shorter files padded as in training), exactly as dev was scored, so the stored dev-EER threshold
    applies. Returns (metrics, files skipped as unreadable). `versus`: another system's score file of the same trials (read before scoring,
    so a bad file fails at once), compared in the report.
    """
    from ..training.checkpoint import input_pad, load_pipeline
    from ..training.dataset import image_items, manifest_items
    from ..training.distributed import resolve_device

    if (manifest is None) == (images is None):
        raise ParameterError("give exactly one of a manifest (audio) or an image folder to score with a checkpoint")
    other = read_scores(versus) if versus is not None else None
    torch_device = resolve_device(device)
    loaded = load_pipeline(checkpoint, device=torch_device)
    spec = loaded.config.get("input") or {}
    if spec.get("kind") == "image":
        if images is None:
            raise ParameterError(f"{checkpoint}: an image-mode checkpoint scores PNG folders; pass --images DIR")
        items = image_items(images)
        load: Callable[[Any], np.ndarray] = functools.partial(_load_png, size=tuple(spec["size"]))
    else:
        if manifest is None:
            raise ParameterError(f"{checkpoint}: an audio checkpoint scores a manifest; pass --manifest")
        from ..datasets.manifest import read_manifest

        table = read_manifest(manifest)
        items = manifest_items(table, list(splits) or sorted({row.split for row in table}))
        load = functools.partial(_load_crop, sample_rate=int(spec.get("sample_rate", 16000)),
                                 seconds=float(spec.get("crop_seconds", 4.0)), pad=input_pad(spec))
    scores, failed = score_items(loaded.pipeline, items, load, device=torch_device, batch_size=batch_size,
                                 workers=workers, skip_bad_files=skip_bad_files, show_progress=show_progress)
    rows = [
        ScoreRow(item.utt_id.replace(" ", "_"), scores[i], "bonafide" if item.label == 1 else "spoof",
                 (item.row.attack if item.row else "-") or "-", (item.row.source if item.row else "-") or "-")
        for i, item in enumerate(items) if i in scores
    ]
    out = Path(out_dir)
    write_scores(out / "scores.txt", rows)
    write_scores(out / "scores.csv", rows)
    if threshold is None and loaded.threshold is not None:
        threshold, source = loaded.threshold, "dev EER threshold stored in the checkpoint"
    else:
        source = "given threshold" if threshold is not None else ""
    result = write_report(rows, out, threshold=threshold, threshold_source=source, tdcf=tdcf, title=Path(checkpoint).stem,
                          versus=other, versus_name=str(versus or ""))
    return result, [(str(items[i].path), reason) for i, reason in failed]


def _load_crop(item: Any, *, sample_rate: int, seconds: float, pad: str = "repeat") -> np.ndarray:
    """The first `seconds` of an item's audio after its quiet edges are cut as in training, padded as in training:
    (T,) float32 (module level: workers pickle it)."""
    from ..audio import load_audio
    from ..audio.activity import trim_quiet_edges
    from ..audio.ops import model_crop

    samples = trim_quiet_edges(load_audio(item.path, sample_rate=sample_rate).samples[0], sample_rate)
    return np.ascontiguousarray(model_crop(samples, int(round(seconds * sample_rate)), pad=pad, offset=0,
                                           sample_rate=sample_rate))


def _load_png(item: Any, *, size: tuple[int, int]) -> np.ndarray:
    from ..training.dataset import read_png

    return read_png(item.path, size)
