"""`compute_stats` and `check_manifest` on small manifests over generated audio."""

from __future__ import annotations

import shutil

import pytest

from fakescope.datasets.check import check_manifest, format_report, probe_file
from fakescope.datasets.manifest import Manifest, ManifestRow, read_manifest, write_manifest
from fakescope.datasets.stats import compute_stats, format_stats


@pytest.fixture
def clean(tmp_path, make_audio):
    """A manifest of four distinct files, both labels in train and eval, speakers disjoint."""
    make_audio(tmp_path / "audio" / "a.wav", seconds=0.05)
    make_audio(tmp_path / "audio" / "b.flac", seconds=0.1)
    make_audio(tmp_path / "audio" / "c.wav", seconds=0.05, sample_rate=22050)
    make_audio(tmp_path / "audio" / "d.wav", seconds=0.2)
    rows = [
        ManifestRow("a", "audio/a.wav", "bonafide", speaker="s1", split="train", duration_s=0.05),
        ManifestRow("b", "audio/b.flac", "spoof", speaker="s1", attack="A01", split="train"),
        ManifestRow("c", "audio/c.wav", "bonafide", speaker="s2", split="eval"),
        ManifestRow("d", "audio/d.wav", "spoof", speaker="s3", attack="A02", split="eval"),
    ]
    write_manifest(tmp_path / "m.csv", rows)
    return tmp_path / "m.csv"


def test_stats_counts_durations_rates_and_speakers(clean):
    stats = compute_stats(read_manifest(clean))
    assert stats.counts == {("train", "bonafide", "-"): 1, ("train", "spoof", "A01"): 1,
                            ("eval", "bonafide", "-"): 1, ("eval", "spoof", "A02"): 1}
    assert stats.durations[("train", "bonafide")].files == 1 and stats.durations[("eval", "spoof")].files == 0
    assert stats.speakers == {"eval": 2, "train": 1} and stats.shared_speakers == {}
    text = format_stats(stats)
    assert "train  spoof     A01" in text and "not read (--probe" in text
    probed = compute_stats(read_manifest(clean), probe=True)
    assert probed.sample_rates == {16000: 3, 22050: 1}
    assert probed.durations[("eval", "spoof")].total_s == pytest.approx(0.2, abs=1e-3)
    assert probed.durations[("train", "bonafide")].total_s == pytest.approx(0.05)  # the manifest's value is kept
    assert "16000 Hz: 3, 22050 Hz: 1" in format_stats(probed)
    assert probed.to_dict()["counts"][0] == {"split": "eval", "label": "bonafide", "attack": "-", "rows": 1}


def test_check_passes_a_clean_manifest(clean):
    report = check_manifest(read_manifest(clean))
    assert report.problems == 0 and report.warnings == []
    assert report.sample_rates == {16000: 3, 22050: 1}
    assert report.durations[3] == pytest.approx(0.2, abs=1e-3)
    assert format_report(report).startswith("4 rows checked; 0 problem(s), 0 warning(s)")


def test_check_finds_every_kind_of_problem(clean, make_audio):
    root = clean.parent
    shutil.copy(root / "audio" / "a.wav", root / "audio" / "a_copy.wav")  # same audio as a (train) in eval: leakage
    shutil.copy(root / "audio" / "d.wav", root / "audio" / "d_copy.wav")  # same audio as d (eval) in eval: duplicate
    shutil.copy(root / "audio" / "b.flac", root / "audio" / "b_copy.flac")  # same audio as b but labelled bona fide
    (root / "audio" / "broken.wav").write_bytes(b"RIFF\x00\x00\x00\x00WAVEgarbage")
    rows = read_manifest(clean).rows + [
        ManifestRow("a2", "audio/a_copy.wav", "bonafide", speaker="s9", split="eval"),
        ManifestRow("d2", "audio/d_copy.wav", "spoof", speaker="s3", attack="A02", split="eval"),
        ManifestRow("b2", "audio/b_copy.flac", "bonafide", speaker="s1", split="train"),
        ManifestRow("gone", "audio/gone.wav", "spoof", attack="A01", split="train"),
        ManifestRow("broken", "audio/broken.wav", "spoof", attack="A03", split="train"),
        ManifestRow("c", "audio/c.wav", "bonafide", speaker="s2", split="eval"),  # same id and file again
        ManifestRow("d3", "audio/d.wav", "spoof", speaker="s3", attack="A02", split="train"),  # same file, other split
        ManifestRow("weird", "audio/d.wav", "bonafide", attack="A02", split="eval"),
    ]
    write_manifest(clean, rows)
    report = check_manifest(read_manifest(clean), jobs=2)
    assert [m.split(":")[0] for m in report.missing] == ["gone"]
    assert report.undecodable[0].startswith("broken: ")
    assert report.duplicate_ids == ["c: listed 2 times"]
    assert any("a (train, bonafide)" in line and "a2 (eval, bonafide)" in line for line in report.leakage)
    assert any("d.wav is listed in splits eval, train" in line for line in report.leakage)
    assert len(report.duplicate_content) == 0  # d and d2 share audio, but d's file is also in train: reported as leakage
    assert any("b (train, spoof)" in line and "b2 (train, bonafide)" in line for line in report.label_conflicts)
    assert report.label_problems == ["weird: bona fide but attack is 'A02' (should be '-')"]
    assert any("c.wav is listed 2 times in split eval" in w for w in report.warnings)
    assert report.problems == 1 + 1 + 1 + len(report.leakage) + len(report.label_conflicts) + 1
    single = check_manifest(read_manifest(clean), jobs=1)
    assert single.to_dict() == report.to_dict()  # worker processes change nothing
    text = format_report(report)
    assert "missing files (1):" in text and "leakage across splits" in text


def test_check_duplicates_within_a_split_and_one_label_warnings(tmp_path, make_audio):
    make_audio(tmp_path / "x.wav")
    shutil.copy(tmp_path / "x.wav", tmp_path / "y.wav")
    manifest = Manifest([ManifestRow("x", "x.wav", "spoof", attack="A01", split="train"),
                         ManifestRow("y", "y.wav", "spoof", attack="A01", split="train")], root=tmp_path)
    report = check_manifest(manifest)
    assert len(report.duplicate_content) == 1 and report.leakage == []
    assert report.warnings == ["every row is spoof: a detector needs both labels"]


def test_probe_file_reports_reasons(tmp_path, make_audio):
    assert probe_file(str(tmp_path / "none.wav")).missing
    (tmp_path / "empty.wav").write_bytes(b"")
    assert "empty" in probe_file(str(tmp_path / "empty.wav")).error
    good = probe_file(str(make_audio(tmp_path / "ok.flac", seconds=0.1)))
    assert (good.sample_rate, good.channels, round(good.duration_s, 2), len(good.digest)) == (16000, 1, 0.1, 32)
    import soundfile as sf

    data, rate = sf.read(tmp_path / "ok.flac", dtype="int16")
    sf.write(tmp_path / "same.wav", data, rate, subtype="PCM_16")
    assert probe_file(str(tmp_path / "same.wav")).digest == good.digest  # same samples, other container
