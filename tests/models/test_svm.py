"""The pooled-statistics SVM: its pooling against NumPy, its decision against scikit-learn, fitting, checkpoints, errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from fakescope.errors import ParameterError
from fakescope.models import build_model, model_from_config

POOLING = [
    {"rows": [0, 1], "stats": ["std"]},
    {"rows": [1, 5], "stats": ["mean", "std", "delta_std"]},
    {"rows": [5, 8], "stats": ["q10", "q50", "q90"]},
]


def _numpy_pooled(x: np.ndarray, keep: float) -> np.ndarray:
    """The same statistics, written plainly: loudest frames by row 0, then per-group statistics."""
    rows = x[0]  # (F, T)
    count = int(np.ceil(keep * rows.shape[1]))
    chosen = np.sort(np.argsort(-rows[0], kind="stable")[:count])
    change = np.diff(rows, axis=1, prepend=rows[:, :1])  # 0 at the first frame
    values = rows[:, chosen]
    return np.concatenate([
        values[0:1].std(1),
        values[1:5].mean(1), values[1:5].std(1), change[1:5, chosen].std(1),
        np.percentile(values[5:8], 10, axis=1), np.percentile(values[5:8], 50, axis=1),
        np.percentile(values[5:8], 90, axis=1),
    ])


def test_pooled_statistics_match_numpy():
    rng = np.random.default_rng(0)
    model = build_model("svm", num_bins=8, pooling=POOLING, keep_loudest=0.4)
    x = rng.normal(size=(3, 1, 8, 57)).astype(np.float32)
    pooled = model.pooled(torch.from_numpy(x)).numpy()
    assert pooled.shape == (3, model.cfg.num_features()) == (3, 1 + 12 + 9)
    for example, row in zip(x, pooled):
        np.testing.assert_allclose(row, _numpy_pooled(example, 0.4), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("frames", [1, 2, 7, 200, 201])
def test_quantiles_match_numpy_at_any_length(frames):
    """Interpolated in tensor arithmetic (so an ONNX graph with a dynamic time axis keeps it right)."""
    from fakescope.models.svm import _quantile

    values = np.sort(np.random.default_rng(frames).standard_normal((3, 4, frames)), axis=-1).astype(np.float32)
    for q in (0.1, 0.5, 0.9):
        np.testing.assert_allclose(_quantile(torch.from_numpy(values), q).numpy(), np.quantile(values, q, axis=-1),
                                   atol=1e-6)


def test_weighted_pooling_matches_numpy_and_reads_zero_weights_as_no_frames():
    """weight_row: a weighted mean and std over the chosen frames (the harmonic rows' voicing), 0 with no weight."""
    rng = np.random.default_rng(1)
    pooling = [{"rows": [1, 4], "stats": ["mean", "std"], "weight_row": 5}, {"rows": [4, 5], "stats": ["mean"]}]
    model = build_model("svm", num_bins=6, pooling=pooling, keep_loudest=0.5)
    x = rng.normal(size=(2, 1, 6, 40)).astype(np.float32)
    x[:, 0, 5] = rng.integers(0, 2, size=(2, 40))  # 0/1 voicing
    x[1, 0, 5] = 0.0  # nothing voiced
    pooled = model.pooled(torch.from_numpy(x)).numpy()
    assert pooled.shape == (2, model.cfg.num_features()) == (2, 7)
    rows = x[0, 0]
    chosen = np.sort(np.argsort(-rows[0], kind="stable")[:20])
    values, weight = rows[1:4, chosen], rows[5, chosen]
    mean = np.average(values, axis=1, weights=weight)
    std = np.sqrt(np.average((values - mean[:, None]) ** 2, axis=1, weights=weight))
    np.testing.assert_allclose(pooled[0], np.concatenate([mean, std, rows[4:5, chosen].mean(1)]), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(pooled[1, :6], 0.0, atol=1e-5)
    assert np.isfinite(pooled).all()


def test_decision_matches_scikit_learn():
    from sklearn.svm import SVC

    rng = np.random.default_rng(1)
    model = build_model("svm", num_bins=8, pooling=POOLING, C=2.0)
    bona, spoof = rng.normal(0.4, 1.0, (60, 22)), rng.normal(-0.4, 1.0, (50, 22))
    model.fit(bonafide=bona, spoof=spoof, seed=0)
    x = np.vstack([bona, spoof])
    z = (x - x.mean(0)) / x.std(0)
    reference = SVC(C=2.0, gamma=1.0 / (22 * z.var()), class_weight="balanced").fit(z, np.r_[np.ones(60), np.zeros(50)])
    test = rng.normal(0.0, 1.5, (40, 22))
    ours = model.decision(torch.from_numpy(test)).numpy()
    # float32 buffers (support vectors, standardisation) against float64 scikit-learn
    np.testing.assert_allclose(ours, reference.decision_function((test - x.mean(0)) / x.std(0)), rtol=1e-5, atol=1e-6)
    assert model.cfg.n_support == len(reference.support_) == model.support.shape[0]


def test_half_precision_support_vectors_halve_the_storage_and_keep_the_decision():
    rng = np.random.default_rng(4)
    bona, spoof = rng.normal(0.4, 1.0, (60, 22)), rng.normal(-0.4, 1.0, (50, 22))
    full = build_model("svm", num_bins=8, pooling=POOLING)
    half = build_model("svm", num_bins=8, pooling=POOLING, support_dtype="float16")
    for model in (full, half):
        model.fit(bonafide=bona, spoof=spoof, seed=0)
    assert half.support.dtype == torch.float16 and half.support.shape == full.support.shape
    assert half.support.nbytes * 2 == full.support.nbytes
    test = torch.from_numpy(rng.normal(0.0, 1.5, (40, 22)))
    torch.testing.assert_close(half.decision(test), full.decision(test), rtol=0, atol=2e-3)
    rebuilt = model_from_config(half.config())
    rebuilt.load_state_dict(half.state_dict())
    assert rebuilt.support.dtype == torch.float16
    torch.testing.assert_close(rebuilt.decision(test), half.decision(test))
    with pytest.raises(ParameterError, match="support_dtype"):
        build_model("svm", num_bins=8, pooling=POOLING, support_dtype="int4")


def test_int8_support_vectors_quarter_the_storage_and_keep_the_decision():
    rng = np.random.default_rng(6)
    bona, spoof = rng.normal(0.4, 1.0, (60, 22)), rng.normal(-0.4, 1.0, (50, 22))
    bona[0, 3] = 25.0  # an outlier sets its feature's step: the quantisation is per feature, not global
    full = build_model("svm", num_bins=8, pooling=POOLING)
    small = build_model("svm", num_bins=8, pooling=POOLING, support_dtype="int8")
    for model in (full, small):
        model.fit(bonafide=bona, spoof=spoof, seed=0)
    assert small.support.dtype == torch.int8 and small.support.nbytes * 4 == full.support.nbytes
    assert {"support_step", "support_norm"} <= set(small.state_dict()) and "support_step" not in full.state_dict()
    # stored as asinh(s) in steps of its own feature: every value within half a step there, the norms exact
    compressed = torch.asinh(full.support.double())
    assert ((small.support.double() * small.support_step.double() - compressed).abs()
            <= small.support_step.double() / 2 + 1e-6).all()
    torch.testing.assert_close(small.support_norm, full.support.square().sum(-1))
    # the outlier's feature takes coarser steps, but companded: under 2x the others' (a linear step would be ~8x)
    assert small.support_step.median() * 1.3 < small.support_step[3] < small.support_step.median() * 2
    test = torch.from_numpy(rng.normal(0.0, 1.5, (40, 22)))
    torch.testing.assert_close(small.decision(test), full.decision(test), rtol=0, atol=2e-2)
    rebuilt = model_from_config(small.config())
    rebuilt.load_state_dict(small.state_dict())
    torch.testing.assert_close(rebuilt.decision(test), small.decision(test))
    rebuilt.support_step.mul_(2.0)  # the kept float64 copy follows the steps too
    assert not torch.allclose(rebuilt.decision(test), small.decision(test))


def test_the_kept_float64_support_follows_every_change_of_the_buffer():
    """decision() keeps the float64 support between calls; a refit, a loaded state or an in-place edit must show."""
    rng = np.random.default_rng(5)
    bona, spoof = rng.normal(0.4, 1.0, (60, 22)), rng.normal(-0.4, 1.0, (50, 22))
    model, other = build_model("svm", num_bins=8, pooling=POOLING), build_model("svm", num_bins=8, pooling=POOLING, C=0.1)
    test = torch.from_numpy(rng.normal(0.0, 1.5, (10, 22)))
    model.fit(bonafide=bona, spoof=spoof, seed=0)
    other.fit(bonafide=bona[:30], spoof=spoof[:30], seed=1)
    first = model.decision(test)
    torch.testing.assert_close(model.decision(test), first)  # kept: the same answer
    model.cfg.C = 0.1
    model.fit(bonafide=bona[:30], spoof=spoof[:30], seed=1)  # a refit reallocates the buffers
    torch.testing.assert_close(model.decision(test), other.decision(test))
    model.support.mul_(0.5)  # an in-place edit bumps the tensor's version
    assert not torch.allclose(model.decision(test), other.decision(test))
    model.load_state_dict(other.state_dict())
    torch.testing.assert_close(model.decision(test), other.decision(test))


def test_fitted_model_separates_and_survives_a_config_round_trip():
    rng = np.random.default_rng(2)
    model = build_model("svm", num_bins=8, pooling=POOLING)
    loud = rng.normal(size=(40, 1, 8, 80)).astype(np.float32)
    loud[20:, 0, 1:5] *= 2.5  # "spoof": a wider spread in rows 1-4
    pooled = model.fit_rows(torch.from_numpy(loud))[:, 0].numpy()
    model.fit_closed_form(bonafide=pooled[:20], spoof=pooled[20:])
    scores = model.score(torch.from_numpy(loud)).detach().numpy()
    assert scores[:20].min() > scores[20:].max()  # bona fide score higher
    rebuilt = model_from_config(model.config())
    assert rebuilt.config() == model.config() and rebuilt.support.shape == model.support.shape
    rebuilt.load_state_dict(model.state_dict())
    torch.testing.assert_close(rebuilt(torch.from_numpy(loud)), model(torch.from_numpy(loud)))


def test_scores_are_differentiable_for_explanations():
    model = build_model("svm", num_bins=8, pooling=POOLING)
    rng = np.random.default_rng(3)
    model.fit(bonafide=rng.normal(1, 1, (10, 22)), spoof=rng.normal(-1, 1, (10, 22)))
    x = torch.randn(2, 1, 8, 30, requires_grad=True)
    model.score(x).sum().backward()
    assert torch.isfinite(x.grad).all() and x.grad.abs().sum() > 0


def test_errors_are_named():
    with pytest.raises(ParameterError, match="not fitted"):
        build_model("svm", num_bins=8)(torch.randn(1, 1, 8, 20))
    with pytest.raises(ParameterError, match="statistics"):
        build_model("svm", num_bins=8, pooling=[{"rows": [0, 8], "stats": ["median"]}])
    with pytest.raises(ParameterError, match="start < stop"):
        build_model("svm", num_bins=8, pooling=[{"rows": [4, 9], "stats": ["mean"]}])
    with pytest.raises(ParameterError, match="weight_row must be in 0..7"):
        build_model("svm", num_bins=8, pooling=[{"rows": [0, 4], "stats": ["mean"], "weight_row": 8}])
    with pytest.raises(ParameterError, match="only mean and std"):
        build_model("svm", num_bins=8, pooling=[{"rows": [0, 4], "stats": ["q50"], "weight_row": 7}])
    with pytest.raises(ParameterError, match="weight_row optional"):
        build_model("svm", num_bins=8, pooling=[{"rows": [0, 4], "weights": 7}])
    with pytest.raises(ParameterError, match="keep_loudest"):
        build_model("svm", num_bins=8, keep_loudest=0.0)
    model = build_model("svm", num_bins=8)
    with pytest.raises(ParameterError, match="8 feature rows"):
        model.pooled(torch.randn(1, 1, 9, 20))
    with pytest.raises(ParameterError, match="non-finite"):
        model.fit(bonafide=np.full((4, 16), np.nan), spoof=np.zeros((4, 16)))
    with pytest.raises(ParameterError, match="at least 2"):
        model.fit(bonafide=np.zeros((1, 16)), spoof=np.zeros((4, 16)))
