"""The training loop: plain PyTorch, readable top to bottom (DESIGN.md §4 explains why not Lightning).

A run directory holds: config.yaml (resolved), data_summary.json, log.csv (one row per epoch),
model.safetensors (the best epoch by dev EER, calibrated: the deliverable), last.safetensors (the
resumable state), dev_scores.txt (best epoch), summary.json, and tensorboard/ when TensorBoard is installed.
"""

from __future__ import annotations

import csv
import gc
import json
import logging
import math
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, Subset

from ..errors import CheckpointError, DatasetError, ParameterError
from ..evaluation.calibration import fit_calibration
from ..evaluation.metrics import eer as compute_eer
from ..evaluation.scores import ScoreRow, write_scores
from ..progress import progress as progress_bar
from . import checkpoint as ckpt
from .augment import BatchAugment, launder_hook, one_hot
from .config import ExperimentConfig, save_config
from .dataset import (AudioCropDataset, EpochSampler, ImageDataset, Item, class_counts, class_weights, data_summary,
                      image_items, manifest_items)
from .distributed import Runtime
from .pipeline import amp_dtype, build_pipeline, score_batches

log = logging.getLogger(__name__)
LOG_COLUMNS = ["epoch", "train_loss", "train_accuracy", "dev_loss", "dev_eer", "lr", "seconds", "best"]
# Sections that must match for a resume to continue the same experiment (epochs and patience may grow).
_RESUME_KEYS = ("data", "frontend", "morphology", "model", "augment")


@dataclass
class TrainResult:
    out_dir: str
    checkpoint: str
    best_epoch: int
    best_dev_eer: float
    epochs_run: int
    stopped_early: bool
    seconds: float


def _comparable(experiment: dict[str, Any], key: str) -> Any:
    """A config section without the settings that may change between a run and its resume."""
    value = experiment.get(key)
    if key == "data" and isinstance(value, dict):
        return {k: v for k, v in value.items() if k not in ("num_workers", "cache_audio", "skip_bad_files")}
    return value


def _datasets(config: ExperimentConfig, runtime: Runtime, show: bool) -> tuple[Any, Any, list[Item], dict[str, Any]]:
    """(train set, dev set, dev items, input spec) for audio or image mode."""
    data = config.data
    if data.image_mode:
        train_items, dev_items = image_items(data.image_dirs["train"]), image_items(data.image_dirs["dev"])
        train = ImageDataset(train_items, size=data.image_size, cache=data.cache_audio)
        dev = ImageDataset(dev_items, size=data.image_size, cache=data.cache_audio)
        return train, dev, dev_items, {"kind": "image", "size": list(data.image_size)}
    from ..datasets.manifest import read_manifest

    manifest = read_manifest(data.manifest)
    num_samples = int(round(data.crop_seconds * data.sample_rate))
    common = dict(sample_rate=data.sample_rate, num_samples=num_samples, seed=config.train.seed,
                  cache=data.cache_audio, skip_bad_files=data.skip_bad_files, progress=show, pad=data.pad)
    train = AudioCropDataset(manifest_items(manifest, data.train_split), train=True,
                             transform=launder_hook(config.augment), **common)
    dev = AudioCropDataset(manifest_items(manifest, data.dev_split), train=False, **common)
    spec = {"kind": "audio", "sample_rate": data.sample_rate, "crop_seconds": data.crop_seconds, "pad": data.pad}
    return train, dev, dev.items, spec


def _check_classes(name: str, items: list[Item]) -> None:
    counts = class_counts(items)
    if not counts["bonafide"] or not counts["spoof"]:
        raise DatasetError(f"the {name} set needs both classes, got {counts['bonafide']} bona fide and {counts['spoof']} spoof")


def _lr_at(config: ExperimentConfig, epoch: int) -> float:
    if config.train.lr_schedule == "constant":
        return config.train.lr
    return config.train.lr * 0.5 * (1.0 + math.cos(math.pi * epoch / config.train.epochs))


class _Logger:
    """CSV log (always) and TensorBoard (only if the tensorboard package is installed), main rank only."""

    def __init__(self, out: Path, *, append: bool, enabled: bool) -> None:
        self.enabled, self.path, self.writer = enabled, out / "log.csv", None
        if not enabled:
            return
        if not (append and self.path.exists()):
            with open(self.path, "w", newline="", encoding="utf-8") as handle:
                csv.writer(handle).writerow(LOG_COLUMNS)
        try:
            from torch.utils.tensorboard import SummaryWriter

            self.writer = SummaryWriter(str(out / "tensorboard"))
        except ImportError:  # tensorboard is optional; the CSV has the same numbers
            self.writer = None

    def row(self, values: dict[str, Any]) -> None:
        if not self.enabled:
            return
        with open(self.path, "a", newline="", encoding="utf-8") as handle:
            csv.writer(handle).writerow([values.get(c, "") for c in LOG_COLUMNS])
        if self.writer is not None:
            for key in ("train_loss", "train_accuracy", "dev_loss", "dev_eer", "lr"):
                if isinstance(values.get(key), float) and math.isfinite(values[key]):
                    self.writer.add_scalar(key, values[key], values["epoch"])

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


class _Run:
    def __init__(self, config: ExperimentConfig, out: Path, runtime: Runtime, *, resume: bool, show: bool,
                 echo: Callable[[str], None]) -> None:
        self.config, self.out, self.runtime, self.resume, self.echo = config, out, runtime, resume, echo
        self.show = show and runtime.is_main
        self.started = time.perf_counter()

    # --- set-up -------------------------------------------------------------------------------------
    def setup(self) -> None:
        config, runtime = self.config, self.runtime
        torch.manual_seed(config.train.seed + runtime.rank)
        config.resolve_frontend_rate()
        self.train_set, self.dev_set, dev_items, self.input_spec = _datasets(config, runtime, self.show)
        _check_classes("train", self.train_set.items)
        _check_classes("dev", dev_items)
        self.dev_items = dev_items
        self.summary = data_summary({"train": self.train_set.items, "dev": dev_items})
        failures = getattr(self.train_set, "failures", []) + getattr(self.dev_set, "failures", [])
        self.summary["skipped_files"] = [{"path": p, "reason": r} for p, r in failures]
        frontend = None if config.data.image_mode else config.frontend
        self.pipeline = build_pipeline(frontend=frontend, morphology=config.morphology, model=config.model,
                                       num_bins=config.data.image_size[0]).to(runtime.device)
        if config.data.pad != "repeat" and self.pipeline.model.trained_by_gradient:
            raise ParameterError(f"data.pad {config.data.pad!r} (inputs of their own length) is for models fitted in "
                                 f"closed form (gmm, svm); {self.pipeline.model.name} trains on fixed-length batches")
        if config.train.pretrained:
            from ..models.resnet import ResNet18, load_imagenet_weights

            if not isinstance(self.pipeline.model, ResNet18):
                raise ParameterError("train.pretrained (ImageNet weights) applies to the resnet18 model only")
            load_imagenet_weights(self.pipeline.model, config.train.pretrained)
        if runtime.is_main:
            self.out.mkdir(parents=True, exist_ok=True)
            save_config(config, self.out / "config.yaml")
            (self.out / "data_summary.json").write_text(json.dumps(self.summary, indent=2) + "\n", encoding="utf-8")

    def loader(self, dataset: Any, *, train: bool) -> DataLoader:
        runtime, data = self.runtime, self.config.data
        common = dict(batch_size=self.batch_size, num_workers=data.num_workers,
                      pin_memory=runtime.device.type == "cuda", persistent_workers=data.num_workers > 0)
        if train:
            self.sampler = EpochSampler(dataset.labels, balanced=data.balance == "sampler", seed=self.config.train.seed,
                                        rank=runtime.rank, world_size=runtime.world_size)
            return DataLoader(dataset, sampler=self.sampler, drop_last=len(self.sampler) > self.config.train.batch_size, **common)
        self.dev_indices = list(range(runtime.rank, len(dataset), runtime.world_size))
        return DataLoader(Subset(dataset, self.dev_indices), shuffle=False, **common)

    @property
    def batch_size(self) -> int:
        """Inputs of their own length (data.pad "none") cannot be stacked: one per batch."""
        return self.config.train.batch_size if self.config.data.pad == "repeat" else 1

    # --- evaluation and checkpoints -------------------------------------------------------------------
    def dev_scores(self, loader: DataLoader) -> tuple[np.ndarray, np.ndarray, float]:
        amp = self.config.train.amp
        scores, labels, loss = score_batches(self.pipeline, loader, device=self.runtime.device, amp=amp)
        parts = self.runtime.gather((self.dev_indices, scores.tolist(), labels.tolist(), loss, len(scores)))
        order = np.concatenate([np.asarray(p[0], dtype=int) for p in parts])
        all_scores = np.concatenate([np.asarray(p[1]) for p in parts])[np.argsort(order)]
        all_labels = np.concatenate([np.asarray(p[2], dtype=int) for p in parts])[np.argsort(order)]
        mean_loss = sum(p[3] * p[4] for p in parts) / max(sum(p[4] for p in parts), 1)
        return all_scores, all_labels, mean_loss

    def save_best(self, scores: np.ndarray, labels: np.ndarray, epoch: int, dev_eer: float, threshold: float) -> None:
        if not self.runtime.is_main:
            return
        bona, spoof = scores[labels == 1], scores[labels == 0]
        calibration = fit_calibration(bonafide_scores=bona, spoof_scores=spoof)
        threshold_info = {"score": threshold, "p_fake": float(calibration.p_fake(threshold)),
                          "source": "dev EER threshold", "dev_eer": dev_eer}
        training = {"epoch": epoch, "dev_eer": dev_eer, "data": self.summary, "experiment": self.config.to_dict()}
        config = ckpt.checkpoint_config(self.pipeline, input_spec=self.input_spec, calibration=calibration,
                                        threshold=threshold_info, training=training)
        ckpt.save_checkpoint(self.out / "model.safetensors", tensors=ckpt.model_tensors(self.pipeline), config=config)
        rows = []
        for item, score in zip(self.dev_items, scores):
            row = item.row
            rows.append(ScoreRow(item.utt_id.replace(" ", "_"), float(score), "bonafide" if item.label == 1 else "spoof",
                                 (row.attack if row else "-") or "-", (row.source if row else "-") or "-"))
        write_scores(self.out / "dev_scores.txt", rows)

    # --- the loop --------------------------------------------------------------------------------------
    def run(self) -> TrainResult:
        self.setup()
        if not self.pipeline.model.trained_by_gradient:
            return self.fit_closed_form()
        config, runtime = self.config, self.runtime
        model = self.pipeline.model
        optimizer = torch.optim.AdamW(model.parameters(), lr=config.train.lr, weight_decay=config.train.weight_decay)
        use_amp = config.train.amp and runtime.device.type == "cuda"
        scaler = torch.amp.GradScaler("cuda", enabled=use_amp and amp_dtype(runtime.device) == torch.float16)
        progress = {"epoch": -1, "best_eer": float("inf"), "best_epoch": -1, "bad_epochs": 0}
        last = self.out / "last.safetensors"
        resumed = self.resume and last.exists()
        if resumed:
            saved = ckpt.load_training_state(last, pipeline=self.pipeline, optimizer=optimizer, scaler=scaler)
            changed = [k for k in _RESUME_KEYS if _comparable(saved["experiment"], k) != _comparable(config.to_dict(), k)]
            if changed:
                raise CheckpointError(f"{last}: was written by a different experiment ({', '.join(changed)} changed); "
                                      "use another --out or --no-resume")
            progress = saved["progress"]
            self.echo(f"resuming after epoch {progress['epoch'] + 1} (best dev EER {100 * progress['best_eer']:.2f} %)")
        logger = _Logger(self.out, append=resumed, enabled=runtime.is_main)
        ddp = nn.parallel.DistributedDataParallel(
            model, device_ids=[runtime.device.index] if runtime.device.type == "cuda" else None
        ) if runtime.distributed else model
        train_loader, dev_loader = self.loader(self.train_set, train=True), self.loader(self.dev_set, train=False)
        augment = BatchAugment.from_config(config.augment)
        weights = class_weights(self.train_set.labels).to(runtime.device) if config.data.balance == "loss" else None
        stopped_early, epochs_run = False, 0
        try:
            for epoch in range(progress["epoch"] + 1, config.train.epochs):
                if progress["bad_epochs"] >= config.train.patience:
                    stopped_early = True
                    break
                tick = time.perf_counter()
                lr = _lr_at(config, epoch)
                for group in optimizer.param_groups:
                    group["lr"] = lr
                self.sampler.set_epoch(epoch)
                self.train_set.set_epoch(epoch)
                rng = np.random.default_rng([config.train.seed, epoch, runtime.rank, 31])
                # Re-seed torch (dropout) per epoch, so a resumed run repeats an uninterrupted one exactly.
                torch.manual_seed(int(rng.integers(2**62)))
                ddp.train()
                loss_sum = correct = seen = 0.0
                bar = progress_bar(total=len(train_loader), desc=f"epoch {epoch + 1}/{config.train.epochs}", unit="batch") if self.show else None
                for inputs, labels in train_loader:
                    inputs, labels = inputs.to(runtime.device, non_blocking=True), labels.to(runtime.device)
                    with torch.no_grad():
                        features = self.pipeline.features(inputs)  # (B, 1, F, T)
                    features, targets = augment(features, one_hot(labels), rng)
                    with torch.autocast(device_type=runtime.device.type, dtype=amp_dtype(runtime.device), enabled=use_amp):
                        logits = ddp(features).float()  # (B, 2)
                    loss = nn.functional.cross_entropy(logits, targets, weight=weights)
                    optimizer.zero_grad(set_to_none=True)
                    scaler.scale(loss).backward()
                    scaler.unscale_(optimizer)
                    nn.utils.clip_grad_norm_(model.parameters(), config.train.grad_clip)
                    scaler.step(optimizer)
                    scaler.update()
                    loss_sum += float(loss.detach()) * labels.numel()
                    correct += float((logits.argmax(1) == labels).sum())
                    seen += labels.numel()
                    if bar is not None:
                        bar.update(1)
                        bar.set_postfix(loss=f"{loss_sum / seen:.4f}")
                if bar is not None:
                    bar.close()
                scores, labels_dev, dev_loss = self.dev_scores(dev_loader)
                dev_eer, threshold = compute_eer(bonafide_scores=scores[labels_dev == 1], spoof_scores=scores[labels_dev == 0])
                # Select on dev EER; on a tie (often 0 % on easy dev sets) a clearly lower dev loss wins.
                better = dev_eer < progress["best_eer"] - 1e-12 or (abs(dev_eer - progress["best_eer"]) <= 1e-12
                                                                   and dev_loss < progress.get("best_loss", float("inf")) - 1e-4)
                if better:
                    progress.update(best_eer=dev_eer, best_loss=dev_loss, best_epoch=epoch, bad_epochs=0)
                    self.save_best(scores, labels_dev, epoch, dev_eer, threshold)
                else:
                    progress["bad_epochs"] += 1
                progress["epoch"] = epoch
                epochs_run += 1
                train_stats = runtime.gather((loss_sum, correct, seen))
                total_seen = max(sum(s[2] for s in train_stats), 1)
                logger.row({"epoch": epoch + 1, "train_loss": sum(s[0] for s in train_stats) / total_seen,
                            "train_accuracy": sum(s[1] for s in train_stats) / total_seen, "dev_loss": dev_loss,
                            "dev_eer": dev_eer, "lr": lr, "seconds": round(time.perf_counter() - tick, 3), "best": int(better)})
                self.echo(f"epoch {epoch + 1}: train loss {sum(s[0] for s in train_stats) / total_seen:.4f}, "
                          f"dev EER {100 * dev_eer:.2f} %{' (best)' if better else ''}")
                if runtime.is_main:
                    ckpt.save_training_state(last, pipeline=self.pipeline, optimizer=optimizer, scaler=scaler,
                                             progress=progress, experiment=config.to_dict())
                runtime.barrier()
        finally:
            logger.close()
        return self.finish(progress, epochs_run, stopped_early)

    def fit_closed_form(self) -> TrainResult:
        """Models fitted without gradients (GMM, SVM): collect their rows from the training data, fit, score dev once."""
        model, runtime = self.pipeline.model, self.runtime
        limit = model.fit_rows_wanted()
        rows: dict[int, list[np.ndarray]] = {0: [], 1: []}
        counts = {0: 0, 1: 0}
        # Every rank fits the same model on all the data (EM and the SVM solver are not sharded), so all ranks agree.
        # Each file once (no balanced redraws: repeated rows add nothing); the fits weigh the classes themselves.
        sampler = EpochSampler(self.train_set.labels, balanced=False, seed=self.config.train.seed)
        loader = DataLoader(self.train_set, sampler=sampler, batch_size=self.batch_size,
                            num_workers=self.config.data.num_workers)
        with torch.no_grad():
            for inputs, labels in loader:
                batch = model.fit_rows(self.pipeline.features(inputs.to(runtime.device))).cpu().numpy()  # (B, N, D)
                for example, label in zip(batch, labels.tolist()):
                    if counts[label] < limit:
                        rows[label].append(example)
                        counts[label] += len(example)
                if min(counts.values()) >= limit:
                    break
        model.fit_closed_form(bonafide=np.concatenate(rows[1]), spoof=np.concatenate(rows[0]), seed=self.config.train.seed)
        scores, labels_dev, dev_loss = self.dev_scores(self.loader(self.dev_set, train=False))
        dev_eer, threshold = compute_eer(bonafide_scores=scores[labels_dev == 1], spoof_scores=scores[labels_dev == 0])
        self.save_best(scores, labels_dev, 0, dev_eer, threshold)
        logger = _Logger(self.out, append=False, enabled=runtime.is_main)
        logger.row({"epoch": 1, "dev_loss": dev_loss, "dev_eer": dev_eer, "best": 1,
                    "seconds": round(time.perf_counter() - self.started, 3)})
        logger.close()
        self.echo(f"{model.name} fitted: dev EER {100 * dev_eer:.2f} %")
        return self.finish({"best_eer": dev_eer, "best_epoch": 0}, 1, False)

    def finish(self, progress: dict[str, Any], epochs_run: int, stopped_early: bool) -> TrainResult:
        result = TrainResult(out_dir=str(self.out), checkpoint=str(self.out / "model.safetensors"),
                             best_epoch=int(progress["best_epoch"]) + 1, best_dev_eer=float(progress["best_eer"]),
                             epochs_run=epochs_run, stopped_early=stopped_early,
                             seconds=round(time.perf_counter() - self.started, 3))
        if self.runtime.is_main:
            (self.out / "summary.json").write_text(json.dumps(asdict(result), indent=2) + "\n", encoding="utf-8")
        return result


def train(config: ExperimentConfig, *, out_dir: str | os.PathLike, resume: bool = True, show_progress: bool = True,
          echo: Callable[[str], None] | None = None) -> TrainResult:
    """Train (or resume) the experiment `config` into `out_dir` and return where the best model is.

    Under torchrun each process trains on its shard with DDP; only rank 0 writes files.
    """
    config.check()
    runtime = Runtime.start(config.train.device)
    say = echo if (echo is not None and runtime.is_main) else (lambda message: log.info(message))
    run = None
    try:
        run = _Run(config, Path(out_dir), runtime, resume=resume, show=show_progress, echo=say)
        return run.run()
    finally:
        # The DDP wrapper and its reducer hold Gloo work and the process group; left to a later garbage
        # collection (the run's objects reference each other), they could be torn down at interpreter exit after
        # the group, when native threads can no longer take the GIL (PyTorch's SIGABRT "terminate called without
        # an active exception", pytorch/pytorch#179291). Free them while the group and the interpreter are alive.
        del run
        gc.collect()
        runtime.close()
