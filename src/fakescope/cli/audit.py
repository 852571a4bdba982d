"""`fakescope datasets audit MANIFEST`: which trivial cues of the recording chain separate the classes."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import typer

from .app import fail
from .datasets import datasets_app

EXIT_SHORTCUT = 1


@datasets_app.command("audit")
def audit(
    manifest: Path = typer.Argument(..., help="The manifest CSV to audit."),
    strict: bool = typer.Option(False, "--strict", help="Exit 1 when any audio or file cue has AUC above --threshold."),
    threshold: float = typer.Option(0.65, "--threshold", help="AUC above which a cue counts as a shortcut."),
    provenance: bool = typer.Option(False, "--provenance",
                                    help="Under --strict also count the source rate/format read from the manifest."),
    workers: int = typer.Option(1, "--workers", help="Parallel worker processes."),
    as_json: bool = typer.Option(False, "--json", help="Print the results as JSON instead of a table."),
) -> None:
    """Per-cue AUC/EER of one-feature classifiers, plus a logistic model over all cues."""
    from ..datasets.audit import audit_manifest, format_table
    from ..datasets.manifest import read_manifest

    if not 0.5 <= threshold <= 1.0:
        raise fail(f"--threshold must be within 0.5–1.0, got {threshold}")
    if workers < 1:
        raise fail(f"--workers must be >= 1, got {workers}")
    report = audit_manifest(read_manifest(manifest), workers=workers)
    flagged = report.beyond(threshold, provenance=provenance)
    if as_json:
        typer.echo(json.dumps({
            "files": report.files, "bonafide": report.bonafide, "spoof": report.spoof, "threshold": threshold,
            "cues": [asdict(r) for r in report.results],
            "combined": asdict(report.combined) if report.combined else None,
            "flagged": [r.name for r in flagged], "failed": report.failed,
        }, indent=2))
    else:
        typer.echo(format_table(report, threshold=threshold))
    for utt_id, reason in report.failed:
        typer.echo(f"skipped {utt_id}: {reason}", err=True)
    if strict and flagged:
        typer.echo(f"shortcut cue(s) above AUC {threshold:.2f}: {', '.join(r.name for r in flagged)}", err=True)
        raise typer.Exit(EXIT_SHORTCUT)
