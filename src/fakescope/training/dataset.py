"""Training data: manifest rows → fixed-length waveform crops; PNG folders → image tensors; balanced sampling.

Crops are deterministic given (seed, epoch, index), so a resumed run sees the same crops as an
uninterrupted one and DataLoader workers need no shared random state.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

import numpy as np
import torch
from torch.utils.data import Dataset, Sampler

from ..audio import load_audio
from ..audio.activity import trim_quiet_edges
from ..audio.ops import model_crop
from ..datasets.manifest import Manifest, ManifestRow
from ..errors import AudioError, DatasetError, ParameterError
from ..models.registry import BONAFIDE, SPOOF

log = logging.getLogger(__name__)

IMAGE_EXTENSIONS = (".png",)
# attack(samples (C, T) float32, sample_rate, rng) → samples of the same shape: the laundering hook's contract.
WaveTransform = Callable[[np.ndarray, int, np.random.Generator], np.ndarray]


@dataclass(frozen=True)
class Item:
    """One training/evaluation example: a file, its class index and its manifest row (None for images)."""

    path: Path
    label: int  # 1 = bona fide, 0 = spoof (the logit index)
    utt_id: str
    row: ManifestRow | None = None


def label_index(label: str) -> int:
    return BONAFIDE if label == "bonafide" else SPOOF


def manifest_items(manifest: Manifest, splits: Sequence[str]) -> list[Item]:
    """The manifest rows whose split is in `splits`, as items (DatasetError when none match)."""
    wanted = set(splits)
    items = [Item(manifest.resolve(r), label_index(r.label), r.utt_id, r) for r in manifest if r.split in wanted]
    if not items:
        present = sorted({r.split for r in manifest})
        raise DatasetError(f"{manifest.root}: no manifest rows in split(s) {', '.join(splits)} (splits present: {', '.join(present)})")
    return items


def image_items(folder: str | Path) -> list[Item]:
    """Labelled PNGs of a folder: from its index.csv (`path,label,png`, what `fakescope spectrogram` writes)
    when there is one, else every PNG below it labelled by a real/fake (bonafide/spoof) folder on its path."""
    from ..inputs import label_from_path

    folder = Path(folder)
    if not folder.is_dir():
        raise DatasetError(f"{folder}: image folder not found")
    if (folder / "index.csv").is_file():
        return _indexed_images(folder / "index.csv")
    items = []
    for path in sorted(p for p in folder.rglob("*") if p.suffix.lower() in IMAGE_EXTENSIONS and p.is_file()):
        label = label_from_path(path.relative_to(folder))
        if label:
            items.append(Item(path, label_index(label), path.relative_to(folder).as_posix()))
    if not items:
        raise DatasetError(f"{folder}: no PNG files under real/ or fake/ (or bonafide/ and spoof/) subfolders")
    return items


def _indexed_images(index: Path) -> list[Item]:
    import csv

    with open(index, newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        if not {"label", "png"} <= set(reader.fieldnames or []):
            raise DatasetError(f"{index}: needs label and png columns (has: {', '.join(reader.fieldnames or [])})")
        records = list(reader)
    items = [Item(index.parent / r["png"], label_index(r["label"]), Path(r["png"]).with_suffix("").as_posix())
             for r in records if r["label"] in ("bonafide", "spoof")]
    if not items:
        raise DatasetError(f"{index}: no rows labelled bonafide or spoof (label the inputs by folder or manifest)")
    return items


def class_counts(items: Sequence[Item]) -> dict[str, int]:
    counts = Counter(item.label for item in items)
    return {"bonafide": counts.get(BONAFIDE, 0), "spoof": counts.get(SPOOF, 0)}


def data_summary(splits: dict[str, Sequence[Item]]) -> dict[str, Any]:
    """Counts per split by class, and by source and attack where the items come from a manifest."""
    summary: dict[str, Any] = {}
    for name, items in splits.items():
        entry: dict[str, Any] = {"files": len(items), **class_counts(items)}
        rows = [item.row for item in items if item.row is not None]
        if rows:
            entry["sources"] = dict(sorted(Counter(r.source for r in rows).items()))
            entry["attacks"] = dict(sorted(Counter(r.attack for r in rows).items()))
            durations = [r.duration_s for r in rows if r.duration_s is not None]
            entry["hours"] = round(sum(durations) / 3600.0, 4) if durations else None
        summary[name] = entry
    return summary


class AudioCropDataset(Dataset):
    """Items → (waveform (num_samples,) float32, label) at `sample_rate`.

    Each file's quiet edges are first cut to at most `audio.activity.QUIET_EDGE_MAX_S`, as scanning cuts them.
    train=True: a random crop per (seed, epoch, index), then `transform` (laundering) if given;
    train=False: the first `num_samples`. Shorter files are repeat-padded (no artificial silence, which
    would be a class shortcut), or with pad="none" kept at their own length (`audio.ops.model_crop`; the
    inputs then differ in length and are batched one at a time).
    """

    def __init__(
        self, items: Sequence[Item], *, sample_rate: int, num_samples: int, train: bool, seed: int = 0,
        transform: WaveTransform | None = None, cache: bool = True, skip_bad_files: bool = False,
        progress: bool = False, pad: str = "repeat",
    ) -> None:
        if num_samples <= 0:
            raise ParameterError(f"num_samples must be > 0, got {num_samples}")
        self.sample_rate = int(sample_rate)
        self.num_samples = int(num_samples)
        self.pad = pad
        self.train = train
        self.seed = int(seed)
        self.epoch = 0
        self.transform = transform
        self.cache: dict[int, np.ndarray] | None = {} if cache else None
        self.failures: list[tuple[str, str]] = []
        self.items = list(items)
        if cache:
            self._preload(skip_bad_files, progress)

    def _preload(self, skip_bad_files: bool, progress: bool) -> None:
        from ..progress import progress as bar

        kept, cache = [], {}
        for item in bar(self.items, desc="decoding audio", unit="file", total=len(self.items)) if progress else self.items:
            try:
                samples = self._decode(item)
            except AudioError as exc:
                if not skip_bad_files:
                    raise
                self.failures.append((str(item.path), exc.reason))
                log.warning("skipping %s", exc)
                continue
            cache[len(kept)] = samples
            kept.append(item)
        self.items, self.cache = kept, cache
        if not kept:
            raise DatasetError("no readable audio files among the items")

    def set_epoch(self, epoch: int) -> None:
        self.epoch = int(epoch)

    def __len__(self) -> int:
        return len(self.items)

    @property
    def labels(self) -> list[int]:
        return [item.label for item in self.items]

    def samples(self, index: int) -> np.ndarray:
        """The decoded file, its quiet edges cut as a scan cuts them, (T,) float32."""
        if self.cache is not None and index in self.cache:
            return self.cache[index]
        return self._decode(self.items[index])

    def _decode(self, item: Item) -> np.ndarray:
        # The model sees what a scan will show it: at most QUIET_EDGE_MAX_S of quiet at either end
        # (`audio.activity`). A trimmed file is copied so that the cache does not keep its edges alive.
        whole = load_audio(item.path, sample_rate=self.sample_rate).samples[0]
        kept = trim_quiet_edges(whole, self.sample_rate)
        return kept if kept.size == whole.size else kept.copy()

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int]:
        samples = self.samples(index)
        crop_args = dict(pad=self.pad, sample_rate=self.sample_rate)
        if not self.train:
            crop = model_crop(samples, self.num_samples, offset=0, **crop_args)
            return torch.from_numpy(np.ascontiguousarray(crop, dtype=np.float32)), self.items[index].label
        rng = np.random.default_rng([self.seed, self.epoch, index])
        offset = int(rng.integers(0, max(samples.shape[-1] - self.num_samples, 0) + 1))
        crop = model_crop(samples, self.num_samples, offset=offset, **crop_args)[np.newaxis, :]  # (1, T)
        if self.transform is not None:
            crop = self.transform(crop, self.sample_rate, rng)
        return torch.from_numpy(np.ascontiguousarray(crop[0], dtype=np.float32)), self.items[index].label


def read_png(path: str | Path, size: Sequence[int]) -> np.ndarray:
    """A PNG as a grey (1, height, width) float32 array in [0, 1], resized bilinearly to `size` = (height, width)."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            grey = image.convert("L").resize((int(size[1]), int(size[0])), Image.Resampling.BILINEAR)
            return (np.asarray(grey, dtype=np.float32) / 255.0)[np.newaxis]
    except (OSError, UnidentifiedImageError) as exc:
        raise DatasetError(f"{path}: cannot read the image ({exc})") from None


class ImageDataset(Dataset):
    """PNG spectrogram items → ((1, H, W) float32 in [0, 1], label): the seed design's input."""

    def __init__(self, items: Sequence[Item], *, size: Sequence[int], cache: bool = True) -> None:
        self.items = list(items)
        self.size = (int(size[0]), int(size[1]))
        self.cache: dict[int, np.ndarray] | None = {} if cache else None

    def set_epoch(self, epoch: int) -> None:  # images are used whole: nothing varies by epoch
        pass

    def __len__(self) -> int:
        return len(self.items)

    @property
    def labels(self) -> list[int]:
        return [item.label for item in self.items]

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int]:
        if self.cache is not None and index in self.cache:
            image = self.cache[index]
        else:
            image = read_png(self.items[index].path, self.size)
            if self.cache is not None:
                self.cache[index] = image
        return torch.from_numpy(image), self.items[index].label


class EpochSampler(Sampler[int]):
    """Per-epoch indices, either a shuffle or class-balanced draws (with replacement, each class equally
    likely), sharded across DDP ranks. Deterministic given (seed, epoch)."""

    def __init__(self, labels: Sequence[int], *, balanced: bool, seed: int = 0, rank: int = 0, world_size: int = 1) -> None:
        self.labels = np.asarray(labels)
        if self.labels.size == 0:
            raise ParameterError("cannot sample from an empty dataset")
        self.balanced = balanced and len(np.unique(self.labels)) > 1
        self.seed, self.rank, self.world_size = int(seed), int(rank), int(world_size)
        self.epoch = 0
        self.per_rank = -(-self.labels.size // self.world_size)

    def set_epoch(self, epoch: int) -> None:
        self.epoch = int(epoch)

    def __len__(self) -> int:
        return self.per_rank

    def __iter__(self) -> Iterator[int]:
        rng = np.random.default_rng([self.seed, self.epoch, 7919])
        total = self.per_rank * self.world_size
        if self.balanced:
            counts = np.bincount(self.labels)
            weights = 1.0 / counts[self.labels]
            indices = rng.choice(self.labels.size, size=total, replace=True, p=weights / weights.sum())
        else:
            indices = rng.permutation(self.labels.size)
            indices = np.resize(indices, total)  # pad by wrapping so every rank gets the same count
        return iter(indices[self.rank :: self.world_size].tolist())


def class_weights(labels: Sequence[int]) -> torch.Tensor:
    """Inverse-frequency loss weights (2,), normalised so that a balanced set gets weights of 1."""
    counts = np.bincount(np.asarray(labels), minlength=2).astype(np.float64)
    if np.any(counts == 0):
        return torch.ones(2)
    return torch.tensor(counts.sum() / (2.0 * counts), dtype=torch.float32)
