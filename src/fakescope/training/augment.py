"""Augmentation: SpecAugment, MixUp and CutMix on spectrogram batches, and laundering-in-the-loop on waveforms.

Batch augmentations take (B, 1, F, T) features, soft targets (B, 2) and an explicit np.random.Generator,
and return new tensors. Laundering runs per example on the waveform inside the dataset, through any
callable `attack(samples (C, T) float32, sample_rate, rng) -> samples` (the `fakescope.launder` package's
attacks, or your own), so the hook does not depend on that package's internals.
"""

from __future__ import annotations

import importlib
import inspect
from typing import Any, Callable

import numpy as np
import torch

from ..audio.ops import fix_length
from ..errors import ParameterError

Attack = Callable[[np.ndarray, int, np.random.Generator], np.ndarray]


def one_hot(labels: torch.Tensor) -> torch.Tensor:
    """(B,) class indices → (B, 2) float targets."""
    return torch.nn.functional.one_hot(labels.long(), num_classes=2).float()


class SpecAugment:
    """Frequency and time masking (Park et al. 2019) on (B, 1, F, T); masked cells take the example's mean."""

    def __init__(self, *, freq_masks: int = 2, max_freq_fraction: float = 0.1, time_masks: int = 2,
                 max_time_fraction: float = 0.1) -> None:
        if freq_masks < 0 or time_masks < 0:
            raise ParameterError(f"mask counts must be >= 0, got {freq_masks} and {time_masks}")
        for name, value in (("max_freq_fraction", max_freq_fraction), ("max_time_fraction", max_time_fraction)):
            if not 0.0 <= value <= 1.0:
                raise ParameterError(f"{name} must be in [0, 1], got {value}")
        self.freq_masks, self.time_masks = freq_masks, time_masks
        self.max_freq_fraction, self.max_time_fraction = max_freq_fraction, max_time_fraction

    def _masks(self, count: int, max_width: int, length: int, batch: int, rng: np.random.Generator) -> np.ndarray:
        mask = np.zeros((batch, length), dtype=bool)
        if max_width < 1:
            return mask
        for b in range(batch):
            for _ in range(count):
                width = int(rng.integers(0, max_width + 1))
                start = int(rng.integers(0, length - width + 1))
                mask[b, start : start + width] = True
        return mask

    def __call__(self, x: torch.Tensor, rng: np.random.Generator) -> torch.Tensor:
        batch, _, bins, frames = x.shape
        freq = self._masks(self.freq_masks, int(self.max_freq_fraction * bins), bins, batch, rng)  # (B, F)
        time = self._masks(self.time_masks, int(self.max_time_fraction * frames), frames, batch, rng)  # (B, T)
        mask = torch.from_numpy(freq[:, None, :, None] | time[:, None, None, :]).to(x.device)  # (B, 1, F, T)
        fill = x.mean(dim=(1, 2, 3), keepdim=True).expand_as(x)
        return torch.where(mask, fill, x)


def mixup(x: torch.Tensor, targets: torch.Tensor, *, alpha: float, rng: np.random.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """MixUp (Zhang et al. 2018): a convex mix of each example with a shuffled partner, targets mixed alike."""
    if not alpha > 0:
        raise ParameterError(f"mixup alpha must be > 0, got {alpha}")
    lam = float(rng.beta(alpha, alpha))
    order = torch.from_numpy(rng.permutation(x.shape[0])).to(x.device)
    return lam * x + (1 - lam) * x[order], lam * targets + (1 - lam) * targets[order]


def cutmix(x: torch.Tensor, targets: torch.Tensor, *, alpha: float, rng: np.random.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """CutMix (Yun et al. 2019): paste a (frequency × time) box from a shuffled partner; targets mixed by area."""
    if not alpha > 0:
        raise ParameterError(f"cutmix alpha must be > 0, got {alpha}")
    _, _, bins, frames = x.shape
    lam = float(rng.beta(alpha, alpha))
    cut = np.sqrt(1.0 - lam)
    height, width = int(round(bins * cut)), int(round(frames * cut))
    top = int(rng.integers(0, bins - height + 1))
    left = int(rng.integers(0, frames - width + 1))
    order = torch.from_numpy(rng.permutation(x.shape[0])).to(x.device)
    mixed = x.clone()
    mixed[:, :, top : top + height, left : left + width] = x[order][:, :, top : top + height, left : left + width]
    area = height * width / float(bins * frames)  # the exact pasted share, after rounding
    return mixed, (1 - area) * targets + area * targets[order]


class BatchAugment:
    """The configured batch augmentations in order: SpecAugment, then MixUp or CutMix on a share of batches."""

    def __init__(self, *, specaugment: SpecAugment | None = None, mixup_alpha: float = 0.0, cutmix_alpha: float = 0.0,
                 mix_probability: float = 0.5) -> None:
        if not 0.0 <= mix_probability <= 1.0:
            raise ParameterError(f"mix_probability must be in [0, 1], got {mix_probability}")
        self.specaugment = specaugment
        self.mixers = [(mixup, a) for a in [mixup_alpha] if a > 0] + [(cutmix, a) for a in [cutmix_alpha] if a > 0]
        self.mix_probability = mix_probability

    @classmethod
    def from_config(cls, config: Any) -> "BatchAugment":
        spec = None
        if config.specaugment:
            spec = SpecAugment(freq_masks=config.freq_masks, max_freq_fraction=config.max_freq_fraction,
                               time_masks=config.time_masks, max_time_fraction=config.max_time_fraction)
        return cls(specaugment=spec, mixup_alpha=config.mixup_alpha, cutmix_alpha=config.cutmix_alpha,
                   mix_probability=config.mix_probability)

    def __call__(self, x: torch.Tensor, targets: torch.Tensor, rng: np.random.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        if self.specaugment is not None:
            x = self.specaugment(x, rng)
        if self.mixers and rng.random() < self.mix_probability:
            mixer, alpha = self.mixers[int(rng.integers(len(self.mixers)))]
            x, targets = mixer(x, targets, alpha=alpha, rng=rng)
        return x, targets


class LaunderInTheLoop:
    """Applies `attack` to a share of training crops. Keeps the crop's shape and dtype even if an attack
    does not (length is cropped or repeat-padded back), so a faulty attack cannot break batching."""

    def __init__(self, attack: Attack, *, probability: float = 0.5) -> None:
        if not callable(attack):
            raise ParameterError(f"the laundering attack must be callable, got {type(attack).__name__}")
        if not 0.0 <= probability <= 1.0:
            raise ParameterError(f"launder probability must be in [0, 1], got {probability}")
        self.attack, self.probability = attack, probability

    def __call__(self, samples: np.ndarray, sample_rate: int, rng: np.random.Generator) -> np.ndarray:
        if rng.random() >= self.probability:
            return samples
        out = np.asarray(self.attack(samples, sample_rate, rng), dtype=np.float32)
        out = out.reshape(samples.shape[0], -1) if out.ndim != 2 else out
        if out.shape[-1] != samples.shape[-1]:
            out = fix_length(out, samples.shape[-1], mode="repeat")
        if not np.all(np.isfinite(out)):
            return samples  # a degenerate draw (e.g. a codec failure) must not poison the batch
        return out


def resolve_attack(spec: str | Attack) -> Attack:
    """A laundering callable from a spec, or a callable given directly.

    - `"package.module:name"` (a dotted module, then an attribute): imports it; a class is built with no
      arguments. Any callable `attack(samples, sample_rate, rng)` works, so the hook needs no particular package.
    - anything else is a `fakescope.launder` spec, e.g. `"random:default"` or `"noise:white:snr=10 | codec:mp3"`,
      read with `fakescope.launder.parse_attack` (only attacks that need no recordings: no noise/RIR folders here).
    Raises ParameterError when the spec cannot be resolved.
    """
    if callable(spec):
        return spec
    if not isinstance(spec, str) or not spec.strip():
        raise ParameterError(f"augment.launder must be a spec string or a callable, got {spec!r}")
    module_name, colon, attr = spec.partition(":")
    if colon and " " not in module_name and ("." in module_name or _is_plain_module(module_name)):
        return _import_callable(module_name, attr, spec)
    try:
        from ..launder import Resources, parse_attack
    except ImportError as exc:  # the launder package is optional for training
        raise ParameterError(f"augment.launder {spec!r} needs the fakescope.launder package ({exc})") from None
    attack = parse_attack(spec)
    attack.check_resources(Resources())  # fail now, not after an hour of training
    return attack


def _is_plain_module(name: str) -> bool:
    """An importable top-level module that is not also the name of a laundering attack."""
    import importlib.util

    try:
        from ..launder import ATTACKS

        if name in ATTACKS:
            return False
    except ImportError:
        pass
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def _import_callable(module_name: str, attr: str, spec: str) -> Attack:
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ParameterError(f"augment.launder: cannot import {module_name} ({exc})") from None
    target: Any = module
    for part in attr.split("."):
        if not hasattr(target, part):
            raise ParameterError(f"augment.launder: {module_name} has no {attr}")
        target = getattr(target, part)
    if inspect.isclass(target):
        target = target()
    if not callable(target):
        raise ParameterError(f"augment.launder: {spec} is not callable")
    return target


def launder_hook(config: Any) -> LaunderInTheLoop | None:
    """The laundering hook an AugmentConfig asks for, or None."""
    if not config.launder:
        return None
    return LaunderInTheLoop(resolve_attack(config.launder), probability=config.launder_probability)
