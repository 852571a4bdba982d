"""`fakescope datasets ...`: dataset import, balancing, splitting, statistics, checks and the shortcut audit."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Optional

import typer

from ..datasets.adapters import ADAPTERS  # light (no audio decoding); the help lists every format's settings
from .app import EXIT_PARTIAL, app, fail

datasets_app = typer.Typer(help="Import, balance, split, check and audit datasets (all as manifests).", no_args_is_help=True)
app.add_typer(datasets_app, name="datasets")


def _formats_help() -> str:
    """One paragraph per adapter: what it reads, what --subset selects, its --option keys."""
    paragraphs = []
    for name in ADAPTERS.names():
        adapter = ADAPTERS.get(name)
        text = f"{name}: {adapter.summary}."
        if adapter.subset_help:
            text += f" --subset: {adapter.subset_help}."
        for key, meaning in adapter.option_help.items():
            text += f" --option {key}=: {meaning}."
        paragraphs.append(text)
    return "\n\n".join(paragraphs)


def _pairs(items: Optional[list[str]], flag: str) -> dict[str, str]:
    """`KEY=VALUE` strings → dict (for --option)."""
    pairs = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise fail(f"{flag} {item!r}: expected KEY=VALUE")
        pairs[key.strip()] = value.strip()
    return pairs


def _save(manifest, rows, out: Path) -> None:
    """Write derived rows to `out`, their relative paths rebased from the source manifest's folder."""
    from ..datasets.adapters import rebase
    from ..datasets.manifest import write_manifest

    write_manifest(out, rebase(rows, manifest.root, out.parent))


def _label_summary(rows) -> str:
    counts = Counter(r.label for r in rows)
    return ", ".join(f"{counts.get(label, 0)} {label}" for label in ("bonafide", "spoof"))


@datasets_app.command("import", epilog=_formats_help())
def import_command(
    format: str = typer.Argument(..., help=f"Dataset format: {', '.join(ADAPTERS.names())}."),
    root: Path = typer.Argument(..., help="The dataset's folder (csv: the table file)."),
    out: Path = typer.Option(..., "--out", "-o", help="Manifest CSV to write (paths are stored relative to its folder)."),
    subset: Optional[list[str]] = typer.Option(None, "--subset", help="Part to import (repeatable): partitions, phases, layouts, vocoders or languages, by format."),
    bonafide_root: Optional[list[Path]] = typer.Option(None, "--bonafide-root", help="Bona fide corpus of a spoof-only set: LJSpeech/JSUT (wavefake), M-AILABS (mlaad). Repeatable."),
    label_from: Optional[list[str]] = typer.Option(None, "--label-from", help="folder: GLOB=LABEL rule on the relative path (LABEL bonafide, spoof or skip). Repeatable."),
    column: Optional[list[str]] = typer.Option(None, "--column", help="csv: FIELD=COLUMN mapping, e.g. path=filepath. Repeatable."),
    option: Optional[list[str]] = typer.Option(None, "--option", help="Adapter setting KEY=VALUE, e.g. track=LA (each format's keys are listed below). Repeatable."),
    split: str = typer.Option("", "--split", help="Split written on rows the dataset leaves unassigned, e.g. eval for In-the-Wild."),
    id_prefix: str = typer.Option("", "--id-prefix", help="Prefix for every utt_id, to merge manifests of several datasets."),
    absolute_paths: bool = typer.Option(False, "--absolute-paths", help="Write absolute paths instead of relative ones."),
    skip_missing: bool = typer.Option(False, "--skip-missing", help="Leave out rows whose audio file is missing instead of failing."),
) -> None:
    """Turn a standard dataset (protocols, folders, tables) into a manifest. No audio is decoded."""
    from ..datasets.adapters import ImportOptions, import_dataset

    if format not in ADAPTERS:
        raise fail(f"unknown format {format!r}; choose one of: {', '.join(ADAPTERS.names())}")
    options = ImportOptions(
        subsets=tuple(subset or ()),
        bonafide_roots=tuple(bonafide_root or ()),
        label_rules=tuple(label_from or ()),
        columns=tuple(column or ()),
        options=_pairs(option, "--option"),
        skip_missing=skip_missing,
    )
    report = import_dataset(format, root, out, options=options, split=split, id_prefix=id_prefix,
                            absolute_paths=absolute_paths)
    for note in report.notes:
        typer.echo(f"note: {note}", err=True)
    labels = ", ".join(f"{report.labels.get(label, 0)} {label}" for label in ("bonafide", "spoof"))
    typer.echo(f"wrote {report.path}: {report.rows} rows ({labels})")


@datasets_app.command("balance")
def balance_command(
    manifest_path: Path = typer.Argument(..., metavar="MANIFEST", help="Manifest CSV to balance."),
    out: Path = typer.Option(..., "--out", "-o", help="Balanced manifest to write."),
    mode: str = typer.Option("under", "--mode", help="under: cut to the smallest label (no repeats); over: repeat up to the largest (no drops)."),
    per: Optional[str] = typer.Option(None, "--per", help="Also spread rows evenly over this column's groups within each label, e.g. attack or speaker."),
    count: Optional[int] = typer.Option(None, "--count", help="Rows per label (default: set by --mode)."),
    split: Optional[str] = typer.Option(None, "--split", help="Balance only this split (e.g. train); other rows pass through."),
    seed: int = typer.Option(0, "--seed", help="Random seed."),
) -> None:
    """Under- or over-sample to equal counts per label (and evenly per attack or speaker with --per)."""
    from ..datasets.balance import balance_rows, label_counts
    from ..datasets.manifest import read_manifest

    manifest = read_manifest(manifest_path)
    rows = balance_rows(manifest.rows, mode=mode, per=per, count=count, split=split, seed=seed)
    _save(manifest, rows, out)
    chosen = [r for r in rows if split is None or r.split == split]
    typer.echo(f"wrote {out}: {len(rows)} rows (was {len(manifest)}); " + (f"split {split}: " if split else "") + _label_summary(chosen))
    if per:
        groups = label_counts(chosen, per=per)
        typer.echo("  " + ", ".join(f"{label}/{value or '-'}: {n}" for (label, value), n in sorted(groups.items())))


@datasets_app.command("split")
def split_command(
    manifest_path: Path = typer.Argument(..., metavar="MANIFEST", help="Manifest CSV to split."),
    out: Path = typer.Option(..., "--out", "-o", help="Manifest to write, with the new split column."),
    ratios: str = typer.Option("70/15/15", "--ratios", help="Split proportions, e.g. 70/15/15 (train/dev/eval) or 80/20 (train/eval)."),
    names: Optional[str] = typer.Option(None, "--names", help="Comma-separated split names (default: train,dev,eval or train,eval)."),
    dev_fraction: float = typer.Option(0.0, "--dev-fraction", help="Carve a dev (validation) split of this fraction out of the first part, e.g. 80/20 + 0.1."),
    by: str = typer.Option("speaker", "--by", help="Column whose values never straddle splits: speaker, source, original, ... or none."),
    stratify: str = typer.Option("label,attack", "--stratify", help="Comma-separated columns to keep proportional in every split."),
    seed: int = typer.Option(0, "--seed", help="Random seed."),
) -> None:
    """Assign train/dev/eval splits: disjoint by speaker (or --by), stratified by label and attack."""
    from ..datasets.manifest import read_manifest
    from ..datasets.splits import parse_ratios, split_rows

    manifest = read_manifest(manifest_path)
    existing = {r.split for r in manifest.rows} - {"", "-"}
    if existing:
        typer.echo(f"note: replacing the existing splits ({', '.join(sorted(existing))})", err=True)
    rows = split_rows(
        manifest.rows,
        ratios=parse_ratios(ratios),
        names=tuple(n.strip() for n in names.split(",")) if names else None,
        dev_fraction=dev_fraction,
        by=by,
        stratify=tuple(c.strip() for c in stratify.split(",") if c.strip()),
        seed=seed,
    )
    _save(manifest, rows, out)
    typer.echo(f"wrote {out}: {len(rows)} rows")
    usual = ("train", "dev", "eval")
    for name in sorted({r.split for r in rows}, key=lambda s: (usual.index(s) if s in usual else len(usual), s)):
        part = [r for r in rows if r.split == name]
        groups = len({r.speaker for r in part} - {"", "-"}) if by == "speaker" else None
        extra = f", {groups} speakers" if groups is not None else ""
        typer.echo(f"  {name}: {len(part)} rows ({_label_summary(part)}{extra})")
        for label in ("bonafide", "spoof"):
            if not any(r.label == label for r in part):
                typer.echo(f"note: split {name} has no {label} rows (too few {by} groups hold them)", err=True)


@datasets_app.command("stats")
def stats_command(
    manifest_path: Path = typer.Argument(..., metavar="MANIFEST", help="Manifest CSV."),
    probe: bool = typer.Option(False, "--probe", help="Read sample rates (and missing durations) from the file headers."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of tables."),
) -> None:
    """Counts by split × label × attack, durations, sample rates and speakers."""
    from ..datasets.manifest import read_manifest
    from ..datasets.stats import compute_stats, format_stats

    stats = compute_stats(read_manifest(manifest_path), probe=probe)
    typer.echo(json.dumps(stats.to_dict(), indent=2) if as_json else format_stats(stats))


@datasets_app.command("check")
def check_command(
    manifest_path: Path = typer.Argument(..., metavar="MANIFEST", help="Manifest CSV."),
    jobs: int = typer.Option(1, "--jobs", "-j", min=1, help="Worker processes that decode files."),
    write_durations: bool = typer.Option(False, "--write-durations", help="Store the decoded durations in the manifest's duration_s column."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of text."),
) -> None:
    """Decode every file, find duplicates (and leakage across splits) by content hash, check labels.

    Exit code 1 when problems are found.
    """
    from ..datasets.check import check_manifest, format_report
    from ..datasets.manifest import read_manifest, write_manifest

    manifest = read_manifest(manifest_path)
    report = check_manifest(manifest, jobs=jobs)
    typer.echo(json.dumps(report.to_dict(), indent=2) if as_json else format_report(report))
    if write_durations and report.durations:
        for index, seconds in report.durations.items():
            manifest.rows[index].duration_s = seconds
        write_manifest(manifest_path, manifest.rows)
        typer.echo(f"wrote durations of {len(report.durations)} rows into {manifest_path}", err=True)
    raise typer.Exit(EXIT_PARTIAL if report.problems else 0)
