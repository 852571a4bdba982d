"""The folder and csv adapters, and the importer: relative paths, prefixes, default splits, id clashes, rebasing."""

from __future__ import annotations

import os
from collections import Counter

import pytest

from fakescope.datasets.adapters import ADAPTERS, ImportOptions, import_dataset, read_dataset, rebase
from fakescope.datasets.manifest import ManifestRow, read_manifest
from fakescope.errors import DatasetError, ParameterError


def by_id(rows):
    return {r.utt_id: r for r in rows}


def test_every_documented_format_is_registered():
    assert ADAPTERS.names() == ["asvspoof2019", "asvspoof2021", "asvspoof5", "csv", "fake-or-real", "folder",
                                "in-the-wild", "mlaad", "wavefake"]
    for name in ADAPTERS.names():
        adapter = ADAPTERS.get(name)
        assert adapter.name == name and adapter.summary


def make_folder_tree(root, make_audio):
    for path in ("train/real/a.wav", "train/fake/melgan/b.wav", "train/fake/c.flac", "test/bonafide/d.wav",
                 "test/spoof/vits/e.wav", "noise/n.wav", ".hidden/h.wav"):
        make_audio(root / path)
    (root / "train" / "real" / "notes.txt").write_text("not audio")


def test_folder_labels_attacks_and_splits_from_folder_names(tmp_path, make_audio):
    root = tmp_path / "mine"
    make_folder_tree(root, make_audio)
    with pytest.raises(DatasetError, match=r"1 file\(s\) have no label: noise/n.wav"):
        read_dataset("folder", root)
    rows, _ = read_dataset("folder", root, options=ImportOptions(label_rules=("noise/*=skip",)))
    rows = by_id(rows)
    assert sorted(rows) == ["test-bonafide-d", "test-spoof-vits-e", "train-fake-c", "train-fake-melgan-b", "train-real-a"]
    assert (rows["train-fake-melgan-b"].attack, rows["train-fake-melgan-b"].split) == ("melgan", "train")
    assert (rows["train-fake-c"].attack, rows["train-fake-c"].label) == ("unknown", "spoof")
    assert (rows["test-bonafide-d"].label, rows["test-bonafide-d"].split, rows["test-bonafide-d"].attack) == ("bonafide", "eval", "-")
    assert rows["train-real-a"].source == "mine"


def test_folder_rules_come_first_and_speaker_pattern(tmp_path, make_audio):
    root = tmp_path / "corpus"
    for path in ("speakers/anna/human/1.wav", "speakers/anna/tts/2.wav", "speakers/ben/human/3.wav", "speakers/ben/real/4.wav"):
        make_audio(root / path)
    options = ImportOptions(label_rules=("*/human/*=bonafide", "*/tts/*=fake", "*/real/*=skip"),
                            options={"speaker_pattern": "speakers/([^/]+)/"})
    rows, _ = read_dataset("folder", root, options=options)
    assert Counter((r.speaker, r.label) for r in rows) == {("anna", "bonafide"): 1, ("anna", "spoof"): 1, ("ben", "bonafide"): 1}
    with pytest.raises(DatasetError, match="expected GLOB=LABEL"):
        read_dataset("folder", root, options=ImportOptions(label_rules=("*/human/*=maybe",)))
    with pytest.raises(DatasetError, match="needs a group"):
        read_dataset("folder", root, options=ImportOptions(label_rules=("*=spoof",), options={"speaker_pattern": "x"}))


def test_csv_with_column_mapping_and_label_values(tmp_path, make_audio, write_lines):
    make_audio(tmp_path / "audio" / "x1.wav")
    make_audio(tmp_path / "audio" / "x2.wav")
    make_audio(tmp_path / "audio" / "sub" / "x3.wav")
    table = write_lines(tmp_path / "labels.csv", ["filepath,is_fake,spk,notes", "audio/x1.wav,0,s1,clean",
                                                  "audio/x2.wav,1,s1,", "audio/sub/x3.wav,1,s2,loud"])
    with pytest.raises(DatasetError, match=r"labels.csv:2: label '0' is neither bona fide nor spoof"):
        read_dataset("csv", table, options=ImportOptions(columns=("label=is_fake",)))
    options = ImportOptions(columns=("label=is_fake", "speaker=spk"), options={"bonafide_values": "0", "spoof_values": "1"})
    rows, _ = read_dataset("csv", table, options=options)
    rows = by_id(rows)
    assert sorted(rows) == ["audio-sub-x3", "audio-x1", "audio-x2"]
    assert (rows["audio-x1"].label, rows["audio-x1"].speaker, rows["audio-x1"].attack) == ("bonafide", "s1", "-")
    assert (rows["audio-sub-x3"].label, rows["audio-sub-x3"].attack, rows["audio-sub-x3"].extra) == ("spoof", "unknown", {"notes": "loud"})
    with pytest.raises(DatasetError, match="no column 'labels' for label"):
        read_dataset("csv", table, options=ImportOptions(columns=("label=labels",)))
    with pytest.raises(DatasetError, match="expected FIELD=COLUMN"):
        read_dataset("csv", table, options=ImportOptions(columns=("colour=is_fake",)))


def test_csv_sniffs_tabs_and_reports_missing_files(tmp_path, make_audio, write_lines):
    make_audio(tmp_path / "a.wav")
    table = write_lines(tmp_path / "t.tsv", ["id\tfile\tlabel\tattack\tduration_s", "u1\ta.wav\treal\t-\t0.05",
                                             "u2\tb.wav\tfake\tA01\t"])
    with pytest.raises(DatasetError, match=r"t.tsv:3: b.wav not found under"):
        read_dataset("csv", table)
    rows, notes = read_dataset("csv", table, options=ImportOptions(skip_missing=True))
    assert [(r.utt_id, r.label, r.duration_s) for r in rows] == [("u1", "bonafide", 0.05)] and "skipped 1" in notes[0]


def test_import_writes_paths_relative_to_the_manifest(tmp_path, make_audio):
    make_audio(tmp_path / "data" / "real" / "a.wav")
    make_audio(tmp_path / "data" / "fake" / "b.wav")
    import_dataset("folder", tmp_path / "data", tmp_path / "manifests" / "m.csv", split="train", id_prefix="my-")
    manifest = read_manifest(tmp_path / "manifests" / "m.csv")
    assert sorted(r.path for r in manifest) == ["../data/fake/b.wav", "../data/real/a.wav"]
    assert sorted(r.utt_id for r in manifest) == ["my-fake-b", "my-real-a"]
    assert {r.split for r in manifest} == {"train"}
    assert all(manifest.resolve(r).is_file() for r in manifest)
    import_dataset("folder", tmp_path / "data", tmp_path / "abs.csv", absolute_paths=True)
    assert all(os.path.isabs(r.path) and os.path.isfile(r.path) for r in read_manifest(tmp_path / "abs.csv"))


def test_import_resolves_symlinked_folders(tmp_path, make_audio):
    make_audio(tmp_path / "disk" / "data" / "real" / "a.wav")
    make_audio(tmp_path / "disk" / "data" / "fake" / "b.wav")
    (tmp_path / "link").symlink_to(tmp_path / "disk" / "data")
    (tmp_path / "work").mkdir()
    (tmp_path / "work" / "alias").symlink_to(tmp_path / "disk")
    import_dataset("folder", tmp_path / "link", tmp_path / "work" / "alias" / "m.csv")
    manifest = read_manifest(tmp_path / "work" / "alias" / "m.csv")
    assert all(manifest.resolve(r).is_file() for r in manifest)


def test_import_refuses_clashing_ids_and_unknown_formats(tmp_path, make_audio, write_lines):
    make_audio(tmp_path / "a.wav")
    table = write_lines(tmp_path / "t.csv", ["utt_id,path,label", "x,a.wav,bonafide", "x,a.wav,spoof"])
    with pytest.raises(DatasetError, match="utt_id 'x' is used twice"):
        read_dataset("csv", table)
    with pytest.raises(ParameterError, match="unknown dataset adapter 'asvspoof2017'"):
        read_dataset("asvspoof2017", tmp_path)
    with pytest.raises(DatasetError, match="no such file or folder"):
        read_dataset("folder", tmp_path / "absent")
    with pytest.raises(DatasetError, match="t.csv: not a folder"):
        read_dataset("wavefake", table)
    with pytest.raises(DatasetError, match="not a file"):
        read_dataset("csv", tmp_path)
    (tmp_path / "empty").mkdir()
    with pytest.raises(DatasetError, match="found no utterances"):
        read_dataset("folder", tmp_path / "empty")


def test_rebase_moves_relative_paths_only(tmp_path):
    rows = [ManifestRow("a", "audio/a.wav", "bonafide"), ManifestRow("b", "/abs/b.wav", "spoof")]
    (tmp_path / "m" / "audio").mkdir(parents=True)
    (tmp_path / "out").mkdir()
    moved = rebase(rows, tmp_path / "m", tmp_path / "out")
    assert [r.path for r in moved] == ["../m/audio/a.wav", "/abs/b.wav"]
    assert rows[0].path == "audio/a.wav"  # the input rows are left alone
    assert rebase(rows, tmp_path / "m", tmp_path / "m") is rows
