"""`fakescope export --checkpoint C --format onnx`: a model file for onnxruntime deployments."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from .app import app, fail


@app.command("export")
def export(
    checkpoint: Optional[Path] = typer.Option(None, help="Checkpoint to export (default: the shipped model)."),
    fmt: str = typer.Option("onnx", "--format", help="Export format (onnx)."),
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="Output file (default: beside the checkpoint, .onnx)."),
) -> None:
    """Export a checkpoint to ONNX: (batch, window samples) at 16 kHz → scores; calibration kept in its metadata."""
    from ..detection import DEFAULT_CHECKPOINT
    from ..detection.export import export_onnx

    if fmt != "onnx":
        raise fail(f"--format must be onnx, got {fmt!r}")
    source = checkpoint or DEFAULT_CHECKPOINT
    target = out or Path(source).with_suffix(".onnx")
    typer.echo(f"exported: {export_onnx(source, target)}")
