"""Augmentation (SpecAugment, MixUp, CutMix, laundering hook) and checkpoint files (safetensors, never pickles)."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from fakescope.errors import CheckpointError, ParameterError
from fakescope.training.augment import BatchAugment, LaunderInTheLoop, SpecAugment, cutmix, mixup, one_hot, resolve_attack
from fakescope.training.checkpoint import (load_training_state, read_checkpoint, save_checkpoint, save_training_state)
from fakescope.training.pipeline import build_pipeline


def test_specaugment_masks_bands_and_frames():
    x = torch.arange(2 * 40 * 50, dtype=torch.float32).view(2, 1, 40, 50)
    out = SpecAugment(freq_masks=1, max_freq_fraction=0.25, time_masks=1, max_time_fraction=0.2)(x, np.random.default_rng(1))
    assert out.shape == x.shape
    changed = (out != x)[:, 0]  # (B, F, T)
    assert changed.any()
    # Masked cells form whole rows or whole columns, filled with the example's mean.
    for b in range(2):
        rows = changed[b].all(dim=1)
        cols = changed[b].all(dim=0)
        assert torch.equal(changed[b], rows[:, None] | cols[None, :])
        assert torch.allclose(out[b, 0][changed[b]], x[b].mean().expand(int(changed[b].sum())))
    with pytest.raises(ParameterError, match="max_freq_fraction"):
        SpecAugment(max_freq_fraction=2.0)


def test_mixup_and_cutmix_keep_targets_valid():
    rng = np.random.default_rng(0)
    x = torch.cat([torch.zeros(4, 1, 10, 20), torch.ones(4, 1, 10, 20)])
    targets = one_hot(torch.tensor([0] * 4 + [1] * 4))
    mixed, soft = mixup(x, targets, alpha=0.4, rng=rng)
    torch.testing.assert_close(soft.sum(dim=1), torch.ones(8))
    # Inputs are 0 or 1 per example, so each mixed example's mean equals its bona fide target share.
    torch.testing.assert_close(mixed.mean(dim=(1, 2, 3)), soft[:, 1])
    cut, soft = cutmix(x, targets, alpha=1.0, rng=np.random.default_rng(3))
    torch.testing.assert_close(cut.mean(dim=(1, 2, 3)), soft[:, 1])
    assert BatchAugment(mixup_alpha=0.2, cutmix_alpha=1.0, mix_probability=1.0)(x, targets, rng)[0].shape == x.shape


def test_laundering_hook_keeps_shape_and_takes_any_callable():
    calls = []

    def shorten(samples, sample_rate, rng):
        calls.append(sample_rate)
        return samples[:, :-10] * 0.5  # a badly behaved attack: changes the length

    hook = LaunderInTheLoop(shorten, probability=1.0)
    x = np.ones((1, 100), dtype=np.float32)
    out = hook(x, 16000, np.random.default_rng(0))
    assert out.shape == (1, 100) and out.dtype == np.float32 and calls == [16000] and out.max() == 0.5
    assert LaunderInTheLoop(shorten, probability=0.0)(x, 16000, np.random.default_rng(0)) is x
    assert resolve_attack("numpy:negative") is np.negative
    with pytest.raises(ParameterError, match="cannot import"):
        resolve_attack("no_such_module.sub:attack")


def test_laundering_hook_with_the_launder_package():
    pytest.importorskip("fakescope.launder")
    attack = resolve_attack("lowpass:1000")
    x = np.random.default_rng(0).standard_normal((1, 4000)).astype(np.float32) * 0.1
    out = LaunderInTheLoop(attack, probability=1.0)(x, 16000, np.random.default_rng(0))
    assert out.shape == x.shape and not np.allclose(out, x)


def _pipeline():
    torch.manual_seed(0)
    return build_pipeline(frontend={"name": "lfcc", "with_deltas": False}, morphology=["opening:3x3"],
                          model={"name": "lcnn"})


def test_checkpoint_is_plain_safetensors_with_json_config(tmp_path):
    from safetensors import safe_open

    pipeline = _pipeline()
    path = save_checkpoint(tmp_path / "c.safetensors", tensors={"model.w": torch.arange(6.0).view(2, 3)},
                           config={"frontend": pipeline.frontend.config(), "threshold": {"score": 1.5}})
    with safe_open(str(path), framework="pt") as handle:
        meta = handle.metadata()
    assert meta["format"] == "fakescope-checkpoint" and json.loads(meta["config"])["threshold"] == {"score": 1.5}
    config, tensors = read_checkpoint(path)
    assert config["frontend"]["name"] == "lfcc" and torch.equal(tensors["model.w"], torch.arange(6.0).view(2, 3))
    assert b"pickle" not in path.read_bytes()[:200] and not list(tmp_path.glob(".*tmp"))


def test_bad_checkpoints_raise_checkpoint_error(tmp_path):
    with pytest.raises(CheckpointError, match="not found"):
        read_checkpoint(tmp_path / "missing.safetensors")
    junk = tmp_path / "junk.safetensors"
    junk.write_bytes(b"\x00" * 64)
    with pytest.raises(CheckpointError, match="junk.safetensors"):
        read_checkpoint(junk)
    from safetensors.torch import save_file

    foreign = tmp_path / "foreign.safetensors"
    save_file({"w": torch.zeros(2)}, str(foreign))
    with pytest.raises(CheckpointError, match="not a fakescope checkpoint"):
        read_checkpoint(foreign)


def test_training_state_round_trip_restores_optimizer(tmp_path):
    pipeline = _pipeline()
    optimizer = torch.optim.AdamW(pipeline.model.parameters(), lr=0.01)
    loss = pipeline(torch.randn(2, 8000)).sum()
    loss.backward()
    optimizer.step()
    path = save_training_state(tmp_path / "last.safetensors", pipeline=pipeline, optimizer=optimizer, scaler=None,
                               progress={"epoch": 4}, experiment={"model": {"name": "lcnn"}})
    fresh = _pipeline()
    fresh_optimizer = torch.optim.AdamW(fresh.model.parameters(), lr=0.5)
    saved = load_training_state(path, pipeline=fresh, optimizer=fresh_optimizer, scaler=None)
    assert saved["progress"] == {"epoch": 4} and fresh_optimizer.param_groups[0]["lr"] == 0.01
    for a, b in zip(pipeline.state_dict().values(), fresh.state_dict().values()):
        torch.testing.assert_close(a, b)
    before = optimizer.state_dict()["state"][0]["exp_avg"]
    torch.testing.assert_close(fresh_optimizer.state_dict()["state"][0]["exp_avg"], before)
    with pytest.raises(CheckpointError, match="not a training state"):
        load_training_state(save_checkpoint(tmp_path / "m.safetensors", tensors={}, config={}), pipeline=fresh,
                            optimizer=None, scaler=None)


def test_a_cqt_checkpoint_from_before_the_multirate_cqt_keeps_the_pseudo_cqt(tmp_path):
    from fakescope.training.checkpoint import load_pipeline

    old = {"name": "cqt", "sample_rate": 16000, "hop_length": 160, "fmin": 32.703, "fmax": 7600.0,
           "bins_per_octave": 12, "n_bins": 95, "top_db": None}  # no "method": written before it existed
    config = {"frontend": old, "morphology": [], "model": {"name": "lcnn", "num_bins": 95}, "input": {}}
    save_checkpoint(tmp_path / "old.safetensors", tensors={}, config=config)
    assert read_checkpoint(tmp_path / "old.safetensors")[0]["frontend"]["method"] == "pseudo"
    current = {**config, "frontend": {**old, "method": "multirate"}}
    save_checkpoint(tmp_path / "new.safetensors", tensors={}, config=current)
    assert read_checkpoint(tmp_path / "new.safetensors")[0]["frontend"]["method"] == "multirate"
    with pytest.raises(CheckpointError, match="weights do not match"):  # the front-end itself rebuilds fine
        load_pipeline(tmp_path / "old.safetensors")
