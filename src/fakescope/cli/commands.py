"""Imports every command module so that each registers itself on the app (one line per module)."""

from . import analyze, audit, corpus, datasets, info, launder, spectrogram  # noqa: F401
