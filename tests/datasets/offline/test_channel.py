"""Channels: a bona fide file's coding read from its container and re-created on another signal."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from fakescope.datasets.offline.channel import Channel, apply_channel, probe_channel
from fakescope.errors import AudioError
from fakescope.launder.codec import vorbis_quality_for


def _speechlike(rate: int, seconds: float = 2.0, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(int(rate * seconds)) / rate
    f0 = 140.0 + 20.0 * np.sin(2 * np.pi * 0.7 * t)
    phase = 2 * np.pi * np.cumsum(f0) / rate
    voiced = sum(np.sin(k * phase) / k for k in range(1, 20))
    envelope = 0.5 + 0.5 * np.sin(2 * np.pi * 3.0 * t) ** 2
    return (0.2 * envelope * voiced + 0.01 * rng.standard_normal(t.size)).astype(np.float32)


def test_probe_reads_vorbis_bit_rate_and_pcm(tmp_path):
    ogg = tmp_path / "a.ogg"
    sf.write(ogg, _speechlike(22050), 22050, format="OGG", subtype="VORBIS", compression_level=0.8)
    channel = probe_channel(ogg)
    assert (channel.fmt, channel.codec, channel.sample_rate) == ("ogg", "vorbis", 22050)
    assert channel.kbps is not None and 10.0 < channel.kbps < 200.0
    wav = tmp_path / "b.wav"
    sf.write(wav, _speechlike(8000), 8000, subtype="PCM_16")
    assert probe_channel(wav) == Channel(fmt="wav", codec=None, sample_rate=8000, kbps=None)


def test_probe_names_an_unreadable_file(tmp_path):
    bad = tmp_path / "broken.ogg"
    bad.write_bytes(b"not audio at all")
    with pytest.raises(AudioError, match="broken.ogg"):
        probe_channel(bad)


def test_vorbis_quality_found_for_a_bit_rate():
    x = _speechlike(22050)
    low, high = vorbis_quality_for(x, 22050, 32.0), vorbis_quality_for(x, 22050, 96.0)
    assert 0.0 <= low < high <= 1.0


def test_apply_channel_codes_at_the_channel_rate():
    x = _speechlike(16000)
    y, rate = apply_channel(x, 16000, Channel(fmt="ogg", codec="vorbis", sample_rate=22050, kbps=40.0))
    assert rate == 22050 and abs(y.size - round(x.size * 22050 / 16000)) <= 2
    assert y.dtype == np.float32 and np.all(np.isfinite(y))
    plain, _ = apply_channel(x, 16000, Channel(fmt="wav", codec=None, sample_rate=22050))
    residual = np.sqrt(np.mean((y - plain) ** 2)) / np.sqrt(np.mean(plain**2))
    assert 1e-3 < residual < 1.0  # coded, yet still the same signal (delay compensated)
    g722, rate = apply_channel(x, 16000, Channel(fmt="g722", codec="g722", sample_rate=16000))
    assert rate == 16000 and g722.size == x.size and np.corrcoef(g722, x)[0, 1] > 0.9

