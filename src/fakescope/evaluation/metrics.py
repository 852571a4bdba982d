"""Detection metrics as pure functions of score arrays (higher score = more likely bona fide).

Operating points: a trial is accepted as bona fide when `score >= threshold`. Sweeping the threshold over
every distinct score (plus +inf) gives the miss rate of bona fide (FRR, "Pmiss_cm") and the acceptance
rate of spoofs (FAR, "Pfa_cm"); every metric here is read off those points. DESIGN.md §5 holds the
constants.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import ParameterError

# min t-DCF (ASVspoof 2019 form) with the official ASV system and costs (Pspoof 0.05, Ptar 0.9405,
# Pnon 0.0095, Cmiss 1, Cfa 10). With those, C1/C2 is all that matters once normalised by min(C1, C2) = C2:
# t-DCF_norm(t) = (C1/C2)·Pmiss_cm(t) + Pfa_cm(t). Only valid on ASVspoof 2019 LA.
TDCF_2019_C1_C2_RATIO = {"eval": 0.915044 / 0.380326, "dev": 2.407990}
# minDCF costs of ASVspoof 5 (and the default here wherever the 2019 ASV constants do not apply).
DCF_P_SPOOF, DCF_C_MISS, DCF_C_FA = 0.05, 1.0, 10.0


def _scores(values: object, name: str) -> np.ndarray:
    array = np.asarray(values, dtype=np.float64).ravel()
    if array.size == 0:
        raise ParameterError(f"{name} is empty; every metric needs both bona fide and spoof scores")
    if not np.all(np.isfinite(array)):
        raise ParameterError(f"{name} holds NaN or infinite scores")
    return array


@dataclass(frozen=True)
class ErrorRates:
    """Operating points, in order of increasing threshold: FRR rises from 0 to 1, FAR falls from 1 to 0."""

    thresholds: np.ndarray  # (N,) ascending, last = +inf
    frr: np.ndarray  # (N,) bona fide rejected: P(bona fide score < t)
    far: np.ndarray  # (N,) spoof accepted: P(spoof score >= t)


def error_rates(*, bonafide_scores: object, spoof_scores: object) -> ErrorRates:
    """FRR and FAR at every distinct score used as a threshold, plus +inf (reject all)."""
    bona = np.sort(_scores(bonafide_scores, "bonafide_scores"))
    spoof = np.sort(_scores(spoof_scores, "spoof_scores"))
    thresholds = np.append(np.unique(np.concatenate([bona, spoof])), np.inf)
    frr = np.searchsorted(bona, thresholds, side="left") / bona.size
    far = 1.0 - np.searchsorted(spoof, thresholds, side="left") / spoof.size
    return ErrorRates(thresholds, frr, far)


def eer(*, bonafide_scores: object, spoof_scores: object) -> tuple[float, float]:
    """Equal error rate and its threshold: (eer in [0, 1], threshold).

    The EER is where the straight line between the two operating points around the FRR = FAR crossing
    meets the diagonal (exact when a point lies on it). The threshold returned is the score of the point
    of the two with the smaller |FRR − FAR| (the lower one on ties), usable as a decision threshold.
    """
    rates = error_rates(bonafide_scores=bonafide_scores, spoof_scores=spoof_scores)
    gap = rates.frr - rates.far  # non-decreasing from -1 to +1
    i = int(np.argmax(gap >= 0))
    if gap[i] == 0 or i == 0:
        return float(rates.frr[i]), float(rates.thresholds[i])
    alpha = -gap[i - 1] / (gap[i] - gap[i - 1])
    value = rates.frr[i - 1] + alpha * (rates.frr[i] - rates.frr[i - 1])
    pick = i - 1 if (abs(gap[i - 1]) <= abs(gap[i]) + 1e-12 or not np.isfinite(rates.thresholds[i])) else i
    return float(value), float(rates.thresholds[pick])


EER_CI_LEVEL, EER_CI_RESAMPLES, EER_CI_SEED = 0.95, 1000, 0


def eer_interval(
    *, bonafide_scores: object, spoof_scores: object, level: float = EER_CI_LEVEL, resamples: int = EER_CI_RESAMPLES,
    seed: int = EER_CI_SEED,
) -> tuple[float, float] | None:
    """Bootstrap confidence interval (low, high) of the EER; None with fewer than 2 trials of a class.

    Bona fide and spoof trials are resampled apart, each keeping its count (a stratified bootstrap), and the
    interval is the percentile one of scipy.stats.bootstrap. It says how far a test set's EER could move by
    chance: with 10 bona fide trials one of them is 10 points. Seeded, so a report is reproducible.
    """
    bona = _scores(bonafide_scores, "bonafide_scores")
    spoof = _scores(spoof_scores, "spoof_scores")
    if bona.size < 2 or spoof.size < 2:
        _check_level(level)
        return None
    result = _bootstrap((bona, spoof), lambda b, s: eer(bonafide_scores=b, spoof_scores=s)[0],
                        level=level, resamples=resamples, seed=seed)
    return float(result.confidence_interval.low), float(result.confidence_interval.high)


def _check_level(level: float) -> None:
    if not 0 < level < 1:
        raise ParameterError(f"level must be in (0, 1), got {level}")


def _bootstrap(samples: tuple[np.ndarray, ...], statistic, *, level: float, resamples: int, seed: int):
    """scipy.stats.bootstrap over independent samples (each resampled within itself), percentile interval."""
    from scipy.stats import bootstrap

    _check_level(level)
    return bootstrap(samples, statistic, paired=False, vectorized=False, n_resamples=int(resamples),
                     confidence_level=level, method="percentile", batch=100, random_state=np.random.default_rng(seed))


def eer_difference(
    *, bonafide_scores: object, spoof_scores: object, other_bonafide_scores: object, other_spoof_scores: object,
    level: float = EER_CI_LEVEL, resamples: int = EER_CI_RESAMPLES, seed: int = EER_CI_SEED,
) -> dict[str, float | list[float]]:
    """EER of a system less another's on the same trials, with a paired bootstrap interval.

    The arrays are aligned: element i of `bonafide_scores` and of `other_bonafide_scores` score the same trial
    (likewise for spoofs). Each resample draws trial indices per class (stratified) and scores both systems on
    the same draw, so what the two share (hard trials) cancels. Returns the two EERs, `difference` (negative:
    this system is better), its interval, and `share_better`, the share of resamples where this system's EER
    is the lower.
    """
    bona, spoof = _scores(bonafide_scores, "bonafide_scores"), _scores(spoof_scores, "spoof_scores")
    other_bona = _scores(other_bonafide_scores, "other_bonafide_scores")
    other_spoof = _scores(other_spoof_scores, "other_spoof_scores")
    if bona.shape != other_bona.shape or spoof.shape != other_spoof.shape:
        raise ParameterError("both systems must score the same trials (aligned arrays of equal length)")
    if bona.size < 2 or spoof.size < 2:
        raise ParameterError("a paired comparison needs at least 2 trials of each class")

    def gap(b: np.ndarray, s: np.ndarray) -> float:  # resampled trial indices of each class
        return (eer(bonafide_scores=bona[b], spoof_scores=spoof[s])[0]
                - eer(bonafide_scores=other_bona[b], spoof_scores=other_spoof[s])[0])

    # Resampling index arrays, one per class, is what makes the draw paired across systems and stratified
    # across classes with scipy's independent-samples bootstrap.
    result = _bootstrap((np.arange(bona.size), np.arange(spoof.size)), gap, level=level, resamples=resamples, seed=seed)
    this, other = eer(bonafide_scores=bona, spoof_scores=spoof)[0], eer(bonafide_scores=other_bona, spoof_scores=other_spoof)[0]
    return {"eer": this, "other_eer": other, "difference": this - other,
            "difference_ci": [float(result.confidence_interval.low), float(result.confidence_interval.high)],
            "share_better": float(np.mean(result.bootstrap_distribution < 0))}


def min_tdcf_2019(*, bonafide_scores: object, spoof_scores: object, partition: str = "eval") -> tuple[float, float]:
    """Normalised minimum t-DCF (ASVspoof 2019 form, official ASV constants): (min t-DCF, threshold).

    `partition` picks the constants of the 2019 LA "eval" or "dev" set; values are meaningless on other
    data and are not comparable with the 2021 t-DCF.
    """
    if partition not in TDCF_2019_C1_C2_RATIO:
        raise ParameterError(f"partition must be one of {', '.join(TDCF_2019_C1_C2_RATIO)}, got {partition!r}")
    rates = error_rates(bonafide_scores=bonafide_scores, spoof_scores=spoof_scores)
    tdcf = TDCF_2019_C1_C2_RATIO[partition] * rates.frr + rates.far
    i = int(np.argmin(tdcf))
    return float(tdcf[i]), float(rates.thresholds[i])


def min_dcf(
    *, bonafide_scores: object, spoof_scores: object,
    p_spoof: float = DCF_P_SPOOF, c_miss: float = DCF_C_MISS, c_fa: float = DCF_C_FA,
) -> tuple[float, float]:
    """Normalised minimum detection cost (ASVspoof 5 form): (minDCF, threshold).

    DCF(t) = c_miss·(1 − p_spoof)·FRR(t) + c_fa·p_spoof·FAR(t), divided by the cost of the better trivial
    system, min(c_miss·(1 − p_spoof), c_fa·p_spoof); 1.0 means no better than always deciding one way.
    """
    if not 0.0 < p_spoof < 1.0:
        raise ParameterError(f"p_spoof must be in (0, 1), got {p_spoof}")
    if not (c_miss > 0 and c_fa > 0):
        raise ParameterError(f"c_miss and c_fa must be > 0, got {c_miss}, {c_fa}")
    rates = error_rates(bonafide_scores=bonafide_scores, spoof_scores=spoof_scores)
    cost = c_miss * (1 - p_spoof) * rates.frr + c_fa * p_spoof * rates.far
    i = int(np.argmin(cost))
    return float(cost[i] / min(c_miss * (1 - p_spoof), c_fa * p_spoof)), float(rates.thresholds[i])


def roc_auc(*, bonafide_scores: object, spoof_scores: object) -> float:
    """Area under the ROC curve: P(bona fide score > spoof score) + ½·P(tie) (Mann–Whitney U / (Nb·Ns))."""
    from scipy.stats import rankdata

    bona = _scores(bonafide_scores, "bonafide_scores")
    spoof = _scores(spoof_scores, "spoof_scores")
    ranks = rankdata(np.concatenate([bona, spoof]))  # average ranks handle ties
    u = ranks[: bona.size].sum() - bona.size * (bona.size + 1) / 2.0
    return float(u / (bona.size * spoof.size))


def det_points(*, bonafide_scores: object, spoof_scores: object) -> tuple[np.ndarray, np.ndarray]:
    """(FAR, FRR) operating points for a DET curve (plot on normal-deviate axes)."""
    rates = error_rates(bonafide_scores=bonafide_scores, spoof_scores=spoof_scores)
    return rates.far, rates.frr


@dataclass(frozen=True)
class ThresholdMetrics:
    """Decisions at one threshold. Positive class = spoof (the thing a detector looks for)."""

    threshold: float
    accuracy: float
    precision: float
    recall: float
    f1: float
    confusion: list[list[int]]  # rows: true [bonafide, spoof]; columns: predicted [bonafide, spoof]

    def to_dict(self) -> dict:
        return {"threshold": self.threshold, "accuracy": self.accuracy, "precision": self.precision,
                "recall": self.recall, "f1": self.f1, "confusion": self.confusion}


def threshold_metrics(*, bonafide_scores: object, spoof_scores: object, threshold: float) -> ThresholdMetrics:
    """Accuracy, precision, recall, F1 (spoof = positive) and the confusion matrix at `threshold`."""
    bona = _scores(bonafide_scores, "bonafide_scores")
    spoof = _scores(spoof_scores, "spoof_scores")
    tp = int(np.sum(spoof < threshold))  # spoof called spoof
    fn = int(spoof.size - tp)
    fp = int(np.sum(bona < threshold))  # bona fide called spoof
    tn = int(bona.size - fp)
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn)
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return ThresholdMetrics(
        threshold=float(threshold), accuracy=(tp + tn) / (bona.size + spoof.size), precision=precision,
        recall=recall, f1=f1, confusion=[[tn, fp], [fn, tp]],
    )


def classification_report(metrics: ThresholdMetrics) -> dict[str, dict[str, float]]:
    """Per-class precision / recall / F1 / support and their macro average, from a confusion matrix."""
    (tn, fp), (fn, tp) = metrics.confusion
    report = {}
    for name, correct, predicted, actual in (("bonafide", tn, tn + fn, tn + fp), ("spoof", tp, tp + fp, tp + fn)):
        precision = correct / predicted if predicted else 0.0
        recall = correct / actual if actual else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        report[name] = {"precision": precision, "recall": recall, "f1": f1, "support": actual}
    report["macro avg"] = {
        key: (report["bonafide"][key] + report["spoof"][key]) / 2 for key in ("precision", "recall", "f1")
    } | {"support": tn + fp + fn + tp}
    return report
