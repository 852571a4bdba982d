"""Grids: named lists of conditions (a name and an attack) that laundering and robustness reports iterate over.

`paper` is the reference study's grid (DESIGN.md §5): clean; babble/volvo/white/street/cafe noise at
0/10/20 dB; reverberation RT60 0.3/0.6/0.9 s in the 10 × 7.5 × 3.5 m room; MP3 at 16/64/128/196/256/320
kbps; resampling through 8/11.025/22.05/44.1 kHz; low-pass at 7 kHz. `full` adds the other noises,
intermittent noise, sampled and measured rooms, every codec this build has, channel filters, random
equalisers (a microphone's colouration, up to ±6 and ±12 dB per band), clipping,
packet loss and a few realistic chains. A grid file (YAML) holds

    name: my-grid
    conditions:               # a mapping name → attack, or a list of attacks (named after their spec)
      clean: clean
      babble-10db: "noise:babble:snr=10"
      phone: ["bandpass", "codec:amr-nb"]

Iterate with `for condition in load_grid("paper"): condition.attack(samples, rate, rng, resources=...)`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import ParameterError
from .base import Attack, Resources
from .chain import condition_slug, parse_attack
from .codec import codec_available

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+-]*")


@dataclass(frozen=True)
class Condition:
    """One cell of a grid: a file-name-safe `name` and the `attack` that makes it."""

    name: str
    attack: Attack

    def __post_init__(self) -> None:
        if not _NAME.fullmatch(self.name):
            raise ParameterError(f"condition name must be letters, digits and . _ + - only, got {self.name!r}")

    @property
    def spec(self) -> str:
        return self.attack.to_spec()

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "attack": self.attack.to_dict()}


@dataclass(frozen=True)
class Grid:
    """Conditions in report order. `skipped` names conditions left out because this build lacks a codec."""

    name: str
    conditions: tuple[Condition, ...]
    description: str = ""
    skipped: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        names = [c.name for c in self.conditions]
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            raise ParameterError(f"grid {self.name!r} repeats condition name(s): {', '.join(repeated)}")
        if not self.conditions:
            raise ParameterError(f"grid {self.name!r} has no conditions")

    def __iter__(self) -> Iterator[Condition]:
        return iter(self.conditions)

    def __len__(self) -> int:
        return len(self.conditions)

    def names(self) -> list[str]:
        return [c.name for c in self.conditions]

    def get(self, name: str) -> Condition:
        for condition in self.conditions:
            if condition.name == name:
                return condition
        raise ParameterError(f"grid {self.name!r} has no condition {name!r}")

    def missing_resources(self, resources: Resources) -> dict[str, str]:
        """Condition name → why it cannot run with `resources` (empty when every condition can)."""
        missing = {}
        for condition in self.conditions:
            try:
                condition.attack.check_resources(resources)
            except ParameterError as exc:
                missing[condition.name] = str(exc)
        return missing

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "description": self.description,
                "conditions": {c.name: c.attack.to_dict() for c in self.conditions}}


def _k(rate: int) -> str:
    return f"{rate / 1000:g}k"


def _paper() -> list[tuple[str, str]]:
    entries = [("clean", "clean")]
    entries += [(f"{kind}-{snr}db", f"noise:{kind}:snr={snr}")
                for kind in ("babble", "volvo", "white", "street", "cafe") for snr in (0, 10, 20)]
    entries += [(f"reverb-{rt60}s", f"reverb:{rt60}:room=fixed") for rt60 in (0.3, 0.6, 0.9)]
    entries += [(f"mp3-{kbps}k", f"codec:mp3:bitrate={kbps}") for kbps in (16, 64, 128, 196, 256, 320)]
    entries += [(f"resample-{_k(rate)}", f"resample:{rate}") for rate in (8000, 11025, 22050, 44100)]
    entries += [("lowpass-7khz", "lowpass:7000")]
    return entries


def _full() -> list[tuple[str, str]]:
    entries = _paper()
    entries += [(f"{kind}-{snr}db", f"noise:{kind}:snr={snr}") for kind in ("pink", "brown") for snr in (0, 10, 20)]
    entries += [(f"{kind}-{snr}db", f"noise:{kind}:snr={snr}")
                for kind in ("babble", "volvo", "white", "street", "cafe", "pink", "brown") for snr in (5,)]
    entries += [(f"{kind}-burst-{snr}db", f"noise:{kind}:snr={snr}:mode=intermittent")
                for kind in ("babble", "cafe", "street") for snr in (0, 10)]
    entries += [(f"room-{rt60}s", f"reverb:{rt60}") for rt60 in (0.3, 0.6, 0.9)]
    entries += [("measured-rir", "rir")]
    entries += [(f"aac-{kbps}k", f"codec:aac:bitrate={kbps}") for kbps in (16, 32, 64)]
    entries += [(f"opus-{kbps}k", f"codec:opus:bitrate={kbps}") for kbps in (8, 16, 32)]
    entries += [(f"vorbis-q{quality}", f"codec:vorbis:quality={quality}") for quality in (0.1, 0.5)]
    entries += [("gsm", "codec:gsm"), ("g722", "codec:g722"), ("mulaw", "codec:mulaw"), ("alaw", "codec:alaw")]
    entries += [(f"amr-nb-{kbps}k", f"codec:amr-nb:bitrate={kbps}") for kbps in (4.75, 7.4, 12.2)]
    entries += [("lowpass-4khz", "lowpass:4000"), ("highpass-300hz", "highpass:300"), ("telephone-band", "bandpass")]
    entries += [(f"eq-{gain}db", f"eq:{gain}") for gain in (6, 12)]  # a microphone's or room's colouration
    entries += [("gain-minus20db", "gain:-20"), ("gain-plus10db", "gain:10")]
    entries += [(f"clip-{percentile}pct", f"clip:{percentile}") for percentile in (5, 20)]
    entries += [("packet-loss-5pct", "packet_loss:0.05"), ("packet-loss-10pct", "packet_loss:0.1"),
                ("packet-loss-20pct-bursty", "packet_loss:0.2:burst=3")]
    entries += [
        ("phone-call", "bandpass | codec:amr-nb:bitrate=12.2"),
        ("voip", "noise:cafe:snr=15 | codec:opus:bitrate=16 | packet_loss:0.05"),
        ("re-recorded", "reverb:0.6 | noise:white:snr=20 | codec:mp3:bitrate=64"),
        ("social-media", "resample:44100 | codec:aac:bitrate=64"),
    ]
    return entries


GRIDS: dict[str, tuple[str, Any]] = {
    "paper": ("the reference study's laundering conditions (DESIGN.md §5)", _paper),
    "full": ("the paper grid plus every other attack family and a few realistic chains", _full),
}


def grid_names() -> list[str]:
    return list(GRIDS)


def _uses_missing_codec(spec: str) -> bool:
    for part in spec.split("|"):
        tokens = [t.strip() for t in part.strip().split(":")]
        if tokens[0] == "codec" and len(tokens) > 1 and "=" not in tokens[1]:
            from .codec import ALIASES, CODECS

            codec = ALIASES.get(tokens[1], tokens[1])
            if codec in CODECS and not codec_available(codec):
                return True
    return False


def build_grid(name: str, entries: list[tuple[str, Any]], *, description: str = "") -> Grid:
    """A grid from (condition name, attack spec/dict/list) pairs; codecs this build lacks are skipped."""
    conditions, skipped = [], []
    for condition_name, spec in entries:
        if isinstance(spec, str) and _uses_missing_codec(spec):
            skipped.append(condition_name)
            continue
        conditions.append(Condition(condition_name, parse_attack(spec)))
    return Grid(name, tuple(conditions), description, tuple(skipped))


def load_grid(grid: str | os.PathLike) -> Grid:
    """A built-in grid by name (`paper`, `full`) or a grid YAML file."""
    key = os.fspath(grid)
    if key in GRIDS:
        description, entries = GRIDS[key]
        return build_grid(key, entries(), description=description)
    path = Path(key)
    if not path.is_file():
        raise ParameterError(f"grid must be one of {', '.join(GRIDS)} or a YAML file, got {key!r}")
    from ..fileio import read_yaml

    data = read_yaml(path)
    if isinstance(data, Mapping) and "conditions" in data:
        name, description, raw = str(data.get("name") or path.stem), str(data.get("description") or ""), data["conditions"]
    else:
        name, description, raw = path.stem, "", data
    try:
        if isinstance(raw, Mapping):
            entries = [(str(k), v) for k, v in raw.items()]
        elif isinstance(raw, list):
            entries = [(condition_slug(parse_attack(item).to_spec()), item) for item in raw]
        else:
            raise ParameterError("conditions must be a mapping (name: attack) or a list of attacks")
        return build_grid(name, entries, description=description)
    except ParameterError as exc:
        raise ParameterError(f"{path}: {exc}") from None
