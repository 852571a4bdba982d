"""collect_inputs: files, folders, manifests, labels from folder names, unique output keys."""

from __future__ import annotations

from fakescope.datasets.manifest import ManifestRow, write_manifest
from fakescope.inputs import collect_inputs, label_from_path


def test_folders_files_and_manifests(tmp_path, write_wav):
    write_wav("a/real/x.wav")
    write_wav("a/spoof/x.wav")
    write_wav("b/x.wav")
    (tmp_path / "a" / "notes.txt").write_text("not audio")
    write_manifest(tmp_path / "m.csv", [ManifestRow(utt_id="u1", path="b/x.wav", label="spoof")])
    items, failures = collect_inputs([tmp_path / "a", tmp_path / "b" / "x.wav", tmp_path / "m.csv", tmp_path / "nope.wav"])
    assert [i.relative for i in items] == ["real/x.wav", "spoof/x.wav", "x.wav", "u1"]
    assert [i.label for i in items] == ["bonafide", "spoof", "", "spoof"]
    assert failures == [(str(tmp_path / "nope.wav"), "no such file or folder")]


def test_repeated_names_get_unique_keys(tmp_path, write_wav):
    first, second = write_wav("one/x.wav"), write_wav("two/x.wav")
    items, _ = collect_inputs([first, second])
    assert [i.relative for i in items] == ["x.wav", "x-1.wav"]


def test_label_words():
    from pathlib import Path

    assert label_from_path(Path("/d/Bonafide/a.wav")) == "bonafide"
    assert label_from_path(Path("/d/fake/sub/a.wav")) == "spoof"
    assert label_from_path(Path("/d/other/a.wav")) == ""
