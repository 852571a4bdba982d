"""Fake-or-Real (Reimao & Tzerpos 2019): for-norm, for-2sec, for-rerec (and for-original) layouts.

Each layout folder holds `training/`, `validation/` and `testing/`, each with `real/` and `fake/`:
    for-norm/training/fake/file1.mp3.wav_16k.wav_norm.wav_mono.wav_silence.wav
    for-2seconds/testing/real/file33.wav_16k.wav_norm.wav_mono.wav_silence.wav_2sec.wav
    for-rerecorded/validation/fake/recording12.wav_norm_mono.wav
ROOT is one layout folder or the folder holding several (Kaggle copies nest `for-norm/for-norm/`).
Splits map to train/dev/eval. The generators and speakers are not named: attack `unknown`, speaker `-`.
"""

from __future__ import annotations

import os
from pathlib import Path

from ...audio import AUDIO_EXTENSIONS
from ...errors import DatasetError
from ..manifest import ManifestRow
from .base import ADAPTERS, UNKNOWN_ATTACK, Adapter, audio_files, find_child

LAYOUTS = {
    "for-norm": ("for-norm",),
    "for-2sec": ("for-2sec", "for-2seconds"),
    "for-rerec": ("for-rerec", "for-rerecorded"),
    "for-original": ("for-original",),
}
SPLITS = {"training": "train", "validation": "dev", "testing": "eval"}
CLASSES = {"real": "bonafide", "fake": "spoof"}


def _is_layout(folder: Path) -> bool:
    return any((folder / split).is_dir() for split in SPLITS)


@ADAPTERS.register("fake-or-real")
class FakeOrReal(Adapter):
    name = "fake-or-real"
    summary = "Fake-or-Real: for-norm / for-2sec / for-rerec folders with training|validation|testing/real|fake"
    accepts = frozenset({"subsets"})
    subset_help = "layouts: for-norm, for-2sec, for-rerec, for-original (default: every layout found)"

    def read(self, root: Path) -> list[ManifestRow]:
        layouts = self._layouts(root)
        rows: list[ManifestRow] = []
        for layout, folder in layouts:
            rows.extend(self._read_layout(layout, folder))
        return rows

    def _layouts(self, root: Path) -> list[tuple[str, Path]]:
        wanted, named = self.chosen_subsets(tuple(LAYOUTS))
        if _is_layout(root):
            layout = next((k for k, names in LAYOUTS.items() if root.name.lower() in names), root.name)
            if named and layout not in wanted:
                raise DatasetError(f"{root}: this is the {layout} layout, not {', '.join(wanted)}")
            return [(layout, root)]
        found = []
        for layout in wanted:
            folder = find_child(root, *LAYOUTS[layout])
            if folder is None:
                if named:
                    raise DatasetError(f"{root / LAYOUTS[layout][-1]}: {layout} layout folder not found")
                continue
            nested = find_child(folder, folder.name)  # Kaggle: for-norm/for-norm/training/...
            if not _is_layout(folder) and nested is not None and _is_layout(nested):
                folder = nested
            if not _is_layout(folder):
                raise DatasetError(f"{folder}: no training/, validation/ or testing/ folder inside")
            found.append((layout, folder))
        if not found:
            raise DatasetError(
                f"{root}: no Fake-or-Real layout here; expected training/validation/testing folders, "
                "or for-norm/, for-2seconds/, for-rerecorded/ below it"
            )
        return found

    def _read_layout(self, layout: str, folder: Path) -> list[ManifestRow]:
        rows = []
        for split_dir, split in SPLITS.items():
            base = folder / split_dir
            if not base.is_dir():
                self.notes.append(f"{layout}: {base} not found, split skipped")
                continue
            for class_dir, label in CLASSES.items():
                audio_dir = base / class_dir
                if not audio_dir.is_dir():
                    raise DatasetError(f"{audio_dir}: folder not found (each split holds real/ and fake/)")
                names = audio_files(audio_dir, AUDIO_EXTENSIONS)
                if not names:
                    raise DatasetError(f"{audio_dir}: no audio files")
                prefix = f"{layout}-{split}-{class_dir}-"
                for name in names:
                    rows.append(ManifestRow(
                        utt_id=prefix + os.path.splitext(name)[0],
                        path=os.path.join(os.fspath(audio_dir), name),
                        label=label,
                        attack=UNKNOWN_ATTACK if label == "spoof" else "-",
                        source=layout,
                        split=split,
                        language="en",
                    ))
        return rows
