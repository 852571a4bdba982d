"""The LCNN of the LFCC-LCNN baseline (Wang & Yamagishi, Interspeech 2021; the ASVspoof 2021 LA/DF baseline).

A light CNN of max-feature-map convolutions with four 2×2 max-pools, reducing (F, T) by 16, then two bidirectional LSTM layers over the frames with a skip connection, the time average, and a linear
layer. Channel counts, kernels, the affine-free batch norms and dropout 0.7 follow the baseline.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from ..errors import ParameterError
from .blocks import BLSTM, InputNorm, check_spectrogram, mfm_conv
from .registry import MODELS, SpoofModel


@dataclass
class LCNNConfig:
    num_bins: int = 60  # F: LFCC 20 + deltas + delta-deltas in the baseline
    dropout: float = 0.7
    input_norm: str = "utterance"

    def __post_init__(self) -> None:
        if self.num_bins < 16:
            raise ParameterError(f"lcnn needs num_bins >= 16 (four 2x pools), got {self.num_bins}")
        if not 0.0 <= self.dropout < 1.0:
            raise ParameterError(f"dropout must be in [0, 1), got {self.dropout}")


def _bn(channels: int) -> nn.BatchNorm2d:
    return nn.BatchNorm2d(channels, affine=False)


@MODELS.register("lcnn")
class LCNN(SpoofModel):
    """(B, 1, F, T) → logits (B, 2); F must equal `num_bins`, T ≥ 16 frames.

    Shapes: conv stack (B, 32, F/16, T/16) → frames (B, T/16, 32·F/16) → 2 × BLSTM (same width) →
    (BLSTM out + skip) averaged over time (B, 32·F/16) → linear (B, 2). 269,826 parameters at F = 60.
    """

    name = "lcnn"
    Config = LCNNConfig
    needs_num_bins = True

    def __init__(self, **params) -> None:
        super().__init__(**params)
        self.norm = InputNorm(self.cfg.input_norm)
        self.features = nn.Sequential(
            mfm_conv(1, 32, 5),  # (B, 32, F, T)
            nn.MaxPool2d(2),  # (B, 32, F/2, T/2)
            mfm_conv(32, 32, 1), _bn(32),
            mfm_conv(32, 48, 3),
            nn.MaxPool2d(2), _bn(48),  # (B, 48, F/4, T/4)
            mfm_conv(48, 48, 1), _bn(48),
            mfm_conv(48, 64, 3),
            nn.MaxPool2d(2),  # (B, 64, F/8, T/8)
            mfm_conv(64, 64, 1), _bn(64),
            mfm_conv(64, 32, 3), _bn(32),
            mfm_conv(32, 32, 1), _bn(32),
            mfm_conv(32, 32, 3),
            nn.MaxPool2d(2),  # (B, 32, F/16, T/16)
            nn.Dropout(self.cfg.dropout),
        )
        width = 32 * (self.cfg.num_bins // 16)
        self.blstm = nn.Sequential(BLSTM(width), BLSTM(width))
        self.out = nn.Linear(width, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_spectrogram(x, self.name)
        if x.shape[2] != self.cfg.num_bins:
            raise ParameterError(f"lcnn was built for {self.cfg.num_bins} frequency rows, got {x.shape[2]}")
        if x.shape[3] < 16:
            raise ParameterError(f"lcnn needs at least 16 frames, got {x.shape[3]}")
        hidden = self.features(self.norm(x))  # (B, 32, F/16, T/16)
        frames = hidden.permute(0, 3, 1, 2).flatten(2)  # (B, T/16, 32·F/16)
        pooled = (self.blstm(frames) + frames).mean(dim=1)  # (B, 32·F/16)
        return self.out(pooled)  # (B, 2)
