"""Input-quality warnings: conditions under which a verdict deserves less trust.

They are computed on the audio at its native rate (before resampling), because an upsampled or
telephone-band file is only recognisable there.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..audio import Audio
from ..audio.activity import FRAME_S, frame_levels_db

MIN_RELIABLE_S = 1.0
CLIP_LEVEL = 0.999
CLIP_SHARE = 0.001
BANDWIDTH_FLOOR_DB = 50.0  # the band edge is where the long-term spectrum falls this far below its peak
SPECTRUM_BLOCK_FRAMES = 4096
MUSIC_MAX_LEVEL_SPREAD_DB = 7.0  # speech's frame levels spread wider: syllables against pauses


@dataclass(frozen=True)
class InputWarning:
    """A machine-readable code and a sentence for people."""

    code: str
    message: str

    def to_dict(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message}


def effective_bandwidth_hz(samples: np.ndarray, sample_rate: int) -> float:
    """Highest frequency where the long-term average spectrum is within 50 dB of its peak. samples: (T,)."""
    n_fft = 1 << int(np.ceil(np.log2(max(sample_rate * 0.032, 64))))
    if len(samples) < n_fft:
        samples = np.pad(samples, (0, n_fft - len(samples)))
    frames = np.lib.stride_tricks.sliding_window_view(samples, n_fft)[:: n_fft // 2]  # a view: no copy
    window = np.hanning(n_fft)
    spectrum = np.zeros(n_fft // 2 + 1)
    for start in range(0, len(frames), SPECTRUM_BLOCK_FRAMES):  # in blocks: an hour at 48 kHz would need GBs at once
        block = frames[start : start + SPECTRUM_BLOCK_FRAMES]
        spectrum += np.sum(np.abs(np.fft.rfft(block * window, axis=-1)) ** 2, axis=0)
    spectrum /= len(frames)
    level_db = 10 * np.log10(spectrum + 1e-20)
    above = np.nonzero(level_db > level_db.max() - BANDWIDTH_FLOOR_DB)[0]
    return float(above[-1] * sample_rate / n_fft) if above.size else 0.0


def audio_warnings(audio: Audio) -> list[InputWarning]:
    """Every warning that applies to `audio` (any rate, any channels), in a stable order."""
    samples = audio.mono()
    rate = audio.sample_rate
    found: list[InputWarning] = []
    if audio.duration_s < MIN_RELIABLE_S:
        found.append(InputWarning("too_short", f"only {audio.duration_s:.2f} s of audio; verdicts under "
                                               f"{MIN_RELIABLE_S:g} s are unreliable"))
    peak = float(max(samples.max(), -samples.min())) if samples.size else 0.0  # no |x| copy of a long file
    if peak >= CLIP_LEVEL:
        share = (np.count_nonzero(samples >= CLIP_LEVEL) + np.count_nonzero(samples <= -CLIP_LEVEL)) / samples.size
        if share > CLIP_SHARE:
            found.append(InputWarning("clipping", f"{100 * share:.1f} % of samples are clipped at full scale"))
    levels = frame_levels_db(samples, rate)
    active = levels > -50.0
    if active.mean() < 0.1:
        found.append(InputWarning("silence", "almost no speech: over 90 % of the file is below -50 dBFS"))
        return found  # bandwidth and music cues mean nothing on silence
    bandwidth = effective_bandwidth_hz(samples, rate)
    if bandwidth <= 4000:
        found.append(InputWarning("telephone_band", f"content stops at {bandwidth / 1000:.1f} kHz (telephone band); "
                                                    "codecs and band limits hide the cues detectors use"))
    elif bandwidth < 6000:
        found.append(InputWarning("low_bandwidth", f"content stops at {bandwidth / 1000:.1f} kHz; high-frequency "
                                                   "cues are missing"))
    if rate > 16000 and bandwidth < 0.8 * rate / 2 and bandwidth > 4000:
        found.append(InputWarning("upsampled", f"the file is at {rate / 1000:g} kHz but its content stops at "
                                               f"{bandwidth / 1000:.1f} kHz: it was upsampled from a lower rate"))
    if is_music_like(levels[active.nonzero()[0].min():] if active.any() else levels, audio.duration_s):
        found.append(InputWarning("music_like", "continuous sound without the pauses of speech (music or "
                                                "background sound?); the detector is made for speech"))
    return found


def is_music_like(levels_db: np.ndarray, duration_s: float) -> bool:
    """Speech pauses between phrases and syllables; music and steady noise rarely do.

    True when a recording of >= 3 s has under 3 % of frames more than 15 dB below its median level and its
    frame levels spread less than 7 dB (standard deviation). The dips alone also flag fluent speech whose pauses a
    noise floor fills: 38 of dev-real's 1,499 files of >= 3 s (speech in noise at 15 dB SNR too). The level
    spread keeps syllables apart from pauses there; with it, 4 of the 1,499 are flagged, against 158 of 175
    six-second excerpts of the asc-music Debian package's tracks (159 with the dips alone) and 47 of 65 noise
    recordings (51).
    """
    if duration_s < 3.0 or levels_db.size < 40:
        return False
    dips = levels_db < np.median(levels_db) - 15.0
    return float(dips.mean()) < 0.03 and float(np.std(levels_db)) < MUSIC_MAX_LEVEL_SPREAD_DB
