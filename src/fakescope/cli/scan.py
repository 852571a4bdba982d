"""`fakescope scan PATHS...`: verdicts for files, folders and long recordings (table, JSON or CSV)."""

from __future__ import annotations

import csv
import io
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import typer

from .app import app, fail, report_failures

FORMATS = ("table", "json", "csv")


@dataclass(frozen=True)
class DetectorFactory:
    """Picklable recipe for a Detector, so worker processes can build their own."""

    checkpoint: Optional[str]
    window_s: Optional[float] = None
    hop_s: Optional[float] = None

    def __call__(self):
        from ..detection import Detector, WindowPlan

        detector = Detector.from_checkpoint(self.checkpoint)  # the windows the model was trained on (plan_for)
        if self.window_s is not None or self.hop_s is not None:
            # Only what the user names changes; a short input is still padded as in training.
            window = self.window_s if self.window_s is not None else detector.plan.window_s
            hop = self.hop_s if self.hop_s is not None else (window / 2 if self.window_s is not None else detector.plan.hop_s)
            detector.plan = WindowPlan(window_s=window, hop_s=hop, pad=detector.plan.pad)
        return detector


@app.command("scan")
def scan(
    paths: list[str] = typer.Argument(..., help="Audio files, folders or '-' for standard input."),
    checkpoint: Optional[Path] = typer.Option(None, help="A .safetensors checkpoint or .onnx export (default: the shipped model)."),
    recursive: bool = typer.Option(True, help="Search folders recursively."),
    fmt: str = typer.Option("table", "--format", help="table, json or csv."),
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="Write the results here instead of standard output."),
    timeline_png: Optional[Path] = typer.Option(None, help="Folder for one timeline PNG per file."),
    explain: Optional[Path] = typer.Option(None, help="Folder for one explanation PNG per file (saliency + timeline)."),
    workers: int = typer.Option(1, help="Worker processes (each loads the model once)."),
    window: Optional[float] = typer.Option(None, help="Window length in seconds (default: the model's training crop, "
                                                      "8 s for the shipped model)."),
    hop: Optional[float] = typer.Option(None, help="Window hop in seconds (default: half the window)."),
) -> None:
    """Say whether each input is real or synthetic speech, with p_fake, a window timeline and warnings."""
    from ..detection.batch import scan_one, scan_paths
    from ..inputs import collect_inputs

    if fmt not in FORMATS:
        raise fail(f"--format must be one of {', '.join(FORMATS)}, got {fmt!r}")
    factory = DetectorFactory(str(checkpoint) if checkpoint else None, window, hop)
    detector = factory()  # fail fast (one line) on a bad checkpoint before any scanning
    results, failures = [], []
    if "-" in paths:
        outcome = scan_one(detector, sys.stdin.buffer.read(), "<stdin>")
        (results if outcome[1] else failures).append(outcome[1] or (outcome[0], outcome[2]))
    items, missing = collect_inputs([p for p in paths if p != "-"], recursive=recursive)
    failures += missing
    for name, verdict, reason in scan_paths(factory, [it.path for it in items], workers=workers):
        if verdict is None:
            failures.append((name, reason or "failed"))
        else:
            results.append(verdict)
    if explain or timeline_png:
        _figures(detector, results, items, explain, timeline_png)
    text = _render(results, failures, fmt, detector.model_name)
    if out:
        from ..fileio import write_text_atomic

        write_text_atomic(out, text)
        typer.echo(f"{len(results)} scanned, results: {out}", err=True)
    else:
        typer.echo(text, nl=False)
    if not results and not failures:
        raise fail("no audio files to scan")
    raise typer.Exit(report_failures(failures))


def _figures(detector, results, items, explain: Optional[Path], timeline_png: Optional[Path]) -> None:
    from ..audio import load_audio
    from ..detection.explain import explanation_figure, timeline_figure

    keys = {str(it.path): Path(it.relative).with_suffix(".png") for it in items}
    for verdict in results:
        key = keys.get(verdict.source, Path(Path(verdict.source).name).with_suffix(".png"))
        if timeline_png:
            timeline_figure(detector, verdict, timeline_png / key)
        if explain and detector.pipeline is not None and verdict.source != "<stdin>":
            audio = detector.prepare(load_audio(verdict.source, sample_rate=None, mono=False))
            explanation_figure(detector, audio, verdict, explain / key)


def _peak(verdict) -> str:
    """"p_fake at start-end" of the window most likely fake, for files of several windows (the verdict averages
    them, so a short fake in a long genuine recording shows here first; the timeline has every window)."""
    peak = verdict.peak_window
    if peak is None:
        return ""
    return f"{peak.p_fake:.2f} at {_clock(peak.start_s)}-{_clock(peak.end_s)}"


def _clock(seconds: float) -> str:
    minutes, rest = divmod(int(round(seconds)), 60)
    return f"{minutes}:{rest:02d}"


def _render(results, failures, fmt: str, model: str) -> str:
    if fmt == "json":
        payload = {"schema": "fakescope.scan/1", "model": model, "results": [v.to_dict() for v in results],
                   "failures": [{"source": name, "error": reason} for name, reason in failures]}
        return json.dumps(payload, indent=2) + "\n"
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(["source", "verdict", "p_fake", "score", "duration_s", "max_window_p_fake", "warnings"])
        for v in results:
            writer.writerow([v.source, v.verdict, f"{v.p_fake:.4f}", f"{v.score:.4f}", f"{v.duration_s:.2f}",
                             f"{v.max_window_p_fake:.4f}", ";".join(w.code for w in v.warnings)])
        return buffer.getvalue()
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"fakescope scan ({model})", show_lines=False)
    table.add_column("file", overflow="fold")  # a long path wraps: an ellipsis would hide which file it is
    for column in ("verdict", "p_fake", "duration", "most suspect window", "warnings"):
        table.add_column(column, justify="right" if column in ("p_fake", "duration") else "left")
    colours = {"fake": "bold red", "real": "green", "uncertain": "yellow"}
    for v in results:
        table.add_row(v.source, f"[{colours[v.verdict]}]{v.verdict}[/]", f"{v.p_fake:.2f}", f"{v.duration_s:.1f} s",
                      _peak(v), ", ".join(w.code for w in v.warnings))
    buffer = io.StringIO()
    Console(file=buffer, width=max(100, min(200, os.get_terminal_size().columns if sys.stdout.isatty() else 160)),
            force_terminal=sys.stdout.isatty()).print(table)
    return buffer.getvalue()
