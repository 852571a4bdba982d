"""Evaluation: metrics (EER, min t-DCF, minDCF, ROC AUC), score files, calibration and reports."""

from .calibration import Calibration, fit_calibration
from .metrics import eer, error_rates, min_dcf, min_tdcf_2019, roc_auc, threshold_metrics
from .scores import ScoreRow, read_scores, write_scores

__all__ = [
    "Calibration",
    "ScoreRow",
    "eer",
    "error_rates",
    "fit_calibration",
    "min_dcf",
    "min_tdcf_2019",
    "read_scores",
    "roc_auc",
    "threshold_metrics",
    "write_scores",
]
