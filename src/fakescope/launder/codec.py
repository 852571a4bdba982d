"""Lossy codecs run in memory: encode, decode, undo the codec's delay, keep rate and length.

Routes (DESIGN.md §4): PyAV (FFmpeg) encodes MP3, AAC, Opus, G.722, AMR-NB and G.711 µ/A-law. It has no
GSM encoder, so GSM 06.10 goes through libsndfile's own GSM codec (soundfile, WAV/GSM610), and Vorbis
through libsndfile's libvorbis (FFmpeg's native Vorbis encoder is marked experimental and refuses to open).
Everything happens in memory: packets straight from encoder to decoder, or a BytesIO for soundfile.

Audio moves to a rate the codec supports (the input's own rate when it can), through the codec, and back.
Codecs add a delay (encoder look-ahead, priming frames); it is constant for a given configuration, so it
is measured once per configuration by cross-correlating a probe signal with its coded version, and every
output is shifted by it (the tests check the alignment on other signals).
"""

from __future__ import annotations

import functools
import io
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
from scipy import signal

from ..errors import ParameterError
from .base import ATTACKS, Attack, check_range
from .resample import fit_length, resample_array

MP3_RATES = (8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000)
AMR_NB_MODES_KBPS = (4.75, 5.15, 5.9, 6.7, 7.4, 7.95, 10.2, 12.2)


@dataclass(frozen=True)
class CodecInfo:
    """How one codec is run. `rates` are the working rates it accepts; `kbps` its bit-rate range at
    `rate` (None: a fixed bit rate), `default_kbps` the bit rate used when none is given."""

    backend: str  # "pyav" or "soundfile"
    encoder: str  # PyAV encoder, or soundfile "FORMAT/SUBTYPE"
    decoder: str  # PyAV decoder ("" for soundfile)
    rates: tuple[int, ...]
    default_kbps: float | None = None
    description: str = ""

    def kbps_range(self, rate: int) -> tuple[float, float] | None:
        if self.default_kbps is None:
            return None
        if self.encoder == "libmp3lame":  # MPEG-1 / MPEG-2 / MPEG-2.5 layer III limits
            return (32.0, 320.0) if rate >= 32000 else (8.0, 160.0) if rate >= 16000 else (8.0, 64.0)
        if self.encoder == "aac":  # FFmpeg's AAC: at most 6144 bits per 1024-sample frame and channel
            return (8.0, min(320.0, 6.0 * rate / 1000.0))
        if self.encoder == "libopus":
            return (6.0, 510.0)
        return (min(AMR_NB_MODES_KBPS), max(AMR_NB_MODES_KBPS))


CODECS: dict[str, CodecInfo] = {
    "mp3": CodecInfo("pyav", "libmp3lame", "mp3", MP3_RATES, 64.0, "MPEG-1/2 layer III (LAME)"),
    "aac": CodecInfo("pyav", "aac", "aac", (8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000), 64.0,
                     "AAC-LC (FFmpeg)"),
    "opus": CodecInfo("pyav", "libopus", "libopus", (8000, 12000, 16000, 24000, 48000), 32.0, "Opus (libopus)"),
    "vorbis": CodecInfo("soundfile", "OGG/VORBIS", "", (), None, "Ogg Vorbis (libsndfile), set by quality 0..1"),
    "gsm": CodecInfo("soundfile", "WAV/GSM610", "", (8000,), None, "GSM 06.10 full rate, 13 kbps (libsndfile)"),
    "g722": CodecInfo("pyav", "g722", "g722", (16000,), None, "G.722 wideband, 64 kbps"),
    "amr-nb": CodecInfo("pyav", "libopencore_amrnb", "amrnb", (8000,), 12.2, "AMR narrowband, 4.75-12.2 kbps"),
    "mulaw": CodecInfo("pyav", "pcm_mulaw", "pcm_mulaw", (8000,), None, "G.711 µ-law, 64 kbps"),
    "alaw": CodecInfo("pyav", "pcm_alaw", "pcm_alaw", (8000,), None, "G.711 A-law, 64 kbps"),
}
ALIASES = {"amrnb": "amr-nb", "amr_nb": "amr-nb", "ogg": "vorbis", "g711": "mulaw", "ulaw": "mulaw", "gsm610": "gsm"}


@functools.lru_cache(maxsize=None)
def codec_available(codec: str) -> bool:
    """Whether this build can encode and decode `codec` (FFmpeg's or libsndfile's list)."""
    info = CODECS[codec]
    if info.backend == "soundfile":
        import soundfile as sf

        fmt, subtype = info.encoder.split("/")
        return subtype in sf.available_subtypes(fmt)
    import av

    return {info.encoder, info.decoder} <= set(av.codecs_available)


def available_codecs() -> list[str]:
    """Codec names that work in this build."""
    return [name for name in CODECS if codec_available(name)]


@ATTACKS.register("codec")
@dataclass(frozen=True)
class Codec(Attack):
    """Encode and decode with `codec` at `bitrate_kbps` (or Vorbis `quality` 0..1), delay compensated.

    sample_rate: the rate the codec runs at; by default the input's rate when the codec supports it at
    this bit rate, else the nearest higher rate that does (MP3 at 320 kbps needs MPEG-1's 32 kHz or more).
    """

    name: ClassVar[str] = "codec"
    positional: ClassVar[tuple[str, ...]] = ("codec",)
    aliases: ClassVar[dict[str, str]] = {"bitrate": "bitrate_kbps", "kbps": "bitrate_kbps", "rate": "sample_rate"}

    codec: str = "mp3"
    bitrate_kbps: float | None = None
    quality: float | None = None
    sample_rate: int | None = None

    def __post_init__(self) -> None:
        codec = ALIASES.get(self.codec, self.codec)
        if codec != self.codec:
            object.__setattr__(self, "codec", codec)
        if codec not in CODECS:
            raise ParameterError(f"codec must be one of {', '.join(CODECS)}, got {self.codec!r}")
        if not codec_available(codec):
            info = CODECS[codec]
            route = "libsndfile" if info.backend == "soundfile" else "the FFmpeg bundled with PyAV"
            raise ParameterError(f"codec {codec!r} is not available: {route} has no {info.encoder} encoder/decoder here")
        info = CODECS[codec]
        if self.bitrate_kbps is not None:
            if info.default_kbps is None:
                raise ParameterError(f"codec {codec!r} has a fixed bit rate; drop bitrate_kbps (got {self.bitrate_kbps})")
            bounds = [info.kbps_range(rate) for rate in info.rates]  # the union over the rates it runs at
            low, high = min(b[0] for b in bounds), max(b[1] for b in bounds)  # type: ignore[index]
            check_range("bitrate_kbps", self.bitrate_kbps, low, high)
            if codec == "amr-nb" and self.bitrate_kbps not in AMR_NB_MODES_KBPS:
                raise ParameterError(f"amr-nb bitrate_kbps must be one of {AMR_NB_MODES_KBPS}, got {self.bitrate_kbps}")
        if self.quality is not None:
            if codec != "vorbis":
                raise ParameterError(f"quality applies to vorbis only; codec {codec!r} takes bitrate_kbps")
            check_range("quality", self.quality, 0.0, 1.0)
        if self.sample_rate is not None:
            if info.rates and self.sample_rate not in info.rates:
                raise ParameterError(f"{codec} sample_rate must be one of {info.rates}, got {self.sample_rate}")
            if not info.rates:
                check_range("sample_rate", self.sample_rate, 1000, 192000)
            self._check_bitrate_at(self.sample_rate)

    @property
    def info(self) -> CodecInfo:
        return CODECS[self.codec]

    @property
    def kbps(self) -> float | None:
        """The bit rate used (the codec's default when none was given; None for fixed-rate codecs)."""
        return self.bitrate_kbps if self.bitrate_kbps is not None else self.info.default_kbps

    def _bitrate_fits(self, rate: int) -> bool:
        bounds = self.info.kbps_range(rate)
        return bounds is None or bounds[0] <= self.kbps <= bounds[1]  # type: ignore[operator]

    def _check_bitrate_at(self, rate: int) -> None:
        if not self._bitrate_fits(rate):
            low, high = self.info.kbps_range(rate)  # type: ignore[misc]
            raise ParameterError(f"{self.codec} at {rate} Hz takes {low:g}-{high:g} kbps, got {self.kbps:g}")

    def working_rate(self, sample_rate: int) -> int:
        """The rate the codec runs at for input at `sample_rate`."""
        if self.sample_rate is not None:
            return int(self.sample_rate)
        if not self.info.rates:
            return int(sample_rate)
        fitting = [rate for rate in self.info.rates if self._bitrate_fits(rate)]
        if sample_rate in fitting:
            return int(sample_rate)
        higher = [rate for rate in fitting if rate > sample_rate]
        return min(higher) if higher else max(fitting)

    def delay(self, sample_rate: int) -> int:
        """The codec's delay in samples at `sample_rate` (measured once per configuration and rate)."""
        return _measured_delay(self, int(sample_rate))

    def apply(self, samples, sample_rate, rng, resources):
        length = samples.shape[1]
        delay = self.delay(sample_rate)
        out = np.empty_like(samples)
        for channel in range(samples.shape[0]):  # speech codecs are mono: code each channel on its own
            coded = self.code(samples[channel], sample_rate)
            coded = coded[delay:] if delay >= 0 else np.concatenate([np.zeros(-delay, np.float32), coded])
            out[channel] = fit_length(coded[np.newaxis, :], length)[0]
        return out

    def code(self, mono: np.ndarray, sample_rate: int) -> np.ndarray:
        """One encode/decode pass of (T,) at `sample_rate`, not yet delay compensated. → (T',) at sample_rate."""
        work = self.working_rate(sample_rate)
        x = resample_array(mono[np.newaxis, :].astype(np.float32), sample_rate, work)[0]
        if x.size == 0:
            return np.zeros(0, np.float32)
        if self.info.backend == "soundfile":
            y, out_rate = self._soundfile_pass(x, work)
        else:
            y, out_rate = self._pyav_pass(x, work)
        return resample_array(y[np.newaxis, :], out_rate, sample_rate)[0]

    def _soundfile_pass(self, x: np.ndarray, rate: int) -> tuple[np.ndarray, int]:
        import soundfile as sf

        quality = None if self.codec != "vorbis" else 0.4 if self.quality is None else float(self.quality)
        buffer = _soundfile_encode(x, rate, self.info.encoder, quality)
        y, out_rate = sf.read(buffer, dtype="float32", always_2d=True)
        return y[:, 0], int(out_rate)

    def _pyav_pass(self, x: np.ndarray, rate: int) -> tuple[np.ndarray, int]:
        import av

        try:
            encoder = av.CodecContext.create(self.info.encoder, "w")
            encoder.sample_rate = rate
            encoder.layout = "mono"
            formats = [f.name for f in encoder.codec.audio_formats or []]
            sample_format = next((f for f in ("fltp", "flt") if f in formats), "s16")
            encoder.format = sample_format
            if self.kbps is not None:
                encoder.bit_rate = int(round(self.kbps * 1000))
            encoder.open()
            decoder = av.CodecContext.create(self.info.decoder, "r")
            decoder.sample_rate = rate
            decoder.layout = "mono"
            if encoder.extradata:
                decoder.extradata = encoder.extradata
            decoder.open()
        except av.error.FFmpegError as exc:
            raise ParameterError(f"codec {self.to_spec()!r}: FFmpeg refused the settings ({exc})") from None
        frame_size = encoder.frame_size or 1024
        if sample_format == "s16":
            data = np.round(np.clip(x, -1.0, 1.0) * 32767.0).astype(np.int16)
        else:
            data = x.astype(np.float32)
        packets = []
        for start in range(0, data.size, frame_size):
            chunk = data[start : start + frame_size]
            if encoder.frame_size and chunk.size < frame_size:  # fixed-frame codecs need a full last frame
                chunk = np.pad(chunk, (0, frame_size - chunk.size))
            frame = av.AudioFrame.from_ndarray(chunk[np.newaxis, :], format=sample_format, layout="mono")
            frame.sample_rate = rate
            frame.pts = start
            packets.extend(encoder.encode(frame))
        packets.extend(encoder.encode(None))
        # Decoders pick their own output format (and Opus its own rate): convert to packed float32.
        converter = av.AudioResampler(format="flt", layout="mono")
        decoded, out_rate = [], rate
        for packet in [*packets, None]:
            for frame in decoder.decode(packet):
                out_rate = int(frame.sample_rate)
                decoded.extend(f.to_ndarray().reshape(-1) for f in converter.resample(frame))
        decoded.extend(f.to_ndarray().reshape(-1) for f in converter.resample(None))
        y = np.concatenate(decoded).astype(np.float32) if decoded else np.zeros(0, np.float32)
        return y, out_rate


_WRITE_BLOCK = 1 << 16  # samples per libsndfile write call


def _soundfile_encode(x: np.ndarray, rate: int, encoder: str, quality: float | None) -> io.BytesIO:
    """x (T,) encoded by libsndfile as `encoder` ("FORMAT/SUBTYPE"), in a buffer rewound to its start."""
    import soundfile as sf

    fmt, subtype = encoder.split("/")
    # libsndfile's compression level is the inverse of Vorbis quality.
    options = {} if quality is None else {"compression_level": 1.0 - quality}
    buffer = io.BytesIO()
    x = np.clip(x, -1.0, 1.0)
    with sf.SoundFile(buffer, "w", samplerate=rate, channels=1, format=fmt, subtype=subtype, **options) as out:
        # In blocks: libsndfile's Vorbis writer crashed the process (SIGSEGV) on one write of about 64 s at 44.1 kHz.
        for start in range(0, x.size, _WRITE_BLOCK):
            out.write(x[start : start + _WRITE_BLOCK])
    buffer.seek(0)
    return buffer


def vorbis_quality_for(x: np.ndarray, sample_rate: int, kbps: float, *, steps: int = 7) -> float:
    """The Vorbis quality (0..1) whose encoding of this mono signal (T,) comes closest to `kbps`.

    Vorbis is set by quality, not bit rate, and the bit rate a quality gives depends on the rate and the
    signal, so the quality is found by bisection on the signal itself (`steps` encodes, each a few ms).
    """
    check_range("kbps", kbps, 1.0, 1000.0)
    seconds = max(x.size / sample_rate, 1e-3)
    low, high = 0.0, 1.0
    for _ in range(steps):
        middle = 0.5 * (low + high)
        size = len(_soundfile_encode(x, sample_rate, CODECS["vorbis"].encoder, middle).getbuffer())
        if 8.0 * size / seconds / 1000.0 > kbps:
            high = middle
        else:
            low = middle
    return round(0.5 * (low + high), 4)


@functools.lru_cache(maxsize=256)
def _measured_delay(codec: Codec, sample_rate: int) -> int:
    probe = _probe(sample_rate, codec.working_rate(sample_rate))
    coded = codec.code(probe, sample_rate)
    correlation = signal.correlate(coded.astype(np.float64), probe.astype(np.float64), mode="full", method="fft")
    return int(np.argmax(correlation)) - (probe.size - 1)


def _probe(sample_rate: int, working_rate: int) -> np.ndarray:
    """1 s of seeded noise, band-limited to what the codec keeps, with a syllable-rate envelope. → (T,)."""
    rng = np.random.default_rng(20240611)
    length = sample_rate
    top = 0.4 * min(sample_rate, working_rate)
    sos = signal.butter(6, [150.0, top], btype="bandpass", fs=sample_rate, output="sos")
    noise = signal.sosfilt(sos, rng.standard_normal(length))
    t = np.arange(length) / sample_rate
    envelope = 0.55 + 0.45 * np.sin(2 * np.pi * 4.0 * t)  # 4 Hz: speech codecs treat it as talk, not silence
    probe = noise * envelope
    return (0.3 * probe / np.max(np.abs(probe))).astype(np.float32)
