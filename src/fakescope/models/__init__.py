"""Detection networks: every model maps a spectrogram batch (B, 1, F, T) to logits (B, 2).

Index 0 is spoof and 1 bona fide; `score = logits[:, 1] - logits[:, 0]`, higher = more likely bona fide.
"""

from . import gmm, lcnn, resnet, seed_cnn, svm  # noqa: F401  (importing registers the models)
from .registry import (
    BONAFIDE,
    CLASS_NAMES,
    MODELS,
    SPOOF,
    SpoofModel,
    build_model,
    count_parameters,
    model_from_config,
    scores_from_logits,
)
from .resnet import load_imagenet_weights

__all__ = [
    "BONAFIDE",
    "CLASS_NAMES",
    "MODELS",
    "SPOOF",
    "SpoofModel",
    "build_model",
    "count_parameters",
    "load_imagenet_weights",
    "model_from_config",
    "scores_from_logits",
]
