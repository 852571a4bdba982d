"""`fakescope train`: train a detector from a manifest (or PNG folders) into a run folder."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Optional

import typer

from .app import app, fail


def _parse_sets(values: list[str]) -> dict[str, object]:
    import yaml

    overrides: dict[str, object] = {}
    for item in values:
        key, sep, raw = item.partition("=")
        if not sep or not key.strip():
            raise fail(f"--set expects KEY.PATH=VALUE, got {item!r}")
        try:
            overrides[key.strip()] = yaml.safe_load(raw)
        except yaml.YAMLError:
            raise fail(f"--set {key}: value {raw!r} is not valid YAML") from None
    return overrides


@app.command("train")
def train_command(
    out: Path = typer.Option(..., "--out", "-o", help="Run folder: checkpoints, logs, resolved config."),
    config: Optional[Path] = typer.Option(None, "--config", "-c", help="YAML experiment file (see configs/)."),
    manifest: Optional[Path] = typer.Option(None, "--manifest", "-m", help="Manifest CSV; train/dev rows by its split column."),
    frontend: Optional[str] = typer.Option(None, "--frontend", help="Front-end name (fakescope list)."),
    model: Optional[str] = typer.Option(None, "--model", help="Model name: seed_cnn, resnet18, lcnn, gmm, svm."),
    morphology: list[str] = typer.Option([], "--morphology", help="Morphology op, e.g. opening:3x3 (repeatable)."),
    train_split: list[str] = typer.Option([], "--train-split", help="Split name(s) to train on (default train)."),
    dev_split: list[str] = typer.Option([], "--dev-split", help="Split name(s) for model selection (default dev)."),
    epochs: Optional[int] = typer.Option(None, "--epochs"),
    batch_size: Optional[int] = typer.Option(None, "--batch-size", help="Per process under torchrun."),
    lr: Optional[float] = typer.Option(None, "--lr"),
    patience: Optional[int] = typer.Option(None, "--patience", help="Epochs without a better dev EER before stopping."),
    crop_seconds: Optional[float] = typer.Option(None, "--crop-seconds", help="Training crop length (default 4 s)."),
    balance: Optional[str] = typer.Option(None, "--balance", help="sampler | loss | none."),
    specaugment: Optional[bool] = typer.Option(None, "--specaugment/--no-specaugment"),
    mixup: Optional[float] = typer.Option(None, "--mixup", help="MixUp Beta alpha (0 = off)."),
    cutmix: Optional[float] = typer.Option(None, "--cutmix", help="CutMix Beta alpha (0 = off)."),
    launder: Optional[str] = typer.Option(None, "--launder", help="Laundering-in-the-loop: a launder spec (random:default) or package.module:callable."),
    pretrained: Optional[Path] = typer.Option(None, "--pretrained", help="resnet18: torchvision ImageNet state-dict file."),
    seed: Optional[int] = typer.Option(None, "--seed"),
    device: Optional[str] = typer.Option(None, "--device", help="auto | cpu | cuda | cuda:N."),
    num_workers: Optional[int] = typer.Option(None, "--num-workers"),
    set_: list[str] = typer.Option([], "--set", help="Any config key, e.g. --set model.dropout=0.3 (repeatable)."),
    resume: bool = typer.Option(True, "--resume/--no-resume", help="Continue from RUN/last.safetensors if present."),
) -> None:
    """Train a model; the best epoch by dev EER, calibrated, is saved as RUN/model.safetensors.

    Runs on CPU or GPU (mixed precision there) and, unchanged, under torchrun for multi-GPU DDP.
    """
    from ..training import load_config, train

    overrides: dict[str, object] = {}
    for key, value in (
        ("data.manifest", str(manifest.resolve()) if manifest else None), ("data.train_split", train_split or None),
        ("data.dev_split", dev_split or None), ("data.crop_seconds", crop_seconds), ("data.balance", balance),
        ("data.num_workers", num_workers), ("train.epochs", epochs), ("train.batch_size", batch_size),
        ("train.lr", lr), ("train.patience", patience), ("train.seed", seed), ("train.device", device),
        ("train.pretrained", str(pretrained.resolve()) if pretrained else None), ("augment.specaugment", specaugment),
        ("augment.mixup_alpha", mixup), ("augment.cutmix_alpha", cutmix), ("augment.launder", launder),
        ("morphology", list(morphology) or None),
    ):
        if value is not None:
            overrides[key] = value
    overrides.update(_parse_sets(set_))
    experiment = load_config(config, overrides=overrides, names={"frontend": frontend, "model": model})
    result = train(experiment, out_dir=out, resume=resume, echo=lambda message: typer.echo(message, err=True))
    if os.environ.get("RANK", "0") != "0":
        return  # under torchrun, rank 0 reports for all
    typer.echo(f"best dev EER {100 * result.best_dev_eer:.2f} % at epoch {result.best_epoch} "
               f"({result.epochs_run} epoch(s) run{', stopped early' if result.stopped_early else ''}, {result.seconds:.1f} s)")
    typer.echo(f"checkpoint: {result.checkpoint}")
