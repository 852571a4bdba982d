"""Codecs: every available one changes the signal, keeps rate and length, and stays aligned with the input."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import signal

from fakescope.errors import ParameterError
from fakescope.launder import available_codecs, parse_attack
from fakescope.launder import codec as codec_module
from fakescope.launder.codec import Codec

from .conftest import FAST, make_signal

CODEC_SPECS = {
    "mp3": ["codec:mp3:bitrate=16", "codec:mp3:bitrate=128", "codec:mp3:bitrate=320"],
    "aac": ["codec:aac:bitrate=32"],
    "opus": ["codec:opus:bitrate=12"],
    "vorbis": ["codec:vorbis:quality=0.2"],
    "gsm": ["codec:gsm"],
    "g722": ["codec:g722"],
    "amr-nb": ["codec:amr-nb:bitrate=7.4"],
    "mulaw": ["codec:mulaw"],
    "alaw": ["codec:alaw"],
}
AVAILABLE = [spec for name in available_codecs() for spec in CODEC_SPECS[name]]


def lag_samples(reference: np.ndarray, test: np.ndarray, max_lag: int = 400) -> int:
    """The shift of `test` against `reference` (positive: test is late), by cross-correlation."""
    correlation = signal.correlate(test.astype(np.float64), reference.astype(np.float64), mode="full", method="fft")
    lags = np.arange(-reference.size + 1, test.size)
    window = np.abs(lags) <= max_lag
    return int(lags[window][np.argmax(correlation[window])])


def test_gsm_and_the_common_codecs_are_available():
    # GSM has no PyAV encoder; it runs through libsndfile, which every soundfile wheel bundles.
    assert {"mp3", "aac", "opus", "vorbis", "gsm"} <= set(available_codecs())


@pytest.mark.parametrize("spec", AVAILABLE)
@FAST
@given(sample_rate=st.sampled_from([8000, 16000, 22050]), seed=st.integers(0, 2**31 - 1))
def test_codec_changes_the_signal_and_stays_aligned(spec, sample_rate, seed):
    clean = make_signal(seconds=0.8, sample_rate=sample_rate, channels=1, seed=seed)
    attack = parse_attack(spec)
    coded = attack(clean, sample_rate, np.random.default_rng(seed))
    assert coded.shape == clean.shape and coded.dtype == np.float32
    relative_error = np.linalg.norm(coded - clean) / np.linalg.norm(clean)
    assert relative_error > 1e-3  # the codec did something
    # The codec delay is compensated: aligned within one sample at the rate the codec ran at (a CELP
    # codec such as AMR-NB at 8 kHz does not keep the waveform closer than that).
    tolerance = int(np.ceil(sample_rate / attack.working_rate(sample_rate)))
    assert abs(lag_samples(clean[0], coded[0])) <= tolerance


@pytest.mark.parametrize("spec, input_rate, working_rate", [
    ("codec:mp3:bitrate=64", 16000, 16000),
    ("codec:mp3:bitrate=320", 16000, 32000),  # MPEG-2 stops at 160 kbps: MPEG-1 rates
    ("codec:mp3:bitrate=16", 44100, 24000),  # MPEG-1 starts at 32 kbps: the highest MPEG-2 rate
    ("codec:gsm", 16000, 8000),
    ("codec:amr-nb", 22050, 8000),
    ("codec:g722", 8000, 16000),
    ("codec:opus", 22050, 24000),
    ("codec:vorbis", 22050, 22050),
    ("codec:aac:bitrate=128", 16000, 22050),  # FFmpeg's AAC carries at most 6 bits per sample
])
def test_codec_runs_at_a_rate_it_supports(spec, input_rate, working_rate):
    attack = parse_attack(spec)
    if attack.codec not in available_codecs():
        pytest.skip(f"{attack.codec} not in this build")
    assert attack.working_rate(input_rate) == working_rate


def test_delay_is_measured_and_removed():
    attack = Codec(codec="aac", bitrate_kbps=64.0)
    assert attack.delay(16000) > 0  # AAC primes with 1024 samples
    clean = make_signal(seconds=0.6, sample_rate=16000, channels=2, seed=3)
    coded = attack(clean, 16000, np.random.default_rng(0))
    raw = attack.code(clean[0], 16000)
    assert abs(lag_samples(clean[0], raw)) > 100  # without compensation it would be late
    assert all(abs(lag_samples(clean[c], coded[c])) <= 1 for c in range(2))


def test_lower_bitrate_means_more_distortion():
    clean = make_signal(seconds=0.8, sample_rate=16000, channels=1, seed=5)
    errors = [np.linalg.norm(parse_attack(f"codec:mp3:bitrate={kbps}")(clean, 16000, np.random.default_rng(0)) - clean)
              for kbps in (16, 64, 160)]
    assert errors[0] > errors[1] > errors[2]


def test_unavailable_codec_is_reported_clearly(monkeypatch):
    monkeypatch.setattr(codec_module, "codec_available", lambda name: name != "gsm")
    with pytest.raises(ParameterError, match="codec 'gsm' is not available: libsndfile has no WAV/GSM610"):
        parse_attack("codec:gsm")


@pytest.mark.parametrize("spec, match", [
    ("codec:flac", "codec must be one of"),
    ("codec:mp3:bitrate=400", "bitrate_kbps"),
    ("codec:mp3:bitrate=192:rate=16000", "takes 8-160 kbps"),
    ("codec:amr-nb:bitrate=9", "one of"),
    ("codec:mp3:quality=0.5", "vorbis only"),
    ("codec:gsm:bitrate=13", "fixed bit rate"),
    ("codec:gsm:rate=16000", "sample_rate must be one of"),
])
def test_codec_parameters_checked(spec, match):
    with pytest.raises(ParameterError, match=match):
        parse_attack(spec)


def test_aliases_name_the_same_codec():
    assert parse_attack("codec:amrnb") == parse_attack("codec:amr-nb")
    assert parse_attack("codec:amrnb").to_spec() == "codec:amr-nb"


def test_a_long_signal_goes_through_vorbis():
    # libsndfile's Vorbis writer crashed the process on one write of about 64 s at 44.1 kHz; it now writes in blocks.
    x = make_signal(seconds=66.0, sample_rate=44100, channels=1, seed=0)
    y = Codec("vorbis", quality=0.5).apply(x, 44100, np.random.default_rng(0), None)
    assert y.shape == x.shape and np.all(np.isfinite(y))
