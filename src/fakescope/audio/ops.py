"""Signal operations on (channels, time) float32 arrays: mono, resampling, DC, loudness, trim, crop and pad."""

from __future__ import annotations

import numpy as np
import soxr

from ..errors import ParameterError
from .types import Audio


def to_mono(audio: Audio) -> Audio:
    """Average the channels; a mono input is returned unchanged."""
    if audio.num_channels == 1:
        return audio
    return Audio(audio.samples.mean(axis=0, keepdims=True, dtype=np.float32), audio.sample_rate)


def resample(audio: Audio, sample_rate: int, *, quality: str = "HQ") -> Audio:
    """Resample with soxr (high quality by default). A no-op when the rate already matches."""
    if sample_rate <= 0:
        raise ParameterError(f"sample_rate must be > 0, got {sample_rate}")
    if sample_rate == audio.sample_rate:
        return audio
    # soxr wants (time, channels); our contract is (channels, time).
    out = soxr.resample(audio.samples.T, audio.sample_rate, sample_rate, quality=quality)
    out = np.ascontiguousarray(np.asarray(out, dtype=np.float32).reshape(-1, audio.num_channels).T)
    return Audio(out, int(sample_rate))


def remove_dc(samples: np.ndarray) -> np.ndarray:
    """Subtract each channel's mean. (C, T) → (C, T)."""
    return (samples - samples.mean(axis=-1, keepdims=True)).astype(np.float32)


def rms_db(samples: np.ndarray) -> float:
    """Root-mean-square level in dBFS of the whole array (−inf dB floored at −200)."""
    rms = float(np.sqrt(np.mean(np.square(samples, dtype=np.float64))))
    return 20.0 * np.log10(max(rms, 1e-10))


def normalize_rms(samples: np.ndarray, *, target_db: float = -23.0, max_peak: float = 0.99) -> np.ndarray:
    """Scale to a target RMS level in dBFS, then back off if the peak would exceed `max_peak`."""
    gain = 10.0 ** ((target_db - rms_db(samples)) / 20.0)
    out = samples * gain
    peak = float(np.max(np.abs(out))) if out.size else 0.0
    if peak > max_peak:
        out = out * (max_peak / peak)
    return out.astype(np.float32)


def normalize_peak(samples: np.ndarray, *, peak: float = 0.99) -> np.ndarray:
    """Scale so the largest absolute sample equals `peak` (silence is returned unchanged)."""
    current = float(np.max(np.abs(samples))) if samples.size else 0.0
    if current == 0.0:
        return samples.astype(np.float32)
    return (samples * (peak / current)).astype(np.float32)


PAD_MODES = ("repeat", "none")
# The shortest input a "none"-padded model sees: shorter audio is still tiled up to it, so every front-end has
# frames enough for its statistics (20 frames at a 10-ms hop, over half of them among the loudest).
MIN_UNPADDED_SECONDS = 0.5


def model_crop(samples: np.ndarray, num_samples: int, *, pad: str = "repeat", offset: int = 0,
               sample_rate: int = 16000) -> np.ndarray:
    """What a model sees of one input: `num_samples` from `offset` when the input is that long.

    Shorter input: pad="repeat" tiles it to `num_samples` (models that take a fixed length);
    pad="none" keeps it as it is, tiled only up to MIN_UNPADDED_SECONDS (models that pool statistics
    over frames, where tiling would add a loop join every repetition and count each frame several times).
    """
    if pad not in PAD_MODES:
        raise ParameterError(f"pad must be one of {', '.join(PAD_MODES)}, got {pad!r}")
    if pad == "repeat" or samples.shape[-1] >= num_samples:
        return fix_length(samples, num_samples, mode="repeat", offset=offset)
    floor = min(num_samples, int(round(MIN_UNPADDED_SECONDS * sample_rate)))
    return fix_length(samples, max(samples.shape[-1], floor), mode="repeat")


def fix_length(samples: np.ndarray, num_samples: int, *, mode: str = "repeat", offset: int = 0) -> np.ndarray:
    """Crop or pad the last axis to `num_samples`.

    mode: "repeat" tiles the signal (the field's repeat-padding, no artificial silence),
    "zero" pads with zeros. `offset` is where a crop starts.
    """
    if num_samples <= 0:
        raise ParameterError(f"num_samples must be > 0, got {num_samples}")
    length = samples.shape[-1]
    if length == 0:
        raise ParameterError("cannot fix the length of an empty signal")
    if length >= num_samples:
        start = min(max(offset, 0), length - num_samples)
        return samples[..., start : start + num_samples]
    if mode == "repeat":
        reps = -(-num_samples // length)
        return np.concatenate([samples] * reps, axis=-1)[..., :num_samples]
    if mode == "zero":
        pad = [(0, 0)] * (samples.ndim - 1) + [(0, num_samples - length)]
        return np.pad(samples, pad)
    raise ParameterError(f"mode must be 'repeat' or 'zero', got {mode!r}")
