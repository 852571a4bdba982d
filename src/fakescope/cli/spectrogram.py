"""`fakescope spectrogram INPUTS... --out DIR`: one PNG per audio file, plus index.csv."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Optional

import typer

from .app import app, fail, report_failures


@app.command("spectrogram")
def spectrogram(
    inputs: list[Path] = typer.Argument(..., help="Audio files, folders (searched recursively) or manifest CSVs."),
    out: Path = typer.Option(..., "--out", "-o", help="Output folder for PNGs and index.csv."),
    frontend: str = typer.Option("mel", help="Front-end: stft, mel, lfcc or cqt."),
    size: str = typer.Option("128x128", help="Image size HEIGHTxWIDTH in pixels."),
    colormap: str = typer.Option("gray", help="gray, or a matplotlib colormap such as viridis or magma."),
    morphology: Optional[str] = typer.Option(None, help="Optional op[:RxC][:shape], e.g. opening:3x3:ellipse."),
    db_range: float = typer.Option(80.0, help="Dynamic range in dB mapped from black to white."),
    max_seconds: Optional[float] = typer.Option(None, help="Crop each clip to this many seconds."),
    workers: int = typer.Option(min(4, os.cpu_count() or 1), help="Parallel worker processes."),
    recursive: bool = typer.Option(True, help="Search folders recursively."),
) -> None:
    """Write a spectrogram image per input file (existing PNGs are kept, so a rerun resumes)."""
    from ..features.image_job import run_image_job
    from ..features.images import ImageSpec
    from ..features.morphology import MorphologySpec
    from ..inputs import collect_inputs

    try:
        height, width = (int(v) for v in size.lower().split("x"))
    except ValueError:
        raise fail(f"--size must look like 128x128, got {size!r}") from None
    spec = ImageSpec(
        frontend=frontend,
        size=(height, width),
        colormap=None if colormap in ("gray", "grey") else colormap,
        morphology=MorphologySpec.parse(morphology) if morphology else None,
        db_range=db_range,
        max_seconds=max_seconds,
    )
    items, failures = collect_inputs(inputs, recursive=recursive)
    if not items:
        report_failures(failures)
        raise fail("no audio files to process")
    result = run_image_job(items, out, spec, workers=workers)
    typer.echo(f"{result.written} written, {result.skipped} already present, index: {result.index_path}")
    raise typer.Exit(report_failures(failures + result.failures))
