"""Experiment configs (YAML in/out, every shipped config builds) and the datasets and samplers."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from fakescope.audio import Audio, save_audio
from fakescope.errors import DatasetError, ParameterError
from fakescope.training import build_pipeline, load_config
from fakescope.training.dataset import (AudioCropDataset, EpochSampler, ImageDataset, Item, class_weights, image_items,
                                        manifest_items)

CONFIGS = sorted(Path(__file__).resolve().parents[2].joinpath("configs").glob("*.yaml"))


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: p.name)
def test_every_shipped_config_builds_its_pipeline(path):
    overrides = {} if "images" in path.name else {"data.manifest": "/nonexistent/manifest.csv"}
    config = load_config(path, overrides=overrides)
    pipeline = build_pipeline(frontend=None if config.data.image_mode else config.frontend,
                              morphology=config.morphology, model=config.model, num_bins=config.data.image_size[0])
    assert pipeline.model.name == config.model["name"]
    if config.data.image_mode:
        assert Path(config.data.image_dirs["train"]).is_absolute()  # resolved against the file's folder


def test_every_cell_of_the_model_comparison_builds_its_pipeline():
    """configs/grids/model_comparison.yaml (scripts/compare_models.py): each cell resolves to a valid pipeline."""
    from fakescope.fileio import read_yaml

    folder = Path(__file__).resolve().parents[2] / "configs"
    grid = read_yaml(folder / "grids" / "model_comparison.yaml")
    assert len(grid["cells"]) >= 8  # issue 5 asks for at least the 8 most informative cells
    pairs = set()
    for name, cell in grid["cells"].items():
        overrides = {"data.manifest": "/nonexistent/manifest.csv", **grid["common"], **(cell.get("set") or {})}
        config = load_config(folder / cell["config"], overrides=overrides,
                             names={"frontend": cell["frontend"]} if "frontend" in cell else None)
        pipeline = build_pipeline(frontend=config.frontend, morphology=config.morphology, model=config.model)
        frontend = config.frontend["name"]
        if frontend == "stack":  # a stack is named by its members, e.g. gmm-lfcc-excitation
            frontend = "-".join(member["name"] for member in pipeline.frontend.config()["members"])
        runs = f"{pipeline.model.name}-{frontend}"
        assert name == runs or name.startswith(runs + "-")  # the cell's name says what it runs (+ a variant)
        pairs.add(runs)
    assert len(pairs) >= 8  # distinct model × front-end pairs


def test_config_errors_name_the_key(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("data: {manifest: m.csv, crop_secs: 2}\n")
    with pytest.raises(ParameterError, match="data.crop_secs"):
        load_config(path)
    path.write_text("data: {manifest: m.csv}\nmodels: {name: lcnn}\n")
    with pytest.raises(ParameterError, match="unknown section.*models"):
        load_config(path)
    with pytest.raises(ParameterError, match="exactly one of manifest"):
        load_config()
    with pytest.raises(ParameterError, match="balance"):
        load_config(overrides={"data.manifest": "m.csv", "data.balance": "oversample"})
    with pytest.raises(ParameterError, match="data.pad must be one of repeat, none"):
        load_config(overrides={"data.manifest": "m.csv", "data.pad": "zero"})


def test_names_replace_a_section_only_when_they_change(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("data: {manifest: m.csv}\nfrontend: {name: lfcc, n_lfcc: 10}\nmodel: {name: lcnn, dropout: 0.3}\n")
    same = load_config(path, names={"frontend": "lfcc", "model": None})
    assert same.frontend == {"name": "lfcc", "n_lfcc": 10} and same.model["dropout"] == 0.3
    assert Path(same.data.manifest) == (tmp_path / "m.csv").resolve()
    other = load_config(path, names={"frontend": "mel", "model": "resnet18"}, overrides={"train.epochs": 2})
    assert other.frontend == {"name": "mel"} and other.model == {"name": "resnet18"} and other.train.epochs == 2


def _write(path: Path, samples: np.ndarray) -> Path:
    save_audio(path, Audio(samples[np.newaxis, :].astype(np.float32), 16000))
    return path


def test_the_frontend_takes_the_data_rate_unless_it_names_an_agreeing_one():
    config = load_config(overrides={"data.manifest": "m.csv", "frontend.name": "lfcc"})
    assert "sample_rate" not in config.frontend
    config.resolve_frontend_rate()
    config.resolve_frontend_rate()  # idempotent: a resolved config compares equal to the one training saved
    assert config.frontend["sample_rate"] == 16000
    clash = load_config(overrides={"data.manifest": "m.csv", "frontend.name": "lfcc", "frontend.sample_rate": 8000})
    with pytest.raises(ParameterError, match="frontend.sample_rate 8000 differs from data.sample_rate 16000"):
        clash.resolve_frontend_rate()
    images = load_config(overrides={"data.image_dirs": {"train": "t", "dev": "d"}, "model.name": "seed_cnn"})
    images.resolve_frontend_rate()
    assert "sample_rate" not in (images.frontend or {})


def test_crops_are_fixed_length_repeat_padded_and_deterministic(tmp_path):
    ramp = np.linspace(-0.5, 0.5, 1000)
    items = [Item(_write(tmp_path / "short.wav", ramp[:300]), 1, "short"), Item(_write(tmp_path / "long.wav", ramp), 0, "long")]
    train = AudioCropDataset(items, sample_rate=16000, num_samples=500, train=True, seed=3)
    wave, label = train[0]
    assert wave.shape == (500,) and wave.dtype == torch.float32 and label == 1
    np.testing.assert_allclose(wave[300:].numpy(), wave[:200].numpy())  # repeat-padded, no silence
    first = train[1][0]
    assert torch.equal(first, train[1][0])  # same (seed, epoch, index) → same crop
    crops = set()
    for epoch in range(6):
        train.set_epoch(epoch)
        crops.add(round(float(train[1][0][0]), 6))
    assert len(crops) > 1  # a new random offset per epoch
    dev = AudioCropDataset(items, sample_rate=16000, num_samples=500, train=False)
    np.testing.assert_allclose(dev[1][0].numpy(), ramp[:500], atol=1e-4)  # evaluation: from the start


def test_unpadded_crops_keep_short_files_at_their_own_length(tmp_path):
    """data.pad "none": a short file is not tiled (a loop join every repetition), only lifted to 0.5 s."""
    ramp = np.linspace(-0.5, 0.5, 16000)
    items = [Item(_write(tmp_path / "short.wav", ramp[:12000]), 1, "short"),
             Item(_write(tmp_path / "tiny.wav", ramp[:4000]), 1, "tiny"), Item(_write(tmp_path / "long.wav", ramp), 0, "long")]
    for train in (True, False):
        crops = AudioCropDataset(items, sample_rate=16000, num_samples=8000 * 2, train=train, pad="none")
        assert crops[0][0].shape == (12000,) and crops[2][0].shape == (16000,)
        assert crops[1][0].shape == (8000,)  # MIN_UNPADDED_SECONDS
        np.testing.assert_allclose(crops[1][0][4000:].numpy(), crops[1][0][:4000].numpy())
    long_crop = AudioCropDataset(items, sample_rate=16000, num_samples=6000, train=False, pad="none")[2][0]
    np.testing.assert_allclose(long_crop.numpy(), ramp[:6000], atol=1e-4)  # longer files: cropped as before
    with pytest.raises(ParameterError, match="pad must be one of"):
        AudioCropDataset(items, sample_rate=16000, num_samples=500, train=False, pad="zero")[0]


def test_bad_files_stop_or_are_skipped(tmp_path):
    good = Item(_write(tmp_path / "good.wav", np.sin(np.arange(800) / 5.0) * 0.3), 1, "good")
    bad_path = tmp_path / "bad.wav"
    bad_path.write_bytes(b"not audio at all")
    items = [good, Item(bad_path, 0, "bad")]
    from fakescope.errors import AudioError

    with pytest.raises(AudioError, match="bad.wav"):
        AudioCropDataset(items, sample_rate=16000, num_samples=400, train=False)
    dataset = AudioCropDataset(items, sample_rate=16000, num_samples=400, train=False, skip_bad_files=True)
    assert len(dataset) == 1 and dataset.failures[0][0].endswith("bad.wav")


def test_manifest_items_by_split(tiny_manifest):
    from fakescope.datasets.manifest import read_manifest

    manifest = read_manifest(tiny_manifest)
    items = manifest_items(manifest, ["dev", "eval"])
    assert len(items) == 24 and {i.row.split for i in items} == {"dev", "eval"}
    with pytest.raises(DatasetError, match="splits present: dev, eval, train"):
        manifest_items(manifest, ["test"])


def test_balanced_sampler_and_shards():
    labels = [1] * 10 + [0] * 90
    sampler = EpochSampler(labels, balanced=True, seed=0)
    drawn = np.array(labels)[list(sampler)]
    assert len(drawn) == 100 and 0.35 < drawn.mean() < 0.65
    plain = EpochSampler(labels, balanced=False, seed=0)
    assert sorted(plain) == list(range(100))
    shards = [list(EpochSampler(labels, balanced=False, seed=0, rank=r, world_size=3)) for r in range(3)]
    assert all(len(s) == 34 for s in shards) and set().union(*shards) == set(range(100))
    plain.set_epoch(1)
    assert list(plain) != list(EpochSampler(labels, balanced=False, seed=0))
    torch.testing.assert_close(class_weights(labels), torch.tensor([100 / 180, 100 / 20]))


def test_image_items_and_dataset(tmp_path):
    from PIL import Image

    for label in ("real", "fake", "other"):
        (tmp_path / label).mkdir()
        Image.fromarray(np.full((20, 30), 255 if label == "real" else 0, dtype=np.uint8)).save(tmp_path / label / "a.png")
    items = image_items(tmp_path)
    assert sorted((i.utt_id, i.label) for i in items) == [("fake/a.png", 0), ("real/a.png", 1)]
    dataset = ImageDataset(items, size=(16, 24))
    image, label = dataset[[i.utt_id for i in items].index("real/a.png")]
    assert image.shape == (1, 16, 24) and label == 1 and float(image.min()) == pytest.approx(1.0)
    with pytest.raises(DatasetError, match="no PNG files"):
        image_items(tmp_path / "other")
    # `fakescope spectrogram` writes index.csv (path,label,png); it takes precedence over folder names.
    (tmp_path / "index.csv").write_text("path,label,png\nx.wav,spoof,real/a.png\ny.wav,,other/a.png\n")
    assert [(i.utt_id, i.label) for i in image_items(tmp_path)] == [("real/a", 0)]


def test_long_quiet_edges_are_cut_before_cropping(tmp_path):
    """A file's quiet edges are cut to 1 s before it is cropped (as a scan cuts them), in training and evaluation."""
    from fakescope.audio.activity import QUIET_EDGE_MAX_S
    from fakescope.audio.synthetic import voice_like

    rng = np.random.default_rng(5)
    speech = voice_like(seconds=1.5, rng=rng).samples[0]
    quiet = (1e-4 * rng.standard_normal(3 * 16000)).astype(np.float32)
    item = Item(_write(tmp_path / "edges.wav", np.concatenate([quiet, speech, quiet])), 1, "edges")
    for train in (True, False):
        crops = AudioCropDataset([item], sample_rate=16000, num_samples=16000 * 8, train=train, pad="none")
        length = crops[0][0].shape[0]
        assert abs(length - (len(speech) + 2 * QUIET_EDGE_MAX_S * 16000)) < 0.3 * 16000  # from 7.5 s
    from fakescope.evaluation.run import _load_crop

    scored = _load_crop(item, sample_rate=16000, seconds=8.0, pad="none")
    np.testing.assert_array_equal(scored, crops[0][0].numpy())  # evaluate scores what dev scored
