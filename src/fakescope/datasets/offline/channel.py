"""The lossy coding a bona fide recording went through, given to the spoofs as well.

The corpus's bona fide speech comes from Debian packages as G.722 telephone prompts, Ogg Vorbis at 29-160
kbps, Opus and PCM WAV; the synthesisers and vocoders write PCM. The equaliser (equalise.py) matches rate,
band, level, margins and noise floor, but a codec's traces inside the band stayed with one class: 85 % of the
bona fide files had been through a lossy codec and no spoof had. Measured on the full build (whole-file
study, docs/MODEL_CARD.md), the classes' phase and harmonic statistics then pointed the opposite way from
dev-real's, and a detector trained on the corpus alone scored the held-out real-world sources below chance.

So every spoof takes on the coding of one bona fide recording of its split before the equaliser runs: a
copy-synthesis spoof that of the very recording it re-synthesised, a TTS spoof that of a bona fide recording
drawn at random from its split (planned in plan.py). The codec passes are the laundering codecs
(launder/codec.py); Vorbis is set by quality, found by bisection to give the recording's own bit rate.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ...errors import AudioError
from ...launder.codec import CODECS, Codec, vorbis_quality_for
from ...launder.resample import resample_array

# FFmpeg's decoder names → the laundering codec that re-creates them (None: PCM, nothing lossy to re-create).
_CODEC_OF = {"g722": "g722", "vorbis": "vorbis", "opus": "opus", "pcm_mulaw": "mulaw", "pcm_alaw": "alaw",
             "gsm": "gsm", "gsm_ms": "gsm", "mp3": "mp3", "mp3float": "mp3"}


_MAX_BITS = 2_000_000  # no audio codec here runs above 2 Mbit/s; a larger header value means "unset"


@dataclass(frozen=True)
class Channel:
    """How one recording was stored: its file format, the codec to re-create (None: PCM), rate and bit rate."""

    fmt: str
    codec: str | None
    sample_rate: int
    kbps: float | None = None  # per audio channel; None for codecs of a fixed rate and for PCM


def probe_channel(path: str | Path) -> Channel:
    """The channel of a stored recording, read from its container (PyAV); AudioError naming the file if unreadable."""
    import av

    path = Path(path)
    fmt = path.suffix.lstrip(".").lower()
    try:
        # Tags in a legacy encoding (some Vorbis comments are Latin-1) must not stop the probe.
        with av.open(str(path), metadata_errors="ignore") as container:
            stream = container.streams.audio[0]
            name = stream.codec_context.name
            rate = int(stream.sample_rate)
            channels = max(1, int(stream.channels or 1))
            bits = stream.bit_rate or container.bit_rate  # Vorbis and Opus in Ogg often give only the container's
            if not bits or bits > _MAX_BITS:  # absent, or a header's "unset" (2^32 - 1): size over duration
                seconds = float(container.duration or 0) / av.time_base
                bits = 8.0 * path.stat().st_size / seconds if seconds > 0 else 0
    except (av.error.FFmpegError, IndexError, OSError, UnicodeDecodeError) as exc:
        raise AudioError(path, f"cannot read its codec ({exc})") from None
    codec = _CODEC_OF.get(name)
    kbps = None
    if codec in ("vorbis", "opus", "mp3"):
        if not bits:
            raise AudioError(path, f"{name} without a bit rate in its container")
        kbps = float(bits) / 1000.0 / channels
    return Channel(fmt=fmt, codec=codec, sample_rate=rate, kbps=kbps)


def apply_channel(samples: np.ndarray, sample_rate: int, channel: Channel) -> tuple[np.ndarray, int]:
    """Mono (T,) at sample_rate → (T',) at the channel's rate, through its codec. Deterministic."""
    x = resample_array(np.asarray(samples, dtype=np.float32)[np.newaxis, :], int(sample_rate), channel.sample_rate)
    if channel.codec is None:
        return x[0], channel.sample_rate
    info = CODECS[channel.codec]
    if channel.codec == "vorbis":
        codec = Codec("vorbis", quality=vorbis_quality_for(x[0], channel.sample_rate, channel.kbps or 64.0))
    elif info.default_kbps is not None:  # a codec set by bit rate: the recording's, within what it accepts here
        low, high = info.kbps_range(channel.sample_rate)
        codec = Codec(channel.codec, bitrate_kbps=float(np.clip(channel.kbps or info.default_kbps, low, high)))
    else:
        codec = Codec(channel.codec)
    peak = float(np.max(np.abs(x))) if x.size else 0.0
    if peak > 0.99:  # codecs clip at full scale; the equaliser sets the level afterwards anyway
        x = x * (0.99 / peak)
    coded = codec.apply(x, channel.sample_rate, np.random.default_rng(0), None)
    return coded[0], channel.sample_rate
