"""The training loop end to end on tiny tones-vs-noise data: learning, run files, resume, early stopping, GMM, images."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest
import torch

from .helpers import quick_overrides
from fakescope.errors import ParameterError
from fakescope.evaluation import eer
from fakescope.training import load_config, load_pipeline, read_checkpoint, train


def _log(out):
    with open(out / "log.csv", newline="") as handle:
        return list(csv.DictReader(handle))


def test_learns_to_separate_and_writes_the_run(trained_run):
    out, result = trained_run
    for name in ("config.yaml", "data_summary.json", "log.csv", "model.safetensors", "last.safetensors",
                 "dev_scores.txt", "summary.json"):
        assert (out / name).is_file(), name
    rows = _log(out)
    assert [int(r["epoch"]) for r in rows] == [1, 2, 3]
    assert float(rows[-1]["train_loss"]) < float(rows[0]["train_loss"])
    assert result.best_dev_eer <= 0.1 and result.epochs_run == 3 and not result.stopped_early
    summary = json.loads((out / "data_summary.json").read_text())
    assert summary["train"]["bonafide"] == 12 and summary["dev"]["spoof"] == 6
    assert summary["train"]["attacks"] == {"-": 12, "N1": 6, "N2": 6}
    # The resolved config is a valid experiment file.
    assert load_config(out / "config.yaml").model["name"] == "lcnn"


def test_best_checkpoint_is_complete_and_reproduces_the_dev_eer(trained_run, tiny_manifest):
    out, result = trained_run
    loaded = load_pipeline(out / "model.safetensors")
    config = loaded.config
    assert config["frontend"]["name"] == "lfcc" and config["frontend"]["with_deltas"] is False
    assert config["model"] == {"name": "lcnn", "num_bins": 20, "dropout": 0.7, "input_norm": "utterance"}
    assert config["input"] == {"kind": "audio", "sample_rate": 16000, "crop_seconds": 0.4, "pad": "repeat"}
    assert config["threshold"]["source"] == "dev EER threshold" and loaded.calibration is not None
    assert config["training"]["data"]["dev"]["files"] == 12 and "score_convention" in config
    from fakescope.datasets.manifest import read_manifest
    from fakescope.training.dataset import AudioCropDataset, manifest_items

    dev = AudioCropDataset(manifest_items(read_manifest(tiny_manifest), ["dev"]), sample_rate=16000,
                           num_samples=6400, train=False)
    batch = torch.stack([dev[i][0] for i in range(len(dev))])
    with torch.no_grad():
        scores = loaded.pipeline(batch)
    scores = (scores[:, 1] - scores[:, 0]).numpy()
    labels = np.array(dev.labels)
    value, _ = eer(bonafide_scores=scores[labels == 1], spoof_scores=scores[labels == 0])
    assert value == pytest.approx(result.best_dev_eer, abs=1e-9)


def test_resume_continues_exactly_where_it_stopped(tmp_path, tiny_manifest, trained_run):
    names = {"frontend": "lfcc", "model": "lcnn"}
    out = tmp_path / "run"
    train(load_config(overrides=quick_overrides(tiny_manifest, **{"train.epochs": 2}), names=names), out_dir=out,
          show_progress=False)
    messages = []
    result = train(load_config(overrides=quick_overrides(tiny_manifest), names=names), out_dir=out,
                   show_progress=False, echo=messages.append)
    assert messages[0].startswith("resuming after epoch 2") and result.epochs_run == 1
    assert [int(r["epoch"]) for r in _log(out)] == [1, 2, 3]
    # Two epochs + one resumed epoch give the same weights as three uninterrupted epochs.
    _, resumed = read_checkpoint(out / "last.safetensors")
    _, straight = read_checkpoint(trained_run[0] / "last.safetensors")
    for key, value in straight.items():
        if key.startswith("model."):
            torch.testing.assert_close(resumed[key], value, rtol=1e-4, atol=1e-5)
    # A different experiment in the same folder is refused instead of silently mixed.
    other = load_config(overrides=quick_overrides(tiny_manifest, **{"train.epochs": 4, "model.dropout": 0.1}), names=names)
    from fakescope.errors import CheckpointError

    with pytest.raises(CheckpointError, match="model changed"):
        train(other, out_dir=out, show_progress=False)


def test_early_stopping_on_dev_eer(tmp_path, tiny_manifest):
    # A learning rate too small to change anything: the first epoch stays best and patience 1 stops the run.
    overrides = quick_overrides(tiny_manifest, **{"train.epochs": 6, "train.patience": 1, "train.lr": 1e-12,
                                                  "model.input_size": [32, 32], "augment.specaugment": False})
    result = train(load_config(overrides=overrides, names={"frontend": "lfcc", "model": "seed_cnn"}),
                   out_dir=tmp_path / "run", show_progress=False)
    assert result.stopped_early and result.epochs_run == 2 and result.best_epoch == 1
    assert len(_log(tmp_path / "run")) == 2


def test_gmm_is_fitted_once_and_saved_as_tensors(tmp_path, tiny_manifest):
    overrides = quick_overrides(tiny_manifest, **{"model.n_components": 4, "model.max_iter": 30})
    result = train(load_config(overrides=overrides, names={"frontend": "lfcc", "model": "gmm"}),
                   out_dir=tmp_path / "gmm", show_progress=False)
    assert result.best_dev_eer <= 0.1 and result.epochs_run == 1
    config, tensors = read_checkpoint(tmp_path / "gmm" / "model.safetensors")
    assert tensors["model.model.means"].shape == (2, 4, 20) and config["model"]["name"] == "gmm"
    assert load_pipeline(tmp_path / "gmm" / "model.safetensors").pipeline.model.fitted.item() == 1


def test_svm_is_fitted_once_and_its_support_vectors_saved(tmp_path, tiny_manifest):
    result = train(load_config(overrides=quick_overrides(tiny_manifest), names={"frontend": "lfcc", "model": "svm"}),
                   out_dir=tmp_path / "svm", show_progress=False)
    assert result.best_dev_eer <= 0.1 and result.epochs_run == 1
    config, tensors = read_checkpoint(tmp_path / "svm" / "model.safetensors")
    support = config["model"]["n_support"]
    assert 2 <= support <= 24 and tensors["model.model.support"].shape == (support, 40)  # mean and std of 20 rows
    loaded = load_pipeline(tmp_path / "svm" / "model.safetensors").pipeline
    assert loaded.model.fitted.item() == 1 and loaded.model.support.shape == (support, 40)


def test_unpadded_svm_trains_and_scores_inputs_of_their_own_length(tmp_path, tiny_manifest):
    """data.pad "none": the files (about 0.4-0.8 s) go in at their own length, one per batch, in training,
    in the stored dev threshold's scoring and in `fakescope evaluate`, which reproduces the dev EER."""
    from fakescope.evaluation.run import evaluate_checkpoint

    overrides = quick_overrides(tiny_manifest, **{"data.crop_seconds": 2.0, "data.pad": "none"})
    result = train(load_config(overrides=overrides, names={"frontend": "lfcc", "model": "svm"}),
                   out_dir=tmp_path / "svm", show_progress=False)
    assert result.best_dev_eer <= 0.1
    config, _ = read_checkpoint(tmp_path / "svm" / "model.safetensors")
    assert config["input"] == {"kind": "audio", "sample_rate": 16000, "crop_seconds": 2.0, "pad": "none"}
    metrics, _ = evaluate_checkpoint(tmp_path / "svm" / "model.safetensors", manifest=tiny_manifest, splits=["dev"],
                                     out_dir=tmp_path / "eval", device="cpu")
    assert metrics["eer"] == pytest.approx(result.best_dev_eer, abs=1e-9)


def test_networks_refuse_unpadded_inputs(tmp_path, tiny_manifest):
    overrides = quick_overrides(tiny_manifest, **{"data.pad": "none"})
    with pytest.raises(ParameterError, match="data.pad 'none'.*closed form"):
        train(load_config(overrides=overrides, names={"frontend": "lfcc", "model": "lcnn"}), out_dir=tmp_path / "x",
              show_progress=False)


def test_image_mode_trains_the_seed_cnn_on_png_folders(tmp_path):
    from PIL import Image

    rng = np.random.default_rng(0)
    for split, count in (("train", 8), ("dev", 4)):
        for label in ("real", "fake"):
            for i in range(count):
                base = np.linspace(0, 255, 40)[:, None] * np.ones((1, 50))  # (H, W) gradient
                pixels = base if label == "real" else base[::-1]
                pixels = np.clip(pixels + rng.normal(0, 20, pixels.shape), 0, 255).astype(np.uint8)
                path = tmp_path / split / label / f"{i}.png"
                path.parent.mkdir(parents=True, exist_ok=True)
                Image.fromarray(pixels).save(path)
    overrides = {"data.image_dirs": {"train": str(tmp_path / "train"), "dev": str(tmp_path / "dev")},
                 "data.image_size": [32, 32], "train.epochs": 2, "train.batch_size": 8}
    config = load_config("configs/seed_images.yaml", overrides=overrides)
    config.model["input_size"] = [32, 32]
    result = train(config, out_dir=tmp_path / "run", show_progress=False)
    assert result.best_dev_eer <= 0.25
    loaded = load_pipeline(tmp_path / "run" / "model.safetensors")
    assert loaded.config["input"] == {"kind": "image", "size": [32, 32]} and loaded.config["frontend"] is None
