"""Detection: windows over long audio, calibrated verdicts, warnings, explanations and ONNX export."""

from .detector import DEFAULT_CHECKPOINT, Detector, Thresholds
from .verdict import Verdict, WindowScore
from .warnings import InputWarning, audio_warnings
from .windows import WindowPlan

__all__ = ["DEFAULT_CHECKPOINT", "Detector", "InputWarning", "Thresholds", "Verdict", "WindowPlan", "WindowScore",
           "audio_warnings"]
