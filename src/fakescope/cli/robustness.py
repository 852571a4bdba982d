"""`fakescope robustness`: a checkpoint's EER under every laundering condition of a grid, laundered on the fly."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Optional

import typer

from .app import app, report_failures


@app.command("robustness")
def robustness_command(
    checkpoint: Path = typer.Option(..., "--checkpoint", help="A fakescope .safetensors audio checkpoint."),
    manifest: Path = typer.Option(..., "--manifest", "-m", help="Trials to score (a fakescope manifest)."),
    grid: str = typer.Option(..., "--grid", help="Conditions: paper, full, or a grid YAML file (clean is always added)."),
    out: Path = typer.Option(..., "--out", "-o", help="Report folder: robustness.md/.csv/.png, robustness.json, scores/."),
    split: list[str] = typer.Option([], "--split", help="Only these manifest splits (repeatable; default eval if present, else all)."),
    noise_dir: Optional[Path] = typer.Option(None, "--noise-dir", help="Noise recordings: labels.csv (path, category) or one folder per category."),
    rir_dir: Optional[Path] = typer.Option(None, "--rir-dir", help="Measured impulse responses for the `rir` attack."),
    babble_manifest: Optional[Path] = typer.Option(None, "--babble-manifest", help="Talkers for synthetic babble (bona fide rows; default: --manifest)."),
    skip_unavailable: bool = typer.Option(False, "--skip-unavailable", help="Drop conditions whose recordings are missing instead of stopping."),
    limit: Optional[int] = typer.Option(None, "--limit", min=2, help="Score a stratified subset of N files (balanced by label, seeded)."),
    workers: int = typer.Option(min(4, os.cpu_count() or 1), "--workers", "-j", min=0, help="Processes decoding and laundering audio."),
    seed: int = typer.Option(0, "--seed", min=0, help="Seed of the laundering draws (per file and condition) and of --limit."),
    threshold: Optional[float] = typer.Option(None, "--threshold", help="Decision threshold for accuracy (default: the checkpoint's dev-EER threshold)."),
    tdcf: str = typer.Option("auto", "--tdcf", help="ASVspoof 2019 t-DCF constants: auto | eval | dev | off."),
    batch_size: int = typer.Option(32, "--batch-size", min=1),
    device: str = typer.Option("auto", "--device"),
) -> None:
    """Evaluate a checkpoint under the clean condition and every grid condition; resumable (finished conditions are kept)."""
    from ..evaluation.robustness import CLEAN, run_robustness
    from ..launder.runner import ResourceConfig

    resources = ResourceConfig(
        noise_dir=str(noise_dir) if noise_dir else None,
        rir_dir=str(rir_dir) if rir_dir else None,
        babble_manifest=str(babble_manifest or manifest),
    )
    result = run_robustness(
        checkpoint, manifest=manifest, grid=grid, out_dir=out, splits=split, resources=resources,
        skip_unavailable=skip_unavailable, limit=limit, seed=seed, threshold=threshold, tdcf=tdcf,
        batch_size=batch_size, device=device, workers=workers, show_progress=True,
    )
    for name, why in result.skipped.items():
        typer.echo(f"skipping condition {name}: {why}", err=True)
    clean = result.records[CLEAN]["eer"]
    attacked = [(name, result.records[name]["eer"]) for name in result.conditions
                if name != CLEAN and result.records[name]["eer"] is not None]
    summary = f"{len(result.conditions)} condition(s) ({result.ran} run, {result.resumed} kept from before)"
    if clean is not None:
        summary += f": clean EER {100 * clean:.2f} %"
    if attacked and clean is not None:
        worst, eer = max(attacked, key=lambda pair: pair[1])
        summary += f", worst {worst} {100 * eer:.2f} %"
    typer.echo(summary)
    typer.echo(f"report: {out / 'robustness.md'}")
    code = report_failures(result.failures)
    if code:
        raise typer.Exit(code)
