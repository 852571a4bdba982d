"""Equalisation on generated audio: common rate, band, level, margins and noise floor for any input."""

from __future__ import annotations

import numpy as np
import pytest

from fakescope.audio import Audio
from fakescope.audio.synthetic import voice_like
from fakescope.datasets.audit import signal_cues
from fakescope.datasets.offline.equalise import Equaliser, active_level_db, voiced_span
from fakescope.errors import ParameterError


def _tts_like(rng, sample_rate=22050, lead_s=0.8, trail_s=0.05):
    """Speech with digital-silence margins, as TTS writes it."""
    speech = voice_like(seconds=1.2, sample_rate=sample_rate, rng=rng).samples[0]
    x = np.concatenate([np.zeros(int(lead_s * sample_rate)), speech, np.zeros(int(trail_s * sample_rate))])
    return Audio(x.astype(np.float32)[np.newaxis, :], sample_rate)


def _recording_like(rng, sample_rate=8000):
    """Speech in room noise, 2 channels, with a DC offset and a long quiet lead-in, as a recording."""
    speech = voice_like(seconds=1.2, sample_rate=sample_rate, rng=rng).samples[0]
    x = np.concatenate([np.zeros(int(0.05 * sample_rate)), speech, np.zeros(int(0.6 * sample_rate))])
    x = x + 0.003 * rng.standard_normal(len(x)) + 0.05
    return Audio(np.stack([x, 0.8 * x]).astype(np.float32), sample_rate)


@pytest.mark.parametrize("make", [_tts_like, _recording_like])
def test_output_contract(make, rng):
    out = Equaliser()(make(rng), np.random.default_rng(0))
    assert out.sample_rate == 16000 and out.samples.shape[0] == 1 and out.samples.dtype == np.float32
    x = out.samples[0]
    assert abs(float(x.mean())) < 1e-3  # DC removed
    assert np.max(np.abs(x)) <= 0.99
    cues = signal_cues(x, 16000)
    assert 0.08 <= cues["leading_silence_s"] <= 0.36 and 0.08 <= cues["trailing_silence_s"] <= 0.36
    assert abs(active_level_db(x, 16000) - Equaliser().target_db) < 3.0  # measured again after re-padding and noise
    quantised = np.round(x * 32767)
    assert np.mean(quantised == 0) < 0.1  # the noise floor fills what was digital silence


def test_classes_end_alike(rng):
    """The cues that separated TTS from recordings before equalising are close after it."""
    eq = Equaliser()
    a = signal_cues(eq(_tts_like(rng), np.random.default_rng(1)).samples[0], 16000)
    b = signal_cues(eq(_recording_like(rng), np.random.default_rng(1)).samples[0], 16000)
    assert abs(a["leading_silence_s"] - b["leading_silence_s"]) < 0.05
    assert abs(a["rms_db"] - b["rms_db"]) < 3.0
    assert a["rolloff_hz"] <= eq.high_hz + 200 and b["rolloff_hz"] <= eq.high_hz + 200


def test_band_limit(rng):
    out = Equaliser()(_tts_like(rng, sample_rate=44100), np.random.default_rng(2)).samples[0]
    spectrum = np.abs(np.fft.rfft(out)) ** 2
    freqs = np.fft.rfftfreq(len(out), 1 / 16000)
    assert spectrum[freqs > 4500].sum() / spectrum.sum() < 1e-3


def test_deterministic_per_rng(rng):
    audio = _tts_like(rng)
    first = Equaliser()(audio, np.random.default_rng(7)).samples
    again = Equaliser()(audio, np.random.default_rng(7)).samples
    other = Equaliser()(audio, np.random.default_rng(8)).samples
    assert np.array_equal(first, again)
    assert first.shape != other.shape or not np.array_equal(first, other)


def test_voiced_span_finds_speech(rng):
    x = _tts_like(rng, sample_rate=16000, lead_s=0.5, trail_s=0.25).samples[0]
    start, end = voiced_span(x, 16000)
    assert 0.45 * 16000 <= start <= 0.6 * 16000
    assert len(x) - end >= 0.2 * 16000


@pytest.mark.parametrize("kwargs", [{"low_hz": 5000.0, "high_hz": 4000.0}, {"high_hz": 9000.0},
                                    {"min_margin_s": 0.5, "max_margin_s": 0.1}, {"min_snr_db": 50.0, "max_snr_db": 40.0}])
def test_rejects_bad_settings(kwargs):
    with pytest.raises(ParameterError):
        Equaliser(**kwargs)
