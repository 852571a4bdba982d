"""Building blocks shared by the networks: input normalisation, max-feature-map, conv and residual blocks.

Every block documents its shapes; the networks in this package are composed of these and nothing else.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from ..errors import ParameterError

NORM_MODES = ("none", "utterance", "frequency")


def check_spectrogram(x: torch.Tensor, model: str) -> None:
    """Raise ParameterError unless `x` is a (B, 1, F, T) batch."""
    if x.dim() != 4 or x.shape[1] != 1:
        raise ParameterError(f"{model} expects a (batch, 1, freq, frames) tensor, got shape {tuple(x.shape)}")


def loudest_frame_index(x: torch.Tensor, keep: float, energy_row: int) -> torch.Tensor:
    """Indices (B, T'), in time order, of the ⌈keep · T⌉ loudest frames of (B, 1, F, T) features.

    Loudness is row `energy_row` (e.g. LFCC's c0) or, with -1, the mean over all rows (a log spectrogram's
    mean level). Models that look only at these frames never see pauses, whose content is the recording's
    noise floor and silence length (shortcuts, DESIGN.md §5), or nothing but the noise when there is noise.
    """
    energy = x[:, 0].mean(dim=1) if energy_row == -1 else x[:, 0, energy_row, :]  # (B, T)
    count = max(1, math.ceil(keep * energy.shape[-1]))
    return energy.topk(count, dim=-1).indices.sort(dim=-1).values


class InputNorm(nn.Module):
    """Parameter-free normalisation of a spectrogram batch, (B, 1, F, T) → (B, 1, F, T).

    "utterance": zero mean, unit variance over each example's whole (F, T) plane, so a dB offset
    (recording gain) carries no information; "frequency": the same per row over time (cepstral mean and
    variance normalisation); "none": identity (PNG images already scaled to [0, 1]).
    """

    def __init__(self, mode: str = "utterance", eps: float = 1e-5) -> None:
        super().__init__()
        if mode not in NORM_MODES:
            raise ParameterError(f"input_norm must be one of {', '.join(NORM_MODES)}, got {mode!r}")
        self.mode = mode
        self.eps = eps

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.mode == "none":
            return x
        dims = (1, 2, 3) if self.mode == "utterance" else (3,)
        mean = x.mean(dim=dims, keepdim=True)
        std = x.std(dim=dims, keepdim=True, unbiased=False)
        return (x - mean) / (std + self.eps)


class MaxFeatureMap(nn.Module):
    """Max-feature-map (Wu et al., LightCNN): split the channels in two halves, keep the element-wise max.

    (B, 2C, H, W) → (B, C, H, W). It halves the channels and acts as a competitive activation.
    """

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.shape[1] % 2:
            raise ParameterError(f"max-feature-map needs an even channel count, got {x.shape[1]}")
        first, second = x.chunk(2, dim=1)
        return torch.maximum(first, second)


def mfm_conv(in_channels: int, out_channels: int, kernel: int) -> nn.Sequential:
    """Conv with 2·out_channels filters followed by max-feature-map: (B, in, H, W) → (B, out, H, W)."""
    return nn.Sequential(nn.Conv2d(in_channels, 2 * out_channels, kernel, stride=1, padding=kernel // 2), MaxFeatureMap())


class ConvReluPool(nn.Module):
    """3×3 conv ('same' padding) → ReLU → 2×2 max-pool: (B, in, H, W) → (B, out, H/2, W/2)."""

    def __init__(self, in_channels: int, out_channels: int) -> None:
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, kernel_size=3, padding=1)
        self.pool = nn.MaxPool2d(2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.pool(torch.relu(self.conv(x)))


class BasicBlock(nn.Module):
    """The two-conv residual block of ResNet-18/34, named as torchvision names it so its weights load.

    (B, in, H, W) → (B, out, ceil(H/stride), ceil(W/stride)).
    """

    def __init__(self, in_channels: int, out_channels: int, stride: int = 1) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, out_channels, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(out_channels)
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, stride=1, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(out_channels)
        self.downsample: nn.Module | None = None
        if stride != 1 or in_channels != out_channels:
            self.downsample = nn.Sequential(
                nn.Conv2d(in_channels, out_channels, 1, stride=stride, bias=False), nn.BatchNorm2d(out_channels)
            )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        identity = x if self.downsample is None else self.downsample(x)
        out = torch.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return torch.relu(out + identity)


class BLSTM(nn.Module):
    """A bidirectional LSTM whose two directions together keep the width: (B, T, D) → (B, T, D)."""

    def __init__(self, dim: int) -> None:
        super().__init__()
        if dim % 2:
            raise ParameterError(f"a BLSTM layer needs an even width, got {dim}")
        self.lstm = nn.LSTM(dim, dim // 2, batch_first=True, bidirectional=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out, _ = self.lstm(x)
        return out
