"""Running an adapter: read a dataset tree, validate the rows, rewrite paths for the manifest and write it."""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path

from ...errors import DatasetError
from ..manifest import ManifestRow, write_manifest
from .base import ADAPTERS, ImportOptions


@dataclass
class ImportReport:
    """What `import_dataset` wrote: the manifest, its row count by label, and the adapter's notes."""

    path: Path
    rows: int
    labels: dict[str, int]
    notes: list[str] = field(default_factory=list)


def read_dataset(format: str, root: str | os.PathLike, *, options: ImportOptions | None = None) -> tuple[list[ManifestRow], list[str]]:
    """Rows of the dataset at `root` read by the adapter called `format`, plus the adapter's notes.

    Row paths are the audio files' paths under `root` as given. Raises DatasetError for a missing or malformed
    tree, naming the file (and protocol line) at fault.
    """
    options = options or ImportOptions()
    adapter = ADAPTERS.get(format)(options)
    root = Path(root)
    if not root.exists():
        raise DatasetError(f"{root}: no such file or folder")
    if adapter.root_kind == "folder" and not root.is_dir():
        raise DatasetError(f"{root}: not a folder (the {format} adapter reads a dataset folder)")
    if adapter.root_kind == "file" and not root.is_file():
        raise DatasetError(f"{root}: not a file (the {format} adapter reads a table)")
    rows = adapter.read(root)
    adapter.missing.settle(skip=options.skip_missing, notes=adapter.notes)
    if not rows:
        raise DatasetError(f"{root}: the {format} adapter found no utterances there")
    check_unique_ids(rows)
    return rows, adapter.notes


def import_dataset(
    format: str,
    root: str | os.PathLike,
    out: str | os.PathLike,
    *,
    options: ImportOptions | None = None,
    split: str = "",
    id_prefix: str = "",
    absolute_paths: bool = False,
) -> ImportReport:
    """Import the dataset at `root` with adapter `format` into the manifest `out`.

    split: the split written on rows the dataset does not assign one ('-'), e.g. 'eval' for In-the-Wild.
    id_prefix: prepended to every utt_id, so manifests of several datasets can be merged without clashes.
    absolute_paths: write absolute paths instead of paths relative to the manifest's folder.
    """
    rows, notes = read_dataset(format, root, options=options)
    if split or id_prefix:
        for row in rows:
            if split and row.split in ("", "-"):
                row.split = split
            if id_prefix:
                row.utt_id = id_prefix + row.utt_id
    out = Path(out)
    relocate(rows, out.parent, absolute=absolute_paths)
    write_manifest(out, rows)
    return ImportReport(out, len(rows), dict(Counter(r.label for r in rows)), notes)


def check_unique_ids(rows: list[ManifestRow]) -> None:
    """Raise DatasetError when two rows share an utt_id (score files and splits are keyed by it)."""
    seen: dict[str, str] = {}
    for row in rows:
        size = len(seen)
        first = seen.setdefault(row.utt_id, row.path)
        if len(seen) == size:
            raise DatasetError(f"utt_id {row.utt_id!r} is used twice: {first} and {row.path}")


def relocate(rows: list[ManifestRow], manifest_dir: str | os.PathLike, *, absolute: bool = False) -> None:
    """Rewrite row paths (as found on disk) relative to `manifest_dir`, or absolute; in place.

    Symlinks are resolved first, because a relative path that climbs ('..') out of a symlinked folder
    would otherwise point somewhere else. Each folder is resolved once: 100,000 rows share a few folders.
    """
    base = os.path.realpath(manifest_dir)
    folders: dict[str, str] = {}
    for row in rows:
        folder, name = os.path.split(row.path)
        target = folders.get(folder)
        if target is None:
            real = os.path.realpath(folder or ".")
            target = real if absolute else os.path.relpath(real, base)
            target = "" if target == "." else target.replace(os.sep, "/") + "/"
            folders[folder] = target
        row.path = target + name


def rebase(rows: list[ManifestRow], source_root: str | os.PathLike, target_root: str | os.PathLike) -> list[ManifestRow]:
    """Rows whose relative paths (relative to `source_root`) are rewritten relative to `target_root`.

    For writing a derived manifest (balanced, split) into another folder; absolute paths stay absolute.
    """
    if os.path.realpath(source_root) == os.path.realpath(target_root):
        return rows
    moved = [replace(r, extra=dict(r.extra)) for r in rows]
    relative = [r for r in moved if not os.path.isabs(r.path)]
    for row in relative:
        row.path = os.path.join(os.fspath(source_root), row.path)
    relocate(relative, target_root)
    return moved
