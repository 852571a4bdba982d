"""Random attack chains (the original design's stochastic laundering), drawn with an explicit Generator.

A sampler is a list of stages; each stage runs with probability `p` and then applies one of its
`choices`, picked uniformly. A choice is a spec template whose values may be ranges or alternatives:

    noise:white,pink,brown:snr=5..30        (a kind among three, SNR uniform in [5, 30] dB)
    codec:mp3:bitrate=16,32,64              (one of three bit rates)
    resample:8000..44100                    (an integer field: a whole number in the range)

`RandomChain` (registered as "random") wraps a sampler as an attack: `resolve(rng)` draws the concrete
chain (what the launder manifest records per file), and applying it uses the same rng, so a seed fixes
both the choice and the result.
"""

from __future__ import annotations

import dataclasses
import functools
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from ..errors import ParameterError
from .base import ATTACKS, Attack, Clean, Resources, check_range
from .chain import Chain, build_attack, coerce, split_spec
from .codec import available_codecs


def sample_template(template: str, rng: np.random.Generator) -> Attack:
    """A concrete attack from a template (see the module docstring). Floats are rounded to 2 decimals."""
    cls, raw = split_spec(template)
    hints = typing.get_type_hints(cls)
    values: dict[str, Any] = {}
    for key, text in raw.items():
        hint = hints.get(key, str)
        if ".." in text:
            low_text, high_text = text.split("..", 1)
            low = coerce(low_text, hint, f"{template!r}: {key}")
            high = coerce(high_text, hint, f"{template!r}: {key}")
            if not isinstance(low, (int, float)) or high < low:
                raise ParameterError(f"{template!r}: {key} range must be low..high numbers, got {text!r}")
            values[key] = int(rng.integers(low, high + 1)) if isinstance(low, int) and isinstance(high, int) \
                else round(float(rng.uniform(low, high)), 2)
        elif "," in text:
            options = [option.strip() for option in text.split(",")]
            values[key] = options[int(rng.integers(0, len(options)))]
        else:
            values[key] = text
    return build_attack(cls, values, where=repr(template))


@dataclass(frozen=True)
class Stage:
    """Run with probability `p` one of `choices` (spec templates), picked uniformly."""

    p: float = 1.0
    choices: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        check_range("p", self.p, 0.0, 1.0)
        choices = (self.choices,) if isinstance(self.choices, str) else tuple(str(c) for c in self.choices)
        if not choices:
            raise ParameterError("a sampler stage needs at least one choice")
        object.__setattr__(self, "choices", choices)
        probe = np.random.default_rng(0)
        for choice in choices:  # fail on a bad template now, not in the middle of a run
            sample_template(choice, probe)

    def to_dict(self) -> dict[str, Any]:
        return {"p": self.p, "choices": list(self.choices)}


def _codecs(*templates: str) -> tuple[str, ...]:
    """Keep the codec templates this build can run (presets must not fail where a codec is missing)."""
    available = set(available_codecs())
    return tuple(t for t in templates if t.split(":")[1] in available)


@functools.lru_cache(maxsize=None)
def _preset(name: str) -> tuple[Stage, ...]:
    codecs = Stage(0.5, _codecs(
        "codec:mp3:bitrate=16,24,32,48,64,96,128", "codec:aac:bitrate=16,32,64", "codec:opus:bitrate=8,12,16,24,32",
        "codec:vorbis:quality=0.1..0.6", "codec:gsm", "codec:g722", "codec:amr-nb:bitrate=4.75,7.4,12.2",
        "codec:mulaw",
    ))
    channel = Stage(0.3, ("lowpass:3000..7500", "highpass:100..400", "bandpass"))
    tail = (Stage(0.2, ("resample:8000,11025,22050,44100",)), codecs, Stage(0.2, ("gain:-12..6",)),
            Stage(0.1, ("packet_loss:0.02..0.1", "packet_loss:0.02..0.1:burst=3")))
    if name == "default":  # synthetic noise and simulated rooms only: needs no recordings
        return (Stage(0.4, ("noise:white,pink,brown:snr=5..30",)), Stage(0.3, ("reverb:0.2..0.9",)), channel, *tail)
    if name == "recorded":  # recorded noise and measured rooms: needs --noise-dir and --rir-dir
        return (Stage(0.5, ("noise:babble,cafe,street,volvo:snr=0..25:source=recorded",
                            "noise:babble,cafe,street:snr=0..20:mode=intermittent:source=recorded")),
                Stage(0.4, ("rir", "reverb:0.2..0.9")), channel, *tail)
    if name == "telephone":  # a phone call: narrow band, a speech codec, some noise and lost packets
        return (Stage(0.5, ("noise:white,pink,brown:snr=10..30",)), Stage(1.0, ("bandpass",)),
                Stage(1.0, _codecs("codec:gsm", "codec:amr-nb:bitrate=4.75,7.4,12.2", "codec:mulaw", "codec:alaw",
                                   "codec:g722")),
                Stage(0.3, ("packet_loss:0.01..0.08:burst=2",)))
    raise ParameterError(f"random preset must be one of {', '.join(PRESETS)}, got {name!r}")


PRESETS = ("default", "recorded", "telephone")


@ATTACKS.register("random")
@dataclass(frozen=True)
class RandomChain(Attack):
    """A random chain drawn per call from a preset (`random:default`) or custom `stages` (YAML only).

    max_attacks > 0 keeps at most that many of the stages that fired (a random subset, order kept).
    """

    name: ClassVar[str] = "random"
    positional: ClassVar[tuple[str, ...]] = ("preset",)

    preset: str = "default"
    stages: tuple[Stage, ...] = ()
    max_attacks: int = 0

    def __post_init__(self) -> None:
        stages = tuple(s if isinstance(s, Stage) else _stage_from(s) for s in (self.stages or ()))
        object.__setattr__(self, "stages", stages)
        if not stages and self.preset not in PRESETS:
            raise ParameterError(f"random preset must be one of {', '.join(PRESETS)}, got {self.preset!r}")
        check_range("max_attacks", self.max_attacks, 0, 64)

    def active_stages(self) -> tuple[Stage, ...]:
        return self.stages or _preset(self.preset)

    def resolve(self, rng: np.random.Generator) -> Attack:
        drawn = []
        for stage in self.active_stages():
            if rng.random() < stage.p:
                drawn.append(sample_template(stage.choices[int(rng.integers(0, len(stage.choices)))], rng))
        if self.max_attacks and len(drawn) > self.max_attacks:
            keep = np.sort(rng.choice(len(drawn), size=self.max_attacks, replace=False))
            drawn = [drawn[i] for i in keep]
        if not drawn:
            return Clean()
        return drawn[0] if len(drawn) == 1 else Chain(tuple(drawn))

    def apply(self, samples, sample_rate, rng, resources):
        concrete = self.resolve(rng)
        return concrete.apply(samples, sample_rate, rng, resources)

    def check_resources(self, resources: Resources) -> None:
        probe = np.random.default_rng(0)
        for stage in self.active_stages():
            for choice in stage.choices:
                sample_template(choice, probe).check_resources(resources)

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"name": self.name}
        if self.stages:
            data["stages"] = [stage.to_dict() for stage in self.stages]
        else:
            data["preset"] = self.preset
        if self.max_attacks:
            data["max_attacks"] = self.max_attacks
        return data

    def to_spec(self) -> str:
        if self.stages:
            raise ParameterError("a random chain with custom stages has no one-line spec; save to_dict() as YAML")
        return super().to_spec()


def _stage_from(data: Any) -> Stage:
    if not isinstance(data, Mapping):
        raise ParameterError(f"a sampler stage is a mapping {{p: ..., choices: [...]}}, got {data!r}")
    unknown = set(data) - {f.name for f in dataclasses.fields(Stage)}
    if unknown:
        raise ParameterError(f"a sampler stage takes p and choices, got {', '.join(sorted(unknown))}")
    return Stage(p=coerce(data.get("p", 1.0), float, "stage p"), choices=data.get("choices", ()))
