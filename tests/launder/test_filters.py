"""Channel filters, gain, clipping, packet loss and the resampling round trip."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import signal

from fakescope.errors import ParameterError
from fakescope.launder import parse_attack
from fakescope.launder.filters import PacketLoss

from .conftest import FAST, RATE, make_signal


def band_power_db(samples: np.ndarray, sample_rate: int, low: float, high: float) -> float:
    frequencies, power = signal.welch(samples[0].astype(np.float64), fs=sample_rate, nperseg=1024)
    band = (frequencies >= low) & (frequencies <= high)
    return 10 * np.log10(np.mean(power[band]) + 1e-30)


@pytest.fixture(scope="module")
def white():
    return (0.1 * np.random.default_rng(0).standard_normal((1, 2 * RATE))).astype(np.float32)


@pytest.mark.parametrize("spec, kept, removed", [
    ("lowpass:4000", (200, 3000), (5000, 7900)),
    ("highpass:1000", (2000, 7000), (20, 500)),
    ("bandpass", (500, 3000), (4500, 7900)),
    ("bandpass", (500, 3000), (20, 150)),
])
def test_filters_keep_their_band_and_remove_the_rest(white, spec, kept, removed):
    out = parse_attack(spec)(white, RATE, np.random.default_rng(0))
    assert abs(band_power_db(out, RATE, *kept) - band_power_db(white, RATE, *kept)) < 1.0
    assert band_power_db(white, RATE, *removed) - band_power_db(out, RATE, *removed) > 30.0


def test_filters_are_zero_phase_so_the_output_stays_aligned():
    speech = make_signal(seconds=0.5, sample_rate=RATE, channels=1, seed=1)
    out = parse_attack("bandpass")(speech, RATE, np.random.default_rng(0))
    correlation = signal.correlate(out[0], speech[0], mode="full")
    assert int(np.argmax(correlation)) - (speech.shape[1] - 1) == 0


def test_edges_beyond_nyquist_leave_the_band_alone(white):
    low_rate = white[:, ::2].copy()  # treat as 8 kHz
    np.testing.assert_array_equal(parse_attack("lowpass:7000")(low_rate, 8000, np.random.default_rng(0)), low_rate)
    np.testing.assert_array_equal(parse_attack("bandpass:5000:6000")(low_rate, 8000, np.random.default_rng(0)),
                                  np.zeros_like(low_rate))


def third_octave_change_db(before: np.ndarray, after: np.ndarray, sample_rate: int) -> np.ndarray:
    """Power change (dB) in third-octave bands from 100 Hz to 0.4 × the rate."""
    centres = 100.0 * 2.0 ** (np.arange(0, 40) / 3.0)
    centres = centres[centres * 2 ** (1 / 6) < 0.4 * sample_rate]
    return np.array([band_power_db(after, sample_rate, c / 2 ** (1 / 6), c * 2 ** (1 / 6))
                     - band_power_db(before, sample_rate, c / 2 ** (1 / 6), c * 2 ** (1 / 6)) for c in centres])


@pytest.mark.parametrize("gain", [6, 12])
def test_eq_colours_the_spectrum_within_its_gain_bound(white, gain):
    curves = [third_octave_change_db(white, parse_attack(f"eq:{gain}")(white, RATE, np.random.default_rng(seed)), RATE)
              for seed in range(4)]
    for curve in curves:
        # Seven bands can overlap and add up, but a colouration stays within a few times the per-band bound.
        assert np.abs(curve).max() < 3 * gain
        assert np.ptp(curve) > gain / 4  # it does colour: not a flat gain
    assert min(np.abs(a - b).max() for a, b in zip(curves, curves[1:])) > 1.0  # each draw is a different curve


def test_eq_at_zero_gain_and_at_a_low_rate(white):
    np.testing.assert_array_equal(parse_attack("eq:0")(white, RATE, np.random.default_rng(0)), white)
    low_rate = white[:, ::2].copy()  # treat as 8 kHz: the high shelf (4.2-9.5 kHz) is left out
    bands = parse_attack("eq").bands(8000, np.random.default_rng(0))
    assert len(bands) == 6 and all(settings["center_freq"] < 3600 for _, settings in bands)
    assert np.isfinite(parse_attack("eq:12")(low_rate, 8000, np.random.default_rng(0))).all()


@pytest.mark.parametrize("length", [1, 2, 3, 7, 30])
def test_filters_work_on_very_short_signals(length):
    tiny = np.linspace(-0.5, 0.5, length, dtype=np.float32)[np.newaxis, :]
    for spec in ("lowpass:3000", "highpass:300", "bandpass", "eq:12", "resample:8000", "codec:mp3", "reverb:0.3"):
        out = parse_attack(spec)(tiny, RATE, np.random.default_rng(0))
        assert out.shape == tiny.shape and np.isfinite(out).all()


def test_gain_is_exact():
    speech = make_signal(seconds=0.2, sample_rate=RATE, channels=2, seed=0)
    np.testing.assert_allclose(parse_attack("gain:-20")(speech, RATE, np.random.default_rng(0)), speech * 0.1, rtol=1e-6)


def test_clip_flattens_the_extremes():
    speech = make_signal(seconds=0.5, sample_rate=RATE, channels=1, seed=2)
    out = parse_attack("clip:20")(speech, RATE, np.random.default_rng(0))
    assert np.max(out) < np.max(speech) and np.min(out) > np.min(speech)
    at_rails = np.mean((out == out.max()) | (out == out.min()))
    assert 0.15 <= at_rails <= 0.25


@FAST
@given(loss_rate=st.sampled_from([0.05, 0.2, 0.4]), burst=st.sampled_from([1.0, 3.0]), seed=st.integers(0, 10**6))
def test_packet_loss_drops_about_the_asked_share(loss_rate, burst, seed):
    attack = PacketLoss(loss_rate=loss_rate, burst=burst)
    lost = attack.lost_packets(20000, np.random.default_rng(seed))
    assert lost.mean() == pytest.approx(loss_rate, abs=0.03)
    starts = np.count_nonzero(np.diff(lost.astype(int)) == 1)
    assert lost.sum() / max(starts, 1) == pytest.approx(1 / (1 - loss_rate) if burst == 1 else burst, rel=0.25)


def test_packet_loss_concealment():
    ramp = np.tile(np.arange(1, 161, dtype=np.float32) / 160, (1, 50))  # 50 packets of 10 ms at 16 kHz
    rng = np.random.default_rng(0)
    zero = PacketLoss(loss_rate=0.3, packet_ms=10)(ramp, RATE, rng)
    lost = np.all(zero.reshape(50, 160) == 0, axis=1)
    assert 5 <= lost.sum() <= 25
    repeat = PacketLoss(loss_rate=0.3, packet_ms=10, concealment="repeat")(ramp, RATE, np.random.default_rng(0))
    np.testing.assert_array_equal(repeat, ramp)  # every packet of a ramp repeated looks the same


@FAST
@given(via=st.sampled_from([8000, 11025, 22050, 44100]), length=st.integers(100, 9000))
def test_resample_round_trip_keeps_length(via, length):
    noise = (0.1 * np.random.default_rng(length).standard_normal((1, length))).astype(np.float32)
    out = parse_attack(f"resample:{via}")(noise, RATE, np.random.default_rng(0))
    assert out.shape == noise.shape


def test_resample_to_8k_removes_the_upper_band_and_44k_is_transparent(white):
    down = parse_attack("resample:8000")(white, RATE, np.random.default_rng(0))
    assert band_power_db(white, RATE, 4500, 7500) - band_power_db(down, RATE, 4500, 7500) > 40
    # Up and back keeps the band the 16 kHz resampler passes (below ~7 kHz) almost untouched.
    passband = parse_attack("lowpass:6500")(white, RATE, np.random.default_rng(0))
    up = parse_attack("resample:44100")(passband, RATE, np.random.default_rng(0))
    core = slice(200, -200)  # the resampler's edges
    snr = 10 * np.log10(np.sum(passband[:, core] ** 2) / np.sum((up - passband)[:, core] ** 2))
    assert snr > 40


@pytest.mark.parametrize("spec, match", [
    ("lowpass:0", "cutoff_hz"), ("bandpass:3400:300", "high_hz"), ("gain:100", "gain_db"), ("clip:101", "percentile"),
    ("packet_loss:0.95", "loss_rate"), ("packet_loss:0.9:burst=2", "too high"), ("resample:500", "sample_rate"),
    ("resample:8000:quality=best", "quality"), ("lowpass:3000:order=40", "order"),
])
def test_parameters_checked(spec, match):
    with pytest.raises(ParameterError, match=match):
        parse_attack(spec)
