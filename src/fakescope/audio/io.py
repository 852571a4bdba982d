"""Decoding any common audio input into an `Audio`: soundfile first, PyAV (FFmpeg) for the rest.

Both decoders read in blocks and stop at the limits, so a corrupt header that declares hours of audio
allocates nothing it does not decode.
"""

from __future__ import annotations

import io
import os
import re
from pathlib import Path
from typing import IO, Any, Union

import numpy as np

from ..errors import AudioError
from . import ops
from .types import Audio
from .validate import Limits, check_format, check_samples, too_long

# Containers libsndfile cannot read: go straight to PyAV. Raw bitstreams need their demuxer named.
PYAV_FORMATS: dict[str, str | None] = {
    ".m4a": None, ".aac": None, ".mp4": None, ".mov": None, ".webm": None, ".mkv": None, ".3gp": None,
    ".amr": "amr", ".wma": None, ".asf": None, ".g722": "g722", ".gsm": "gsm", ".ac3": None, ".mp2": None,
}
AUDIO_EXTENSIONS = frozenset(
    {".wav", ".flac", ".ogg", ".oga", ".opus", ".mp3", ".aif", ".aiff", ".au", ".caf", ".w64", ".rf64"}
    | set(PYAV_FORMATS)
)
_BLOCK_FRAMES = 1 << 18

AudioSource = Union[str, os.PathLike, bytes, bytearray, memoryview, IO[bytes], tuple]


def load_audio(
    source: AudioSource,
    *,
    sample_rate: int | None = 16000,
    mono: bool = True,
    limits: Limits | None = None,
    allow_silence: bool = False,
    name: str | None = None,
) -> Audio:
    """Decode, validate and convert audio from a path, bytes, a binary file-like object or (samples, rate).

    sample_rate: resample (soxr HQ) to this rate; None keeps the native rate.
    mono: average the channels.
    limits: duration, decoded-size and input-size guard rails (`Limits()` by default).
    allow_silence: accept all-zero signals (rejected by default, as nothing can be said about them).
    name: what error messages call the input (defaults to the path or the file object's name).

    Raises AudioError("<name>: <reason>") for anything that is not usable audio.
    """
    limits = limits or Limits()
    label, samples, native_rate = _decode(source, limits, name)
    check_samples(label, samples, allow_silence=allow_silence)
    audio = Audio(samples, native_rate)
    if mono:
        audio = ops.to_mono(audio)
    if sample_rate is not None and sample_rate != audio.sample_rate:
        audio = ops.resample(audio, sample_rate)
    return audio


def source_name(source: Any, name: str | None = None) -> str:
    """The name error messages use for an input."""
    if name:
        return name
    if isinstance(source, (str, os.PathLike)):
        return os.fspath(source)
    if isinstance(source, (bytes, bytearray, memoryview)):
        return "<bytes>"
    if isinstance(source, tuple):
        return "<array>"
    return str(getattr(source, "name", "<stream>"))


def _decode(source: Any, limits: Limits, name: str | None) -> tuple[str, np.ndarray, int]:
    label = source_name(source, name)
    if isinstance(source, tuple):
        samples, rate = _from_array(label, source, limits)
        return label, samples, rate
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        if not path.exists():
            raise AudioError(label, "no such file")
        if path.is_dir():
            raise AudioError(label, "is a directory, not an audio file")
        try:
            size = path.stat().st_size
        except OSError as exc:
            raise AudioError(label, f"cannot read ({exc.strerror})") from None
        if size == 0:
            raise AudioError(label, "is an empty file (0 bytes)")
        if size > limits.max_input_bytes:
            raise AudioError(label, f"file is larger than the limit of {limits.max_input_bytes / 2**20:.0f} MiB")
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise AudioError(label, f"cannot read ({exc.strerror})") from None
        suffix = path.suffix.lower()
    elif isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
        suffix = Path(name or "").suffix.lower()
    elif hasattr(source, "read"):
        data = source.read(limits.max_input_bytes + 1)
        if not isinstance(data, (bytes, bytearray)):
            raise AudioError(label, "file object must be opened in binary mode")
        data = bytes(data)
        suffix = Path(str(getattr(source, "name", "") or name or "")).suffix.lower()
    else:
        raise AudioError(label, f"unsupported input type {type(source).__name__}")
    if len(data) == 0:
        raise AudioError(label, "is empty (0 bytes)")
    if len(data) > limits.max_input_bytes:
        raise AudioError(label, f"input is larger than the limit of {limits.max_input_bytes / 2**20:.0f} MiB")
    samples, rate = _decode_bytes(label, data, suffix, limits)
    return label, samples, rate


def _decode_bytes(label: str, data: bytes, suffix: str, limits: Limits) -> tuple[np.ndarray, int]:
    if suffix in PYAV_FORMATS:
        return _decode_pyav(label, data, PYAV_FORMATS[suffix], limits)
    try:
        return _decode_soundfile(label, data, limits)
    except AudioError as sf_error:
        if _is_limit_error(sf_error):
            raise
        try:
            return _decode_pyav(label, data, None, limits)
        except AudioError as av_error:
            if _is_limit_error(av_error) or "no audio stream" in av_error.reason:
                raise
            raise AudioError(label, f"not a readable audio file ({sf_error.reason}; {av_error.reason})") from None


def _is_limit_error(error: AudioError) -> bool:
    return error.reason.startswith(("longer than", "sample rate", "channels", "contains"))


def _decode_soundfile(label: str, data: bytes, limits: Limits) -> tuple[np.ndarray, int]:
    import soundfile as sf

    try:
        with sf.SoundFile(io.BytesIO(data)) as handle:
            rate, channels = int(handle.samplerate), int(handle.channels)
            check_format(label, rate, channels)
            max_frames = limits.max_frames(rate, channels)
            # Blocks go straight into a (C, T) array sized from the header: a list of blocks, their
            # concatenation and its transpose would hold three copies of an hour at 48 kHz at once. A header that
            # tells no length, or too short a one, falls back to the list.
            told = _header_frames(handle)
            out = np.empty((channels, told), np.float32) if 0 < told <= max_frames else None
            blocks, total = [], 0
            while True:
                block = handle.read(frames=_BLOCK_FRAMES, dtype="float32", always_2d=True)  # (t, C)
                count = block.shape[0]
                if count == 0:
                    break
                if total + count > max_frames:
                    raise too_long(label, limits, rate, channels)
                if out is not None and total + count > out.shape[1]:
                    blocks, out = [out[:, :total].T], None
                if out is not None:
                    out[:, total : total + count] = block.T
                else:
                    blocks.append(block)
                total += count
    except AudioError:
        raise
    except Exception as exc:  # libsndfile reports corrupt input through several exception types
        raise AudioError(label, f"soundfile: {_one_line(exc)}") from None
    if out is not None:
        return _first_columns(out, total), rate
    samples = np.concatenate(blocks, axis=0).T if blocks else np.zeros((channels, 0), np.float32)
    return np.ascontiguousarray(samples, dtype=np.float32), rate


def _header_frames(handle: Any) -> int:
    """The length a file's header tells (0 where it tells none); only a size hint, the decoded blocks decide."""
    return int(handle.frames)


def _first_columns(out: np.ndarray, total: int) -> np.ndarray:
    """`out[:, :total]` as a C-contiguous array in `out`'s own buffer, so trimming a size hint's slack never
    holds a second copy of the audio: row c moves left to offset c * total (numpy buffers overlapping moves
    itself, one row at most)."""
    channels, size = out.shape
    if total == size:
        return out
    flat = out.reshape(-1)
    for row in range(1, channels):
        flat[row * total : (row + 1) * total] = out[row, :total]
    return flat[: channels * total].reshape(channels, total)


def _stream_seconds(container: Any, stream: Any) -> float:
    """The duration a container tells for a stream (0 where it tells none); only a size hint."""
    import av

    if stream.duration and stream.time_base:
        return float(stream.duration * stream.time_base)
    if container.duration:  # WebM/Matroska tell it only for the whole container
        return container.duration / av.time_base
    return 0.0


# Room over the container's duration for the decoder's priming samples (AAC adds 1,024-2,112 per stream).
_HINT_SLACK = 1.01
_HINT_EXTRA_FRAMES = 8192


def _decode_pyav(label: str, data: bytes, demuxer: str | None, limits: Limits) -> tuple[np.ndarray, int]:
    import av

    # As for soundfile: frames go straight into a (C, T) array sized from the container's duration, since a
    # list of frames and their concatenation held two copies of the audio at once. A container that tells no
    # duration, or too short a one, falls back to the list.
    out: np.ndarray | None = None
    chunks: list[np.ndarray] = []
    rate = channels = total = max_frames = 0
    try:
        with av.open(io.BytesIO(data), mode="r", format=demuxer, metadata_errors="ignore") as container:
            stream = next((s for s in container.streams if s.type == "audio"), None)
            if stream is None:
                raise AudioError(label, "no audio stream in this file")
            seconds = _stream_seconds(container, stream)
            # fltp: float32 planar, so to_ndarray() gives (channels, samples) whatever the codec's format.
            resampler = av.AudioResampler(format="fltp")
            try:
                for frame in container.decode(stream):
                    for decoded in resampler.resample(frame):
                        block = decoded.to_ndarray()  # (C, t)
                        count = block.shape[1]
                        if not rate:
                            rate, channels = int(decoded.sample_rate), int(block.shape[0])
                            check_format(label, rate, channels)
                            max_frames = limits.max_frames(rate, channels)
                            if seconds > 0:
                                told = int(seconds * rate * _HINT_SLACK) + _HINT_EXTRA_FRAMES
                                out = np.empty((channels, min(told, max_frames)), np.float32)
                        if block.shape[0] != channels:
                            raise AudioError(label, "channel count changes inside the stream")
                        if total + count > max_frames:
                            raise too_long(label, limits, rate, channels)
                        if out is not None and total + count > out.shape[1]:
                            chunks, out = [out[:, :total]], None
                        if out is not None:
                            out[:, total : total + count] = block
                        else:
                            chunks.append(block.astype(np.float32, copy=False))
                        total += count
            except (av.error.InvalidDataError, av.error.EOFError) as exc:
                # A truncated file decodes up to the damage, as FFmpeg does; nothing decoded is an error.
                if not total:
                    raise AudioError(label, f"FFmpeg: {_one_line(exc)}") from None
    except AudioError:
        raise
    except Exception as exc:  # FFmpeg errors, malformed containers, unsupported codecs
        raise AudioError(label, f"FFmpeg: {_one_line(exc)}") from None
    if not total:
        raise AudioError(label, "contains no audio samples (empty)")
    if out is not None:
        return _first_columns(out, total), rate
    return np.ascontiguousarray(np.concatenate(chunks, axis=1), dtype=np.float32), rate


def _from_array(label: str, source: tuple, limits: Limits) -> tuple[np.ndarray, int]:
    if len(source) != 2:
        raise AudioError(label, "an array input must be a (samples, sample_rate) pair")
    samples, rate = source
    if hasattr(samples, "detach"):  # torch tensor
        samples = samples.detach().cpu().numpy()
    samples = np.asarray(samples)
    try:
        rate = int(rate)
    except (TypeError, ValueError):
        raise AudioError(label, f"sample_rate must be an integer, got {rate!r}") from None
    if samples.ndim == 1:
        samples = samples[np.newaxis, :]
    if samples.ndim != 2:
        raise AudioError(label, f"samples must be 1-D or (channels, time), got shape {samples.shape}")
    channels = samples.shape[0]
    if channels > samples.shape[1] and channels > 8:
        raise AudioError(label, f"shape {samples.shape} looks like (time, channels); pass (channels, time)")
    check_format(label, rate, channels)
    if samples.shape[1] > limits.max_frames(rate, channels):
        raise too_long(label, limits, rate, channels)
    return to_float32(label, samples), rate


def to_float32(label: str, samples: np.ndarray) -> np.ndarray:
    """Any integer or float sample format → float32 in [-1, 1] (integers scaled by their full range)."""
    kind = samples.dtype.kind
    if kind == "f":
        return np.ascontiguousarray(samples, dtype=np.float32)
    if kind == "i":
        scale = float(2 ** (8 * samples.dtype.itemsize - 1))
        return np.ascontiguousarray(samples.astype(np.float64) / scale, dtype=np.float32)
    if kind == "u":
        half = float(2 ** (8 * samples.dtype.itemsize - 1))
        return np.ascontiguousarray((samples.astype(np.float64) - half) / half, dtype=np.float32)
    raise AudioError(label, f"unsupported sample type {samples.dtype}")


def _one_line(exc: BaseException) -> str:
    """The library's message without object reprs, errno prefixes or line breaks."""
    text = " ".join(str(exc).split())
    text = re.sub(r"Error opening <[^>]*>: ", "", text)
    text = re.sub(r"^\[Errno -?\d+\] ", "", text)
    text = re.sub(r": '<none>'$", "", text)
    return (text or type(exc).__name__)[:200]
