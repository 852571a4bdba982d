"""Utterance statistics and an RBF-kernel SVM: how a recording's frames are distributed, not each frame alone.

The GMM baseline scores frames one at a time and averages; what separates many vocoders from speech is in
how the frames vary over an utterance (the spread of the phase rows, how fast the spectral shape moves, the
tails of the excitation statistics). This model pools, over the loudest frames of its input, chosen
statistics of chosen row groups (mean, standard deviation, standard deviation of the frame-to-frame change,
quantiles) into one vector, standardises it and scores it with a support-vector machine (scikit-learn's
SVC, RBF kernel, classes weighted to balance). On small, varied training data a max-margin kernel machine over
a few hundred utterance statistics generalised across held-out sources better than frame GMMs and the CNNs
(docs/MODEL_CARD.md).

The fitted machine lives in this module as buffers (standardisation, support vectors, dual coefficients,
intercept, γ), so the checkpoint is a plain safetensors file, scoring runs in torch and exports to ONNX, and
the decision function is differentiable.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import torch

from ..errors import ParameterError
from .blocks import check_spectrogram, loudest_frame_index
from .registry import MODELS, ClosedFormModel

_QUANTILE = re.compile(r"q([1-9][0-9]?)")


def _check_stat(stat: str) -> None:
    if stat not in ("mean", "std", "delta_std") and not _QUANTILE.fullmatch(stat):
        raise ParameterError(f"svm pooling statistics are mean, std, delta_std or qN (N in 1..99), got {stat!r}")


_SUPPORT_DTYPES = {"float32": torch.float32, "float16": torch.float16, "int8": torch.int8}


@dataclass
class SVMConfig:
    num_bins: int = 60  # F, the front-end's rows
    # Pooled over the loudest fraction of frames, ranked by row `energy_row` (-1: mean of all rows), as the GMM.
    keep_loudest: float = 0.5
    energy_row: int = 0
    # Row groups and their statistics: [{rows: [start, stop], stats: [mean, std, delta_std, q10, ...]}, ...].
    # An entry with `weight_row: r` takes a weighted mean and std, row r of the input as the frames' weights
    # (e.g. the harmonic front-end's voicing rows, where its other rows are 0 as "no measurement").
    # None: mean and standard deviation of every row. A row that carries the level (LFCC's c0) should give
    # no mean: loudness is a shortcut (DESIGN.md §5).
    pooling: list[dict] | None = None
    C: float = 1.0  # the SVM's margin penalty
    gamma: float | None = None  # RBF width; None: scikit-learn's "scale", 1 / (features · variance) after standardising
    max_examples: int = 20_000  # per class (random subset): the solver's time grows quadratically
    n_support: int = 0  # set by fitting (the buffers' size), so a checkpoint rebuilds the fitted shapes
    # Storage of the support vectors (the checkpoint's bulk). float16 halves it; the standardised features are
    # O(1), so its 3 significant digits move the decision by ~1e-3 (the kernel is evaluated in float64 anyway).
    # int8 quarters it (`_store_support`): on the default model's real inputs the decision moves by 0.012 on
    # average (its spread is 1.1), float16 by 0.002.
    support_dtype: str = "float32"
    groups: list = field(init=False, repr=False, default_factory=list)

    def __post_init__(self) -> None:
        if int(self.num_bins) < 1:
            raise ParameterError(f"svm num_bins must be >= 1, got {self.num_bins}")
        if not 0.0 < float(self.keep_loudest) <= 1.0:
            raise ParameterError(f"svm keep_loudest must be in (0, 1], got {self.keep_loudest}")
        if not -1 <= int(self.energy_row) < int(self.num_bins):
            raise ParameterError(f"svm energy_row must be -1 or in 0..{int(self.num_bins) - 1}, got {self.energy_row}")
        if not float(self.C) > 0 or (self.gamma is not None and not float(self.gamma) > 0):
            raise ParameterError(f"svm C and gamma must be > 0, got C={self.C}, gamma={self.gamma}")
        if self.support_dtype not in _SUPPORT_DTYPES:
            raise ParameterError(f"svm support_dtype must be one of {sorted(_SUPPORT_DTYPES)}, got {self.support_dtype!r}")
        if int(self.max_examples) < 2 or int(self.n_support) < 0:
            raise ParameterError(f"svm max_examples must be >= 2 and n_support >= 0, got {self.max_examples}, {self.n_support}")
        pooling = self.pooling if self.pooling is not None else [{"rows": [0, int(self.num_bins)], "stats": ["mean", "std"]}]
        groups = []
        for group in pooling:
            if not isinstance(group, dict) or set(group) - {"rows", "stats", "weight_row"} or "rows" not in group:
                raise ParameterError(f"svm pooling entries are {{rows: [start, stop], stats: [...], weight_row: r}} "
                                     f"(weight_row optional), got {group!r}")
            start, stop = (int(v) for v in group["rows"])
            if not 0 <= start < stop <= int(self.num_bins):
                raise ParameterError(f"svm pooling rows must satisfy 0 <= start < stop <= {self.num_bins}, got {group['rows']}")
            stats = [str(s) for s in group.get("stats") or ["mean", "std"]]
            for stat in stats:
                _check_stat(stat)
            weight = group.get("weight_row")
            if weight is not None:
                weight = int(weight)
                if not 0 <= weight < int(self.num_bins):
                    raise ParameterError(f"svm pooling weight_row must be in 0..{int(self.num_bins) - 1}, got {group['weight_row']}")
                if set(stats) - {"mean", "std"}:
                    raise ParameterError(f"svm pooling with a weight_row takes only mean and std, got {stats}")
            groups.append((start, stop, tuple(stats), weight))
        self.groups = groups

    def num_features(self) -> int:
        """Length of the pooled vector."""
        return sum((stop - start) * len(stats) for start, stop, stats, _ in self.groups)


@MODELS.register("svm")
class PooledSVM(ClosedFormModel):
    """(B, 1, F, T) → pooled statistics (B, P) → RBF-SVM decision d → logits (B, 2) = [−d/2, d/2].

    Buffers: `feature_mean`, `feature_scale` (P,), `support` (S, P) standardised support vectors, `dual` (S,)
    (αᵢ·yᵢ, bona fide = +1), `intercept` and `gamma` (scalars); with `support_dtype: int8` also `support_step`
    (P,) and `support_norm` (S,), see `_store_support`.
    """

    name = "svm"
    Config = SVMConfig
    needs_num_bins = True

    def __init__(self, **params) -> None:
        super().__init__(**params)
        self._allocate(int(self.cfg.n_support))

    def _allocate(self, support: int) -> None:
        features = self.cfg.num_features()
        self.register_buffer("feature_mean", torch.zeros(features))
        self.register_buffer("feature_scale", torch.ones(features))
        self.register_buffer("support", torch.zeros(support, features, dtype=_SUPPORT_DTYPES[self.cfg.support_dtype]))
        if self.cfg.support_dtype == "int8":  # only then, so checkpoints stored in a float type load as they are
            self.register_buffer("support_step", torch.ones(features))
            self.register_buffer("support_norm", torch.zeros(support))
        self.register_buffer("dual", torch.zeros(support))
        self.register_buffer("intercept", torch.zeros(()))
        self.register_buffer("gamma", torch.ones(()))
        self.register_buffer("fitted", torch.zeros((), dtype=torch.uint8))

    def config(self) -> dict:
        values = super().config()
        values.pop("groups", None)  # derived from `pooling`
        return values

    def pooled(self, x: torch.Tensor) -> torch.Tensor:
        """The statistics vector (B, P) of each input, over its loudest frames."""
        check_spectrogram(x, self.name)
        if x.shape[2] != self.cfg.num_bins:
            raise ParameterError(f"svm was built for {self.cfg.num_bins} feature rows, got {x.shape[2]}")
        rows = x[:, 0]  # (B, F, T)
        index = loudest_frame_index(x, self.cfg.keep_loudest, self.cfg.energy_row)  # (B, T')
        gather = index.unsqueeze(1).expand(-1, rows.shape[1], -1)
        chosen = rows.gather(2, gather)  # (B, F, T')
        change = None
        parts = []
        for start, stop, stats, weight_row in self.cfg.groups:
            values = chosen[:, start:stop]
            if weight_row is not None:
                parts.extend(_weighted_stats(values, chosen[:, weight_row], stats))
                continue
            ordered = None
            for stat in stats:
                if stat == "mean":
                    parts.append(values.mean(dim=-1))
                elif stat == "std":
                    parts.append(values.std(dim=-1, unbiased=False))
                elif stat == "delta_std":
                    if change is None:  # frame-to-frame change, taken before frames are dropped (0 at the first frame)
                        step = torch.nn.functional.pad(rows[..., 1:] - rows[..., :-1], (1, 0))
                        change = step.gather(2, gather)
                    parts.append(change[:, start:stop].std(dim=-1, unbiased=False))
                else:
                    if ordered is None:
                        ordered = values.sort(dim=-1).values
                    parts.append(_quantile(ordered, int(stat[1:]) / 100.0))
        return torch.cat(parts, dim=1)

    def fit_rows(self, x: torch.Tensor) -> torch.Tensor:
        return self.pooled(x).unsqueeze(1)  # one row per input

    def fit_rows_wanted(self) -> int:
        return int(self.cfg.max_examples)

    def fit_closed_form(self, *, bonafide: np.ndarray, spoof: np.ndarray, seed: int = 0) -> None:
        self.fit(bonafide=bonafide, spoof=spoof, seed=seed)

    def fit(self, *, bonafide: np.ndarray, spoof: np.ndarray, seed: int = 0) -> None:
        """Standardise and fit the SVM on (N, P) pooled vectors of each class (each subsampled to max_examples)."""
        from sklearn.svm import SVC

        rng = np.random.default_rng(seed)
        parts = []
        for rows in (bonafide, spoof):
            rows = np.asarray(rows, dtype=np.float64)
            if rows.ndim != 2 or rows.shape[1] != self.cfg.num_features():
                raise ParameterError(f"svm.fit expects (examples, {self.cfg.num_features()}) arrays, got {rows.shape}")
            if len(rows) < 2:
                raise ParameterError(f"svm needs at least 2 examples per class, got {len(rows)}")
            if not np.isfinite(rows).all():
                raise ParameterError("svm.fit got non-finite pooled statistics (check the front-end)")
            if len(rows) > self.cfg.max_examples:
                rows = rows[rng.choice(len(rows), self.cfg.max_examples, replace=False)]
            parts.append(rows)
        x = np.vstack(parts)
        y = np.concatenate([np.ones(len(parts[0])), np.zeros(len(parts[1]))])
        mean = x.mean(axis=0)
        scale = x.std(axis=0)
        scale[scale < 1e-12] = 1.0  # a constant statistic: leave it at 0 (as StandardScaler does)
        z = (x - mean) / scale
        gamma = float(self.cfg.gamma) if self.cfg.gamma is not None else 1.0 / (z.shape[1] * max(float(z.var()), 1e-12))
        machine = SVC(C=float(self.cfg.C), kernel="rbf", gamma=gamma, class_weight="balanced", cache_size=500,
                      random_state=seed).fit(z, y)
        # classes_ are [0, 1] (spoof, bona fide): a positive decision means bona fide, the score's polarity.
        self.cfg.n_support = int(len(machine.support_))
        self._allocate(self.cfg.n_support)
        self.feature_mean.copy_(torch.from_numpy(mean))
        self.feature_scale.copy_(torch.from_numpy(scale))
        self._store_support(machine.support_vectors_)
        self.dual.copy_(torch.from_numpy(machine.dual_coef_[0]))
        self.intercept.fill_(float(machine.intercept_[0]))
        self.gamma.fill_(gamma)
        self.fitted.fill_(1)

    def _store_support(self, support: np.ndarray) -> None:
        """Write (S, P) standardised support vectors into the buffer in the configured storage type."""
        if self.cfg.support_dtype == "int8":
            # Each value is stored as round(asinh(s) / step), with one step per feature (its largest |asinh(s)| /
            # 127): fine steps where the standardised values crowd around 0 and coarse ones only in the tails,
            # where a feature's few outliers would otherwise set a coarse step for all. The exact squared norms
            # are kept too: ‖z − s‖² expands to ‖z‖² − 2 z·s + ‖s‖², and the rounded vectors' own norms carry a
            # positive bias (the rounding's variance) that lowered every kernel value. Measured on the default
            # model (14,150 vectors, 2,500 real inputs): mean |decision change| 0.050 with linear steps and
            # rounded norms, 0.012 with this. torch's quantised tensors are not plain buffers (safetensors and
            # the ONNX export want int8 + float steps), hence by hand.
            compressed = np.arcsinh(support)
            step = np.abs(compressed).max(axis=0) / 127.0
            step[step == 0] = 1.0
            self.support.copy_(torch.from_numpy(np.clip(np.rint(compressed / step), -127, 127).astype(np.int8)))
            self.support_step.copy_(torch.from_numpy(step))
            self.support_norm.copy_(torch.from_numpy(np.square(support).sum(axis=1)))
            return
        self.support.copy_(torch.from_numpy(support))
        if not torch.isfinite(self.support).all():
            raise ParameterError(f"svm support vectors overflow {self.cfg.support_dtype} (use support_dtype: float32)")

    def _support_float64(self) -> tuple[torch.Tensor, torch.Tensor]:
        """The support vectors in float64 (S, P) and their squared norms (S,) (for int8: decoded, and the norms stored).

        Run eagerly, they are converted once and kept until the buffer changes (load, copy, move). Converted
        on every call (about 28 MB for the default model), inputs of varying length fragmented the heap: glibc
        raises its mmap threshold after the first such block is freed, keeps later ones on the heap, and RSS
        grew by about 4 MB per scored input (16 GB over 4,869 dev files). Graph capture (ONNX) converts in
        the graph.
        """
        if torch.compiler.is_compiling():
            return self._support_values()
        buffers = (self.support, getattr(self, "support_step", None), getattr(self, "support_norm", None))
        key = tuple((t.data_ptr(), t._version, t.device, t.shape) for t in buffers if t is not None)
        if getattr(self, "_float64_key", None) != key:
            self._float64_support = self._support_values()
            self._float64_key = key
        return self._float64_support

    def _support_values(self) -> tuple[torch.Tensor, torch.Tensor]:
        if self.cfg.support_dtype == "int8":
            # sinh in float32: onnxruntime has no float64 Sinh, and float32 holds the decoded value to 1e-7
            return torch.sinh(self.support.float() * self.support_step.float()).double(), self.support_norm.double()
        support = self.support.double()
        return support, support.square().sum(-1)

    def decision(self, pooled: torch.Tensor) -> torch.Tensor:
        """The SVM's decision value (B,) for pooled vectors (B, P): > 0 means bona fide."""
        z = ((pooled.to(torch.float64) - self.feature_mean.double()) / self.feature_scale.double())  # (B, P)
        support, support_norms = self._support_float64()
        # ‖z − s‖² as z² − 2·z·s + s² (float64: the expansion cancels badly in float32).
        distance = (z.square().sum(-1, keepdim=True) - 2.0 * z @ support.T + support_norms).clamp_min(0.0)
        return torch.exp(-self.gamma.double() * distance) @ self.dual.double() + self.intercept.double()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # The check reads a buffer's value, which graph capture (ONNX export) cannot do; it runs eagerly only.
        if not torch.compiler.is_compiling() and not int(self.fitted):
            raise ParameterError("svm is not fitted yet (train it, or load a trained checkpoint)")
        half = 0.5 * self.decision(self.pooled(x))
        return torch.stack([-half, half], dim=1).to(x.dtype)  # (B, 2): [spoof, bona fide]


def _weighted_stats(values: torch.Tensor, weight: torch.Tensor, stats: tuple[str, ...]) -> list[torch.Tensor]:
    """Weighted mean and std over the last axis of (B, R, T) values with (B, T) weights; 0 where all weights are 0."""
    weight = weight.clamp_min(0.0).unsqueeze(1)  # (B, 1, T)
    safe = weight.sum(dim=-1).clamp_min(1e-12)
    mean = (values * weight).sum(dim=-1) / safe
    out = []
    for stat in stats:
        if stat == "mean":
            out.append(mean)
        else:
            spread = ((values - mean.unsqueeze(-1)).square() * weight).sum(dim=-1) / safe
            out.append(torch.sqrt(spread + 1e-12) - 1e-6)  # finite gradient at a spread of 0
    return out


def _quantile(ordered: torch.Tensor, q: float) -> torch.Tensor:
    """The q-quantile along the last axis of sorted values, interpolated linearly (numpy's default).

    Written as a weighted sum with the interpolation's triangular weights max(0, 1 − |i − q·(n − 1)|), all
    in tensor arithmetic: indexing at a position computed in Python would freeze the position for the
    length seen when exporting to ONNX, and torch.quantile freezes the length itself.
    """
    index = torch.arange(ordered.shape[-1], device=ordered.device, dtype=ordered.dtype)
    weights = (1.0 - (index - q * index[-1]).abs()).clamp(min=0.0)
    return (ordered * weights).sum(dim=-1)
