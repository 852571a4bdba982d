"""`fakescope datasets import|balance|split|stats|check` and `fakescope list`, through typer's CliRunner."""

from __future__ import annotations

import json
import shutil
from collections import Counter

import pytest
from typer.testing import CliRunner

import fakescope.cli.commands  # noqa: F401  (registers the commands)
from fakescope.cli import main
from fakescope.cli.app import app
from fakescope.datasets.adapters import ADAPTERS
from fakescope.datasets.manifest import read_manifest
from fakescope.errors import DatasetError

runner = CliRunner()


@pytest.fixture
def la_tree(tmp_path, make_audio, write_lines):
    """An ASVspoof 2019 LA train partition: 4 speakers × (2 bona fide + 2 × A01 + 2 × A02)."""
    lines = []
    for s in range(4):
        for k, (attack, key) in enumerate([("-", "bonafide")] * 2 + [("A01", "spoof")] * 2 + [("A02", "spoof")] * 2):
            utt = f"LA_T_{s}{k:06d}"
            lines.append(f"LA_00{79 + s} {utt} - {attack} {key}")
            make_audio(tmp_path / "LA" / "ASVspoof2019_LA_train" / "flac" / f"{utt}.flac")
    write_lines(tmp_path / "LA" / "ASVspoof2019_LA_cm_protocols" / "ASVspoof2019.LA.cm.train.trn.txt", lines)
    return tmp_path


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args])


def test_import_balance_split_stats_check_round_trip(la_tree):
    out = la_tree / "manifests"
    result = invoke("datasets", "import", "asvspoof2019", la_tree, "--out", out / "la.csv")
    assert result.exit_code == 0, result.output
    assert "24 rows (8 bonafide, 16 spoof)" in result.output
    assert "note: LA dev:" in result.output  # the absent partitions are named

    result = invoke("datasets", "balance", out / "la.csv", "-o", la_tree / "balanced" / "b.csv", "--per", "attack", "--seed", "1")
    assert result.exit_code == 0, result.output
    balanced = read_manifest(la_tree / "balanced" / "b.csv")
    assert Counter((r.label, r.attack) for r in balanced) == {("bonafide", "-"): 8, ("spoof", "A01"): 4, ("spoof", "A02"): 4}
    assert all(balanced.resolve(r).is_file() for r in balanced)  # paths rebased to the new folder

    result = invoke("datasets", "split", out / "la.csv", "-o", out / "split.csv", "--ratios", "50/25/25")
    assert result.exit_code == 0, result.output
    assert "replacing the existing splits (train)" in result.output
    split = read_manifest(out / "split.csv")
    assert Counter(r.split for r in split) == {"train": 12, "dev": 6, "eval": 6}
    assert "dev: 6 rows (2 bonafide, 4 spoof, 1 speakers)" in result.output

    result = invoke("datasets", "stats", out / "split.csv")
    assert result.exit_code == 0 and "dev    spoof     A01" in result.output
    data = json.loads(invoke("datasets", "stats", out / "split.csv", "--json", "--probe").output)
    assert data["rows"] == 24 and data["sample_rates"] == {"16000": 24} and data["speakers"] == {"dev": 1, "eval": 1, "train": 2}

    result = invoke("datasets", "check", out / "split.csv", "--jobs", "2", "--write-durations")
    assert result.exit_code == 0, result.output
    assert "24 rows checked; 0 problem(s)" in result.output
    assert all(r.duration_s == pytest.approx(0.05) for r in read_manifest(out / "split.csv"))


def test_check_exits_1_on_problems(la_tree):
    invoke("datasets", "import", "asvspoof2019", la_tree, "--out", la_tree / "la.csv")
    flac = la_tree / "LA" / "ASVspoof2019_LA_train" / "flac"
    shutil.copy(flac / "LA_T_0000000.flac", flac / "LA_T_1000000.flac")  # one speaker's file under another's id
    result = invoke("datasets", "check", la_tree / "la.csv")
    assert result.exit_code == 1
    assert "duplicate audio (1):" in result.output and "LA_T_0000000 (train, bonafide), LA_T_1000000" in result.output
    data = json.loads(invoke("datasets", "check", la_tree / "la.csv", "--json").output)
    assert data["problems"] == 1 and len(data["duplicate_content"]) == 1


def test_import_options_reach_the_adapters(tmp_path, make_audio):
    for path in ("data/human/a.wav", "data/tts/b.wav", "data/tts/c.wav"):
        make_audio(tmp_path / path)
    result = invoke("datasets", "import", "folder", tmp_path / "data", "-o", tmp_path / "m.csv",
                    "--label-from", "human/*=bonafide", "--label-from", "tts/*=spoof", "--split", "eval", "--id-prefix", "x-")
    assert result.exit_code == 0, result.output
    rows = read_manifest(tmp_path / "m.csv").rows
    assert sorted((r.utt_id, r.label, r.split) for r in rows) == [
        ("x-human-a", "bonafide", "eval"), ("x-tts-b", "spoof", "eval"), ("x-tts-c", "spoof", "eval")]
    result = invoke("datasets", "import", "folder", tmp_path / "data", "-o", tmp_path / "m.csv", "--option", "oops")
    assert result.exit_code == 2 and "--option 'oops': expected KEY=VALUE" in result.output
    result = invoke("datasets", "import", "nope", tmp_path, "-o", tmp_path / "m.csv")
    assert result.exit_code == 2 and "unknown format 'nope'" in result.output


def test_errors_become_one_line_and_exit_code_2(tmp_path, capsys):
    with pytest.raises(SystemExit) as caught:
        main(["datasets", "import", "asvspoof2019", str(tmp_path), "--out", str(tmp_path / "m.csv")])
    assert caught.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("fakescope: error: ") and "no ASVspoof 2019 tree here" in err and err.count("\n") == 1
    result = invoke("datasets", "import", "asvspoof2019", tmp_path, "--out", tmp_path / "m.csv")
    assert isinstance(result.exception, DatasetError)


def test_list_and_help_name_every_adapter():
    result = invoke("list")
    assert result.exit_code == 0
    line = next(l for l in result.output.splitlines() if l.startswith("dataset adapters:"))
    assert line == "dataset adapters: " + ", ".join(ADAPTERS.names())
    help_text = invoke("datasets", "import", "--help").output
    assert all(f"{name}:" in help_text for name in ADAPTERS.names())  # one paragraph per format
    assert "bonafide=:" in help_text and "hidden_track" in help_text  # single words: rich may wrap lines
