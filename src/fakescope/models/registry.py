"""The model registry and the base class every network derives from.

Contract: a model maps a spectrogram batch (B, 1, F, T) to logits (B, 2). Index 0 is spoof, index 1 is
bona fide, so the detection score is `logits[:, 1] - logits[:, 0]` (a log-odds, higher = more likely bona
fide: the ASVspoof convention) and `softmax(logits)[:, 0]` is an uncalibrated probability of spoof.
"""

from __future__ import annotations

import dataclasses
from abc import ABCMeta, abstractmethod
from typing import Any

import numpy as np
import torch
from torch import nn

from ..errors import ParameterError
from ..registry import Registry

MODELS: Registry[type["SpoofModel"]] = Registry("model")

SPOOF, BONAFIDE = 0, 1  # logit / class indices
CLASS_NAMES = ("spoof", "bonafide")


class SpoofModel(nn.Module):
    """Base of every registered network. Subclasses set `name`, `Config` (a dataclass) and `self.cfg`.

    `needs_num_bins`: the architecture depends on F (the front-end's row count), which the builder passes
    as `num_bins`. `trained_by_gradient`: False for models fitted in closed form (`ClosedFormModel`).
    """

    name: str = ""
    Config: type = object
    needs_num_bins: bool = False
    trained_by_gradient: bool = True

    def __init__(self, **params: Any) -> None:
        super().__init__()
        known = {f.name for f in dataclasses.fields(self.Config)}
        unknown = sorted(set(params) - known)
        if unknown:
            raise ParameterError(
                f"model {self.name!r} has no parameter(s) {', '.join(unknown)}; it takes: {', '.join(sorted(known))}"
            )
        self.cfg = self.Config(**params)

    def config(self) -> dict[str, Any]:
        """Name and parameters, enough to rebuild the (untrained) network with `model_from_config`."""
        values = dataclasses.asdict(self.cfg)
        return {"name": self.name, **{k: list(v) if isinstance(v, tuple) else v for k, v in values.items()}}

    def score(self, x: torch.Tensor) -> torch.Tensor:
        """Detection scores (B,) for a (B, 1, F, T) batch: logit[bona fide] − logit[spoof]."""
        return scores_from_logits(self(x))


class ClosedFormModel(SpoofModel, metaclass=ABCMeta):
    """Base of the models fitted in one pass instead of by gradient (GMM, SVM). The training loop collects
    `fit_rows` of every training input, up to `fit_rows_wanted()` per class, and calls `fit_closed_form`."""

    trained_by_gradient = False

    @abstractmethod
    def fit_rows(self, x: torch.Tensor) -> torch.Tensor:
        """The vectors (B, N, D) the fit takes from each input: a GMM's frames, an SVM's pooled statistics."""

    @abstractmethod
    def fit_rows_wanted(self) -> int:
        """How many rows per class the training loop should collect."""

    @abstractmethod
    def fit_closed_form(self, *, bonafide: np.ndarray, spoof: np.ndarray, seed: int = 0) -> None:
        """Fit on (N, D) row matrices of each class, as `fit_rows` gives them."""


def scores_from_logits(logits: torch.Tensor) -> torch.Tensor:
    """(B, 2) logits → (B,) scores, higher = more likely bona fide."""
    return logits[:, BONAFIDE] - logits[:, SPOOF]


def build_model(name: str, *, num_bins: int | None = None, **params: Any) -> SpoofModel:
    """Instantiate a registered model; `num_bins` (F) is passed only to architectures that depend on it."""
    cls = MODELS.get(name)
    if cls.needs_num_bins and "num_bins" not in params:
        if num_bins is None:
            raise ParameterError(f"model {name!r} needs num_bins (the front-end's number of rows)")
        params["num_bins"] = int(num_bins)
    return cls(**params)


def model_from_config(config: dict[str, Any]) -> SpoofModel:
    """Rebuild a model (untrained weights) from `SpoofModel.config()`."""
    params = dict(config)
    return build_model(params.pop("name"), **params)


def count_parameters(model: nn.Module, *, trainable_only: bool = False) -> int:
    """Number of parameters (buffers such as batch-norm statistics and GMM tensors not included)."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable_only)
