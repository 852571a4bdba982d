"""The LFCC-GMM baseline of ASVspoof 2019/2021: one Gaussian mixture for bona fide frames, one for spoof.

Fitted with scikit-learn's EM (diagonal covariances); the parameters then live in this module as
tensors (buffers), so the checkpoint is a plain safetensors file and scoring runs in torch like every
other model. The score is the average per-frame log-likelihood ratio, log p(x | bona fide) − log p(x | spoof).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from ..errors import ParameterError
from .blocks import InputNorm, check_spectrogram, loudest_frame_index
from .registry import BONAFIDE, MODELS, SPOOF, ClosedFormModel


@dataclass
class GMMConfig:
    num_bins: int = 60  # D, the feature dimension (front-end rows)
    n_components: int = 512  # the baseline's mixture size
    max_iter: int = 100
    reg_covar: float = 1e-3
    max_frames: int = 200_000  # frames per class used for EM (random subset), bounding time and memory
    input_norm: str = "none"  # the baseline models raw LFCC
    # Fit and score only the loudest frames of each input: this fraction of them, ranked by row `energy_row`
    # (0: LFCC's c0, the mean log filter energy) or, with -1, by the mean over all rows (a log spectrogram's
    # mean level: mel, CQT, STFT). Pauses carry no voice, only the recording's noise floor and silence
    # length, which a detector must not learn; under noise they hold nothing but the noise.
    keep_loudest: float = 1.0
    energy_row: int = 0
    # Independent mixtures over groups of rows ("streams"), e.g. 60 LFCC rows and 6 excitation rows of a
    # stack front-end: row counts in order (None: one stream of all rows). Each stream has its own mixture
    # size (stream_components; None: n_components each) and weight in the score (stream_weights; None: 1).
    # One joint diagonal mixture would let the 60 envelope rows outvote the few excitation rows.
    streams: list[int] | None = None
    stream_components: list[int] | None = None
    stream_weights: list[float] | None = None

    def __post_init__(self) -> None:
        for name in ("num_bins", "n_components", "max_iter", "max_frames"):
            if int(getattr(self, name)) < 1:
                raise ParameterError(f"gmm {name} must be >= 1, got {getattr(self, name)}")
        if not 0.0 < float(self.keep_loudest) <= 1.0:
            raise ParameterError(f"gmm keep_loudest must be in (0, 1], got {self.keep_loudest}")
        if not -1 <= int(self.energy_row) < int(self.num_bins):
            raise ParameterError(f"gmm energy_row must be -1 (mean of the rows) or in 0..{int(self.num_bins) - 1}, "
                                 f"got {self.energy_row}")
        if not self.reg_covar > 0:
            raise ParameterError(f"gmm reg_covar must be > 0, got {self.reg_covar}")
        streams = self.stream_rows()
        if any(rows < 1 for rows in streams) or sum(streams) != int(self.num_bins):
            raise ParameterError(f"gmm streams must be positive row counts summing to num_bins={self.num_bins}, "
                                 f"got {list(streams)}")
        for name in ("stream_components", "stream_weights"):
            value = getattr(self, name)
            if value is not None and len(value) != len(streams):
                raise ParameterError(f"gmm {name} needs one value per stream ({len(streams)}), got {list(value)}")
        if any(int(k) < 1 for k in self.components()):
            raise ParameterError(f"gmm stream_components must be >= 1, got {self.stream_components}")
        if any(not float(w) >= 0 for w in self.weights()) or not any(float(w) > 0 for w in self.weights()):
            raise ParameterError(f"gmm stream_weights must be >= 0 and not all 0, got {self.stream_weights}")

    def stream_rows(self) -> list[int]:
        return [int(rows) for rows in self.streams] if self.streams else [int(self.num_bins)]

    def components(self) -> list[int]:
        count = len(self.stream_rows())
        return [int(k) for k in self.stream_components] if self.stream_components else [int(self.n_components)] * count

    def weights(self) -> list[float]:
        count = len(self.stream_rows())
        return [float(w) for w in self.stream_weights] if self.stream_weights else [1.0] * count


@MODELS.register("gmm")
class GMM(ClosedFormModel):
    """(B, 1, D, T) → logits (B, 2) = mean frame log-likelihood under [spoof GMM, bona fide GMM].

    No trainable parameters; the buffers `log_weights` (2, K), `means` (2, K, D) and `variances`
    (2, K, D) hold both mixtures (index 0 spoof, 1 bona fide). With several streams, stream s > 0 has its
    own `log_weights_s`, `means_s` and `variances_s`, and a frame's log-likelihood is the weighted sum over
    streams.
    """

    name = "gmm"
    Config = GMMConfig
    needs_num_bins = True

    def __init__(self, **params) -> None:
        super().__init__(**params)
        self.norm = InputNorm(self.cfg.input_norm)
        for stream, (k, d) in enumerate(zip(self.cfg.components(), self.cfg.stream_rows())):
            suffix = _suffix(stream)
            self.register_buffer(f"log_weights{suffix}", torch.full((2, k), -math.log(k), dtype=torch.float64))
            self.register_buffer(f"means{suffix}", torch.zeros(2, k, d, dtype=torch.float64))
            self.register_buffer(f"variances{suffix}", torch.ones(2, k, d, dtype=torch.float64))
        self.register_buffer("fitted", torch.zeros((), dtype=torch.uint8))

    def mixture(self, stream: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(log_weights (2, K), means (2, K, D), variances (2, K, D)) of one stream."""
        suffix = _suffix(stream)
        return getattr(self, f"log_weights{suffix}"), getattr(self, f"means{suffix}"), getattr(self, f"variances{suffix}")

    def frames(self, x: torch.Tensor) -> torch.Tensor:
        """The frame vectors the mixtures model: (B, 1, D, T) → (B, T', D), T' = ⌈keep_loudest · T⌉ in time order."""
        check_spectrogram(x, self.name)
        if x.shape[2] != self.cfg.num_bins:
            raise ParameterError(f"gmm was built for {self.cfg.num_bins} feature rows, got {x.shape[2]}")
        frames = self.norm(x)[:, 0].transpose(1, 2)  # (B, T, D)
        if self.cfg.keep_loudest >= 1.0:
            return frames
        index = loudest_frame_index(x, self.cfg.keep_loudest, self.cfg.energy_row)  # before normalisation
        return frames.gather(1, index.unsqueeze(-1).expand(-1, -1, frames.shape[-1]))

    def fit_rows(self, x: torch.Tensor) -> torch.Tensor:
        return self.frames(x)

    def fit_rows_wanted(self) -> int:
        return 2 * self.cfg.max_frames  # a little more than EM uses, then `fit` subsamples

    def fit_closed_form(self, *, bonafide: np.ndarray, spoof: np.ndarray, seed: int = 0) -> None:
        self.fit(bonafide_frames=bonafide, spoof_frames=spoof, seed=seed)

    def fit(self, *, bonafide_frames: np.ndarray, spoof_frames: np.ndarray, seed: int = 0) -> None:
        """Fit both mixtures of every stream with EM on (N, D) frame matrices (each subsampled to `max_frames`)."""
        from sklearn.mixture import GaussianMixture

        rng = np.random.default_rng(seed)
        edges = np.cumsum([0] + self.cfg.stream_rows())
        for index, frames in ((BONAFIDE, bonafide_frames), (SPOOF, spoof_frames)):
            frames = np.asarray(frames, dtype=np.float64)
            if frames.ndim != 2 or frames.shape[1] != self.cfg.num_bins:
                raise ParameterError(f"gmm.fit expects (frames, {self.cfg.num_bins}) arrays, got {frames.shape}")
            if len(frames) < max(self.cfg.components()):
                raise ParameterError(
                    f"gmm needs at least n_components={max(self.cfg.components())} frames per class, got {len(frames)} "
                    "(more training audio, or fewer components: --set model.n_components=N)"
                )
            if len(frames) > self.cfg.max_frames:
                frames = frames[rng.choice(len(frames), self.cfg.max_frames, replace=False)]
            for stream, k in enumerate(self.cfg.components()):
                mixture = GaussianMixture(
                    n_components=k, covariance_type="diag", max_iter=self.cfg.max_iter,
                    reg_covar=self.cfg.reg_covar, random_state=seed,
                ).fit(frames[:, edges[stream] : edges[stream + 1]])
                log_weights, means, variances = self.mixture(stream)
                log_weights[index] = torch.from_numpy(np.log(mixture.weights_))
                means[index] = torch.from_numpy(mixture.means_)
                variances[index] = torch.from_numpy(mixture.covariances_)
        self.fitted.fill_(1)

    def frame_log_likelihood(self, frames: torch.Tensor) -> torch.Tensor:
        """Per-frame log-likelihoods (B, T, 2) of (B, T, D) frames under [spoof, bona fide], streams weighted."""
        x = frames.to(torch.float64)  # float64: the expanded quadratic form cancels badly in float32
        total = None
        start = 0
        for stream, (rows, weight) in enumerate(zip(self.cfg.stream_rows(), self.cfg.weights())):
            part = _mixture_log_likelihood(x[..., start : start + rows], *self.mixture(stream))
            total = weight * part if total is None else total + weight * part
            start += rows
        return total

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # The check reads a buffer's value, which graph capture (ONNX export) cannot do; it runs eagerly only.
        if not torch.compiler.is_compiling() and not int(self.fitted):
            raise ParameterError("gmm is not fitted yet (train it, or load a trained checkpoint)")
        ll = self.frame_log_likelihood(self.frames(x))  # (B, T, 2)
        return ll.mean(dim=1).to(x.dtype)  # (B, 2): [spoof, bona fide]


def _suffix(stream: int) -> str:
    # Stream 0 keeps the single-mixture names, so checkpoints from before streams load unchanged.
    return "" if stream == 0 else f"_{stream}"


def _mixture_log_likelihood(x: torch.Tensor, log_weights: torch.Tensor, means: torch.Tensor,
                            variances: torch.Tensor) -> torch.Tensor:
    """log p(x) of (B, T, D) float64 frames under two diagonal mixtures → (B, T, 2)."""
    precision = 1.0 / variances  # (2, K, D)
    # Σ_d (x−μ)²/σ² = x²·p − 2·x·(μp) + Σ μ²p, as matrix products (never a (B, T, K, D) tensor).
    quad = (
        torch.einsum("btd,ckd->btck", x.square(), precision)
        - 2.0 * torch.einsum("btd,ckd->btck", x, means * precision)
        + (means.square() * precision).sum(-1)
    )  # (B, T, 2, K)
    log_norm = -0.5 * (x.shape[-1] * math.log(2 * math.pi) + torch.log(variances).sum(-1))  # (2, K)
    return torch.logsumexp(log_weights + log_norm - 0.5 * quad, dim=-1)  # (B, T, 2)
