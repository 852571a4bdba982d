"""audio.activity: speech frames against a recording's own floor, and its quiet edges cut to at most 1 s."""

from __future__ import annotations

import numpy as np
import pytest

from fakescope.audio.activity import QUIET_EDGE_MAX_S, active_frames, frame_levels_db, quiet_edges_cut, trim_quiet_edges
from fakescope.audio.synthetic import voice_like

RATE = 16000


def _tone(rng, seconds: float, dbfs: float = -80.0) -> np.ndarray:
    return (10 ** (dbfs / 20) * rng.standard_normal(int(seconds * RATE))).astype(np.float32)


def _voice(seconds: float, seed: int = 0) -> np.ndarray:
    """Speech-like audio that speaks from its first frame to its last (its own edges carry no quiet)."""
    x = voice_like(seconds=seconds, rng=np.random.default_rng(seed)).samples[0]
    start, end = quiet_edges_cut(x, RATE, keep_s=0.0)
    return x[start:end]


def test_frame_levels_are_rms_dbfs():
    x = np.full(RATE, 0.1, np.float32)
    np.testing.assert_allclose(frame_levels_db(x, RATE), -20.0, atol=1e-3)
    assert frame_levels_db(x[:100], RATE).shape == (1,)  # shorter than a frame: one level


@pytest.mark.parametrize("dbfs", [-80.0, -50.0])
def test_long_quiet_edges_are_cut_to_the_maximum(rng, dbfs):
    speech = _voice(2.5)
    x = np.concatenate([_tone(rng, 3.0, dbfs), speech, _tone(rng, 4.0, dbfs)])
    x[:] += _tone(rng, len(x) / RATE, dbfs)  # room tone under the speech too
    start, end = quiet_edges_cut(x, RATE)
    keep = QUIET_EDGE_MAX_S * RATE
    # 1 s of each quiet edge is left, give or take the quiet onset and tail of the speech under -50 dBFS room tone
    assert abs(start - (3.0 * RATE - keep)) <= 0.1 * RATE
    assert abs((len(x) - end) - (4.0 * RATE - keep)) <= 0.1 * RATE
    trimmed = trim_quiet_edges(x, RATE)
    assert np.shares_memory(trimmed, x) and len(trimmed) == end - start


def test_short_edges_silence_and_tiny_signals_stay_whole(rng):
    speech = _voice(2.0, seed=1)
    x = np.concatenate([_tone(rng, 0.5), speech, _tone(rng, 0.8)])
    assert quiet_edges_cut(x, RATE) == (0, len(x))  # edges under the maximum are kept
    quiet = _tone(rng, 5.0)
    assert quiet_edges_cut(quiet, RATE) == (0, len(quiet))  # nothing speaks: nothing to cut towards
    assert quiet_edges_cut(np.zeros(100, np.float32), RATE) == (0, 100)
    assert not active_frames(quiet, RATE).any() and active_frames(speech, RATE).mean() > 0.5
