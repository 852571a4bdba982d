"""Shared machinery of the dataset adapters: the registry, import options, folder listings and missing-file reports.

An adapter turns one dataset tree into manifest rows whose `path` is the audio file's path as found under the
ROOT the user gave (the importer rewrites it relative to the manifest's folder). Adapters never decode audio:
a 100,000-line protocol must import in seconds, so file existence is checked against one listing per folder.
"""

from __future__ import annotations

import os
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar, Iterator, Mapping

from ...errors import DatasetError
from ...registry import Registry
from ..manifest import LABELS, NO_ATTACK, ManifestRow

ADAPTERS: Registry[type["Adapter"]] = Registry("dataset adapter")

UNKNOWN_ATTACK = "unknown"  # a spoof whose generator the dataset does not name
# The same words fakescope.inputs reads from folder names, so `analyze real/ fake/` and `import folder` agree.
BONAFIDE_WORDS = frozenset({"bonafide", "bona-fide", "bona_fide", "genuine", "real", "human"})
SPOOF_WORDS = frozenset({"spoof", "spoofed", "fake", "synthetic", "deepfake"})
_MAX_LISTED = 3  # how many missing files an error names before "and N more"


@dataclass(frozen=True)
class ImportOptions:
    """Everything `datasets import` can pass to an adapter. Each adapter declares which fields it uses.

    subsets: which parts to import (partitions, tracks, phases or layouts; the adapter's help says which).
    bonafide_roots: corpora that hold the bona fide side of a spoof-only dataset (LJSpeech, JSUT, M-AILABS).
    label_rules: `GLOB=LABEL` rules for the folder adapter (LABEL: bonafide, spoof or skip).
    columns: `FIELD=COLUMN` mapping for the csv adapter.
    options: adapter-specific `KEY=VALUE` settings (see each adapter's `option_help`).
    skip_missing: drop rows whose audio file is missing instead of failing.
    """

    subsets: tuple[str, ...] = ()
    bonafide_roots: tuple[Path, ...] = ()
    label_rules: tuple[str, ...] = ()
    columns: tuple[str, ...] = ()
    options: Mapping[str, str] = field(default_factory=dict)
    skip_missing: bool = False


# ImportOptions fields an adapter may accept, and the CLI flag that sets each (for error messages).
OPTION_FLAGS = {
    "subsets": "--subset",
    "bonafide_roots": "--bonafide-root",
    "label_rules": "--label-from",
    "columns": "--column",
}


class Adapter(ABC):
    """Base of every adapter. Subclasses set the class attributes and implement `read(root)`.

    accepts: the ImportOptions fields (besides `options` and `skip_missing`) the adapter uses.
    option_help: the `--option KEY=VALUE` keys it understands, with a one-line description each.
    subset_help: what `--subset` selects, when accepted.
    root_kind: whether ROOT must be a folder, a file, or either.
    """

    name: ClassVar[str] = ""
    summary: ClassVar[str] = ""
    accepts: ClassVar[frozenset[str]] = frozenset()
    option_help: ClassVar[dict[str, str]] = {}
    subset_help: ClassVar[str] = ""
    root_kind: ClassVar[str] = "folder"

    def __init__(self, options: ImportOptions | None = None) -> None:
        self.options = options or ImportOptions()
        self.notes: list[str] = []
        self.missing = MissingFiles()
        self.files = FolderIndex()
        self._check_accepted()

    @abstractmethod
    def read(self, root: Path) -> list[ManifestRow]:
        """The manifest rows of the dataset under `root` (paths as found under `root`)."""

    def option(self, key: str, default: str = "") -> str:
        """The value of `--option key=...`, or `default`."""
        return self.options.options.get(key, default)

    def _check_accepted(self) -> None:
        for name, flag in OPTION_FLAGS.items():
            if getattr(self.options, name) and name not in self.accepts:
                raise DatasetError(f"the {self.name} adapter does not take {flag}")
        unknown = sorted(set(self.options.options) - set(self.option_help))
        if unknown:
            known = ", ".join(sorted(self.option_help)) or "none"
            raise DatasetError(f"the {self.name} adapter has no option {unknown[0]!r} (options: {known})")

    def chosen_subsets(self, available: tuple[str, ...]) -> tuple[tuple[str, ...], bool]:
        """The subsets to import and whether the user named them (named subsets must exist)."""
        wanted = tuple(dict.fromkeys(self.options.subsets))
        for subset in wanted:
            if subset not in available:
                raise DatasetError(f"{self.name}: unknown subset {subset!r}; choose from {', '.join(available)}")
        return (wanted, True) if wanted else (available, False)


class FolderIndex:
    """The file names in folders, each folder listed once: one listing beats 100,000 `stat` calls."""

    def __init__(self) -> None:
        self._names: dict[str, frozenset[str]] = {}

    def names(self, folder: str | os.PathLike) -> frozenset[str]:
        key = os.fspath(folder)
        names = self._names.get(key)
        if names is None:
            try:
                names = frozenset(os.listdir(key))
            except (FileNotFoundError, NotADirectoryError):
                names = frozenset()
            self._names[key] = names
        return names

    def has(self, folder: str | os.PathLike, name: str) -> bool:
        return name in self.names(folder)


class MissingFiles:
    """Collects 'which line names which missing file' and turns them into one error or one note."""

    def __init__(self) -> None:
        self.entries: list[str] = []

    def add(self, where: str, what: str) -> None:
        self.entries.append(f"{where}: {what}")

    def __len__(self) -> int:
        return len(self.entries)

    def settle(self, *, skip: bool, notes: list[str]) -> None:
        """Raise DatasetError naming the first missing files, or (with skip) add a note and return."""
        if not self.entries:
            return
        count = len(self.entries)
        listed = "; ".join(self.entries[:_MAX_LISTED])
        more = f"; and {count - _MAX_LISTED} more" if count > _MAX_LISTED else ""
        if skip:
            notes.append(f"skipped {count} missing file(s): {listed}{more}")
            return
        raise DatasetError(f"{count} file(s) missing: {listed}{more} (--skip-missing imports the rest)")


def protocol_lines(path: Path) -> Iterator[tuple[int, list[str]]]:
    """(line number, whitespace-separated fields) of each non-blank line of a protocol file."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DatasetError(f"{path}: protocol file not found") from None
    except UnicodeDecodeError as exc:
        raise DatasetError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    for number, line in enumerate(text.splitlines(), start=1):
        fields = line.split()
        if fields:
            yield number, fields


def check_key(key: str, where: str) -> str:
    """A protocol's bonafide/spoof key, validated."""
    if key not in LABELS:
        raise DatasetError(f"{where}: key must be bonafide or spoof, got {key!r}")
    return key


def spoof_attack(label: str, attack: str) -> str:
    """The manifest attack: '-' for bona fide, the generator id (or 'unknown') for spoof."""
    if label == "bonafide":
        return NO_ATTACK
    return attack if attack not in ("", "-", "bonafide") else UNKNOWN_ATTACK


def label_word(word: str) -> str:
    """'bonafide' or 'spoof' for a folder or label word (real, fake, bona-fide, ...), else ''."""
    word = word.strip().lower()
    if word in BONAFIDE_WORDS:
        return "bonafide"
    if word in SPOOF_WORDS:
        return "spoof"
    return ""


def find_child(folder: Path, *names: str) -> Path | None:
    """The first of `names` (compared case-insensitively) that is a sub-folder of `folder`."""
    try:
        children = {entry.name.lower(): Path(entry.path) for entry in os.scandir(folder) if entry.is_dir()}
    except (FileNotFoundError, NotADirectoryError):
        return None
    for name in names:
        if name.lower() in children:
            return children[name.lower()]
    return None


def audio_files(folder: Path, extensions: frozenset[str]) -> list[str]:
    """Sorted names of the audio files directly in `folder` (no recursion)."""
    try:
        with os.scandir(folder) as entries:
            return sorted(
                e.name for e in entries
                if os.path.splitext(e.name)[1].lower() in extensions and not e.name.startswith(".") and e.is_file()
            )
    except (FileNotFoundError, NotADirectoryError):
        return []
