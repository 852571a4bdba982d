"""load_audio: every input kind, every format family, conversions and guard rails."""

from __future__ import annotations

import io

import numpy as np
import pytest
import soundfile as sf

from fakescope import Audio, AudioError, load_audio
from fakescope.audio import Limits
from fakescope.audio.io import to_float32


def _encode_pyav(samples: np.ndarray, sample_rate: int, container: str, codec: str, **options) -> bytes:
    """Encode mono float samples in memory with PyAV (the way users' m4a/webm/amr files are made)."""
    import av

    buffer = io.BytesIO()
    with av.open(buffer, mode="w", format=container) as out:
        stream = out.add_stream(codec, rate=sample_rate, **options)
        stream.layout = "mono"
        fmt = stream.codec_context.codec.audio_formats[0].name
        frame = av.AudioFrame.from_ndarray(samples[np.newaxis, :].astype(np.float32), format="fltp", layout="mono")
        frame.sample_rate = sample_rate
        resampler = av.AudioResampler(format=fmt, layout="mono", rate=sample_rate)
        for converted in resampler.resample(frame) + resampler.resample(None):
            for packet in stream.encode(converted):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return buffer.getvalue()


@pytest.mark.parametrize("fmt,subtype", [("WAV", "PCM_16"), ("WAV", "PCM_24"), ("WAV", "PCM_32"), ("WAV", "FLOAT"),
                                         ("WAV", "DOUBLE"), ("WAV", "PCM_U8"), ("FLAC", "PCM_16"), ("OGG", "VORBIS"),
                                         ("OGG", "OPUS"), ("MP3", "MPEG_LAYER_III")])
def test_soundfile_formats_decode_to_mono_float32_16k(speech, fmt, subtype):
    buffer = io.BytesIO()
    rate = 48000 if subtype == "OPUS" else 22050
    resampled = load_audio((speech.samples, speech.sample_rate), sample_rate=rate)
    sf.write(buffer, resampled.samples[0], rate, format=fmt, subtype=subtype)
    audio = load_audio(buffer.getvalue(), sample_rate=16000)
    assert audio.sample_rate == 16000
    assert audio.samples.dtype == np.float32 and audio.samples.shape[0] == 1
    # Lossy codecs add delay/padding; the duration must still be within 0.1 s of the original.
    assert abs(audio.duration_s - speech.duration_s) < 0.1


@pytest.mark.parametrize("suffix,container,codec,rate", [(".m4a", "ipod", "aac", 16000), (".webm", "webm", "libopus", 48000),
                                                         (".amr", "amr", "libopencore_amrnb", 8000), (".g722", "g722", "g722", 16000),
                                                         (".wma", "asf", "wmav2", 16000), (".mp4", "mp4", "aac", 16000)])
def test_pyav_formats_decode(tmp_path, speech, suffix, container, codec, rate):
    import av

    if codec not in av.codecs_available:
        pytest.skip(f"this FFmpeg build has no {codec} encoder")
    samples = load_audio((speech.samples, speech.sample_rate), sample_rate=rate).samples[0]
    options = {"libopencore_amrnb": {"bit_rate": 12200}, "wmav2": {"bit_rate": 64000}}.get(codec, {})
    path = tmp_path / f"clip{suffix}"
    path.write_bytes(_encode_pyav(samples, rate, container, codec, **options))
    audio = load_audio(path)
    assert audio.sample_rate == 16000 and audio.samples.shape[0] == 1
    assert abs(audio.duration_s - speech.duration_s) < 0.15
    assert np.isfinite(audio.samples).all() and np.abs(audio.samples).max() > 0.01


def test_gsm_decodes_through_pyav(tmp_path):
    # No GSM encoder exists in PyAV's FFmpeg (DESIGN.md §4); libsndfile writes GSM 6.10 inside WAV.
    t = np.arange(8000) / 8000
    path = tmp_path / "phone.wav"
    sf.write(path, 0.3 * np.sin(2 * np.pi * 300 * t), 8000, subtype="GSM610")
    audio = load_audio(path, sample_rate=None)
    assert audio.sample_rate == 8000 and audio.num_samples > 7000


def test_inputs_path_bytes_filelike_and_array_agree(write_wav):
    path = write_wav("a.wav")
    from_path = load_audio(path)
    from_str = load_audio(str(path))
    from_bytes = load_audio(path.read_bytes())
    with open(path, "rb") as handle:
        from_handle = load_audio(handle)
    data, rate = sf.read(path, dtype="float32")
    from_array = load_audio((data, rate))
    for other in (from_str, from_bytes, from_handle, from_array):
        np.testing.assert_allclose(other.samples, from_path.samples, atol=1e-6)


def test_torch_tensor_input(speech):
    import torch

    audio = load_audio((torch.from_numpy(speech.samples), 16000))
    np.testing.assert_array_equal(audio.samples, speech.samples)


def test_multichannel_is_averaged_and_native_rate_kept(write_wav):
    path = write_wav("stereo.wav", channels=2, sample_rate=44100)
    native = load_audio(path, sample_rate=None, mono=False)
    assert native.samples.shape[0] == 2 and native.sample_rate == 44100
    mono = load_audio(path, sample_rate=None)
    np.testing.assert_allclose(mono.samples[0], native.samples.mean(axis=0), atol=1e-6)


def test_resampling_keeps_a_tone_at_its_frequency():
    t = np.arange(44100) / 44100
    audio = load_audio((np.sin(2 * np.pi * 1000 * t).astype(np.float32), 44100), sample_rate=16000)
    spectrum = np.abs(np.fft.rfft(audio.samples[0]))
    assert audio.num_samples == 16000
    assert abs(np.argmax(spectrum) * 16000 / audio.num_samples - 1000) < 2


@pytest.mark.parametrize("dtype,full_scale", [(np.int16, 32767), (np.int32, 2**31 - 1), (np.uint8, 255), (np.int8, 127), (np.float64, 1.0)])
def test_integer_and_float_formats_scale_to_unit_range(dtype, full_scale):
    if dtype == np.uint8:
        raw = np.array([0, 128, 255], dtype=dtype)
        expected = [-1.0, 0.0, 127 / 128]
    else:
        raw = np.array([0, full_scale, -full_scale], dtype=dtype)
        expected = [0.0, full_scale / (-np.iinfo(dtype).min if dtype != np.float64 else 1.0), -full_scale / (-np.iinfo(dtype).min if dtype != np.float64 else 1.0)]
    np.testing.assert_allclose(to_float32("x", raw), expected, atol=1e-6)


@pytest.mark.parametrize("bad,reason", [
    (np.zeros(1600, np.float32), "digital silence"),
    (np.array([0.1, np.nan, 0.2], np.float32), "NaN"),
    (np.array([0.1, np.inf], np.float32), "NaN or infinite"),
    (np.zeros(0, np.float32), "no audio samples"),
])
def test_invalid_signals_are_rejected_with_a_reason(bad, reason):
    with pytest.raises(AudioError, match=reason):
        load_audio((bad, 16000), name="clip.wav")


def test_silence_can_be_allowed():
    audio = load_audio((np.zeros(160, np.float32), 16000), allow_silence=True)
    assert audio.num_samples == 160


def test_errors_name_the_file(tmp_path):
    missing = tmp_path / "missing.wav"
    with pytest.raises(AudioError, match=r"missing\.wav: no such file"):
        load_audio(missing)
    empty = tmp_path / "empty.flac"
    empty.write_bytes(b"")
    with pytest.raises(AudioError, match=r"empty\.flac: is an empty file"):
        load_audio(empty)
    text = tmp_path / "notes.mp3"
    text.write_text("this is not audio at all\n" * 50)
    with pytest.raises(AudioError, match=r"notes\.mp3: not a readable audio file"):
        load_audio(text)
    with pytest.raises(AudioError, match="is a directory"):
        load_audio(tmp_path)


def test_duration_limit_stops_decoding(write_wav):
    path = write_wav("long.wav", seconds=3.0)
    with pytest.raises(AudioError, match="longer than the limit of 2 s"):
        load_audio(path, limits=Limits(max_duration_s=2.0))
    with pytest.raises(AudioError, match="longer than"):
        load_audio(path, limits=Limits(max_decoded_bytes=16000 * 4))


def test_decoded_size_limit_holds_for_a_tiny_compressed_file(tmp_path):
    # 10 minutes of digital near-silence compresses to a few kB of FLAC: the limits must stop it.
    samples = np.zeros(16000 * 600, dtype=np.float32)
    samples[::1000] = 1e-3
    path = tmp_path / "bomb.flac"
    sf.write(path, samples, 16000)
    assert path.stat().st_size < 2_000_000
    with pytest.raises(AudioError, match="longer than"):
        load_audio(path, limits=Limits(max_duration_s=60))


def test_channels_last_arrays_are_refused():
    with pytest.raises(AudioError, match=r"looks like \(time, channels\)"):
        load_audio((np.ones((16000, 2), np.float32), 16000))


def test_input_size_limit(write_wav):
    path = write_wav("a.wav")
    with pytest.raises(AudioError, match="larger than the limit"):
        load_audio(path, limits=Limits(max_input_bytes=100))


def test_audio_contract_rejects_wrong_shapes():
    from fakescope.errors import ParameterError

    with pytest.raises(ParameterError):
        Audio(np.zeros(10, np.float32), 16000)
    with pytest.raises(ParameterError):
        Audio(np.zeros((1, 10), np.float64), 16000)


@pytest.mark.parametrize("header_frames", ["true", "short", "long", "unknown"])
def test_blocks_decode_alike_whatever_length_the_header_tells(tmp_path, monkeypatch, header_frames):
    """Blocks land in an array sized from the header; a header that tells a wrong or no length falls back to a list."""
    from fakescope.audio import io as audio_io

    rng = np.random.default_rng(3)
    stereo = (0.3 * rng.standard_normal((5000, 2))).astype(np.float32)
    path = tmp_path / "stereo.flac"
    sf.write(path, stereo, 16000, subtype="PCM_24")
    expected = sf.read(path, dtype="float32", always_2d=True)[0].T
    monkeypatch.setattr(audio_io, "_BLOCK_FRAMES", 700)  # 8 blocks, the last one short
    told = {"true": 5000, "short": 3000, "long": 8000, "unknown": 0}[header_frames]
    monkeypatch.setattr(audio_io, "_header_frames", lambda handle: told)
    decoded = load_audio(path, sample_rate=None, mono=False)
    assert decoded.samples.flags.c_contiguous and decoded.samples.dtype == np.float32
    np.testing.assert_array_equal(decoded.samples, expected)


def _pyav_reference(data: bytes) -> np.ndarray:
    """An independent decode: every frame to planar float32, concatenated."""
    import av

    with av.open(io.BytesIO(data)) as container:
        resampler = av.AudioResampler(format="fltp")
        blocks = [out.to_ndarray() for frame in container.decode(audio=0) for out in resampler.resample(frame)]
    return np.concatenate(blocks, axis=1)


@pytest.mark.parametrize("told", ["true", "short", "long", "unknown"])
def test_pyav_frames_decode_alike_whatever_duration_the_container_tells(monkeypatch, told):
    """PyAV's frames land in an array sized from the container's duration; a wrong or missing one falls back."""
    import av

    from fakescope.audio import io as audio_io

    rng = np.random.default_rng(4)
    stereo = (0.2 * rng.standard_normal((2, 48000))).astype(np.float32)
    buffer = io.BytesIO()
    with av.open(buffer, mode="w", format="webm") as out:
        stream = out.add_stream("libopus", rate=48000, layout="stereo")
        frame = av.AudioFrame.from_ndarray(stereo, format="fltp", layout="stereo")
        frame.sample_rate = 48000
        for packet in list(stream.encode(frame)) + list(stream.encode(None)):
            out.mux(packet)
    data = buffer.getvalue()
    expected = _pyav_reference(data)
    seconds = {"true": 1.0, "short": 0.3, "long": 5.0, "unknown": 0.0}[told]
    monkeypatch.setattr(audio_io, "_stream_seconds", lambda container, stream: seconds)
    decoded = load_audio(data, sample_rate=None, mono=False)
    assert decoded.samples.flags.c_contiguous and decoded.samples.dtype == np.float32
    np.testing.assert_array_equal(decoded.samples, expected)


def test_trimming_a_size_hints_slack_keeps_every_row():
    from fakescope.audio.io import _first_columns

    out = np.arange(3 * 10, dtype=np.float32).reshape(3, 10)
    expected = out[:, :7].copy()
    trimmed = _first_columns(out, 7)
    assert trimmed.flags.c_contiguous and np.shares_memory(trimmed, out)
    np.testing.assert_array_equal(trimmed, expected)
    whole = np.ones((2, 4), np.float32)
    assert _first_columns(whole, 4) is whole
