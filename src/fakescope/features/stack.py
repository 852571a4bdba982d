"""Several front-ends read frame by frame as one: their rows stacked, e.g. LFCC rows over excitation rows.

A model that wants both the spectral envelope (LFCC) and the shape of the excitation (`excitation`)
sees one (B, 1, ΣF, frames) input. The members must frame the signal alike (same sample rate, n_fft and
hop, centred), so that column t of every member describes the same instant.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from ..errors import ParameterError
from .base import FRONTENDS, FrontEnd, frontend_from_config


# The default: the spectral envelope over the band every channel keeps, and the shape of the excitation.
DEFAULT_MEMBERS = ({"name": "lfcc", "fmax": 4000.0}, {"name": "excitation"})


@FRONTENDS.register("stack")
class Stack(FrontEnd):
    """Members' rows concatenated in order. (B, T) → (B, 1, Σ members' F, frames)."""

    name = "stack"

    def __init__(self, *, members: list[dict[str, Any]] | None = None, sample_rate: int | None = None) -> None:
        members = DEFAULT_MEMBERS if members is None else members
        members = [dict(member) for member in members] if isinstance(members, (list, tuple)) else members
        if not members or not all(isinstance(member, dict) and "name" in member for member in members):
            raise ParameterError("stack needs members: a list of front-end configs, each with a name")
        if any(member["name"] == "stack" for member in members):
            raise ParameterError("stack members cannot be stacks themselves")
        if sample_rate is not None:
            members = [{**member, "sample_rate": member.get("sample_rate", sample_rate)} for member in members]
        built = [frontend_from_config(member) for member in members]
        first = built[0]
        for other in built[1:]:
            for attribute in ("sample_rate", "n_fft", "hop_length"):
                if getattr(other, attribute) != getattr(first, attribute):
                    raise ParameterError(
                        f"stack members must share {attribute}: {first.name} has {getattr(first, attribute)}, "
                        f"{other.name} has {getattr(other, attribute)}")
        super().__init__(sample_rate=first.sample_rate, n_fft=first.n_fft, hop_length=first.hop_length,
                         win_length=first.win_length, window=first.window_name)
        self.members = nn.ModuleList(built)
        self.params = {"members": [member.config() for member in built]}

    @property
    def num_bins(self) -> int:
        return sum(member.num_bins for member in self.members)

    def frequencies(self) -> torch.Tensor:
        # Members mix cepstra, statistics and spectra: rows are indexed, not placed on a frequency axis.
        return torch.arange(self.num_bins, dtype=torch.float32)

    def spectrogram(self, waveform: torch.Tensor) -> torch.Tensor:
        parts = [member.spectrogram(waveform) for member in self.members]  # each (B, F_i, frames)
        return torch.cat(parts, dim=1)
