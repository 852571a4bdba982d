"""Model contract (every registered model), pinned parameter counts and shapes, and per-model behaviour."""

from __future__ import annotations

import numpy as np
import pytest
import torch

# EM on a few hundred random frames rarely converges in 20 steps; that is irrelevant to these tests.
pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

from fakescope.errors import CheckpointError, ParameterError
from fakescope.models import MODELS, build_model, count_parameters, load_imagenet_weights, model_from_config
from fakescope.models.blocks import InputNorm, MaxFeatureMap
from fakescope.models.gmm import GMM

# name → (build kwargs, input shape (B, 1, F, T), trainable parameters)
PINNED = {
    "seed_cnn": ({}, (3, 1, 128, 128), 4_287_362),
    "resnet18": ({}, (2, 1, 60, 101), 11_171_266),
    "lcnn": ({"num_bins": 60}, (3, 1, 60, 101), 269_826),
    "gmm": ({"num_bins": 60, "n_components": 4}, (3, 1, 60, 101), 0),
    "svm": ({"num_bins": 60}, (3, 1, 60, 101), 0),
}


def _fitted_gmm(num_bins: int = 60, n_components: int = 4) -> GMM:
    rng = np.random.default_rng(0)
    model = build_model("gmm", num_bins=num_bins, n_components=n_components, max_iter=20)
    model.fit(bonafide_frames=rng.normal(1.0, 1.0, (200, num_bins)), spoof_frames=rng.normal(-1.0, 1.0, (200, num_bins)))
    return model


def _fitted_svm(num_bins: int = 60):
    rng = np.random.default_rng(0)
    model = build_model("svm", num_bins=num_bins)
    width = model.cfg.num_features()
    model.fit(bonafide=rng.normal(1.0, 1.0, (30, width)), spoof=rng.normal(-1.0, 1.0, (30, width)))
    return model


def _built(name: str, kwargs: dict):
    """A ready model: closed-form models fitted on synthetic rows, networks as built."""
    return {"gmm": _fitted_gmm, "svm": _fitted_svm}.get(name, lambda: build_model(name, **kwargs))()


def test_every_registered_model_is_pinned():
    assert sorted(MODELS.names()) == sorted(PINNED)


@pytest.mark.parametrize("name", sorted(PINNED))
def test_contract_shapes_counts_and_config_round_trip(name):
    kwargs, shape, params = PINNED[name]
    torch.manual_seed(0)
    model = _built(name, kwargs)
    model.eval()
    assert count_parameters(model) == params
    x = torch.randn(*shape)
    logits = model(x)
    assert logits.shape == (shape[0], 2) and logits.dtype == torch.float32
    assert torch.all(torch.isfinite(logits))
    scores = model.score(x)
    assert scores.shape == (shape[0],)
    torch.testing.assert_close(scores, logits[:, 1] - logits[:, 0])
    rebuilt = model_from_config(model.config())
    assert type(rebuilt) is type(model) and rebuilt.config() == model.config()
    rebuilt.load_state_dict(model.state_dict())
    torch.testing.assert_close(rebuilt.eval()(x), logits)


@pytest.mark.parametrize("name", sorted(PINNED))
def test_rejects_non_spectrogram_input(name):
    kwargs, shape, _ = PINNED[name]
    model = _built(name, kwargs)
    with pytest.raises(ParameterError, match="batch, 1, freq, frames"):
        model(torch.randn(shape[0], shape[2], shape[3]))


def test_unknown_parameter_is_named():
    with pytest.raises(ParameterError, match="no parameter.*widht"):
        build_model("resnet18", widht=32)
    with pytest.raises(ParameterError, match="needs num_bins"):
        build_model("lcnn")


def test_seed_cnn_is_the_original_design():
    model = build_model("seed_cnn")
    convs = [m for m in model.modules() if isinstance(m, torch.nn.Conv2d)]
    assert [c.out_channels for c in convs] == [32, 64, 128]
    assert all(c.kernel_size == (3, 3) for c in convs)
    assert sum(isinstance(m, torch.nn.MaxPool2d) for m in model.modules()) == 3
    assert (model.fc.in_features, model.fc.out_features) == (128 * 16 * 16, 128)
    assert model.dropout.p == 0.5 and model.out.out_features == 2
    # Other sizes are resized to 128x128 first, so any front-end can feed it.
    assert model.eval()(torch.randn(2, 1, 80, 301)).shape == (2, 2)


def test_lcnn_shapes_and_bins_check():
    model = build_model("lcnn", num_bins=60).eval()
    hidden = model.features(torch.randn(2, 1, 60, 101))
    assert hidden.shape == (2, 32, 3, 6)  # (B, 32, F/16, T/16)
    assert sum(isinstance(m, MaxFeatureMap) for m in model.modules()) == 9
    with pytest.raises(ParameterError, match="built for 60"):
        model(torch.randn(1, 1, 20, 101))
    with pytest.raises(ParameterError, match="16 frames"):
        model(torch.randn(1, 1, 60, 8))


def test_max_feature_map_halves_channels():
    x = torch.tensor([[[[1.0]], [[5.0]], [[3.0]], [[2.0]]]])  # (1, 4, 1, 1)
    assert MaxFeatureMap()(x).flatten().tolist() == [3.0, 5.0]


def test_input_norm_modes():
    x = torch.randn(2, 1, 10, 20) * 7 + 40
    out = InputNorm("utterance")(x)
    assert torch.allclose(out.mean(dim=(1, 2, 3)), torch.zeros(2), atol=1e-5)
    rows = InputNorm("frequency")(x)
    assert torch.allclose(rows.mean(dim=3), torch.zeros(2, 1, 10), atol=1e-5)
    assert torch.equal(InputNorm("none")(x), x)
    with pytest.raises(ParameterError, match="input_norm"):
        InputNorm("batch")


def _torchvision_state(width: int = 64) -> dict[str, torch.Tensor]:
    """A state-dict shaped like torchvision's resnet18 (3-channel stem, 1000-class head)."""
    model = build_model("resnet18", width=width)
    state = {k: torch.randn_like(v) if v.is_floating_point() else v for k, v in model.state_dict().items()}
    state["conv1.weight"] = torch.randn(width, 3, 7, 7)
    state["fc.weight"], state["fc.bias"] = torch.randn(1000, 8 * width), torch.randn(1000)
    return state


def test_resnet_uses_torchvision_names_and_loads_imagenet_weights(tmp_path):
    model = build_model("resnet18")
    names = set(model.state_dict())
    for key in ("conv1.weight", "bn1.running_mean", "layer1.0.conv1.weight", "layer2.0.downsample.0.weight",
                "layer4.1.bn2.bias", "fc.weight"):
        assert key in names
    state = _torchvision_state()
    path = tmp_path / "resnet18.pth"
    torch.save(state, path)
    fresh = load_imagenet_weights(model, path)
    assert fresh == ["fc.bias", "fc.weight"]
    torch.testing.assert_close(model.conv1.weight, state["conv1.weight"].mean(dim=1, keepdim=True))
    torch.testing.assert_close(model.layer3[1].conv2.weight, state["layer3.1.conv2.weight"])


@pytest.mark.filterwarnings("ignore:Detected pickle protocol")
def test_imagenet_loader_refuses_pickled_code_and_wrong_files(tmp_path):
    import pickle

    evil = tmp_path / "evil.pth"
    with open(evil, "wb") as handle:
        pickle.dump(ValueError("arbitrary object"), handle)
    with pytest.raises(CheckpointError, match="evil.pth"):
        load_imagenet_weights(build_model("resnet18"), evil)
    other = tmp_path / "other.pth"
    torch.save({"weight": torch.zeros(3)}, other)
    with pytest.raises(CheckpointError, match="no conv1.weight"):
        load_imagenet_weights(build_model("resnet18"), other)
    narrow = tmp_path / "narrow.pth"
    torch.save(_torchvision_state(width=16), narrow)
    with pytest.raises(CheckpointError, match="shape"):
        load_imagenet_weights(build_model("resnet18"), narrow)


def test_gmm_matches_sklearn_and_scores_by_likelihood_ratio():
    from sklearn.mixture import GaussianMixture

    rng = np.random.default_rng(1)
    bona = rng.normal(1.0, 1.0, (600, 5))
    spoof = rng.normal(-1.0, 2.0, (600, 5))
    model = build_model("gmm", num_bins=5, n_components=3, max_iter=50)
    model.fit(bonafide_frames=bona, spoof_frames=spoof, seed=3)
    reference = GaussianMixture(3, covariance_type="diag", max_iter=50, reg_covar=1e-3, random_state=3).fit(bona)
    frames = rng.normal(0.0, 1.5, (2, 7, 5))  # (B, T, D)
    ll = model.frame_log_likelihood(torch.from_numpy(frames))  # (B, T, 2)
    np.testing.assert_allclose(ll[..., 1].numpy(), reference.score_samples(frames.reshape(-1, 5)).reshape(2, 7), rtol=1e-6)
    x = torch.from_numpy(frames).transpose(1, 2).unsqueeze(1).float()  # (B, 1, D, T)
    np.testing.assert_allclose(model.score(x).numpy(), (ll[..., 1] - ll[..., 0]).mean(dim=1).numpy(), rtol=1e-5)
    near_bona = torch.full((1, 1, 5, 4), 1.0)
    near_spoof = torch.full((1, 1, 5, 4), -3.0)
    assert model.score(near_bona).item() > 0 > model.score(near_spoof).item()
    assert count_parameters(model) == 0 and model.means.shape == (2, 3, 5)


def test_gmm_refuses_to_score_before_fitting_and_checks_frames():
    model = build_model("gmm", num_bins=4, n_components=2)
    with pytest.raises(ParameterError, match="not fitted"):
        model(torch.randn(1, 1, 4, 10))
    with pytest.raises(ParameterError, match="at least n_components"):
        model.fit(bonafide_frames=np.zeros((1, 4)), spoof_frames=np.zeros((5, 4)))


def test_gmm_keep_loudest_fits_and_scores_only_the_loudest_frames():
    rng = np.random.default_rng(2)
    model = build_model("gmm", num_bins=3, n_components=2, max_iter=30, keep_loudest=0.5, energy_row=0)
    model.fit(bonafide_frames=rng.normal(1.0, 1.0, (300, 3)), spoof_frames=rng.normal(-1.0, 1.0, (300, 3)))
    x = torch.from_numpy(rng.normal(0.0, 1.0, (2, 1, 3, 9))).float()
    x[:, 0, 0] = torch.arange(9, dtype=torch.float32)  # row 0 (the energy) rises over time
    frames = model.frames(x)
    assert frames.shape == (2, 5, 3)  # ⌈0.5 · 9⌉ frames, in time order
    torch.testing.assert_close(frames, x[:, 0, :, 4:].transpose(1, 2))
    # Quiet frames (pauses, or the noise between words) no longer move the score.
    quiet = x.clone()
    quiet[:, 0, 1:, :4] = torch.from_numpy(rng.normal(-5.0, 1.0, (2, 2, 4))).float()
    torch.testing.assert_close(model.score(quiet), model.score(x))
    everything = build_model("gmm", num_bins=3, n_components=2)
    everything.load_state_dict(model.state_dict())
    assert not torch.allclose(everything.score(quiet), everything.score(x))
    by_mean = build_model("gmm", num_bins=3, n_components=2, keep_loudest=0.5, energy_row=-1)
    level = x.clone()
    level[:, 0] = torch.arange(9, dtype=torch.float32).flip(0)  # every row falls over time: the first frames are loudest
    torch.testing.assert_close(by_mean.frames(level), level[:, 0, :, :5].transpose(1, 2))
    for bad in ({"keep_loudest": 0.0}, {"keep_loudest": 1.5}, {"energy_row": 3}, {"energy_row": -2}):
        with pytest.raises(ParameterError, match="keep_loudest|energy_row"):
            build_model("gmm", num_bins=3, n_components=2, **bad)


def test_gmm_streams_are_independent_mixtures_weighted_in_the_score():
    from sklearn.mixture import GaussianMixture

    rng = np.random.default_rng(4)
    bona = np.hstack([rng.normal(1.0, 1.0, (500, 4)), rng.normal(0.0, 0.5, (500, 2))])
    spoof = np.hstack([rng.normal(-1.0, 1.5, (500, 4)), rng.normal(2.0, 0.5, (500, 2))])
    model = build_model("gmm", num_bins=6, n_components=3, max_iter=50, streams=[4, 2], stream_components=[3, 2],
                        stream_weights=[1.0, 2.5])
    model.fit(bonafide_frames=bona, spoof_frames=spoof, seed=5)
    assert model.means.shape == (2, 3, 4) and model.means_1.shape == (2, 2, 2)
    frames = rng.normal(0.5, 1.5, (2, 7, 6))
    expected = np.zeros((2, 7, 2))
    for index, (data, cols, k, weight) in enumerate(
            ((spoof, slice(0, 4), 3, 1.0), (spoof, slice(4, 6), 2, 2.5), (bona, slice(0, 4), 3, 1.0), (bona, slice(4, 6), 2, 2.5))):
        reference = GaussianMixture(k, covariance_type="diag", max_iter=50, reg_covar=1e-3, random_state=5).fit(data[:, cols])
        expected[..., index // 2] += weight * reference.score_samples(frames[..., cols].reshape(-1, cols.stop - cols.start)).reshape(2, 7)
    ll = model.frame_log_likelihood(torch.from_numpy(frames))
    np.testing.assert_allclose(ll.numpy(), expected, rtol=1e-6)
    # The checkpoint round trip keeps every stream (stream 0 under the single-mixture names).
    again = build_model("gmm", **{k: v for k, v in model.config().items() if k != "name"})
    again.load_state_dict(model.state_dict())
    x = torch.from_numpy(frames).transpose(1, 2).unsqueeze(1).float()
    torch.testing.assert_close(again.score(x), model.score(x))
    for bad, message in (({"streams": [4, 1]}, "summing to num_bins"), ({"streams": [6, 0]}, "summing"),
                         ({"streams": [4, 2], "stream_weights": [1.0]}, "one value per stream"),
                         ({"streams": [4, 2], "stream_components": [3, 0]}, "stream_components"),
                         ({"streams": [4, 2], "stream_weights": [0.0, 0.0]}, "not all 0")):
        with pytest.raises(ParameterError, match=message):
            build_model("gmm", num_bins=6, n_components=2, **bad)
