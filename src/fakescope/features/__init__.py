"""Spectrogram front-ends (linear STFT, mel, LFCC, CQT), morphology, PNG images and analyst figures."""

from . import cqt, excitation, harmonic, lfcc, mel, phase, stack, stft  # noqa: F401  (importing registers the front-ends)
from .base import FRONTENDS, FrontEnd, build_frontend, frontend_from_config, power_to_db
from .morphology import MORPHOLOGY, Morphology, MorphologySpec, structuring_element

__all__ = [
    "FRONTENDS",
    "MORPHOLOGY",
    "FrontEnd",
    "Morphology",
    "MorphologySpec",
    "build_frontend",
    "frontend_from_config",
    "power_to_db",
    "structuring_element",
]
