"""`fakescope analyze` (the analyst figure of one file) and `fakescope demo` (the main job's end-to-end run)."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from .app import app


@app.command("analyze")
def analyze(
    file: Path = typer.Argument(..., help="The audio file to analyse (any common format)."),
    out: Path = typer.Option(Path("analysis.png"), "--out", "-o", help="Where to write the figure (PNG)."),
    reference: Optional[Path] = typer.Option(None, help="A second file to compare against (e.g. the original)."),
) -> None:
    """Draw the analyst figure: waveform, spectrograms, morphology, pitch/tempo signatures, comparison."""
    from ..audio import load_audio
    from ..features.figures import analysis_figure

    audio = load_audio(file, sample_rate=16000)
    ref_audio = load_audio(reference, sample_rate=16000) if reference else None
    path = analysis_figure(audio, out, title=file.name, reference=ref_audio,
                           reference_title=reference.name if reference else "")
    typer.echo(f"figure: {path}")


@app.command("demo")
def demo(
    out: Path = typer.Option(Path("demo-out"), "--out", "-o", help="Folder for everything the demo writes."),
) -> None:
    """The main job: make a sample recording and a vocoded copy of it, analyse them, and say where all went."""
    from ..demo import run_demo

    for line in run_demo(out):
        typer.echo(line)
