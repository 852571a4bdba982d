"""Neural-vocoder copies of bona fide recordings, as training spoofs paired with their originals.

A copy keeps the recording's speaker, words, room, microphone, band and level; only the waveform generator
changes (HiFi-GAN V1 at 16 kHz, `datasets/offline/neural_vocoder.py`). Trained on such pairs, a detector can
only learn what the vocoder does to speech, never the recording chain, which is what the corpus's equalised
spoofs could not teach about real neural fakes (docs/MODEL_CARD.md, "Vocoded copies of dev-real's recordings").
Wang & Yamagishi (ICASSP 2023) showed such copies of real speech train countermeasures that generalise.

Copies are written once (16-bit FLAC, peaked at the original's level, so neither format nor level differs from
the originals') under one folder and reused: the job is resumable and each file appears whole or not at all.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Iterable

import numpy as np

from ..audio.io import load_audio
from ..audio.types import Audio
from ..audio.write import save_audio
from ..fileio import file_stems
from .manifest import ManifestRow
from .offline.neural_vocoder import hifigan

COPY_ATTACK = "copy:hifigan16k"
COPY_FAMILY = "vocoder copy"


def copy_row(row: ManifestRow, path: Path) -> ManifestRow:
    """The spoof row of `row`'s vocoded copy, its file at `path`."""
    return ManifestRow(
        utt_id=f"{row.utt_id}~hifigan", path=str(path.resolve()), label="spoof",
        speaker=row.speaker, attack=COPY_ATTACK, source=row.source, split=row.split, duration_s=row.duration_s,
        language=row.language, transcript=row.transcript, family=COPY_FAMILY,
        extra={**row.extra, "copy_of": row.utt_id, "attack_type": "vocoder"})


def vocoded_copies(rows: Iterable[ManifestRow], folder: Path, *,
                   echo: Callable[[str], None] = print) -> dict[str, ManifestRow]:
    """A vocoded copy of every bona fide row (spoof rows are skipped), keyed by the original's utt_id. Copies
    already in `folder` are kept, so an interrupted job resumes where it stopped."""
    bonafide = [row for row in rows if row.is_bonafide]
    copies: dict[str, ManifestRow] = {}
    made = 0
    stems = file_stems([row.utt_id for row in bonafide])  # named by the original's utt_id
    for done, (row, stem) in enumerate(zip(bonafide, stems), 1):
        copy = copy_row(row, folder / f"{stem}.flac")
        copies[row.utt_id] = copy
        if Path(copy.path).is_file():
            continue
        write_copy(Path(row.path), Path(copy.path))
        made += 1
        if made % 50 == 0:
            echo(f"vocoded copies: {done}/{len(bonafide)} ({made} made this run)")
    if made % 50:
        echo(f"vocoded copies: {len(bonafide)}/{len(bonafide)} ({made} made this run)")
    return copies


def write_copy(source: Path, target: Path) -> None:
    """HiFi-GAN copy of one recording (16 kHz mono, the pipeline's audio), its peak set to the original's."""
    audio = load_audio(source)
    original = audio.samples[0]
    copy = hifigan(original, audio.sample_rate).astype(np.float64)
    copy *= float(np.abs(original).max()) / max(float(np.abs(copy).max()), 1e-9)
    save_audio(target, Audio(copy[None].astype(np.float32), audio.sample_rate), subtype="PCM_16")
