"""Grey-scale image morphology on spectrogram batches, in torch.

The original design filters spectrogram images with erosion, dilation, opening and closing before the CNN.
Each op equals `scipy.ndimage.grey_*` with a flat footprint (tests check exact equality); scipy has no
batched or GPU form, hence this one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn

from ..errors import ParameterError
from ..registry import Registry

MORPHOLOGY: Registry[Any] = Registry("morphology op")

SHAPES = ("rect", "ellipse", "cross")
# Border handling, by scipy.ndimage name → numpy.pad name.
BORDERS = {"nearest": "edge", "reflect": "symmetric", "mirror": "reflect"}


def structuring_element(size: tuple[int, int], shape: str = "rect") -> np.ndarray:
    """A boolean footprint of (rows, cols) = (frequency, time) extent. Sizes must be odd, so it has a centre."""
    rows, cols = (int(s) for s in size)
    if rows < 1 or cols < 1 or rows % 2 == 0 or cols % 2 == 0:
        raise ParameterError(f"structuring element size must be odd and >= 1 in both axes, got {size}")
    if shape == "rect":
        return np.ones((rows, cols), dtype=bool)
    if shape == "cross":
        element = np.zeros((rows, cols), dtype=bool)
        element[rows // 2, :] = True
        element[:, cols // 2] = True
        return element
    if shape == "ellipse":
        y = (np.arange(rows) - rows // 2)[:, None] / (rows / 2)
        x = (np.arange(cols) - cols // 2)[None, :] / (cols / 2)
        return (y**2 + x**2) <= 1.0
    raise ParameterError(f"shape must be one of {', '.join(SHAPES)}, got {shape!r}")


def _pad_indices(length: int, before: int, after: int, border: str) -> torch.Tensor:
    if border not in BORDERS:
        raise ParameterError(f"border must be one of {', '.join(BORDERS)}, got {border!r}")
    if border == "mirror" and length < 2:
        border = "nearest"  # a 1-wide axis has nothing to mirror
    return torch.from_numpy(np.pad(np.arange(length), (before, after), mode=BORDERS[border]))


def _filter(images: torch.Tensor, element: np.ndarray, border: str, reduce_max: bool) -> torch.Tensor:
    """Min (erosion) or max (dilation) over the footprint around each pixel. images: (B, C, H, W)."""
    if images.dim() != 4:
        raise ParameterError(f"expected a (batch, channels, freq, frames) tensor, got shape {tuple(images.shape)}")
    rows, cols = element.shape
    cy, cx = rows // 2, cols // 2
    height, width = images.shape[-2:]
    row_idx = _pad_indices(height, cy, rows - 1 - cy, border).to(images.device)
    col_idx = _pad_indices(width, cx, cols - 1 - cx, border).to(images.device)
    padded = images.index_select(-2, row_idx).index_select(-1, col_idx)  # (B, C, H + rows - 1, W + cols - 1)
    result = None
    combine = torch.maximum if reduce_max else torch.minimum
    for dy, dx in zip(*np.nonzero(element)):
        window = padded[..., dy : dy + height, dx : dx + width]
        result = window.clone() if result is None else combine(result, window)
    return result


def erode(images: torch.Tensor, element: np.ndarray, border: str = "nearest") -> torch.Tensor:
    return _filter(images, element, border, reduce_max=False)


def dilate(images: torch.Tensor, element: np.ndarray, border: str = "nearest") -> torch.Tensor:
    # scipy reflects the footprint for dilation; odd symmetric footprints are their own reflection,
    # and reflecting keeps any odd footprint right.
    return _filter(images, element[::-1, ::-1].copy(), border, reduce_max=True)


_OPS = {
    "erosion": lambda x, e, b: erode(x, e, b),
    "dilation": lambda x, e, b: dilate(x, e, b),
    "opening": lambda x, e, b: dilate(erode(x, e, b), e, b),
    "closing": lambda x, e, b: erode(dilate(x, e, b), e, b),
    "tophat_white": lambda x, e, b: x - dilate(erode(x, e, b), e, b),
    "tophat_black": lambda x, e, b: erode(dilate(x, e, b), e, b) - x,
}


@dataclass(frozen=True)
class MorphologySpec:
    """One morphology op as configuration: op name, (freq, time) size, shape and border mode."""

    op: str
    size: tuple[int, int] = (3, 3)
    shape: str = "rect"
    border: str = "nearest"

    @classmethod
    def parse(cls, text: str) -> "MorphologySpec":
        """Parse the CLI form `op[:RxC][:shape]`, e.g. `opening:3x5:ellipse` or `closing:5`."""
        parts = [p for p in text.strip().split(":") if p]
        if not parts:
            raise ParameterError("empty morphology spec; expected op[:RxC][:shape]")
        op, size, shape = parts[0], (3, 3), "rect"
        for part in parts[1:]:
            if part in SHAPES:
                shape = part
            else:
                try:
                    dims = [int(v) for v in part.lower().split("x")]
                except ValueError:
                    raise ParameterError(f"bad morphology size {part!r} in {text!r}; expected e.g. 3x5") from None
                size = (dims[0], dims[-1]) if len(dims) in (1, 2) else size
        return cls(op=op, size=size, shape=shape)

    def to_dict(self) -> dict[str, Any]:
        return {"op": self.op, "size": list(self.size), "shape": self.shape, "border": self.border}


class Morphology(nn.Module):
    """A morphology op as a module on (B, C, F, T) spectrogram batches; shape preserved."""

    def __init__(self, op: str, *, size: tuple[int, int] = (3, 3), shape: str = "rect", border: str = "nearest"):
        super().__init__()
        if op not in MORPHOLOGY:
            MORPHOLOGY.get(op)  # raises with the list of names
        if border not in BORDERS:
            raise ParameterError(f"border must be one of {', '.join(BORDERS)}, got {border!r}")
        self.spec = MorphologySpec(op=op, size=tuple(size), shape=shape, border=border)
        self.element = structuring_element(self.spec.size, shape)

    @classmethod
    def from_spec(cls, spec: MorphologySpec | str) -> "Morphology":
        spec = MorphologySpec.parse(spec) if isinstance(spec, str) else spec
        return cls(spec.op, size=spec.size, shape=spec.shape, border=spec.border)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return _OPS[self.spec.op](images, self.element, self.spec.border)


for _name in _OPS:
    MORPHOLOGY.register(_name)(lambda _n=_name, **kw: Morphology(_n, **kw))
