"""ONNX export of a checkpoint and an onnxruntime-backed Detector.

The exported graph maps (batch, window_samples) float32 waveforms at 16 kHz to (batch,) scores (higher =
bona fide); the checkpoint's config and calibration travel in the model's metadata, so the .onnx file
alone is enough to scan.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from ..errors import CheckpointError
from ..fileio import atomic_path

os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")  # onnxruntime >= 1.29 phones home after import otherwise


class _ScoreGraph(nn.Module):
    """pipeline logits (B, 2) → scores (B,) = logit[bona fide] − logit[spoof]."""

    def __init__(self, pipeline: nn.Module) -> None:
        super().__init__()
        self.pipeline = pipeline

    def forward(self, waveforms: torch.Tensor) -> torch.Tensor:
        logits = self.pipeline(waveforms)
        return logits[:, 1] - logits[:, 0]


def export_onnx(checkpoint: str | os.PathLike, out: str | os.PathLike) -> Path:
    """Export a checkpoint to ONNX with a dynamic batch axis (and time axis, for checkpoints that score short
    inputs at their own length); returns the written path."""
    import onnx

    from ..training.checkpoint import input_pad, load_pipeline

    loaded = load_pipeline(checkpoint)
    if loaded.pipeline.frontend is None:
        raise CheckpointError(f"{checkpoint}: image-mode models take PNGs, not audio, and are not exported")
    crop_s = float((loaded.config.get("input") or {}).get("crop_seconds", 4.0))
    window = int(round(crop_s * loaded.pipeline.frontend.sample_rate))
    graph = _ScoreGraph(loaded.pipeline).eval()
    example = torch.zeros(2, window)
    axes: dict[int, Any] = {0: torch.export.Dim("batch", min=1, max=4096)}
    if input_pad(loaded.config.get("input") or {}) != "repeat":
        # Short inputs are scored at their own length: the time axis is dynamic too. DYNAMIC rather than a ranged
        # Dim: the exporter cannot prove some always-true frame-count guards over a range and would refuse it.
        axes[1] = torch.export.Dim.DYNAMIC
    program = torch.onnx.export(graph, (example,), input_names=["waveforms"], output_names=["scores"],
                                dynamic_shapes={"waveforms": axes}, dynamo=True, external_data=False)
    model = program.model_proto
    entry = model.metadata_props.add()
    entry.key, entry.value = "fakescope_config", json.dumps(loaded.config)
    with atomic_path(out) as tmp:
        onnx.save_model(model, str(tmp))
    return Path(out)


def onnx_detector(path: str | os.PathLike, **options: Any):
    """A Detector that scores with onnxruntime on CPU."""
    import onnxruntime

    from ..evaluation.calibration import Calibration
    from .detector import Detector
    from .windows import plan_for

    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"{path}: ONNX model not found")
    try:
        session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    except Exception as exc:  # onnxruntime raises its own exception types for unreadable graphs
        raise CheckpointError(f"{path}: not a readable ONNX model ({str(exc).splitlines()[0]})") from None
    meta = session.get_modelmeta().custom_metadata_map
    if "fakescope_config" not in meta:
        raise CheckpointError(f"{path}: not a fakescope ONNX export (no fakescope_config metadata)")
    config = json.loads(meta["fakescope_config"])
    if not config.get("calibration"):
        raise CheckpointError(f"{path}: the exported model has no calibration")
    batch_size = int(options.pop("batch_size", 16))

    def score_windows(windows: np.ndarray) -> np.ndarray:
        out = [session.run(["scores"], {"waveforms": np.ascontiguousarray(windows[i : i + batch_size], dtype=np.float32)})[0]
               for i in range(0, len(windows), batch_size)]
        return np.concatenate(out).astype(np.float64)

    plan = options.pop("plan", None) or plan_for(config.get("input") or {})
    sample_rate = int((config.get("frontend") or {}).get("sample_rate", 16000))
    return Detector(score_windows, calibration=Calibration.from_dict(config["calibration"]), sample_rate=sample_rate,
                    plan=plan, model_name=path.name, config=config, **options)
