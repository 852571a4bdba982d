"""The attack contract, the ATTACKS registry and the run-time resources attacks may draw on.

An attack is a frozen dataclass: its fields are its whole configuration (serialisable to a dict, a YAML
file or a one-line spec such as `noise:babble:snr=10`), and calling it is deterministic given the
`np.random.Generator` passed in (DESIGN.md §3.3, after lhotse's compress transform):

    out = attack(samples, sample_rate, rng)        # (C, T) float32 → (C, T) float32, same rate

Recordings (noise, measured room responses, babble talkers) are not configuration but material, so they
travel separately in `Resources` and are passed as a keyword: `attack(x, rate, rng, resources=res)`.
"""

from __future__ import annotations

import dataclasses
from abc import ABC, abstractmethod
import math
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from ..errors import ParameterError
from ..registry import Registry

if TYPE_CHECKING:  # pragma: no cover - typing only
    from .library import BabblePool, RecordingLibrary

ATTACKS: Registry[type["Attack"]] = Registry("attack")


@dataclass(frozen=True)
class Resources:
    """Recordings some attacks need: noise and RIR libraries, a babble pool, and who is being attacked.

    `utt_id` and `speaker` name the utterance under attack so babble never mixes a talker with itself.
    """

    noise: "RecordingLibrary | None" = None
    rirs: "RecordingLibrary | None" = None
    babble: "BabblePool | None" = None
    utt_id: str = ""
    speaker: str = ""

    def for_item(self, *, utt_id: str = "", speaker: str = "") -> "Resources":
        """The same resources, marked as attacking utterance `utt_id` of `speaker`."""
        return dataclasses.replace(self, utt_id=utt_id, speaker=speaker)


NO_RESOURCES = Resources()


class Attack(ABC):
    """Base of every laundering attack. Subclasses are frozen dataclasses registered in ATTACKS.

    Class attributes: `name` (registry name), `positional` (fields a spec may give without `key=`,
    in order: `codec:mp3` sets `codec`), `aliases` (short spec keys: `snr` → `snr_db`).
    Subclasses implement `apply` and validate their fields eagerly in `__post_init__`.
    """

    name: ClassVar[str] = ""
    positional: ClassVar[tuple[str, ...]] = ()
    aliases: ClassVar[dict[str, str]] = {}
    shown: ClassVar[tuple[str, ...]] = ()  # fields a spec always writes, even at their default

    def __call__(
        self,
        samples: np.ndarray,
        sample_rate: int,
        rng: np.random.Generator,
        *,
        resources: Resources | None = None,
    ) -> np.ndarray:
        """Attack `samples` (C, T) float32 at `sample_rate`; returns (C, T) float32 at the same rate."""
        check_signal(samples, sample_rate)
        if not isinstance(rng, np.random.Generator):
            raise ParameterError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
        resolved = self.resolve(rng)
        out = resolved.apply(samples, int(sample_rate), rng, resources or NO_RESOURCES)
        return _conform(resolved, out, samples.shape)

    def resolve(self, rng: np.random.Generator) -> "Attack":
        """The concrete attack to apply: itself, or for random attacks the chain drawn from `rng`."""
        return self

    @abstractmethod
    def apply(self, samples: np.ndarray, sample_rate: int, rng: np.random.Generator, resources: Resources) -> np.ndarray:
        """The transform itself, on validated input. (C, T) float32 → (C, T)."""

    def check_resources(self, resources: Resources) -> None:
        """Raise ParameterError now if `resources` lack what this attack will need (fail before a long run)."""

    def params(self) -> dict[str, Any]:
        """The fields that configure this attack, by name."""
        return {f.name: getattr(self, f.name) for f in fields(self)}  # type: ignore[arg-type]

    def to_dict(self) -> dict[str, Any]:
        """`{"name": ..., **params}`: what YAML files and checkpoints store."""
        return {"name": self.name, **{k: _plain(v) for k, v in self.params().items()}}

    def to_spec(self) -> str:
        """The one-line spec (`noise:babble:snr=10`) that `parse_attack` turns back into this attack.

        Positional values are always written (unless empty), so `bandpass:300:3400` reads in full;
        other fields only when they differ from their default or are listed in `shown`.
        """
        short: dict[str, str] = {}
        for key, full in self.aliases.items():
            short.setdefault(full, key)  # the first alias listed is the one written
        values = self.params()
        defaults = {f.name: f.default for f in fields(self)}  # type: ignore[arg-type]
        parts = [self.name]
        for key in self.positional:
            if values[key] in ("", None):
                break
            parts.append(format_value(values[key]))
        written = set(self.positional[: len(parts) - 1])
        for key, value in values.items():
            if key in written or (value == defaults[key] and key not in self.shown):
                continue
            parts.append(f"{short.get(key, key)}={format_value(value)}")
        return ":".join(parts)

    def __str__(self) -> str:
        return self.to_spec()


def check_signal(samples: Any, sample_rate: Any) -> None:
    """Raise ParameterError unless `samples` is a finite (C, T) float32 array with T > 0 and the rate > 0."""
    if not isinstance(samples, np.ndarray) or samples.ndim != 2:
        raise ParameterError(f"samples must be a (channels, time) array, got shape {np.shape(samples)}")
    if samples.dtype != np.float32:
        raise ParameterError(f"samples must be float32, got {samples.dtype}")
    if samples.shape[0] < 1 or samples.shape[1] < 1:
        raise ParameterError(f"samples must hold at least one channel and one sample, got shape {samples.shape}")
    if not np.isfinite(samples).all():
        raise ParameterError("samples contain NaN or Inf")
    if not isinstance(sample_rate, (int, np.integer)) or sample_rate <= 0:
        raise ParameterError(f"sample_rate must be a positive integer, got {sample_rate!r}")


def _conform(attack: Attack, out: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    # A wrong shape or a NaN here is a bug in the attack, not a user error: fail loudly.
    if out.shape != shape:
        raise RuntimeError(f"attack {attack.to_spec()!r} returned shape {out.shape}, expected {shape}")
    out = np.ascontiguousarray(out, dtype=np.float32)
    if not np.isfinite(out).all():
        raise RuntimeError(f"attack {attack.to_spec()!r} produced NaN or Inf")
    return out


def format_value(value: Any) -> str:
    """A spec value as text: integral floats without '.0', other floats as repr (exact round trip)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if value is None:
        return "null"
    return str(value)


def _plain(value: Any) -> Any:
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    if hasattr(value, "to_dict"):
        return value.to_dict()
    return value


def check_range(name: str, value: float, low: float, high: float, *, low_open: bool = False) -> None:
    """Raise ParameterError naming the allowed range unless low <= value <= high (low < value if low_open)."""
    ok = (value > low if low_open else value >= low) and value <= high and math.isfinite(value)
    if not ok:
        bracket = "(" if low_open else "["
        raise ParameterError(f"{name} must be in {bracket}{low:g}, {high:g}], got {value}")


def check_choice(name: str, value: str, choices: tuple[str, ...] | list[str]) -> None:
    """Raise ParameterError naming the choices unless `value` is one of them."""
    if value not in choices:
        raise ParameterError(f"{name} must be one of {', '.join(choices)}, got {value!r}")


def signal_power(samples: np.ndarray) -> float:
    """Mean square over every channel and sample (float64 accumulation)."""
    return float(np.mean(np.square(samples, dtype=np.float64)))


@ATTACKS.register("clean")
@dataclass(frozen=True)
class Clean(Attack):
    """No attack: the reference condition of every grid."""

    name: ClassVar[str] = "clean"

    def apply(self, samples, sample_rate, rng, resources):
        return samples.copy()
