"""Session fixtures of the training tests: the tiny corpus and one shared short training run."""

from __future__ import annotations

from pathlib import Path

import pytest

from .helpers import make_corpus, quick_overrides


@pytest.fixture(scope="session")
def tiny_manifest(tmp_path_factory) -> Path:
    return make_corpus(tmp_path_factory.mktemp("corpus"), per_class={"train": 12, "dev": 6, "eval": 6})


@pytest.fixture(scope="session")
def trained_run(tmp_path_factory, tiny_manifest):
    """One LFCC-LCNN run of 3 epochs, shared by the tests that only read its outputs."""
    from fakescope.training import load_config, train

    out = tmp_path_factory.mktemp("run") / "lcnn"
    config = load_config(overrides=quick_overrides(tiny_manifest), names={"frontend": "lfcc", "model": "lcnn"})
    result = train(config, out_dir=out, show_progress=False)
    return out, result
