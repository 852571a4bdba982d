"""The README's main job (`fakescope demo`): every step runs and says where its results are.

The offline corpus build is replaced by a tiny generated corpus (the real build is tested in
tests/datasets/offline and needs minutes); the evaluation and the scans use the shipped default model.
"""

from __future__ import annotations

import json

from typer.testing import CliRunner

from fakescope.cli import commands  # noqa: F401  (registers every command on `app`)
from fakescope.cli.app import app
from fakescope.datasets.offline import build as offline_build
from fakescope.demo import run_demo

from .training.helpers import make_corpus


def test_the_full_demo_evaluates_and_scans_with_the_default_model(tmp_path, monkeypatch):
    builds = []

    def fake_build(*, out_dir, size, seed, allow_missing, workers):
        builds.append((size, allow_missing))
        make_corpus(out_dir, per_class={"train": 2, "eval": 4}, seconds=1.5)

    monkeypatch.setattr(offline_build, "build_corpus", fake_build)
    out = tmp_path / "out"
    lines = run_demo(out, corpus_size="tiny", say=lambda message: None)

    assert builds == [("tiny", True)]
    metrics = json.loads((out / "report" / "metrics.json").read_text())
    assert 0.0 <= metrics["eer"] <= 1.0
    assert any(f"EER {100 * metrics['eer']:.2f} %" in line for line in lines)
    results = json.loads((out / "scan.json").read_text())["results"]
    # The two demo signals, then 2 eval spoofs (one per system) and 2 eval bona fide files.
    assert [r["source"].rsplit("/", 1)[-1] for r in results] == [
        "sample.wav", "sample-griffinlim.wav", "spoof_0.wav", "spoof_1.wav", "bonafide_0.wav", "bonafide_1.wav"]
    assert all(0.0 <= r["p_fake"] <= 1.0 and r["verdict"] in {"fake", "real", "uncertain"} for r in results)
    assert len(list((out / "explanations").glob("*.png"))) == len(results)
    for r in results:  # one summary line per scanned file
        assert any(line.strip().startswith(r["source"].rsplit("/", 1)[-1]) for line in lines)


def test_the_quick_demo_command_writes_the_analyst_figure_and_says_where(tmp_path):
    done = CliRunner().invoke(app, ["demo", "--quick", "--out", str(tmp_path / "d")])
    assert done.exit_code == 0, done.output
    assert (tmp_path / "d" / "analysis.png").stat().st_size > 10_000
    assert {p.name for p in (tmp_path / "d" / "examples").iterdir()} == {"sample.wav", "sample-griffinlim.wav"}
    assert "fakescope demo: everything is in" in done.output and str(tmp_path / "d" / "analysis.png") in done.output
