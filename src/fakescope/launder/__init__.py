"""Laundering attacks: noise, reverberation, resampling, codecs and channel filters, alone or chained.

    from fakescope.launder import parse_attack, load_grid
    attack = parse_attack("noise:babble:snr=10 | codec:mp3:bitrate=64")
    out = attack(samples, sample_rate, np.random.default_rng(0), resources=resources)   # (C, T) float32

Every attack keeps sample rate, length and dtype, and is deterministic given the Generator (DESIGN.md §3.3).
A robustness report laundering on the fly iterates `for condition in load_grid("paper")`, skips what
`grid.missing_resources(resources)` names, and gives each utterance `item_rng(seed, utt_id, condition.name)`
(the draws `fakescope launder` makes, so on-the-fly results match its files up to 16-bit rounding).
Importing this package registers every attack in ATTACKS.
"""

from . import codec, filters, noise, resample, reverb, sampler  # noqa: F401  (register the attacks)
from .base import ATTACKS, Attack, Resources
from .chain import Chain, attack_from_dict, condition_slug, dump_attack, load_attack, parse_attack
from .codec import CODECS, available_codecs
from .grids import Condition, Grid, grid_names, load_grid
from .library import BabblePool, RecordingLibrary
from .runner import ResourceConfig, item_rng, launder_manifest
from .sampler import PRESETS, RandomChain, Stage

__all__ = [
    "ATTACKS", "Attack", "BabblePool", "CODECS", "Chain", "Condition", "Grid", "PRESETS", "RandomChain",
    "RecordingLibrary", "ResourceConfig", "Resources", "Stage", "attack_from_dict", "available_codecs",
    "condition_slug", "dump_attack", "grid_names", "item_rng", "launder_manifest", "load_attack", "load_grid",
    "parse_attack",
]
