"""Chains of attacks and the three ways to write one: a spec line, a dict (YAML/JSON), or a YAML file.

Spec grammar: attacks separated by `|`, each `name[:value...][:key=value...]`, where bare values fill the
attack's positional fields in order and keys may use the attack's short aliases:

    noise:babble:snr=10 | codec:mp3:bitrate=64 | reverb:0.6:room=fixed

A YAML file holds a spec string, a list of specs or dicts (a chain), or one dict `{name: ..., key: value}`.
"""

from __future__ import annotations

import dataclasses
import os
import re
import types
import typing
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from ..errors import ParameterError
from .base import ATTACKS, Attack, Clean, Resources, _conform

_YAML_SUFFIXES = (".yaml", ".yml", ".json")


@dataclass(frozen=True)
class Chain(Attack):
    """Attacks applied in order, each to the previous one's output (one rng threads through them all)."""

    name: ClassVar[str] = "chain"

    attacks: tuple[Attack, ...] = ()

    def __post_init__(self) -> None:
        flat: list[Attack] = []
        for attack in self.attacks:
            if not isinstance(attack, Attack):
                raise ParameterError(f"a chain holds attacks, got {type(attack).__name__}")
            flat.extend(attack.attacks if isinstance(attack, Chain) else [attack])
        object.__setattr__(self, "attacks", tuple(flat))

    def resolve(self, rng: np.random.Generator) -> Attack:
        return Chain(tuple(attack.resolve(rng) for attack in self.attacks))

    def apply(self, samples, sample_rate, rng, resources):
        out = samples
        for attack in self.attacks:
            out = _conform(attack, attack.apply(out, sample_rate, rng, resources), samples.shape)
        return out if out is not samples else samples.copy()

    def check_resources(self, resources: Resources) -> None:
        for attack in self.attacks:
            attack.check_resources(resources)

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "attacks": [attack.to_dict() for attack in self.attacks]}

    def to_spec(self) -> str:
        return " | ".join(attack.to_spec() for attack in self.attacks) if self.attacks else Clean().to_spec()


def parse_attack(spec: "str | os.PathLike | Mapping | Sequence | Attack") -> Attack:
    """An attack from a spec line, a YAML/JSON file path, a dict, a list (a chain) or an Attack."""
    if isinstance(spec, Attack):
        return spec
    if isinstance(spec, os.PathLike) or (isinstance(spec, str) and spec.strip().lower().endswith(_YAML_SUFFIXES)):
        return load_attack(spec)
    if isinstance(spec, str):
        parts = [part.strip() for part in spec.split("|")]
        if not all(parts):
            raise ParameterError(f"empty attack in spec {spec!r}")
        attacks = [parse_one(part) for part in parts]
        return attacks[0] if len(attacks) == 1 else Chain(tuple(attacks))
    if isinstance(spec, Mapping):
        return attack_from_dict(spec)
    if isinstance(spec, Sequence):
        attacks = [parse_attack(item) for item in spec]
        if not attacks:
            raise ParameterError("an attack chain needs at least one attack")
        return attacks[0] if len(attacks) == 1 else Chain(tuple(attacks))
    raise ParameterError(f"cannot read an attack from {type(spec).__name__}")


def split_spec(text: str) -> tuple[type[Attack], dict[str, str]]:
    """`name:v1:key=v2` → (attack class, {field: raw text}) with positional values and aliases resolved."""
    tokens = [token.strip() for token in text.strip().split(":")]
    cls = ATTACKS.get(tokens[0])
    raw: dict[str, str] = {}
    position = 0
    for token in tokens[1:]:
        if "=" in token:
            key, value = (part.strip() for part in token.split("=", 1))
            key = cls.aliases.get(key, key)
        else:
            if position >= len(cls.positional):
                allowed = ", ".join(cls.positional) or "none"
                raise ParameterError(f"{text!r}: {cls.name} takes positional values for ({allowed}), got extra {token!r}")
            key, value = cls.positional[position], token
            position += 1
        if key in raw:
            raise ParameterError(f"{text!r}: {key} is given twice")
        raw[key] = value
    return cls, raw


def parse_one(text: str) -> Attack:
    """One attack from `name:value:key=value` (no `|`)."""
    cls, raw = split_spec(text)
    return build_attack(cls, raw, where=repr(text))


def attack_from_dict(data: Mapping[str, Any]) -> Attack:
    """Inverse of `Attack.to_dict`: `{"name": "noise", "kind": "babble", "snr_db": 10}` (aliases accepted)."""
    data = dict(data)
    if "attack" in data and "name" not in data:
        return parse_attack(data["attack"])
    name = data.pop("name", None)
    if not name:
        raise ParameterError(f"an attack dict needs a 'name' (one of {', '.join(ATTACKS.names())}), got {data}")
    if name == Chain.name:
        return Chain(tuple(parse_attack(item) for item in data.get("attacks", [])))
    cls = ATTACKS.get(str(name))
    params = {cls.aliases.get(str(key), str(key)): value for key, value in data.items()}
    return build_attack(cls, params, where=f"attack {name!r}")


def build_attack(cls: type[Attack], params: Mapping[str, Any], *, where: str) -> Attack:
    """Instantiate `cls` from raw values (spec text or YAML scalars), converting each to its field's type."""
    hints = typing.get_type_hints(cls)
    names = [f.name for f in dataclasses.fields(cls)]  # type: ignore[arg-type]
    kwargs = {}
    for key, value in params.items():
        if key not in names:
            raise ParameterError(f"{where}: {cls.name} has no parameter {key!r}; parameters: {', '.join(names) or 'none'}")
        kwargs[key] = coerce(value, hints[key], f"{where}: {key}")
    return cls(**kwargs)


def coerce(value: Any, hint: Any, where: str) -> Any:
    """Convert a spec string or YAML scalar to the type `hint` (str, int, float, bool, X | None)."""
    args = typing.get_args(hint)
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        if value is None or (isinstance(value, str) and value.strip().lower() in ("none", "null", "")):
            return None
        hint = next(arg for arg in args if arg is not type(None))
    if hint is str:
        return str(value)
    if hint is bool:
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in ("true", "yes", "on", "1"):
            return True
        if text in ("false", "no", "off", "0"):
            return False
        raise ParameterError(f"{where} must be true or false, got {value!r}")
    if hint in (int, float):
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise ParameterError(f"{where} must be a number, got {value!r}") from None
        if hint is int:
            if not number.is_integer():
                raise ParameterError(f"{where} must be a whole number, got {value!r}")
            return int(number)
        return number
    return value  # structured fields (tuples of stages) convert themselves in __post_init__


def load_attack(path: str | os.PathLike) -> Attack:
    """An attack from a YAML or JSON file (a spec string, a list for a chain, or a dict)."""
    from ..fileio import read_yaml

    path = Path(path)
    if not path.is_file():
        raise ParameterError(f"{path}: attack file not found")
    data = read_yaml(path)
    if data is None:
        raise ParameterError(f"{path}: the attack file is empty")
    try:
        return parse_attack(data)
    except ParameterError as exc:
        raise ParameterError(f"{path}: {exc}") from None


def dump_attack(attack: Attack) -> str:
    """The attack as YAML (what `load_attack` reads back)."""
    import yaml

    return yaml.safe_dump(attack.to_dict(), sort_keys=False)


def condition_slug(spec: str) -> str:
    """A file-name-safe name for a spec: `noise:babble:snr=10 | codec:mp3` → `noise-babble-snr10+codec-mp3`."""
    text = "+".join(part.strip() for part in spec.split("|"))
    text = text.replace(":", "-").replace("=", "")
    return re.sub(r"[^A-Za-z0-9._+-]", "_", text) or "clean"
