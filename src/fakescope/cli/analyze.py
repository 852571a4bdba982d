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
    corpus_size: str = typer.Option("small", help="Offline corpus size: tiny, small or full."),
    checkpoint: Optional[Path] = typer.Option(None, help="Model to evaluate and scan with (default: the shipped one)."),
    quick: bool = typer.Option(False, help="Only the analyst figure (no corpus, evaluation or scanning)."),
) -> None:
    """The main job: analyst figure, offline corpus, default-model evaluation, example scans; then where all went."""
    from ..demo import run_demo

    lines = run_demo(out, corpus_size=corpus_size, checkpoint=checkpoint, full=not quick,
                     say=lambda message: typer.echo(message, err=True))
    typer.echo("\nfakescope demo: everything is in " + str(out))
    for line in lines:
        typer.echo(line)
