"""The contract every registered attack keeps (DESIGN.md §3.9): one parametrised test over the registry.

Shape, dtype and rate kept; output finite; the same seed gives the same output; spec and dict round trip.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from fakescope.errors import ParameterError
from fakescope.launder import ATTACKS, Attack, attack_from_dict, parse_attack
from fakescope.launder.base import check_signal

from .conftest import FAST, make_signal

# At least one example per registered attack (a test below fails when an attack has none).
EXAMPLES = {
    "clean": ["clean"],
    "noise": ["noise:white:snr=5", "noise:pink:snr=20:mode=intermittent", "noise:brown:snr=0",
              "noise:babble:snr=10:source=synthetic", "noise:volvo:snr=10", "noise:factory:snr=3:mode=intermittent"],
    "reverb": ["reverb:0.3", "reverb:0.6:room=fixed"],
    "rir": ["rir", "rir:hall"],
    "resample": ["resample:8000", "resample:44100"],
    "codec": ["codec:mp3:bitrate=32", "codec:opus:bitrate=16", "codec:gsm", "codec:vorbis:quality=0.3"],
    "lowpass": ["lowpass:3000"],
    "highpass": ["highpass:300"],
    "bandpass": ["bandpass"],
    "eq": ["eq", "eq:12"],
    "gain": ["gain:-12"],
    "clip": ["clip:10"],
    "packet_loss": ["packet_loss:0.2:burst=2:concealment=repeat"],
    "random": ["random:default", "random:telephone"],
}
SPECS = [spec for specs in EXAMPLES.values() for spec in specs]

signals = st.fixed_dictionaries({
    "seconds": st.sampled_from([0.05, 0.25, 0.6]),
    "sample_rate": st.sampled_from([8000, 16000, 22050]),
    "channels": st.integers(1, 2),
    "seed": st.integers(0, 2**31 - 1),
})


def test_every_registered_attack_has_examples():
    assert set(EXAMPLES) == set(ATTACKS.names())


@pytest.mark.parametrize("spec", SPECS)
@FAST
@given(case=signals)
def test_contract(spec, case, resources):
    attack = parse_attack(spec)
    samples = make_signal(seconds=case["seconds"], sample_rate=case["sample_rate"], channels=case["channels"],
                          seed=case["seed"])
    before = samples.copy()
    first = attack(samples, case["sample_rate"], np.random.default_rng(case["seed"]), resources=resources)
    second = attack(samples, case["sample_rate"], np.random.default_rng(case["seed"]), resources=resources)
    assert first.shape == samples.shape  # (C, T) kept
    assert first.dtype == np.float32
    assert np.isfinite(first).all()
    np.testing.assert_array_equal(first, second)  # deterministic given the Generator
    np.testing.assert_array_equal(samples, before)  # the input is never modified


@pytest.mark.parametrize("spec", SPECS)
def test_spec_and_dict_round_trip(spec):
    attack = parse_attack(spec)
    assert parse_attack(attack.to_spec()) == attack
    assert attack_from_dict(attack.to_dict()) == attack
    assert isinstance(attack, Attack)


@pytest.mark.parametrize("bad", [
    np.zeros((16000,), np.float32),  # 1-D
    np.zeros((1, 100), np.float64),  # wrong dtype
    np.zeros((1, 0), np.float32),  # empty
    np.full((1, 10), np.nan, np.float32),
])
def test_bad_input_is_rejected(bad):
    with pytest.raises(ParameterError):
        parse_attack("gain:-3")(bad, 16000, np.random.default_rng(0))


def test_rng_must_be_a_generator():
    with pytest.raises(ParameterError, match="Generator"):
        parse_attack("noise:white")(np.ones((1, 100), np.float32), 16000, 0)


def test_check_signal_rejects_bad_rate():
    with pytest.raises(ParameterError, match="sample_rate"):
        check_signal(np.ones((1, 10), np.float32), 0)
