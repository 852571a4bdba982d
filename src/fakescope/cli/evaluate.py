"""`fakescope evaluate`: EER, min t-DCF, minDCF, ROC AUC, per-attack/per-source tables and plots."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Optional

import typer

from .app import app, fail, report_failures


@app.command("evaluate")
def evaluate_command(
    out: Path = typer.Option(..., "--out", "-o", help="Report folder."),
    checkpoint: Optional[Path] = typer.Option(None, "--checkpoint", help="A fakescope .safetensors checkpoint to score with."),
    manifest: Optional[Path] = typer.Option(None, "--manifest", "-m", help="Trials to score, or the key for --scores."),
    scores: Optional[Path] = typer.Option(None, "--scores", help="An existing score file (utt_id score label attack, or CSV)."),
    images: Optional[Path] = typer.Option(None, "--images", help="PNG folder (real/, fake/) for image-mode checkpoints."),
    split: list[str] = typer.Option([], "--split", help="Only these manifest splits (repeatable; default all)."),
    threshold: Optional[float] = typer.Option(None, "--threshold", help="Decision threshold on the score (default: the checkpoint's dev-EER threshold)."),
    tdcf: str = typer.Option("auto", "--tdcf", help="ASVspoof 2019 t-DCF constants: auto | eval | dev | off."),
    batch_size: int = typer.Option(32, "--batch-size"),
    device: str = typer.Option("auto", "--device"),
    workers: int = typer.Option(min(4, os.cpu_count() or 1), "--workers", help="Processes decoding audio in parallel."),
    skip_bad_files: bool = typer.Option(False, "--skip-bad-files", help="List unreadable audio and go on."),
    versus: Optional[Path] = typer.Option(None, "--versus", help="Another system's score file on the same trials: the EER difference with its paired bootstrap interval."),
) -> None:
    """Evaluate a checkpoint on a manifest, or any ASVspoof-format score file, into a report folder."""
    from ..evaluation.run import evaluate_checkpoint, evaluate_score_file

    if (checkpoint is None) == (scores is None):
        raise fail("give exactly one of --checkpoint (with --manifest or --images) or --scores")
    failures: list[tuple[str, str]] = []
    if scores is not None:
        if images is not None or split:
            raise fail("--images and --split apply to --checkpoint only")
        result = evaluate_score_file(scores, out_dir=out, manifest=manifest, threshold=threshold, tdcf=tdcf, versus=versus)
    else:
        result, failures = evaluate_checkpoint(
            checkpoint, out_dir=out, manifest=manifest, images=images, splits=split, threshold=threshold, tdcf=tdcf,
            batch_size=batch_size, device=device, workers=workers, skip_bad_files=skip_bad_files, show_progress=True,
            versus=versus,
        )
    trials = result["trials"]
    at = result["at_threshold"]
    tdcf_text = f", min t-DCF {result['min_tdcf']:.4f}" if result["min_tdcf"] is not None else ""
    ci = result.get("eer_ci")
    ci_text = f" (95 % CI {100 * ci[0]:.2f}–{100 * ci[1]:.2f})" if ci else ""
    typer.echo(f"{trials['bonafide']} bona fide, {trials['spoof']} spoof: EER {100 * result['eer']:.2f} %{ci_text}{tdcf_text}, "
               f"minDCF {result['min_dcf']:.4f}, ROC AUC {result['roc_auc']:.4f}")
    typer.echo(f"at threshold {at['threshold']:.4g} ({at['source']}): accuracy {100 * at['accuracy']:.2f} %, "
               f"precision {100 * at['precision']:.2f} %, recall {100 * at['recall']:.2f} %, F1 {100 * at['f1']:.2f} %")
    if "versus" in result:
        v = result["versus"]
        low, high = (100 * x for x in v["difference_ci"])
        typer.echo(f"versus {v['file']}: EER {100 * v['eer']:.2f} % against {100 * v['other_eer']:.2f} %, difference "
                   f"{100 * v['difference']:+.2f} points (95 % CI {low:+.2f} to {high:+.2f}); "
                   f"lower in {100 * v['share_better']:.1f} % of resamples")
    typer.echo(f"report: {out}")
    code = report_failures(failures)
    if code:
        raise typer.Exit(code)
