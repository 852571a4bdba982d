"""Training on a CUDA GPU with mixed precision (skipped here and in CI, which have none; run on a GPU machine)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from fakescope.training import load_config, load_pipeline, train
from fakescope.training.pipeline import amp_dtype

from .helpers import quick_overrides

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="no GPU on this machine (CI never has one)")


@pytest.mark.parametrize("model", ["lcnn", "resnet18", "seed_cnn"])
def test_gpu_amp_run_checkpoint_scores_the_same_on_cpu(tmp_path, tiny_manifest, model):
    names = {"frontend": "lfcc", "model": model}
    overrides = quick_overrides(tiny_manifest, **{"train.device": "cuda", "train.amp": True, "train.epochs": 2})
    result = train(load_config(overrides=overrides, names=names), out_dir=tmp_path / model, show_progress=False)
    assert result.epochs_run == 2 and math.isfinite(result.best_dev_eer)
    waves = torch.from_numpy(np.random.default_rng(0).standard_normal((4, 6400)).astype(np.float32) * 0.1)
    outputs = []
    for device in ("cpu", "cuda"):
        pipeline = load_pipeline(result.checkpoint, device=device).pipeline
        with torch.no_grad():
            outputs.append(pipeline(waves.to(device)).float().cpu())
    # Weights saved from a mixed-precision run are float32 and score alike on either device.
    assert torch.allclose(outputs[0], outputs[1], atol=1e-3, rtol=1e-3)


def test_amp_dtype_on_gpu_is_bfloat16_where_supported():
    device = torch.device("cuda")
    assert amp_dtype(device) == (torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16)
