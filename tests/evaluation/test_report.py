"""Reports: metrics.json, per-attack/per-source tables, plots, t-DCF applicability, and `fakescope evaluate --scores`."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from fakescope.evaluation import ScoreRow, write_scores
from fakescope.evaluation.report import compute_metrics, tdcf_partition, write_report


def _rows(prefix: str = "u", attacks=("A07", "A08"), seed: int = 0) -> list[ScoreRow]:
    rng = np.random.default_rng(seed)
    rows = [ScoreRow(f"{prefix}b{i}", float(rng.normal(2, 1)), "bonafide", "-", f"src{i % 2}") for i in range(40)]
    for j, attack in enumerate(attacks):
        shift = -2.0 if j == 0 else 1.5  # the second attack is much harder
        rows += [ScoreRow(f"{prefix}{attack}_{i}", float(rng.normal(shift, 1)), "spoof", attack, f"src{i % 2}")
                 for i in range(30)]
    return rows


def test_write_report_files_and_tables(tmp_path):
    result = write_report(_rows(), tmp_path, threshold=0.5, threshold_source="dev")
    for name in ("metrics.json", "classification_report.txt", "per_attack.md", "per_attack.csv", "per_source.md",
                 "per_source.csv", "confusion_matrix.png", "det_curve.png", "score_histogram.png"):
        assert (tmp_path / name).is_file(), name
    for name in ("confusion_matrix.png", "det_curve.png", "score_histogram.png"):
        with Image.open(tmp_path / name) as image:
            assert image.size[0] >= 300
    saved = json.loads((tmp_path / "metrics.json").read_text())
    assert saved["trials"] == {"bonafide": 40, "spoof": 60, "unlabelled": 0}
    assert saved["at_threshold"]["threshold"] == 0.5 and saved["at_threshold"]["source"] == "dev"
    assert saved["min_tdcf"] is None and "do not apply" in saved["min_tdcf_note"]
    attacks = {row["attack"]: row for row in saved["per_attack"]}
    assert set(attacks) == {"A07", "A08"} and attacks["A07"]["eer"] < attacks["A08"]["eer"]
    assert attacks["A07"]["spoof"] == 30 and attacks["A07"]["bonafide"] is None
    sources = {row["source"]: row for row in saved["per_source"]}
    assert sources["src0"]["bonafide"] == 20 and sources["src0"]["spoof"] == 30
    markdown = (tmp_path / "per_attack.md").read_text()
    assert markdown.startswith("| attack | bona fide | spoof | EER % | 95 % CI |") and "| A07 | all | 30 |" in markdown
    # Every EER comes with its bootstrap interval, in metrics.json, the tables and the CSV.
    low, high = saved["eer_ci"]
    assert low <= saved["eer"] <= high and "bootstrap" in saved["eer_ci_method"]
    for row in saved["per_attack"] + saved["per_source"]:
        assert row["eer_ci"][0] <= row["eer"] <= row["eer_ci"][1]
    a08 = attacks["A08"]
    assert f"{100 * a08['eer_ci'][0]:.2f}–{100 * a08['eer_ci'][1]:.2f}" in markdown
    header, *lines = (tmp_path / "per_source.csv").read_text().splitlines()
    assert header.endswith("eer_ci_low,eer_ci_high") and all(line.count(",") == 6 for line in lines)
    assert "macro avg" in (tmp_path / "classification_report.txt").read_text()
    assert 0 <= result["roc_auc"] <= 1


def test_breakdown_accuracy_matches_threshold():
    rows = [ScoreRow("b1", 1.0, "bonafide", "-", "x"), ScoreRow("b2", -1.0, "bonafide", "-", "x"),
            ScoreRow("s1", -2.0, "spoof", "A", "x"), ScoreRow("s2", 2.0, "spoof", "B", "y")]
    result = compute_metrics(rows, threshold=0.0)
    per_attack = {r["attack"]: r for r in result["per_attack"]}
    assert per_attack["A"]["accuracy"] == 1.0 and per_attack["B"]["accuracy"] == 0.0
    per_source = {r["source"]: r for r in result["per_source"]}
    assert per_source["x"]["accuracy"] == pytest.approx(2 / 3) and per_source["y"]["eer"] is None
    assert per_source["y"]["eer_ci"] is None and per_attack["A"]["eer_ci"] is None  # one spoof: no interval
    lean = compute_metrics(rows, threshold=0.0, intervals=False)  # what robustness runs ask for
    assert lean["eer_ci"] is None and lean["eer_ci_method"] is None and lean["eer"] == result["eer"]


def test_tdcf_only_where_the_2019_constants_apply():
    assert tdcf_partition(_rows("LA_E_"))[0] == "eval"
    assert tdcf_partition(_rows("LA_D_", attacks=("A01", "A02")))[0] == "dev"
    assert tdcf_partition(_rows("LA_E_", attacks=("A07", "A99")))[0] is None
    assert tdcf_partition(_rows("x"), "eval")[0] == "eval" and tdcf_partition(_rows("LA_E_"), "off")[0] is None
    result = compute_metrics(_rows("LA_E_"))
    assert result["min_tdcf"] is not None and 0 <= result["min_tdcf"] <= 1
    assert "no dev threshold" in result["at_threshold"]["source"]
    assert result["at_threshold"]["threshold"] == result["eer_threshold"]


def test_cli_evaluate_scores_file(tmp_path, capsys):
    from fakescope.cli import main

    path = write_scores(tmp_path / "system.txt", [ScoreRow(r.utt_id, r.score, r.label, r.attack) for r in _rows("LA_E_")])
    with pytest.raises(SystemExit) as exit_info:
        main(["evaluate", "--scores", str(path), "--out", str(tmp_path / "report"), "--threshold", "0.5"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert "EER" in out and "min t-DCF" in out and "given threshold" in out
    assert json.loads((tmp_path / "report" / "metrics.json").read_text())["min_tdcf"] is not None


def test_cli_evaluate_versus_another_system(tmp_path, capsys):
    from fakescope.cli import main

    rows = _rows()
    ours = write_scores(tmp_path / "ours.txt", rows)
    # The other system scores the same trials, its spoofs a little closer to bona fide, in another order.
    theirs = write_scores(tmp_path / "theirs.txt", [ScoreRow(r.utt_id, r.score + (0.8 if r.label == "spoof" else 0.0),
                                                             r.label, r.attack) for r in reversed(rows)])
    with pytest.raises(SystemExit) as exit_info:
        main(["evaluate", "--scores", str(ours), "--versus", str(theirs), "--out", str(tmp_path / "report")])
    assert exit_info.value.code == 0
    assert f"versus {theirs}:" in capsys.readouterr().out
    versus = json.loads((tmp_path / "report" / "metrics.json").read_text())["versus"]
    assert versus["trials"] == 100 and versus["file"] == str(theirs) and "paired" in versus["method"]
    assert versus["difference"] < 0 and versus["difference_ci"][0] <= versus["difference"] <= versus["difference_ci"][1]
    # A score file that misses trials is a one-line error naming it, not a traceback.
    partial = write_scores(tmp_path / "partial.txt", rows[:50])
    with pytest.raises(SystemExit) as exit_info:
        main(["evaluate", "--scores", str(ours), "--versus", str(partial), "--out", str(tmp_path / "r2")])
    err = capsys.readouterr().err.strip()
    assert exit_info.value.code == 2 and err.startswith(f"fakescope: error: {partial}: 50 of the 100 trials")
    assert "\n" not in err


def test_cli_evaluate_needs_labels_or_a_manifest(tmp_path, capsys):
    from fakescope.cli import main
    from fakescope.datasets.manifest import ManifestRow, write_manifest

    path = tmp_path / "unlabelled.txt"
    path.write_text("a 1.0\nb -1.0\n")
    with pytest.raises(SystemExit) as exit_info:
        main(["evaluate", "--scores", str(path), "--out", str(tmp_path / "r")])
    assert exit_info.value.code == 2 and "pass --manifest" in capsys.readouterr().err
    manifest = write_manifest(tmp_path / "m.csv", [ManifestRow("a", "a.wav", "bonafide", source="s"),
                                                   ManifestRow("b", "b.wav", "spoof", attack="X", source="s")])
    with pytest.raises(SystemExit) as exit_info:
        main(["evaluate", "--scores", str(path), "--manifest", str(manifest), "--out", str(tmp_path / "r")])
    assert exit_info.value.code == 0
    assert "EER 0.00 %" in capsys.readouterr().out


def test_a_missing_versus_file_fails_before_any_scoring(tmp_path):
    from fakescope.errors import DatasetError
    from fakescope.evaluation.run import evaluate_checkpoint

    # The checkpoint does not exist either: the versus file is read first, so a long scoring run never starts.
    with pytest.raises(DatasetError, match="theirs.txt: score file not found"):
        evaluate_checkpoint(tmp_path / "model.safetensors", out_dir=tmp_path / "r", manifest=tmp_path / "m.csv",
                            versus=tmp_path / "theirs.txt")
