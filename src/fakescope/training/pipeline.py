"""The scoring pipeline as one module: waveform → front-end → morphology → model → logits.

Training, evaluation and (later) the Detector run exactly this, rebuilt from a checkpoint's config.
In image mode (the seed design's PNG spectrograms) there is no front-end: the input is already (B, 1, H, W).
"""

from __future__ import annotations

from typing import Any, Iterable

import numpy as np
import torch
from torch import nn

from ..errors import ParameterError
from ..features import FrontEnd, Morphology, MorphologySpec, frontend_from_config
from ..models import SpoofModel, build_model, model_from_config, scores_from_logits


def morphology_spec(entry: Any) -> MorphologySpec:
    """A MorphologySpec from the CLI form 'op[:RxC][:shape]' or a `MorphologySpec.to_dict()` mapping."""
    if isinstance(entry, MorphologySpec):
        return entry
    if isinstance(entry, str):
        return MorphologySpec.parse(entry)
    if isinstance(entry, dict) and "op" in entry:
        return MorphologySpec(op=entry["op"], size=tuple(entry.get("size", (3, 3))),
                              shape=entry.get("shape", "rect"), border=entry.get("border", "nearest"))
    raise ParameterError(f"morphology entries must be 'op[:RxC][:shape]' or {{op, size, shape, border}}, got {entry!r}")


class Pipeline(nn.Module):
    """(B, T) waveforms at the front-end's rate (or (B, 1, H, W) images) → logits (B, 2)."""

    def __init__(self, *, frontend: FrontEnd | None, morphology: Iterable[Morphology] = (), model: SpoofModel) -> None:
        super().__init__()
        self.frontend = frontend
        self.morphology = nn.ModuleList(morphology)
        self.model = model

    def features(self, inputs: torch.Tensor) -> torch.Tensor:
        """The model's input (B, 1, F, T): front-end (float32, never under autocast) then morphology."""
        if self.frontend is None:
            x = inputs if inputs.dim() == 4 else inputs.unsqueeze(1)  # images (B, 1, H, W)
        else:
            with torch.autocast(device_type=inputs.device.type, enabled=False):
                x = self.frontend(inputs.float())  # (B, 1, F, T)
        for op in self.morphology:
            x = op(x)
        return x

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        return self.model(self.features(inputs))  # (B, 2)

    def morphology_config(self) -> list[dict[str, Any]]:
        return [op.spec.to_dict() for op in self.morphology]


def build_pipeline(*, frontend: dict[str, Any] | None, morphology: Iterable[Any] = (), model: dict[str, Any],
                   num_bins: int | None = None) -> Pipeline:
    """A fresh pipeline from config dicts. `num_bins` is needed only without a front-end (image height)."""
    front = frontend_from_config(frontend) if frontend else None
    ops = [Morphology.from_spec(morphology_spec(m)) for m in morphology]
    params = dict(model)
    name = params.pop("name")
    bins = front.num_bins if front is not None else num_bins
    return Pipeline(frontend=front, morphology=ops, model=build_model(name, num_bins=bins, **params))


def pipeline_from_config(config: dict[str, Any]) -> Pipeline:
    """Rebuild the pipeline recorded in a checkpoint config (weights not loaded)."""
    front = frontend_from_config(config["frontend"]) if config.get("frontend") else None
    ops = [Morphology.from_spec(morphology_spec(m)) for m in config.get("morphology") or []]
    return Pipeline(frontend=front, morphology=ops, model=model_from_config(config["model"]))


@torch.no_grad()
def score_batches(pipeline: nn.Module, batches: Iterable, *, device: torch.device, amp: bool = False,
                  progress: Any = None) -> tuple[np.ndarray, np.ndarray, float]:
    """Scores (N,), labels (N,) and the mean cross-entropy over (inputs, labels) batches, in order."""
    was_training = pipeline.training
    pipeline.eval()
    scores, labels, loss_sum, count = [], [], 0.0, 0
    try:
        for inputs, targets in batches:
            inputs, targets = inputs.to(device, non_blocking=True), torch.as_tensor(targets).to(device)
            with torch.autocast(device_type=device.type, dtype=amp_dtype(device), enabled=amp and device.type == "cuda"):
                logits = pipeline(inputs).float()  # (B, 2)
            loss_sum += float(nn.functional.cross_entropy(logits, targets.long(), reduction="sum"))
            count += int(targets.numel())
            scores.append(scores_from_logits(logits).cpu().numpy())
            labels.append(targets.cpu().numpy())
            if progress is not None:
                progress.update(1)
    finally:
        pipeline.train(was_training)
    if not scores:
        return np.zeros(0), np.zeros(0, dtype=int), float("nan")
    return np.concatenate(scores).astype(np.float64), np.concatenate(labels).astype(int), loss_sum / max(count, 1)


def amp_dtype(device: torch.device) -> torch.dtype:
    """bfloat16 where the GPU supports it (no loss scaling needed), else float16."""
    if device.type == "cuda" and torch.cuda.is_bf16_supported():
        return torch.bfloat16
    return torch.float16
