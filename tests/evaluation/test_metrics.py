"""Metrics against hand-computed cases and independent computations (sklearn's ROC, AASIST-style EER)."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score, roc_curve

from fakescope.errors import ParameterError
from fakescope.evaluation import metrics as M


def roc_eer(bona: np.ndarray, spoof: np.ndarray) -> float:
    """EER from sklearn's ROC points: where FNR − FPR changes sign, interpolated linearly."""
    labels = np.r_[np.ones(bona.size), np.zeros(spoof.size)]
    fpr, tpr, _ = roc_curve(labels, np.r_[bona, spoof], drop_intermediate=False)
    fnr = 1.0 - tpr
    gap = fnr - fpr  # falls from +1 to -1 as the threshold falls
    j = int(np.argmax(gap <= 0))
    if gap[j] == 0:
        return float(fpr[j])
    t = gap[j - 1] / (gap[j - 1] - gap[j])
    return float(fnr[j - 1] + t * (fnr[j] - fnr[j - 1]))


def nearest_point_eer(bona: np.ndarray, spoof: np.ndarray) -> float:
    """AASIST's compute_eer: the mean of FRR and FAR where they are closest."""
    scores = np.r_[bona, spoof]
    labels = np.r_[np.ones(bona.size), np.zeros(spoof.size)]
    order = np.argsort(scores, kind="mergesort")
    labels = labels[order]
    frr = np.r_[0, np.cumsum(labels) / bona.size]
    far = np.r_[1, (spoof.size - np.cumsum(1 - labels)) / spoof.size]
    i = int(np.argmin(np.abs(frr - far)))
    return float((frr[i] + far[i]) / 2)


@pytest.mark.parametrize(
    ("bona", "spoof", "expected_eer", "expected_threshold"),
    [
        ([2, 3], [0, 1], 0.0, 2.0),  # separated: accept from 2 up, nothing wrong
        ([0, 1], [2, 3], 1.0, 2.0),  # inverted: every decision wrong at the crossing
        ([1, 3], [0, 2], 0.5, 2.0),  # at t = 2: FRR = 1/2 (the 1), FAR = 1/2 (the 2)
        ([5, 5], [5, 5], 0.5, 5.0),  # identical scores: the diagonal between (FAR 1, FRR 0) and (0, 1)
        # t=1.5: FRR 1/2, FAR 2/3; t=2: FRR 1/2, FAR 1/3 → crossing halfway, at 1/2.
        ([1, 2], [0, 1.5, 3], 0.5, 1.5),
        # 4 bona fide, 4 spoof, one spoof above one bona fide: at t = 2.5 FRR = 1/4 and FAR = 1/4.
        ([1.5, 3, 4, 5], [0, 1, 2, 2.5], 0.25, 2.5),
    ],
)
def test_eer_hand_computed(bona, spoof, expected_eer, expected_threshold):
    value, threshold = M.eer(bonafide_scores=bona, spoof_scores=spoof)
    assert value == pytest.approx(expected_eer, abs=1e-12)
    assert threshold == pytest.approx(expected_threshold)


@pytest.mark.parametrize("seed", range(6))
def test_eer_matches_an_independent_roc_computation(seed):
    rng = np.random.default_rng(seed)
    bona = rng.normal(1.0, 1.0, rng.integers(20, 300))
    spoof = rng.normal(-0.5, 1.3, rng.integers(20, 300))
    if seed % 2:  # quantised scores: many ties
        bona, spoof = np.round(bona, 1), np.round(spoof, 1)
    value, _ = M.eer(bonafide_scores=bona, spoof_scores=spoof)
    assert value == pytest.approx(roc_eer(bona, spoof), abs=1e-12)
    if seed % 2:
        return  # with ties the nearest-point shortcut walks through points no threshold can reach
    # The nearest-point shortcut differs by at most one step of either rate.
    assert abs(value - nearest_point_eer(bona, spoof)) <= 1.0 / min(bona.size, spoof.size) + 1e-12


def test_eer_threshold_is_an_operating_point_near_the_crossing():
    rng = np.random.default_rng(9)
    bona, spoof = rng.normal(2, 1, 500), rng.normal(0, 1, 500)
    value, threshold = M.eer(bonafide_scores=bona, spoof_scores=spoof)
    frr, far = np.mean(bona < threshold), np.mean(spoof >= threshold)
    assert abs(frr - value) < 0.01 and abs(far - value) < 0.01


def test_min_tdcf_2019_hand_computed():
    # Separable: a threshold exists with Pmiss = Pfa = 0.
    assert M.min_tdcf_2019(bonafide_scores=[2, 3], spoof_scores=[0, 1])[0] == 0.0
    # bona [1, 3], spoof [0, 2]: points (Pmiss, Pfa) = (0,1), (0,1/2), (1/2,1/2), (1/2,0), (1,0):
    # min of 2.405945·Pmiss + Pfa is 0.5 at (0, 1/2).
    value, threshold = M.min_tdcf_2019(bonafide_scores=[1, 3], spoof_scores=[0, 2])
    assert value == pytest.approx(0.5) and threshold == 1.0
    # All spoofs above all bona fide: accepting everything costs Pfa = 1, the normalised default.
    assert M.min_tdcf_2019(bonafide_scores=[0, 1], spoof_scores=[2, 3])[0] == pytest.approx(1.0)
    ratio = 0.915044 / 0.380326
    assert ratio == pytest.approx(2.405945, abs=1e-5)
    # Pmiss = 1/4, Pfa = 0 is the best point here: 2.405945 / 4.
    value, _ = M.min_tdcf_2019(bonafide_scores=[0.5, 3, 4, 5], spoof_scores=[0, 1, 1.5, 2])
    assert value == pytest.approx(min(ratio / 4, 1.0))
    dev, _ = M.min_tdcf_2019(bonafide_scores=[0.5, 3, 4, 5], spoof_scores=[0, 1, 1.5, 2], partition="dev")
    assert dev == pytest.approx(2.407990 / 4)
    with pytest.raises(ParameterError, match="partition"):
        M.min_tdcf_2019(bonafide_scores=[1], spoof_scores=[0], partition="2021")


def test_min_dcf_hand_computed():
    # DCF(t) = 1·0.95·FRR + 10·0.05·FAR, normalised by min(0.95, 0.5). bona [1, 3], spoof [0, 2]:
    # (FRR, FAR) → DCF: (0, 1) → 0.5, (0, ½) → 0.25, (½, ½) → 0.725, (½, 0) → 0.475, (1, 0) → 0.95.
    value, threshold = M.min_dcf(bonafide_scores=[1, 3], spoof_scores=[0, 2])
    assert value == pytest.approx(0.25 / 0.5) and threshold == 1.0
    assert M.min_dcf(bonafide_scores=[2, 3], spoof_scores=[0, 1])[0] == 0.0
    with pytest.raises(ParameterError, match="p_spoof"):
        M.min_dcf(bonafide_scores=[1], spoof_scores=[0], p_spoof=1.0)


def test_roc_auc_matches_sklearn_with_ties():
    rng = np.random.default_rng(4)
    bona, spoof = np.round(rng.normal(1, 1, 200), 1), np.round(rng.normal(0, 1, 150), 1)
    expected = roc_auc_score(np.r_[np.ones(200), np.zeros(150)], np.r_[bona, spoof])
    assert M.roc_auc(bonafide_scores=bona, spoof_scores=spoof) == pytest.approx(expected, abs=1e-12)
    assert M.roc_auc(bonafide_scores=[1, 3], spoof_scores=[0, 2]) == pytest.approx(0.75)


def test_threshold_metrics_and_classification_report_hand_computed():
    # threshold 2: bona [1, 3, 4] → one rejected; spoof [0, 2.5] → one accepted.
    result = M.threshold_metrics(bonafide_scores=[1, 3, 4], spoof_scores=[0, 2.5], threshold=2)
    assert result.confusion == [[2, 1], [1, 1]]
    assert result.accuracy == pytest.approx(3 / 5)
    assert result.precision == pytest.approx(1 / 2) and result.recall == pytest.approx(1 / 2)
    assert result.f1 == pytest.approx(1 / 2)
    report = M.classification_report(result)
    assert report["bonafide"] == pytest.approx({"precision": 2 / 3, "recall": 2 / 3, "f1": 2 / 3, "support": 3})
    assert report["macro avg"]["support"] == 5


def test_det_points_run_from_accept_all_to_reject_all():
    far, frr = M.det_points(bonafide_scores=[1, 2], spoof_scores=[0, 3])
    assert (far[0], frr[0]) == (1.0, 0.0) and (far[-1], frr[-1]) == (0.0, 1.0)
    assert np.all(np.diff(frr) >= 0) and np.all(np.diff(far) <= 0)


@pytest.mark.parametrize("bad", [[], [np.nan, 1.0], [np.inf]])
def test_bad_scores_are_rejected(bad):
    with pytest.raises(ParameterError):
        M.eer(bonafide_scores=bad, spoof_scores=[0.0])


def test_eer_interval_covers_the_eer_and_narrows_with_more_trials():
    rng = np.random.default_rng(0)
    widths = []
    for n in (20, 200, 2000):
        bona, spoof = rng.normal(1.0, 1.0, n), rng.normal(-1.0, 1.0, 5 * n)
        low, high = M.eer_interval(bonafide_scores=bona, spoof_scores=spoof)
        value = M.eer(bonafide_scores=bona, spoof_scores=spoof)[0]
        assert 0 <= low <= value <= high <= 1
        widths.append(high - low)
    assert widths[0] > widths[1] > widths[2] > 0
    # The true EER of two unit normals 2 apart is Φ(-1) = 15.87 %: a 95 % interval from 2,000 trials holds it.
    assert low < 0.1587 < high


def test_eer_interval_is_seeded_and_needs_two_trials_a_class():
    bona, spoof = np.array([1.0, 0.2, -0.5, 2.0]), np.array([-1.0, 0.1, 0.3, -2.0, -0.7])
    assert M.eer_interval(bonafide_scores=bona, spoof_scores=spoof) == M.eer_interval(bonafide_scores=bona,
                                                                                      spoof_scores=spoof)
    assert M.eer_interval(bonafide_scores=bona[:1], spoof_scores=spoof) is None
    separated = M.eer_interval(bonafide_scores=bona + 10, spoof_scores=spoof)
    assert separated == (0.0, 0.0)  # every resample separates: no spread
    with pytest.raises(ParameterError):
        M.eer_interval(bonafide_scores=bona, spoof_scores=spoof, level=1.5)


def test_eer_difference_is_paired_and_signed():
    rng = np.random.default_rng(1)
    bona, spoof = rng.normal(1.0, 1.0, 300), rng.normal(-1.0, 1.0, 300)
    same = M.eer_difference(bonafide_scores=bona, spoof_scores=spoof, other_bonafide_scores=bona,
                            other_spoof_scores=spoof)
    assert same["difference"] == 0 and same["difference_ci"] == [0.0, 0.0] and same["share_better"] == 0
    better = M.eer_difference(bonafide_scores=bona, spoof_scores=spoof - 0.3, other_bonafide_scores=bona,
                              other_spoof_scores=spoof)
    assert better["eer"] < better["other_eer"] and better["difference"] == better["eer"] - better["other_eer"]
    low, high = better["difference_ci"]
    assert low <= better["difference"] <= high < 0 and better["share_better"] > 0.99
    # Paired: a small shift of one system is resolved, where two unpaired intervals would overlap.
    apart = [M.eer_interval(bonafide_scores=bona, spoof_scores=s) for s in (spoof - 0.3, spoof)]
    assert apart[0][1] > apart[1][0]


def test_eer_difference_needs_the_same_trials():
    bona, spoof = np.array([1.0, 0.5, 2.0]), np.array([-1.0, 0.0, -0.5])
    with pytest.raises(ParameterError, match="same trials"):
        M.eer_difference(bonafide_scores=bona, spoof_scores=spoof, other_bonafide_scores=bona[:2],
                         other_spoof_scores=spoof)
