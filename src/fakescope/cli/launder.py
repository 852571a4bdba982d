"""`fakescope launder`: write laundered copies of a manifest's audio (one folder per condition) plus a manifest."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from .app import app, fail, report_failures

_ATTACK_HELP = (
    "Attack spec, e.g. 'noise:babble:snr=10 | codec:mp3:bitrate=64', or a YAML file (repeatable). "
    "`fakescope list` shows the attacks."
)


@app.command("launder")
def launder_command(
    manifest: Path = typer.Option(..., "--manifest", "-m", help="Utterances to launder (a fakescope manifest)."),
    out: Path = typer.Option(..., "--out", "-o", help="Output folder: audio/<condition>/*.flac and manifest.csv."),
    attack: list[str] = typer.Option([], "--attack", "-a", help=_ATTACK_HELP),
    grid: Optional[str] = typer.Option(None, "--grid", help="A grid of conditions: paper, full, or a grid YAML file."),
    workers: int = typer.Option(1, "--workers", "-j", min=1, help="Processes to run in parallel."),
    seed: int = typer.Option(0, "--seed", min=0, help="Seed of every random draw (per file and condition)."),
    sample_rate: int = typer.Option(16000, "--sample-rate", min=1000, help="Rate to load, attack and write at."),
    noise_dir: Optional[Path] = typer.Option(None, "--noise-dir", help="Noise recordings: labels.csv (path, category) or one folder per category."),
    rir_dir: Optional[Path] = typer.Option(None, "--rir-dir", help="Measured impulse responses (same layout) for the `rir` attack."),
    babble_manifest: Optional[Path] = typer.Option(None, "--babble-manifest", help="Talkers for synthetic babble (bona fide rows; default: --manifest)."),
    skip_unavailable: bool = typer.Option(False, "--skip-unavailable", help="Drop conditions whose recordings are missing instead of stopping."),
) -> None:
    """Launder every utterance under every condition; resumable (existing outputs are kept) and parallel."""
    from ..errors import FakescopeError
    from ..launder import Condition, condition_slug, load_grid, parse_attack
    from ..launder.runner import ResourceConfig, launder_manifest

    if not attack and grid is None:
        raise fail("give --attack SPEC (repeatable) and/or --grid paper|full|FILE")
    conditions = list(load_grid(grid)) if grid is not None else []
    for spec in attack:
        parsed = parse_attack(spec)
        conditions.append(Condition(condition_slug(parsed.to_spec()) if not _is_file(spec) else Path(spec).stem, parsed))
    names = [c.name for c in conditions]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise fail(f"conditions given twice: {', '.join(repeated)}")

    config = ResourceConfig(
        noise_dir=str(noise_dir) if noise_dir else None,
        rir_dir=str(rir_dir) if rir_dir else None,
        babble_manifest=str(babble_manifest or manifest),
    )
    resources = config.build()
    missing = {}
    for condition in conditions:
        try:
            condition.attack.check_resources(resources)
        except FakescopeError as exc:  # what this condition lacks (no noise folder, too few talkers, ...)
            missing[condition.name] = str(exc)
    if missing and not skip_unavailable:
        first = next(iter(missing.items()))
        raise fail(f"{len(missing)} condition(s) cannot run, e.g. {first[0]}: {first[1]} (or use --skip-unavailable)")
    for name, reason in missing.items():
        typer.echo(f"skipping condition {name}: {reason}", err=True)
    conditions = [c for c in conditions if c.name not in missing]
    if not conditions:
        raise fail("no condition can run with the recordings given")

    result = launder_manifest(manifest, conditions, out, seed=seed, workers=workers, sample_rate=sample_rate,
                              resources=config)
    typer.echo(f"{len(conditions)} condition(s): wrote {result.written} file(s), kept {result.skipped} existing; "
               f"manifest: {result.manifest_path}")
    code = report_failures(result.failures)
    if code:
        raise typer.Exit(code)


def _is_file(spec: str) -> bool:
    return spec.strip().lower().endswith((".yaml", ".yml", ".json"))
