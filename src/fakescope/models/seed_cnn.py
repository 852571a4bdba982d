"""The seed CNN: the original design's classifier of 128×128 spectrogram images.

Three conv blocks (32 / 64 / 128 filters, 3×3 'same', ReLU, 2×2 max-pool), FC 128 + ReLU, dropout 0.5,
and 2 outputs. On 128×128 inputs the flattened map is 128 × 16 × 16. Inputs of another size are resized
bilinearly to `input_size` first, so the same network runs on any front-end (the original resized its
PNG spectrograms to 128×128 the same way).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from ..errors import ParameterError
from .blocks import ConvReluPool, InputNorm, check_spectrogram
from .registry import MODELS, SpoofModel


@dataclass
class SeedCNNConfig:
    input_size: tuple[int, int] = (128, 128)  # (F, T) the network sees
    dropout: float = 0.5
    input_norm: str = "utterance"

    def __post_init__(self) -> None:
        self.input_size = tuple(int(v) for v in self.input_size)
        if len(self.input_size) != 2 or min(self.input_size) < 8 or any(v % 8 for v in self.input_size):
            raise ParameterError(f"seed_cnn input_size must be two multiples of 8, >= 8, got {self.input_size}")
        if not 0.0 <= self.dropout < 1.0:
            raise ParameterError(f"dropout must be in [0, 1), got {self.dropout}")


@MODELS.register("seed_cnn")
class SeedCNN(SpoofModel):
    """(B, 1, F, T) → resize to (B, 1, 128, 128) → logits (B, 2). 4,287,362 parameters at 128×128."""

    name = "seed_cnn"
    Config = SeedCNNConfig

    def __init__(self, **params) -> None:
        super().__init__(**params)
        height, width = self.cfg.input_size
        self.norm = InputNorm(self.cfg.input_norm)
        self.features = nn.Sequential(ConvReluPool(1, 32), ConvReluPool(32, 64), ConvReluPool(64, 128))
        self.fc = nn.Linear(128 * (height // 8) * (width // 8), 128)
        self.dropout = nn.Dropout(self.cfg.dropout)
        self.out = nn.Linear(128, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_spectrogram(x, self.name)
        if tuple(x.shape[-2:]) != self.cfg.input_size:
            x = F.interpolate(x, size=self.cfg.input_size, mode="bilinear", align_corners=False)  # (B, 1, 128, 128)
        x = self.features(self.norm(x))  # (B, 128, 16, 16)
        x = self.dropout(torch.relu(self.fc(x.flatten(1))))  # (B, 128)
        return self.out(x)  # (B, 2)
