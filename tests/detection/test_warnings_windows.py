"""Input-quality warnings and the sliding-window plan."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import signal

from fakescope.audio import Audio, load_audio
from fakescope.audio.synthetic import voice_like
from fakescope.detection.warnings import audio_warnings, effective_bandwidth_hz
from fakescope.detection.windows import WindowPlan, aggregate_scores, plan_for, speech_segments, split_windows
from fakescope.errors import ParameterError


def codes(audio: Audio) -> list[str]:
    return [w.code for w in audio_warnings(audio)]


def test_clean_speech_has_no_warnings(rng):
    assert codes(voice_like(seconds=4.0, rng=rng)) == []


def test_too_short(rng):
    assert "too_short" in codes(voice_like(seconds=0.5, rng=rng))


def test_clipping(rng):
    loud = voice_like(seconds=2.0, rng=rng).samples * 8
    assert "clipping" in codes(Audio(np.clip(loud, -1, 1).astype(np.float32), 16000))


def test_silence_only():
    quiet = (1e-5 * np.random.default_rng(0).standard_normal((1, 32000))).astype(np.float32)
    assert codes(Audio(quiet, 16000)) == ["silence"]


def test_telephone_band_and_upsampled_source(rng):
    speech = voice_like(seconds=3.0, rng=rng)
    noisy = speech.samples[0] + 0.02 * rng.standard_normal(speech.num_samples).astype(np.float32)
    band = signal.sosfiltfilt(signal.butter(8, [300, 3400], "bandpass", fs=16000, output="sos"), noisy).astype(np.float32)
    assert "telephone_band" in codes(Audio(band[np.newaxis], 16000))
    wideband = Audio(noisy[np.newaxis].astype(np.float32), 16000)
    upsampled = load_audio((wideband.samples, 16000), sample_rate=44100)
    assert effective_bandwidth_hz(upsampled.samples[0], 44100) < 8100
    assert "upsampled" in codes(upsampled)
    assert "upsampled" not in codes(wideband)


def test_the_bandwidth_is_the_same_computed_in_blocks(rng, monkeypatch):
    """The long-term spectrum is summed block by block (memory); any block size gives the same band edge."""
    from fakescope.detection import warnings

    speech = voice_like(seconds=3.0, rng=rng).samples[0]
    band = signal.sosfiltfilt(signal.butter(8, 5000, fs=16000, output="sos"), speech).astype(np.float32)
    whole = effective_bandwidth_hz(band, 16000)
    monkeypatch.setattr(warnings, "SPECTRUM_BLOCK_FRAMES", 7)  # 187 frames: 27 blocks, the last one short
    assert effective_bandwidth_hz(band, 16000) == whole and 4500 < whole < 6500


def test_music_like_continuous_sound():
    t = np.arange(16000 * 5) / 16000
    chord = sum(np.sin(2 * np.pi * f * t) for f in (220, 277, 330, 440)) * 0.1
    assert "music_like" in codes(Audio(chord.astype(np.float32)[np.newaxis], 16000))


def test_speech_in_steady_noise_is_not_music_like(rng):
    """A noise floor 15 dB under the speech fills its pauses (no 15-dB dips); its syllables still spread the levels."""
    speech = voice_like(seconds=5.0, rng=rng).samples[0]
    floor = rng.standard_normal(speech.size).astype(np.float32)
    floor *= np.sqrt(np.mean(speech**2) / np.mean(floor**2)) * 10 ** (-15 / 20)
    assert "music_like" not in codes(Audio((speech + floor)[np.newaxis], 16000))
    assert "music_like" in codes(Audio(floor[np.newaxis], 16000))  # the steady floor alone is background sound


def test_windows_cover_the_whole_signal():
    samples = np.arange(16000 * 9, dtype=np.float32)
    windows, starts = split_windows(samples, 16000, WindowPlan())
    assert windows.shape == (4, 64000)
    np.testing.assert_allclose(starts, [0, 2, 4, 5])  # the last window ends at the signal's end
    assert windows[-1, -1] == samples[-1]


def test_short_audio_is_repeat_padded_to_one_window():
    windows, starts = split_windows(np.ones(8000, np.float32), 16000, WindowPlan())
    assert windows.shape == (1, 64000) and starts.tolist() == [0.0]


def test_unpadded_plan_scores_short_audio_at_its_own_length():
    plan = plan_for({"crop_seconds": 8.0, "pad": "none"})
    assert (plan.window_s, plan.hop_s, plan.pad) == (8.0, 4.0, "none")
    samples = np.arange(16000 * 3, dtype=np.float32)
    windows, starts = split_windows(samples, 16000, plan)
    assert windows.shape == (1, 48000) and starts.tolist() == [0.0]
    np.testing.assert_array_equal(windows[0], samples)
    windows, _ = split_windows(np.ones(4000, np.float32), 16000, plan)
    assert windows.shape == (1, 8000)  # lifted to MIN_UNPADDED_SECONDS, no shorter
    assert split_windows(np.ones(16000 * 10, np.float32), 16000, plan)[0].shape == (2, 128000)  # long: as before
    assert plan_for({}).pad == "repeat" and plan_for({}).window_s == 4.0  # checkpoints from before the key


def test_plan_checks_and_aggregation():
    with pytest.raises(ParameterError, match="must not exceed"):
        WindowPlan(window_s=2, hop_s=3)
    with pytest.raises(ParameterError, match="pad must be one of"):
        WindowPlan(pad="zero")
    assert aggregate_scores(np.array([1.0, 3.0])) == 2.0
    with pytest.raises(ParameterError):
        aggregate_scores(np.array([]))


def _room_tone(rng, seconds: float, dbfs: float) -> np.ndarray:
    return (10 ** (dbfs / 20) * rng.standard_normal(int(seconds * 16000))).astype(np.float32)


@pytest.mark.parametrize("tone_dbfs", [-80.0, -50.0])
def test_speech_segments_split_at_long_pauses(rng, tone_dbfs):
    """Two utterances 3 s apart over room tone (-80 or -50 dBFS): two segments, each with 0.2 s of quiet kept."""
    first, second = voice_like(seconds=3.0, rng=rng).samples[0], voice_like(seconds=4.0, rng=rng).samples[0]
    silent = np.zeros(int(0.5 * 16000), np.float32), np.zeros(3 * 16000, np.float32)
    speech = np.concatenate([silent[0], first, silent[1], second])
    signal_ = speech + _room_tone(rng, len(speech) / 16000, tone_dbfs)  # the room's floor runs under everything
    segments = speech_segments(signal_, 16000, whole_up_to=8 * 16000)
    assert len(segments) == 2
    (a0, a1), (b0, b1) = segments
    assert a0 == 0  # a lead-in under a second stays whole
    gap_start, gap_end = (0.5 + 3.0) * 16000, (0.5 + 3.0 + 3.0) * 16000
    # The pause is left out but for the edges; the utterances' quiet tails may end a little before it.
    assert gap_start - 0.5 * 16000 <= a1 <= gap_start + 0.25 * 16000 and gap_end - 0.25 * 16000 <= b0 <= gap_end
    assert b1 == len(signal_)


def test_speech_segments_keep_a_recording_without_long_pauses_whole(rng):
    speech = voice_like(seconds=12.0, rng=rng).samples[0]
    assert speech_segments(speech, 16000, whole_up_to=8 * 16000) == [(0, len(speech))]
    short = np.concatenate([speech[:16000 * 2], _room_tone(rng, 3.0, -80.0), speech[:16000 * 2]])
    assert speech_segments(short, 16000, whole_up_to=8 * 16000) == [(0, len(short))]  # one window: scored whole
    quiet = _room_tone(rng, 12.0, -80.0)
    assert speech_segments(quiet, 16000, whole_up_to=8 * 16000) == [(0, len(quiet))]


def test_a_click_between_pauses_is_left_out(rng):
    speech = voice_like(seconds=4.0, rng=rng).samples[0]
    click = np.zeros(1600, np.float32)
    click[:160] = 0.5
    tone = _room_tone(rng, 3.0, -80.0)
    signal_ = np.concatenate([speech, tone, click, tone, speech])
    segments = speech_segments(signal_, 16000, whole_up_to=8 * 16000)
    assert len(segments) == 2 and segments[0][0] == 0 and segments[1][1] == len(signal_)
