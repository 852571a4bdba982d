"""ResNet-18 with a one-channel stem, written here because torchvision is not installable beside CPU torch.

Layer names follow torchvision's `resnet18`, so an ImageNet state-dict in torchvision format (a file the
user provides; nothing is downloaded) loads directly: the RGB stem is averaged to one channel and the
1000-class head is skipped. Global average pooling makes it accept any (F, T) of at least 32 × 32.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from ..errors import CheckpointError, ParameterError
from .blocks import BasicBlock, InputNorm, check_spectrogram
from .registry import MODELS, SpoofModel


@dataclass
class ResNet18Config:
    dropout: float = 0.0
    input_norm: str = "utterance"
    width: int = 64  # channels of the first stage; 64 is ResNet-18 proper

    def __post_init__(self) -> None:
        if not 0.0 <= self.dropout < 1.0:
            raise ParameterError(f"dropout must be in [0, 1), got {self.dropout}")
        if self.width < 8:
            raise ParameterError(f"width must be >= 8, got {self.width}")


@MODELS.register("resnet18")
class ResNet18(SpoofModel):
    """(B, 1, F, T) → logits (B, 2). Stem: 7×7/2 conv with one input channel, 3×3/2 max-pool.

    11,171,266 parameters at width 64 (torchvision's 11,689,512 minus two stem input channels and the
    1000-class head, plus a 2-class head).
    """

    name = "resnet18"
    Config = ResNet18Config

    def __init__(self, **params) -> None:
        super().__init__(**params)
        w = self.cfg.width
        self.norm = InputNorm(self.cfg.input_norm)
        self.conv1 = nn.Conv2d(1, w, kernel_size=7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(w)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.layer1 = nn.Sequential(BasicBlock(w, w), BasicBlock(w, w))
        self.layer2 = nn.Sequential(BasicBlock(w, 2 * w, stride=2), BasicBlock(2 * w, 2 * w))
        self.layer3 = nn.Sequential(BasicBlock(2 * w, 4 * w, stride=2), BasicBlock(4 * w, 4 * w))
        self.layer4 = nn.Sequential(BasicBlock(4 * w, 8 * w, stride=2), BasicBlock(8 * w, 8 * w))
        self.dropout = nn.Dropout(self.cfg.dropout)
        self.fc = nn.Linear(8 * w, 2)
        for module in self.modules():
            if isinstance(module, nn.Conv2d):
                nn.init.kaiming_normal_(module.weight, mode="fan_out", nonlinearity="relu")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_spectrogram(x, self.name)
        x = self.maxpool(torch.relu(self.bn1(self.conv1(self.norm(x)))))  # (B, 64, F/4, T/4)
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))  # (B, 512, F/32, T/32)
        x = x.mean(dim=(2, 3))  # (B, 512)
        return self.fc(self.dropout(x))  # (B, 2)


def load_imagenet_weights(model: ResNet18, path: str | os.PathLike) -> list[str]:
    """Initialise `model` from a torchvision-format ResNet-18 state-dict file (.pth/.pt or .safetensors).

    The file is read with `torch.load(weights_only=True)` (never unpickling code). The stem's RGB
    filters are averaged to one channel; `fc.*` (1000 ImageNet classes) is skipped. Returns the names
    of the tensors left at their fresh initialisation. Raises CheckpointError naming the file.
    """
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"{path}: ImageNet weights file not found")
    try:
        if path.suffix == ".safetensors":
            from safetensors.torch import load_file

            state = load_file(str(path))
        else:
            state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # noqa: BLE001 - any decoding failure is the file's fault
        raise CheckpointError(f"{path}: cannot read a state-dict ({type(exc).__name__}: {exc})") from None
    if isinstance(state, dict) and "state_dict" in state and isinstance(state["state_dict"], dict):
        state = state["state_dict"]
    if not isinstance(state, dict) or "conv1.weight" not in state:
        raise CheckpointError(f"{path}: not a torchvision ResNet state-dict (no conv1.weight)")
    own = model.state_dict()
    loaded: dict[str, torch.Tensor] = {}
    for key, tensor in state.items():
        if key.startswith("fc.") or key not in own:
            continue
        if key == "conv1.weight" and tensor.dim() == 4 and tensor.shape[1] == 3:
            # RGB → grey by averaging; the batch-norm right after the stem absorbs the 1/3 scale.
            tensor = tensor.mean(dim=1, keepdim=True)
        if tuple(tensor.shape) != tuple(own[key].shape):
            raise CheckpointError(
                f"{path}: {key} has shape {tuple(tensor.shape)}, expected {tuple(own[key].shape)} (width {model.cfg.width})"
            )
        loaded[key] = tensor.to(own[key].dtype)
    if not any(k.startswith("layer4.") for k in loaded):
        raise CheckpointError(f"{path}: holds no ResNet-18 layer weights")
    model.load_state_dict(loaded, strict=False)
    return sorted(k for k in own if k not in loaded)
