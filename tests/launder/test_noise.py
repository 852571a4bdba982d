"""Noise: SNR within 0.5 dB of the target, recordings by category, synthetic fallbacks, intermittent bursts."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import signal

from fakescope.errors import ParameterError
from fakescope.launder import BabblePool, RecordingLibrary, Resources, parse_attack
from fakescope.launder.noise import Noise, burst_envelope, colored_noise

from .conftest import FAST, RATE, make_signal


def measured_snr_db(clean: np.ndarray, noisy: np.ndarray) -> float:
    """P_signal over everything / P_noise over the samples where noise was added (the attack's definition)."""
    noise = noisy.astype(np.float64) - clean.astype(np.float64)
    active = np.any(noise != 0, axis=0)
    return 10 * np.log10(np.mean(clean.astype(np.float64) ** 2) / np.mean(noise[:, active] ** 2))


@FAST
@given(
    kind=st.sampled_from(["white", "pink", "brown", "babble", "volvo", "cafe", "street", "factory"]),
    snr_db=st.floats(-10, 40),
    mode=st.sampled_from(["continuous", "intermittent"]),
    channels=st.integers(1, 2),
    seed=st.integers(0, 2**31 - 1),
)
def test_snr_within_half_a_db(kind, snr_db, mode, channels, seed, resources):
    clean = make_signal(seconds=1.0, sample_rate=RATE, channels=channels, seed=seed)
    attack = Noise(kind=kind, snr_db=snr_db, mode=mode)
    noisy = attack(clean, RATE, np.random.default_rng(seed), resources=resources)
    assert abs(measured_snr_db(clean, noisy) - snr_db) <= 0.5


@FAST
@given(kind=st.sampled_from(["white", "pink", "brown"]), snr_db=st.sampled_from([0.0, 10.0, 20.0]),
       seed=st.integers(0, 1000))
def test_synthetic_noise_needs_no_resources(kind, snr_db, seed):
    clean = make_signal(seconds=0.5, sample_rate=8000, channels=1, seed=seed)
    noisy = parse_attack(f"noise:{kind}:snr={snr_db}")(clean, 8000, np.random.default_rng(seed))
    assert abs(measured_snr_db(clean, noisy) - snr_db) <= 0.5


@pytest.mark.parametrize("kind, slope_db_per_octave", [("white", 0.0), ("pink", -3.0), ("brown", -6.0)])
def test_noise_colours_have_their_spectral_slope(kind, slope_db_per_octave):
    noise = colored_noise(kind, 2**16, np.random.default_rng(0))
    frequencies, power = signal.welch(noise, fs=RATE, nperseg=4096)
    band = (frequencies > 100) & (frequencies < 6000)
    slope = np.polyfit(np.log2(frequencies[band]), 10 * np.log10(power[band]), 1)[0]
    assert slope == pytest.approx(slope_db_per_octave, abs=0.6)


def test_recordings_are_used_when_present_and_volvo_reads_car(noise_dir):
    library = RecordingLibrary(noise_dir)
    assert "car" in library.categories()
    resources = Resources(noise=library)
    assert Noise(kind="volvo").origin(resources) == "recorded"
    assert Noise(kind="white").origin(resources) == "recorded"
    assert Noise(kind="white", source="synthetic").origin(resources) == "synthetic"
    assert Noise(kind="pink").origin(resources) == "synthetic"  # no pink recording in this folder


def test_kinds_without_a_synthetic_form_need_a_noise_folder():
    clean = make_signal(seconds=0.3, sample_rate=RATE, channels=1, seed=0)
    with pytest.raises(ParameterError, match="--noise-dir"):
        parse_attack("noise:cafe:snr=10")(clean, RATE, np.random.default_rng(0))
    with pytest.raises(ParameterError, match="no synthetic form"):
        Noise(kind="street", source="synthetic")
    with pytest.raises(ParameterError, match="needs recordings"):
        Noise(kind="white", source="recorded").check_resources(Resources())


def test_babble_sums_at_least_six_other_talkers(talkers):
    with pytest.raises(ParameterError, match="talkers"):
        Noise(kind="babble", talkers=5)
    small = BabblePool(talkers.talkers[:6])
    clean = make_signal(seconds=0.3, sample_rate=RATE, channels=1, seed=0)
    attack = Noise(kind="babble", source="synthetic")
    attack(clean, RATE, np.random.default_rng(0), resources=Resources(babble=small))
    # The utterance under attack is one of the six: five others are not enough.
    with pytest.raises(ParameterError, match="at least 6|6 other"):
        attack(clean, RATE, np.random.default_rng(0), resources=Resources(babble=small, utt_id="babble0"))
    with pytest.raises(ParameterError, match="--babble-manifest"):
        attack.check_resources(Resources())


def test_babble_excludes_the_speaker_under_attack(talkers):
    pool = BabblePool.from_arrays([t.samples for t in talkers.talkers], sample_rate=RATE,
                                  speakers=["a", "a", "b", "c", "d", "e", "f", "g"])
    assert all(t.speaker != "a" for t in pool.candidates(exclude_speaker="a"))
    assert len(pool.candidates(exclude_utt="babble3")) == 7
    assert len(pool.candidates(exclude_speaker="-")) == 8  # '-' means unknown, not a speaker


def test_babble_pool_reads_bonafide_rows_of_a_manifest(corpus):
    pool = BabblePool.from_manifest(corpus)
    assert len(pool) == 8  # the two spoofs are left out
    mix = pool.mix(np.random.default_rng(0), length=RATE, sample_rate=RATE, talkers=6)
    assert mix.shape == (RATE,) and np.isfinite(mix).all() and np.std(mix) > 0


def test_intermittent_noise_comes_in_bursts():
    envelope = burst_envelope(3 * RATE, RATE, np.random.default_rng(3), coverage=0.4, min_burst_s=0.2,
                              max_burst_s=0.5)
    on = envelope > 0
    assert 0.15 < on.mean() < 0.6
    assert np.count_nonzero(np.diff(on.astype(int)) == 1) >= 2  # several separate bursts
    assert envelope.max() == 1.0 and envelope.min() == 0.0


def test_silence_stays_silent():
    silent = np.zeros((1, 1000), np.float32)
    np.testing.assert_array_equal(parse_attack("noise:white:snr=0")(silent, RATE, np.random.default_rng(0)), silent)


@pytest.mark.parametrize("spec, match", [
    ("noise:white:snr=200", "snr_db"), ("noise:White", "lower-case"), ("noise:white:mode=sometimes", "mode"),
    ("noise:white:coverage=0", "coverage"), ("noise:white:min_burst_s=2:max_burst_s=1", "max_burst_s"),
])
def test_parameters_are_checked_eagerly(spec, match):
    with pytest.raises(ParameterError, match=match):
        parse_attack(spec)
