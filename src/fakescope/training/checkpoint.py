"""Checkpoints: one `.safetensors` file per checkpoint, never a pickle.

Tensors: the pipeline's state-dict under `model.` (GMM mixtures included, as buffers) and, in a training
state, the optimiser's tensors under `optimizer.`. Metadata: `format`, `format_version` and `config`, the
JSON of everything needed to rebuild and use the model: input, front-end (`FrontEnd.config()`), morphology,
model config, calibration, threshold, training summary and version.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from ..errors import CheckpointError
from ..fileio import atomic_path
from ..evaluation.calibration import Calibration
from .pipeline import Pipeline, pipeline_from_config

FORMAT = "fakescope-checkpoint"
FORMAT_VERSION = 1
SCORE_CONVENTION = "score = logit[bonafide] - logit[spoof] (index 1 minus index 0); higher = more likely bona fide"


def input_pad(input_spec: dict[str, Any]) -> str:
    """How a checkpoint's training treated files shorter than its crop (`data.pad`, stored in its "input" spec):
    "repeat" (tiled) or "none" (kept at their own length). Checkpoints from before the key tiled them."""
    return str(input_spec.get("pad", "repeat"))


def unwrap(model: nn.Module) -> nn.Module:
    """The module inside a DistributedDataParallel wrapper (or the module itself)."""
    return model.module if hasattr(model, "module") and isinstance(model, nn.parallel.DistributedDataParallel) else model


def save_checkpoint(path: str | os.PathLike, *, tensors: dict[str, torch.Tensor], config: dict[str, Any]) -> Path:
    """Write tensors and the JSON config atomically (a crash leaves the previous file intact)."""
    from safetensors.torch import save_file

    path = Path(path)
    # Own, contiguous CPU copies: safetensors refuses shared or strided storage.
    tensors = {k: v.detach().to("cpu").contiguous().clone() for k, v in tensors.items()}
    metadata = {"format": FORMAT, "format_version": str(FORMAT_VERSION), "config": json.dumps(config)}
    with atomic_path(path) as tmp:
        save_file(tensors, str(tmp), metadata=metadata)
    return path


def read_checkpoint(path: str | os.PathLike) -> tuple[dict[str, Any], dict[str, torch.Tensor]]:
    """(config, tensors) of a fakescope checkpoint. Raises CheckpointError naming the file."""
    from safetensors import SafetensorError, safe_open

    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"{path}: checkpoint not found")
    try:
        with safe_open(str(path), framework="pt", device="cpu") as handle:
            metadata = handle.metadata() or {}
            tensors = {key: handle.get_tensor(key) for key in handle.keys()}
    except (SafetensorError, OSError, ValueError) as exc:
        raise CheckpointError(f"{path}: not a readable safetensors file ({exc})") from None
    if metadata.get("format") != FORMAT:
        raise CheckpointError(f"{path}: not a fakescope checkpoint (metadata format {metadata.get('format')!r})")
    if int(metadata.get("format_version", "0")) > FORMAT_VERSION:
        raise CheckpointError(f"{path}: written by a newer fakescope (format {metadata['format_version']}); upgrade to read it")
    try:
        config = json.loads(metadata["config"])
    except (KeyError, json.JSONDecodeError) as exc:
        raise CheckpointError(f"{path}: its config metadata is missing or not JSON ({exc})") from None
    return in_current_terms(config), tensors


def in_current_terms(config: dict[str, Any]) -> dict[str, Any]:
    """An older checkpoint's config, with the defaults it was trained under made explicit.

    A CQT front-end saved without `method` predates the multi-rate CQT: it ran the full-rate pseudo-CQT, whose
    levels differ, so rebuilding it with today's default would feed the model other features.
    """
    frontend = config.get("frontend")
    if isinstance(frontend, dict) and frontend.get("name") == "cqt" and "method" not in frontend:
        config = {**config, "frontend": {**frontend, "method": "pseudo"}}
    return config


def model_tensors(pipeline: nn.Module) -> dict[str, torch.Tensor]:
    return {f"model.{k}": v for k, v in unwrap(pipeline).state_dict().items()}


def checkpoint_config(
    pipeline: Pipeline, *, input_spec: dict[str, Any], calibration: Calibration | None = None,
    threshold: dict[str, Any] | None = None, training: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The JSON config of a model checkpoint (see the module docstring)."""
    from .. import __version__

    pipeline = unwrap(pipeline)
    return {
        "fakescope_version": __version__,
        "score_convention": SCORE_CONVENTION,
        "input": input_spec,
        "frontend": pipeline.frontend.config() if pipeline.frontend is not None else None,
        "morphology": pipeline.morphology_config(),
        "model": pipeline.model.config(),
        "calibration": calibration.to_dict() if calibration is not None else None,
        "threshold": threshold,
        "training": training or {},
    }


@dataclass
class LoadedCheckpoint:
    """A pipeline with its weights, plus the config and the calibration read from the file."""

    pipeline: Pipeline
    config: dict[str, Any]
    calibration: Calibration | None
    path: Path

    @property
    def threshold(self) -> float | None:
        """The decision threshold on the score (the dev-EER threshold), if the checkpoint has one."""
        value = (self.config.get("threshold") or {}).get("score")
        return None if value is None else float(value)


def load_pipeline(path: str | os.PathLike, *, device: str | torch.device = "cpu") -> LoadedCheckpoint:
    """Rebuild a checkpoint's pipeline with its weights, in eval mode on `device`."""
    from ..errors import FakescopeError

    path = Path(path)
    config, tensors = read_checkpoint(path)
    try:
        pipeline = pipeline_from_config(config)
    except (FakescopeError, KeyError, TypeError) as exc:
        raise CheckpointError(f"{path}: cannot rebuild the model from its config ({exc})") from None
    state = {k[len("model."):]: v for k, v in tensors.items() if k.startswith("model.")}
    missing, unexpected = pipeline.load_state_dict(state, strict=False)
    if missing or unexpected:
        what = f"missing {', '.join(missing[:3])}" if missing else f"unexpected {', '.join(unexpected[:3])}"
        raise CheckpointError(f"{path}: weights do not match the model ({what})")
    calibration = Calibration.from_dict(config["calibration"]) if config.get("calibration") else None
    return LoadedCheckpoint(pipeline.to(device).eval(), config, calibration, path)


# --- training state (resume) ---------------------------------------------------------------------


def optimizer_tensors(optimizer: torch.optim.Optimizer) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """Split an optimiser state-dict into tensors and a JSON-able remainder."""
    state = optimizer.state_dict()
    tensors: dict[str, torch.Tensor] = {}
    scalars: dict[str, dict[str, Any]] = {}
    for param_id, entries in state["state"].items():
        for key, value in entries.items():
            if torch.is_tensor(value):
                tensors[f"optimizer.{param_id}.{key}"] = value
            else:
                scalars.setdefault(str(param_id), {})[key] = value
    return tensors, {"param_groups": state["param_groups"], "scalars": scalars}


def restore_optimizer(optimizer: torch.optim.Optimizer, tensors: dict[str, torch.Tensor], saved: dict[str, Any]) -> None:
    state: dict[int, dict[str, Any]] = {}
    for name, value in tensors.items():
        if name.startswith("optimizer."):
            _, param_id, key = name.split(".", 2)
            state.setdefault(int(param_id), {})[key] = value
    for param_id, entries in saved.get("scalars", {}).items():
        state.setdefault(int(param_id), {}).update(entries)
    optimizer.load_state_dict({"state": state, "param_groups": saved["param_groups"]})


def save_training_state(path: str | os.PathLike, *, pipeline: nn.Module, optimizer: torch.optim.Optimizer,
                        scaler: Any, progress: dict[str, Any], experiment: dict[str, Any]) -> Path:
    """The resumable state of a run: weights, optimiser, loss scaler and loop counters."""
    opt_tensors, opt_rest = optimizer_tensors(optimizer)
    config = {"kind": "training-state", "experiment": experiment, "progress": progress, "optimizer": opt_rest,
              "scaler": scaler.state_dict() if scaler is not None and scaler.is_enabled() else None}
    return save_checkpoint(path, tensors={**model_tensors(pipeline), **opt_tensors}, config=config)


def load_training_state(path: str | os.PathLike, *, pipeline: nn.Module, optimizer: torch.optim.Optimizer,
                        scaler: Any) -> dict[str, Any]:
    """Restore weights, optimiser and scaler in place; return the saved config (progress, experiment)."""
    config, tensors = read_checkpoint(path)
    if config.get("kind") != "training-state":
        raise CheckpointError(f"{path}: not a training state (use the run's last.safetensors)")
    state = {k[len("model."):]: v for k, v in tensors.items() if k.startswith("model.")}
    try:
        unwrap(pipeline).load_state_dict(state)
        if optimizer is not None:
            restore_optimizer(optimizer, tensors, config["optimizer"])
    except (RuntimeError, ValueError, KeyError) as exc:
        raise CheckpointError(f"{path}: does not match this run's model ({str(exc).splitlines()[0]})") from None
    if scaler is not None and config.get("scaler") and scaler.is_enabled():
        scaler.load_state_dict(config["scaler"])
    return config
