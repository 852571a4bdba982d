"""Score calibration: a logistic (Platt) map from detection scores to probabilities, fitted on dev scores.

p_bonafide = sigmoid(slope · score + offset), p_fake = 1 − p_bonafide. Fitted with class-balanced weights
(each class counts half), so p_fake = 0.5 sits near the EER operating point whatever the dev set's class
ratio, and with Platt's target smoothing, so perfectly separated dev scores still give a finite slope.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import ParameterError


@dataclass(frozen=True)
class Calibration:
    """A fitted logistic map. Serialise with `to_dict` / `from_dict` (stored in checkpoints)."""

    slope: float
    offset: float
    method: str = "platt"

    def log_odds_bonafide(self, scores: object) -> np.ndarray:
        return self.slope * np.asarray(scores, dtype=np.float64) + self.offset

    def p_bonafide(self, scores: object) -> np.ndarray:
        """Calibrated probability of bona fide, same shape as `scores`."""
        return _sigmoid(self.log_odds_bonafide(scores))

    def p_fake(self, scores: object) -> np.ndarray:
        """Calibrated probability of spoof, same shape as `scores`."""
        return _sigmoid(-self.log_odds_bonafide(scores))

    def score_for_p_fake(self, p_fake: float) -> float:
        """The score at which the calibrated p_fake equals `p_fake` (a threshold in score units)."""
        if not 0.0 < p_fake < 1.0:
            raise ParameterError(f"p_fake must be in (0, 1), got {p_fake}")
        if self.slope == 0:
            raise ParameterError("a calibration with slope 0 maps every score to the same probability")
        return float((np.log((1 - p_fake) / p_fake) - self.offset) / self.slope)

    def to_dict(self) -> dict[str, Any]:
        return {"method": self.method, "slope": self.slope, "offset": self.offset}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Calibration":
        try:
            return cls(slope=float(data["slope"]), offset=float(data["offset"]), method=str(data.get("method", "platt")))
        except (KeyError, TypeError, ValueError) as exc:
            raise ParameterError(f"calibration needs numeric slope and offset, got {data!r}") from exc


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * z))  # overflow-free logistic


def fit_calibration(
    *, bonafide_scores: object, spoof_scores: object, balanced: bool = True, ridge: float = 1e-4, max_iter: int = 100
) -> Calibration:
    """Fit Platt scaling by Newton's method on the weighted logistic log-loss.

    balanced: weight each class to half the total; ridge: a small L2 penalty on the (standardised) slope.
    """
    bona = np.asarray(bonafide_scores, dtype=np.float64).ravel()
    spoof = np.asarray(spoof_scores, dtype=np.float64).ravel()
    if bona.size == 0 or spoof.size == 0:
        raise ParameterError("calibration needs both bona fide and spoof scores")
    if not (np.all(np.isfinite(bona)) and np.all(np.isfinite(spoof))):
        raise ParameterError("calibration scores hold NaN or infinite values")
    scores = np.concatenate([bona, spoof])
    # Platt's smoothed targets: (N+ + 1) / (N+ + 2) and 1 / (N- + 2).
    targets = np.concatenate([np.full(bona.size, (bona.size + 1) / (bona.size + 2)), np.full(spoof.size, 1 / (spoof.size + 2))])
    if balanced:
        weights = np.concatenate([np.full(bona.size, 0.5 / bona.size), np.full(spoof.size, 0.5 / spoof.size)])
    else:
        weights = np.full(scores.size, 1.0 / scores.size)
    centre, scale = scores.mean(), scores.std() or 1.0
    x = (scores - centre) / scale  # standardised, for a well-conditioned Newton step
    params = np.zeros(2)  # (slope, offset) on the standardised scale
    for _ in range(max_iter):
        p = _sigmoid(params[0] * x + params[1])
        residual = weights * (p - targets)
        gradient = np.array([residual @ x + ridge * params[0], residual.sum()])
        curvature = weights * p * (1 - p)
        hessian = np.array([[curvature @ (x * x) + ridge, curvature @ x], [curvature @ x, curvature.sum()]])
        step = np.linalg.solve(hessian + 1e-12 * np.eye(2), gradient)
        params -= step
        if np.max(np.abs(step)) < 1e-10:
            break
    slope = params[0] / scale
    return Calibration(slope=float(slope), offset=float(params[1] - slope * centre))
