"""Copy-synthesis vocoders on generated speech: finite output of about the input's length, not a copy."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from fakescope.audio.synthetic import voice_like
from fakescope.datasets.offline.vocode import VOCODER_SYSTEMS, vocode


@pytest.mark.parametrize("name", ["world", "griffin-lim", "lpc", "codec2"])
@pytest.mark.parametrize("sample_rate", [8000, 22050])
def test_vocoders(name, sample_rate, rng):
    if name == "codec2" and shutil.which("c2enc") is None:
        pytest.skip("codec2 is not installed (apt-get install codec2)")
    if name in ("world", "lpc"):
        pytest.importorskip("pyworld")
    system = next(s for s in VOCODER_SYSTEMS if s.name == name)
    x = voice_like(seconds=1.0, sample_rate=sample_rate, rng=rng).samples[0]
    out, rate = vocode(system, x, sample_rate, np.random.default_rng(0))
    assert out.dtype == np.float32 and out.ndim == 1 and np.all(np.isfinite(out))
    assert rate == (8000 if name == "codec2" else sample_rate)
    assert abs(len(out) / rate - len(x) / sample_rate) < 0.1
    assert np.std(out) > 1e-4
    if rate == sample_rate and len(out) == len(x):
        assert not np.allclose(out, x, atol=1e-3)


def test_eval_only_vocoders_include_one():
    assert any(s.eval_only for s in VOCODER_SYSTEMS)
