"""The experiment configuration: dataclasses with YAML in/out, so one file describes a run completely.

Sections: data, frontend (a `FrontEnd.config()` dict), morphology (op specs), model (a `SpoofModel.config()`
dict), augment and train. Unknown keys are errors naming the key, so a typo never silently runs a default.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ..audio.ops import PAD_MODES
from ..errors import ParameterError
from ..fileio import read_yaml

BALANCE_MODES = ("sampler", "loss", "none")


@dataclass
class DataConfig:
    manifest: str | None = None  # audio mode: the manifest; train/dev rows chosen by its split column
    train_split: list[str] = field(default_factory=lambda: ["train"])
    dev_split: list[str] = field(default_factory=lambda: ["dev"])
    image_dirs: dict[str, str] | None = None  # image mode: {"train": DIR, "dev": DIR}, each with index.csv or real/ fake/
    image_size: list[int] = field(default_factory=lambda: [128, 128])  # (height = F, width = T)
    sample_rate: int = 16000
    crop_seconds: float = 4.0  # random crop while training, first crop_seconds at dev/eval
    # Shorter files: "repeat" tiles them to crop_seconds; "none" keeps them as they are (models fitted in closed
    # form, which pool over frames; see audio.ops.model_crop). Stored in the checkpoint: scoring does the same.
    pad: str = "repeat"
    balance: str = "sampler"  # class-balanced sampling, a class-weighted loss, or neither
    cache_audio: bool = True  # decode every file once and keep it in memory
    skip_bad_files: bool = False  # list unreadable files and go on, instead of stopping
    num_workers: int = 0

    def check(self) -> None:
        if (self.manifest is None) == (self.image_dirs is None):
            raise ParameterError("data needs exactly one of manifest (audio) or image_dirs (PNG spectrograms)")
        if self.balance not in BALANCE_MODES:
            raise ParameterError(f"data.balance must be one of {', '.join(BALANCE_MODES)}, got {self.balance!r}")
        if not self.crop_seconds > 0:
            raise ParameterError(f"data.crop_seconds must be > 0, got {self.crop_seconds}")
        if self.pad not in PAD_MODES:
            raise ParameterError(f"data.pad must be one of {', '.join(PAD_MODES)}, got {self.pad!r}")
        if self.image_dirs is not None and not {"train", "dev"} <= set(self.image_dirs):
            raise ParameterError(f"data.image_dirs needs train and dev folders, got {sorted(self.image_dirs)}")
        if len(self.image_size) != 2 or min(self.image_size) < 8:
            raise ParameterError(f"data.image_size must be [height, width] >= 8, got {self.image_size}")

    @property
    def image_mode(self) -> bool:
        return self.image_dirs is not None


@dataclass
class AugmentConfig:
    specaugment: bool = True
    freq_masks: int = 2
    max_freq_fraction: float = 0.1  # widest frequency mask, as a share of F
    time_masks: int = 2
    max_time_fraction: float = 0.1
    mixup_alpha: float = 0.0  # 0 = off; Beta(alpha, alpha) mixing weights
    cutmix_alpha: float = 0.0
    mix_probability: float = 0.5  # share of batches mixed (MixUp or CutMix, one of those enabled)
    launder: str | None = None  # a fakescope.launder spec ("random:default") or "package.module:callable"
    launder_probability: float = 0.5


@dataclass
class TrainConfig:
    epochs: int = 30
    batch_size: int = 32  # per process under torchrun
    lr: float = 1e-3
    weight_decay: float = 1e-4
    lr_schedule: str = "cosine"  # or "constant"
    grad_clip: float = 5.0
    patience: int = 5  # epochs without a better dev EER before stopping
    seed: int = 0
    amp: bool = True  # mixed precision on CUDA (ignored on CPU)
    device: str = "auto"
    pretrained: str | None = None  # resnet18 only: a torchvision-format ImageNet state-dict file

    def check(self) -> None:
        for name in ("epochs", "batch_size", "patience"):
            if int(getattr(self, name)) < 1:
                raise ParameterError(f"train.{name} must be >= 1, got {getattr(self, name)}")
        if not self.lr > 0:
            raise ParameterError(f"train.lr must be > 0, got {self.lr}")
        if self.lr_schedule not in ("cosine", "constant"):
            raise ParameterError(f"train.lr_schedule must be 'cosine' or 'constant', got {self.lr_schedule!r}")


@dataclass
class ExperimentConfig:
    data: DataConfig = field(default_factory=DataConfig)
    frontend: dict[str, Any] | None = field(default_factory=lambda: {"name": "lfcc"})
    morphology: list[Any] = field(default_factory=list)
    model: dict[str, Any] = field(default_factory=lambda: {"name": "lcnn"})
    augment: AugmentConfig = field(default_factory=AugmentConfig)
    train: TrainConfig = field(default_factory=TrainConfig)

    def check(self) -> None:
        self.data.check()
        self.train.check()
        if not self.model or "name" not in self.model:
            raise ParameterError("model needs a name (see `fakescope list`)")
        if not self.data.image_mode and (not self.frontend or "name" not in self.frontend):
            raise ParameterError("audio mode needs a frontend with a name (see `fakescope list`)")

    def resolve_frontend_rate(self) -> None:
        """Give the front-end the data's sample rate unless it names its own (which must agree). Training does
        this before saving the config, so a config compared with a saved one must be resolved first."""
        if self.frontend is None or self.data.image_mode:
            return
        self.frontend.setdefault("sample_rate", self.data.sample_rate)
        if int(self.frontend["sample_rate"]) != self.data.sample_rate:
            raise ParameterError(f"frontend.sample_rate {self.frontend['sample_rate']} differs from data.sample_rate "
                                 f"{self.data.sample_rate}")

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


_SECTIONS = {"data": DataConfig, "augment": AugmentConfig, "train": TrainConfig}


def config_from_dict(data: dict[str, Any], *, where: str = "config") -> ExperimentConfig:
    """Build and check an ExperimentConfig from nested dicts (missing keys keep their defaults)."""
    if not isinstance(data, dict):
        raise ParameterError(f"{where}: expected a mapping at the top level, got {type(data).__name__}")
    unknown = sorted(set(data) - {f.name for f in dataclasses.fields(ExperimentConfig)})
    if unknown:
        raise ParameterError(f"{where}: unknown section(s) {', '.join(unknown)}")
    kwargs: dict[str, Any] = {}
    for name, value in data.items():
        if name in _SECTIONS:
            cls = _SECTIONS[name]
            value = value or {}
            bad = sorted(set(value) - {f.name for f in dataclasses.fields(cls)})
            if bad:
                raise ParameterError(f"{where}: unknown key(s) {', '.join(f'{name}.{k}' for k in bad)}")
            kwargs[name] = cls(**value)
        else:
            kwargs[name] = value
    config = ExperimentConfig(**kwargs)
    if config.morphology is None:
        config.morphology = []
    config.check()
    return config


def set_path(data: dict[str, Any], dotted: str, value: Any) -> None:
    """Set `a.b.c` in nested dicts, creating levels as needed (for `--set` overrides)."""
    keys = dotted.split(".")
    node = data
    for key in keys[:-1]:
        if node.get(key) is None:
            node[key] = {}
        node = node[key]
        if not isinstance(node, dict):
            raise ParameterError(f"cannot set {dotted}: {key} is not a section")
    node[keys[-1]] = value


def load_config(
    path: str | os.PathLike | None = None, *, overrides: dict[str, Any] | None = None,
    names: dict[str, str | None] | None = None,
) -> ExperimentConfig:
    """Read a YAML experiment file (or start from defaults) and apply overrides.

    names: {"frontend": "mel", "model": "lcnn"} picks a section's registered name; a different name than the
    file's replaces the whole section (the old one's parameters would not fit), the same name keeps them.
    overrides: dotted keys, `{"train.epochs": 5}`, applied last.
    Relative paths inside the file (manifest, image folders, pretrained weights) are resolved against
    the file's folder, so a config works from any working directory.
    """
    data: dict[str, Any] = {}
    where = "config"
    if path is not None:
        path = Path(path)
        where = str(path)
        if not path.is_file():
            raise ParameterError(f"{path}: config file not found")
        data = read_yaml(path) or {}
        _resolve_paths(data, path.parent)
    for section, name in (names or {}).items():
        if name is None:
            continue
        current = data.get(section) if isinstance(data.get(section), dict) else None
        if current is None or current.get("name") != name:
            data[section] = {"name": name}
    for dotted, value in (overrides or {}).items():
        set_path(data, dotted, value)
    return config_from_dict(data, where=where)


def _resolve_paths(data: dict[str, Any], base: Path) -> None:
    def resolve(value: Any) -> Any:
        return str((base / value).resolve()) if isinstance(value, str) and not os.path.isabs(value) else value

    section = data.get("data") or {}
    if "manifest" in section:
        section["manifest"] = resolve(section["manifest"])
    if isinstance(section.get("image_dirs"), dict):
        section["image_dirs"] = {k: resolve(v) for k, v in section["image_dirs"].items()}
    train = data.get("train") or {}
    if train.get("pretrained"):
        train["pretrained"] = resolve(train["pretrained"])


def save_config(config: ExperimentConfig, path: str | os.PathLike) -> Path:
    """Write the resolved config as YAML."""
    path = Path(path)
    path.write_text(yaml.safe_dump(config.to_dict(), sort_keys=False), encoding="utf-8")
    return path
