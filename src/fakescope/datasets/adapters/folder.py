"""Any folder of audio: labels from `real|bonafide` and `fake|spoof` sub-folders, or from `--label-from` rules.

Without rules, the nearest folder below ROOT named real, bonafide, bona-fide, genuine or human makes a file
bona fide, and fake, spoof, spoofed, synthetic or deepfake makes it spoof. Rules `GLOB=LABEL` match the
file's path relative to ROOT (`*` also crosses folders) and are tried first, in order; LABEL is bonafide,
spoof (or real/fake) or `skip`. The folder below a spoof folder names the attack (`fake/melgan/x.wav` →
`melgan`), and train/dev/eval folders (also training, val, validation, test, testing) name the split.
`--option speaker_pattern=REGEX` takes the speaker from the regex's first group on the relative path.
"""

from __future__ import annotations

import fnmatch
import os
import re
from pathlib import Path

from ...audio import AUDIO_EXTENSIONS
from ...errors import DatasetError
from ..manifest import ManifestRow
from .base import ADAPTERS, UNKNOWN_ATTACK, Adapter, label_word

SPLIT_WORDS = {
    "train": "train", "training": "train",
    "dev": "dev", "val": "dev", "valid": "dev", "validation": "dev",
    "eval": "eval", "test": "eval", "testing": "eval",
}
_MAX_LISTED = 3


def parse_rules(rules: tuple[str, ...]) -> list[tuple[str, str]]:
    """`GLOB=LABEL` strings → (glob, bonafide|spoof|skip)."""
    parsed = []
    for rule in rules:
        pattern, sep, label = rule.rpartition("=")
        word = label.strip().lower()
        label = "skip" if word == "skip" else label_word(word)
        if not sep or not pattern or not label:
            raise DatasetError(f"--label-from {rule!r}: expected GLOB=LABEL with LABEL bonafide, spoof or skip")
        parsed.append((pattern, label))
    return parsed


@ADAPTERS.register("folder")
class Folder(Adapter):
    name = "folder"
    summary = "a folder tree: real|bonafide and fake|spoof sub-folders, or --label-from GLOB=LABEL rules"
    accepts = frozenset({"label_rules"})
    option_help = {"speaker_pattern": "regex whose first group, searched in the relative path, is the speaker"}

    def read(self, root: Path) -> list[ManifestRow]:
        rules = parse_rules(self.options.label_rules)
        speaker_pattern = self._speaker_pattern()
        source = root.resolve().name or "-"
        rows, unlabelled = [], []
        for relative in _walk_audio(root):
            parts = relative.split("/")
            label, at = _label(relative, parts, rules)
            if label == "skip":
                continue
            if not label:
                unlabelled.append(relative)
                continue
            rows.append(ManifestRow(
                utt_id=os.path.splitext(relative)[0].replace("/", "-"),
                path=os.path.join(os.fspath(root), *parts),
                label=label,
                speaker=_speaker(speaker_pattern, relative),
                attack=_attack(label, parts, at),
                source=source,
                split=next((SPLIT_WORDS[p.lower()] for p in parts[:-1] if p.lower() in SPLIT_WORDS), "-"),
            ))
        if unlabelled:
            listed = ", ".join(unlabelled[:_MAX_LISTED])
            more = f" and {len(unlabelled) - _MAX_LISTED} more" if len(unlabelled) > _MAX_LISTED else ""
            raise DatasetError(
                f"{root}: {len(unlabelled)} file(s) have no label: {listed}{more} (put them below real/ or fake/, "
                "or add --label-from GLOB=LABEL rules; LABEL skip leaves files out)"
            )
        return rows

    def _speaker_pattern(self) -> re.Pattern | None:
        text = self.option("speaker_pattern")
        if not text:
            return None
        try:
            pattern = re.compile(text)
        except re.error as exc:
            raise DatasetError(f"speaker_pattern {text!r} is not a valid regex: {exc}") from None
        if pattern.groups < 1:
            raise DatasetError(f"speaker_pattern {text!r} needs a group, e.g. 'speakers/([^/]+)/'")
        return pattern


def _walk_audio(root: Path) -> list[str]:
    """Relative posix paths of the audio files below `root`, sorted, hidden files and folders left out."""
    found = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        relative = os.path.relpath(folder, root).replace(os.sep, "/")
        prefix = "" if relative == "." else relative + "/"
        found.extend(prefix + name for name in sorted(files)
                     if not name.startswith(".") and os.path.splitext(name)[1].lower() in AUDIO_EXTENSIONS)
    return found


def _label(relative: str, parts: list[str], rules: list[tuple[str, str]]) -> tuple[str, int]:
    """(label, index of the folder that gave it or -1) for one file."""
    for pattern, label in rules:
        if fnmatch.fnmatchcase(relative, pattern):
            return label, -1
    for index in range(len(parts) - 2, -1, -1):  # the nearest labelled folder wins
        label = label_word(parts[index])
        if label:
            return label, index
    return "", -1


def _attack(label: str, parts: list[str], at: int) -> str:
    if label == "bonafide":
        return "-"
    below = parts[at + 1:-1] if at >= 0 else []
    below = [p for p in below if p.lower() not in SPLIT_WORDS]
    return below[0] if below else UNKNOWN_ATTACK


def _speaker(pattern: re.Pattern | None, relative: str) -> str:
    if pattern is None:
        return "-"
    match = pattern.search(relative)
    return match.group(1) if match and match.group(1) else "-"
