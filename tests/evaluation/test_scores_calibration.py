"""Score-file I/O (text and CSV) and Platt calibration."""

from __future__ import annotations

import numpy as np
import pytest

from fakescope.errors import DatasetError, ParameterError
from fakescope.evaluation import Calibration, ScoreRow, fit_calibration, read_scores, write_scores
from fakescope.evaluation.scores import attach_keys

ROWS = [ScoreRow("LA_E_1", 1.25, "bonafide", "-", "s1"), ScoreRow("LA_E_2", -3.5e-7, "spoof", "A11", "s2")]


@pytest.mark.parametrize("name", ["scores.txt", "scores.csv"])
def test_round_trip(tmp_path, name):
    path = write_scores(tmp_path / name, ROWS)
    back = read_scores(path)
    assert [(r.utt_id, r.score, r.label, r.attack) for r in back] == [(r.utt_id, r.score, r.label, r.attack) for r in ROWS]
    if name.endswith(".csv"):
        assert [r.source for r in back] == ["s1", "s2"]
    else:
        assert path.read_text().splitlines()[1] == "LA_E_2 -3.5e-07 spoof A11"


def test_reads_other_layouts(tmp_path):
    path = tmp_path / "cm.txt"
    # Official ASVspoof 2019 CM order (utt attack key score), the brief's order, labels only, and comments.
    path.write_text("# a comment\nLA_E_1 A11 spoof -2.5\nLA_E_2 - bonafide 3.0\nLA_E_3 0.5 bona-fide\nLA_E_4 7\n\n")
    rows = read_scores(path)
    assert [(r.utt_id, r.score, r.label, r.attack) for r in rows] == [
        ("LA_E_1", -2.5, "spoof", "A11"), ("LA_E_2", 3.0, "bonafide", "-"), ("LA_E_3", 0.5, "bonafide", "-"),
        ("LA_E_4", 7.0, "", "-"),
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [("u1 1.0 spoof A01 extra\n", r"bad.txt:1: expected"), ("u1 spoof A01\n", r"bad.txt:1: no finite numeric"),
     ("u1 1.0\nu2 nan\n", r"bad.txt:2: no finite"), ("u1 1.0 A01 A02\n", r"bad.txt:1: no label"), ("\n", "holds no scores")],
)
def test_bad_text_files_name_file_and_line(tmp_path, text, message):
    path = tmp_path / "bad.txt"
    path.write_text(text)
    with pytest.raises(DatasetError, match=message):
        read_scores(path)


def test_bad_csv_and_missing_file(tmp_path):
    path = tmp_path / "s.csv"
    path.write_text("utt_id,score,label\nu1,abc,spoof\n")
    with pytest.raises(DatasetError, match=r"s.csv:2: score"):
        read_scores(path)
    path.write_text("utt,score\nu1,1\n")
    with pytest.raises(DatasetError, match="utt_id and score"):
        read_scores(path)
    with pytest.raises(DatasetError, match="not found"):
        read_scores(tmp_path / "missing.txt")


def test_attach_keys():
    rows = [ScoreRow("a", 1.0), ScoreRow("b", 2.0)]
    keyed = attach_keys(rows, {"a": ("spoof", "A01", "x"), "b": ("bonafide", "-", "y")}, where="f")
    assert [(r.label, r.attack, r.source) for r in keyed] == [("spoof", "A01", "x"), ("bonafide", "-", "y")]
    with pytest.raises(DatasetError, match="1 scored utterance"):
        attach_keys(rows, {"a": ("spoof", "A01", "x")}, where="f")


def test_calibration_recovers_a_known_logistic_map():
    rng = np.random.default_rng(0)
    scores = rng.uniform(-4, 4, 40000)
    bona = rng.random(scores.size) < 1 / (1 + np.exp(-(2.0 * scores - 1.0)))  # true map: slope 2, offset -1
    fitted = fit_calibration(bonafide_scores=scores[bona], spoof_scores=scores[~bona], balanced=False)
    assert fitted.slope == pytest.approx(2.0, rel=0.05) and fitted.offset == pytest.approx(-1.0, abs=0.08)


def test_calibration_on_separable_scores_is_finite_and_ordered():
    fitted = fit_calibration(bonafide_scores=[3.0, 4.0, 5.0], spoof_scores=[-5.0, -4.0])
    assert np.isfinite(fitted.slope) and fitted.slope > 0
    p = fitted.p_fake(np.array([-5.0, 0.0, 5.0]))
    assert p[0] > 0.5 > p[2] and np.all(np.diff(p) < 0)
    # Balanced weights put p_fake = 0.5 between the classes, whatever their counts.
    assert -4.0 < fitted.score_for_p_fake(0.5) < 3.0
    assert fitted.p_fake(fitted.score_for_p_fake(0.2)) == pytest.approx(0.2)
    assert Calibration.from_dict(fitted.to_dict()) == fitted
    np.testing.assert_allclose(fitted.p_fake([1.0]) + fitted.p_bonafide([1.0]), [1.0])


def test_calibration_errors():
    with pytest.raises(ParameterError, match="both"):
        fit_calibration(bonafide_scores=[], spoof_scores=[1.0])
    with pytest.raises(ParameterError, match="slope and offset"):
        Calibration.from_dict({"slope": "x"})
