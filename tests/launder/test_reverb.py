"""Reverberation: RT60 of simulated rooms within 20 % of the target, alignment, level, measured RIRs."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pyroomacoustics.experimental import measure_rt60

from fakescope.errors import ParameterError
from fakescope.launder import RecordingLibrary, Resources, parse_attack
from fakescope.launder.reverb import Reverb, sample_room

from .conftest import RATE, make_signal


def rt60_within(rir: np.ndarray, target: float, tolerance: float = 0.2) -> None:
    for decay_db in (20, 30):  # T20 and T30 extrapolations must both agree with the target
        measured = measure_rt60(rir, fs=RATE, decay_db=decay_db)
        assert abs(measured - target) <= tolerance * target, f"T{decay_db}: {measured:.3f} s vs {target} s"


@pytest.mark.parametrize("rt60", [0.3, 0.6, 0.9])
def test_fixed_room_rt60(rt60):
    rir = Reverb(rt60_s=rt60, room="fixed").impulse_response(RATE, np.random.default_rng(0))
    rt60_within(rir, rt60)


@settings(max_examples=5, deadline=None, database=None, derandomize=True)
@given(rt60=st.sampled_from([0.3, 0.6, 0.9]), seed=st.integers(0, 2**31 - 1))
def test_sampled_room_rt60(rt60, seed):
    rir = Reverb(rt60_s=rt60).impulse_response(RATE, np.random.default_rng(seed))
    rt60_within(rir, rt60)


def test_sampled_rooms_differ_by_seed_and_keep_talker_and_mic_apart():
    first = sample_room(np.random.default_rng(1), 0.6)
    second = sample_room(np.random.default_rng(2), 0.6)
    assert first != second
    for dims, source, mic in (first, second):
        assert np.linalg.norm(np.subtract(source, mic)) >= 1.0
        assert all(0.5 <= p <= d - 0.5 for p, d in zip(source + mic, dims + dims))


def test_direct_path_is_aligned_and_level_kept():
    impulse = np.zeros((1, RATE // 2), np.float32)
    impulse[0, 1000] = 1.0
    out = parse_attack("reverb:0.6:room=fixed")(impulse, RATE, np.random.default_rng(0))
    assert int(np.argmax(np.abs(out))) == 1000
    speech = make_signal(seconds=0.5, sample_rate=RATE, channels=1, seed=0)
    wet = parse_attack("reverb:0.6:room=fixed")(speech, RATE, np.random.default_rng(0))
    assert np.sqrt(np.mean(wet**2)) == pytest.approx(np.sqrt(np.mean(speech**2)), rel=1e-3)


def test_reverb_is_the_same_in_the_fixed_room_and_varies_in_sampled_ones():
    speech = make_signal(seconds=0.3, sample_rate=RATE, channels=1, seed=0)
    fixed = parse_attack("reverb:0.3:room=fixed")
    np.testing.assert_array_equal(fixed(speech, RATE, np.random.default_rng(1)),
                                  fixed(speech, RATE, np.random.default_rng(2)))
    sampled = parse_attack("reverb:0.3")
    assert not np.array_equal(sampled(speech, RATE, np.random.default_rng(1)),
                              sampled(speech, RATE, np.random.default_rng(2)))


def test_measured_rirs_by_category(rir_dir):
    resources = Resources(rirs=RecordingLibrary(rir_dir))
    speech = make_signal(seconds=0.5, sample_rate=RATE, channels=1, seed=0)
    hall = parse_attack("rir:hall")(speech, RATE, np.random.default_rng(0), resources=resources)
    room = parse_attack("rir:room")(speech, RATE, np.random.default_rng(0), resources=resources)
    assert not np.array_equal(hall, room)
    with pytest.raises(ParameterError, match="no impulse responses in category 'church'"):
        parse_attack("rir:church").check_resources(resources)
    with pytest.raises(ParameterError, match="--rir-dir"):
        parse_attack("rir")(speech, RATE, np.random.default_rng(0))


def test_rir_folder_without_labels_uses_subfolders(tmp_path):
    import soundfile as sf

    for category in ("hall", "room"):
        (tmp_path / category).mkdir()
        sf.write(tmp_path / category / "a.wav", np.r_[1.0, np.zeros(99)].astype(np.float32), RATE)
    assert RecordingLibrary(tmp_path).categories() == ["hall", "room"]


@pytest.mark.parametrize("spec, match", [("reverb:0.05", "rt60_s"), ("reverb:0.6:room=cave", "room")])
def test_reverb_parameters_checked(spec, match):
    with pytest.raises(ParameterError, match=match):
        parse_attack(spec)
