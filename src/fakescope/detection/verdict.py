"""What a scan returns: the verdict of one input, with its window timeline and warnings.

The JSON form (`Verdict.to_dict`) is the documented schema of `fakescope scan --format json` and of the
HTTP API: see docs/SCAN_SCHEMA.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .warnings import InputWarning

VERDICTS = ("real", "uncertain", "fake")


@dataclass(frozen=True)
class WindowScore:
    """One analysis window: where it lies, the raw score (higher = bona fide) and its calibrated p_fake."""

    start_s: float
    end_s: float
    score: float
    p_fake: float

    def to_dict(self) -> dict[str, float]:
        return {"start_s": round(self.start_s, 3), "end_s": round(self.end_s, 3), "score": round(self.score, 6),
                "p_fake": round(self.p_fake, 6)}


@dataclass(frozen=True)
class Verdict:
    """The result for one input. `p_fake` is the calibrated probability that the speech is synthetic."""

    source: str
    verdict: str
    p_fake: float
    score: float
    duration_s: float
    sample_rate: int
    windows: list[WindowScore] = field(default_factory=list)
    warnings: list[InputWarning] = field(default_factory=list)
    model: str = ""

    @property
    def max_window_p_fake(self) -> float:
        return max((w.p_fake for w in self.windows), default=self.p_fake)

    @property
    def peak_window(self) -> WindowScore | None:
        """The window most likely fake, where there is more than one: the file's verdict is their mean, so a
        short fake inside a long genuine recording shows here rather than in the verdict."""
        return max(self.windows, key=lambda w: w.p_fake) if len(self.windows) > 1 else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "verdict": self.verdict,
            "p_fake": round(self.p_fake, 6),
            "score": round(self.score, 6),
            "duration_s": round(self.duration_s, 3),
            "sample_rate": self.sample_rate,
            "max_window_p_fake": round(self.max_window_p_fake, 6),
            "windows": [w.to_dict() for w in self.windows],
            "warnings": [w.to_dict() for w in self.warnings],
            "model": self.model,
        }
