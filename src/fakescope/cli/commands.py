"""Imports every command module so that each registers itself on the app (one line per module)."""

from . import analyze, audit, corpus, datasets, evaluate, export, info, launder, robustness, scan, serve, spectrogram, train  # noqa: F401
