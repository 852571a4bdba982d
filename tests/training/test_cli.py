"""`fakescope train` and `fakescope evaluate --checkpoint` as a user runs them."""

from __future__ import annotations

import json

import pytest

from fakescope.cli import main


def _run(argv):
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    return exit_info.value.code


def test_train_then_evaluate_from_the_command_line(tmp_path, tiny_manifest, capsys):
    run = tmp_path / "run"
    code = _run(["train", "--manifest", str(tiny_manifest), "--frontend", "lfcc", "--model", "lcnn", "--epochs", "1",
                 "--batch-size", "8", "--crop-seconds", "0.4", "--set", "frontend.with_deltas=false",
                 "--no-specaugment", "--out", str(run)])
    assert code == 0
    out = capsys.readouterr().out
    assert "best dev EER" in out and str(run / "model.safetensors") in out
    report = tmp_path / "report"
    assert _run(["evaluate", "--checkpoint", str(run / "model.safetensors"), "--manifest", str(tiny_manifest),
                 "--split", "eval", "--out", str(report)]) == 0
    out = capsys.readouterr().out
    assert "6 bona fide, 6 spoof" in out and "dev EER threshold stored in the checkpoint" in out
    metrics = json.loads((report / "metrics.json").read_text())
    assert metrics["trials"]["bonafide"] == 6 and {r["attack"] for r in metrics["per_attack"]} == {"N1", "N2"}
    assert (report / "scores.txt").read_text().count("\n") == 12 and (report / "det_curve.png").is_file()
    # The score file it wrote is itself a valid input for --scores.
    assert _run(["evaluate", "--scores", str(report / "scores.csv"), "--out", str(tmp_path / "again")]) == 0
    # An unreadable file stops the evaluation (exit 2) unless skipped (exit 1, listed at the end).
    broken = tmp_path / "broken.csv"
    broken.write_text(tiny_manifest.read_text() + "gone,audio/gone.wav,spoof,x,N1,s1,eval,1.0\n")
    common = ["evaluate", "--checkpoint", str(run / "model.safetensors"), "--manifest", str(broken), "--split", "eval",
              "--workers", "0", "--out", str(tmp_path / "broken")]
    import shutil

    shutil.copytree(tiny_manifest.parent / "audio", tmp_path / "audio")
    capsys.readouterr()
    assert _run(common) == 2 and "gone.wav: no such file" in capsys.readouterr().err
    assert _run(common + ["--skip-bad-files"]) == 1
    assert "1 input(s) failed" in capsys.readouterr().err
    again = json.loads((tmp_path / "again" / "metrics.json").read_text())
    assert again["eer"] == metrics["eer"] and [r["eer"] for r in again["per_source"]] == [r["eer"] for r in metrics["per_source"]]


def test_cli_errors_are_one_line(tmp_path, tiny_manifest, capsys):
    assert _run(["train", "--manifest", str(tiny_manifest), "--model", "transformer", "--out", str(tmp_path / "r")]) == 2
    assert "unknown model 'transformer'" in capsys.readouterr().err
    assert _run(["train", "--manifest", str(tiny_manifest), "--set", "train.epochs", "--out", str(tmp_path / "r")]) == 2
    assert "KEY.PATH=VALUE" in capsys.readouterr().err
    assert _run(["evaluate", "--out", str(tmp_path / "r")]) == 2
    assert "exactly one of --checkpoint" in capsys.readouterr().err
    assert _run(["evaluate", "--checkpoint", str(tmp_path / "none.safetensors"), "--manifest", str(tiny_manifest),
                 "--out", str(tmp_path / "r")]) == 2
    assert "checkpoint not found" in capsys.readouterr().err
