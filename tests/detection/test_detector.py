"""Detector: inputs of every kind, long audio in windows, calibrated verdicts, ONNX parity, explanations."""

from __future__ import annotations


import numpy as np
import pytest
import soundfile as sf

from fakescope import AudioError
from fakescope.audio.synthetic import voice_like
from fakescope.detection import Detector, Thresholds
from fakescope.errors import CheckpointError, ParameterError


@pytest.fixture(scope="module")
def detector(checkpoint):
    return Detector.from_checkpoint(checkpoint)


def test_verdict_for_a_long_recording(detector, rng):
    audio = voice_like(seconds=9.0, rng=rng)
    verdict = detector.scan((audio.samples, audio.sample_rate), name="long.wav")
    assert [w.start_s for w in verdict.windows] == [0.0, 2.0, 4.0, 5.0]
    assert verdict.windows[-1].end_s == pytest.approx(9.0)
    assert verdict.score == pytest.approx(np.mean([w.score for w in verdict.windows]))
    assert verdict.p_fake == pytest.approx(float(detector.calibration.p_fake(verdict.score)))
    assert verdict.verdict == Thresholds().verdict(verdict.p_fake)
    assert 0.0 <= verdict.p_fake <= 1.0 and verdict.source == "long.wav"


def test_a_long_recording_is_scored_in_pieces_as_if_at_once(detector, rng, monkeypatch):
    """Windows are scored piece by piece (memory); the timeline and scores equal scoring every window at once."""
    from fakescope.detection import detector as detector_module
    from fakescope.detection.windows import split_windows

    audio = voice_like(seconds=21.0, rng=rng)  # 10 windows of 4 s every 2 s, the last aligned to the end
    monkeypatch.setattr(detector_module, "SCORE_PIECE_WINDOWS", 3)  # pieces of 3, 3, 3 and 1
    monkeypatch.setattr(detector_module, "speech_segments", lambda samples, rate, **_: [(0, len(samples))])
    calls = []
    original = detector.score_windows
    monkeypatch.setattr(detector, "score_windows", lambda windows: calls.append(len(windows)) or original(windows))
    verdict = detector.scan((audio.samples, 16000))
    windows, starts = split_windows(audio.samples[0], 16000, detector.plan)
    assert calls == [3, 3, 3, 1] and [w.start_s for w in verdict.windows] == starts.tolist()
    np.testing.assert_allclose([w.score for w in verdict.windows], original(windows), rtol=1e-5, atol=1e-6)


def test_a_long_pause_is_not_scored(detector, rng):
    """Utterances around 20 s of room tone: no window lies inside the pause, and every window is one of the
    windows the utterances get when scanned alone (segments are windowed as files of their own)."""
    first, second = voice_like(seconds=5.0, rng=rng).samples[0], voice_like(seconds=9.0, rng=rng).samples[0]
    pause = (1e-4 * rng.standard_normal(20 * 16000)).astype(np.float32)
    verdict = detector.scan((np.concatenate([first, pause, second])[np.newaxis], 16000))
    assert all(w.end_s <= 5.3 or w.start_s >= 24.7 for w in verdict.windows)
    assert verdict.windows[0].start_s == 0.0 and verdict.windows[-1].end_s == pytest.approx(34.0)
    alone = [w.score for part in (first, second) for w in detector.scan((part[np.newaxis], 16000)).windows]
    assert len(verdict.windows) == len(alone)
    np.testing.assert_allclose(sorted(w.score for w in verdict.windows), sorted(alone), atol=0.05)


def test_a_short_files_long_quiet_edges_are_cut_as_in_training(detector, rng):
    """One window (4 s here) of speech with 1.4 s of room tone either side: the window covers the speech and 1 s
    of quiet at either end, and scores exactly as that stretch scanned alone."""
    from fakescope.audio.activity import quiet_edges_cut

    speech = voice_like(seconds=1.2, rng=rng).samples[0]
    start, end = quiet_edges_cut(speech, 16000, keep_s=0.0)
    speech = speech[start:end]
    lead, trail = ((1e-4 * rng.standard_normal(int(1.4 * 16000))).astype(np.float32) for _ in range(2))
    padded = np.concatenate([lead, speech, trail])
    assert len(padded) <= detector.plan.window_s * 16000  # one window: scored whole, but for its edges
    verdict = detector.scan((padded[np.newaxis], 16000))
    assert len(verdict.windows) == 1
    window = verdict.windows[0]
    assert window.start_s == pytest.approx(0.4, abs=0.05)
    assert window.end_s == pytest.approx(len(padded) / 16000 - 0.4, abs=0.05)
    cut = padded[int(round(window.start_s * 16000)) : int(round(window.end_s * 16000))]
    assert verdict.score == pytest.approx(detector.scan((cut[np.newaxis], 16000)).score, abs=1e-5)


def test_inputs_of_every_kind_agree(detector, tmp_path, rng):
    audio = voice_like(seconds=4.5, rng=rng, sample_rate=22050)
    path = tmp_path / "clip.flac"
    sf.write(path, audio.samples[0], 22050)
    by_path = detector.scan(path)
    by_bytes = detector.scan(path.read_bytes())
    with open(path, "rb") as handle:
        by_file = detector.scan(handle)
    data, rate = sf.read(path, dtype="float32")
    by_array = detector.scan((data, rate))
    for other in (by_bytes, by_file, by_array):
        assert other.p_fake == pytest.approx(by_path.p_fake, abs=1e-5)
    assert by_path.sample_rate == 22050  # the native rate is reported


def test_scores_follow_the_window_batch(detector, rng):
    audio = voice_like(seconds=3.0, rng=rng)
    short = detector.scan((audio.samples, 16000))
    assert len(short.windows) == 1 and short.windows[0].end_s == pytest.approx(3.0)


def test_thresholds_and_warnings(detector, rng):
    assert Thresholds(real_below=0.2, fake_above=0.8).verdict(0.5) == "uncertain"
    assert Thresholds().verdict(0.9) == "fake" and Thresholds().verdict(0.1) == "real"
    with pytest.raises(ParameterError):
        Thresholds(real_below=0.8, fake_above=0.2)
    short = voice_like(seconds=0.5, rng=rng)
    assert "too_short" in [w.code for w in detector.scan((short.samples, 16000)).warnings]


def test_bad_input_and_missing_checkpoint(detector, tmp_path):
    with pytest.raises(AudioError, match="x.wav"):
        detector.scan(b"not audio", name="x.wav")
    with pytest.raises(CheckpointError, match="checkpoint not found"):
        Detector.from_checkpoint(tmp_path / "none.safetensors")


def test_json_schema_fields(detector, rng):
    audio = voice_like(seconds=5.0, rng=rng)
    payload = detector.scan((audio.samples, 16000), name="a.wav").to_dict()
    assert set(payload) == {"source", "verdict", "p_fake", "score", "duration_s", "sample_rate", "max_window_p_fake",
                            "windows", "warnings", "model"}
    assert set(payload["windows"][0]) == {"start_s", "end_s", "score", "p_fake"}


@pytest.mark.slow
def test_onnx_export_matches_torch(checkpoint, detector, tmp_path, rng):
    from fakescope.detection.export import export_onnx

    onnx_path = export_onnx(checkpoint, tmp_path / "model.onnx")
    onnx_detector = Detector.from_checkpoint(onnx_path)
    for seconds in (2.0, 7.0):
        audio = voice_like(seconds=seconds, rng=rng)
        ours = detector.scan((audio.samples, 16000))
        theirs = onnx_detector.scan((audio.samples, 16000))
        np.testing.assert_allclose([w.score for w in theirs.windows], [w.score for w in ours.windows], atol=1e-4)
        assert abs(theirs.p_fake - ours.p_fake) < 1e-4


@pytest.mark.slow
def test_the_timeline_breaks_at_pauses(detector, tmp_path):
    from PIL import Image

    from fakescope.detection.explain import _contiguous_runs, timeline_figure
    from fakescope.detection.verdict import Verdict, WindowScore

    windows = [WindowScore(0, 4, 1.0, 0.2), WindowScore(2, 5.2, 0.5, 0.3), WindowScore(25, 29, -1.0, 0.8)]
    assert [len(run) for run in _contiguous_runs(windows)] == [2, 1]
    verdict = Verdict(source="x.wav", verdict="uncertain", p_fake=0.4, score=0.2, duration_s=30.0, sample_rate=16000,
                      windows=windows)
    assert Image.open(timeline_figure(detector, verdict, tmp_path / "t.png")).size[0] >= 800


def test_explanation_and_timeline_figures(detector, tmp_path, rng):
    from PIL import Image

    from fakescope.detection.explain import explanation_figure, occlusion_map, timeline_figure

    audio = voice_like(seconds=4.0, rng=rng)  # one window keeps the occlusion cost to one pass
    verdict = detector.scan((audio.samples, 16000), name="four.wav")
    saliency = occlusion_map(detector.pipeline, audio.samples[0][:64000].copy())
    assert saliency.shape == (257, 401) and np.isfinite(saliency).all() and np.abs(saliency).max() > 0
    path = explanation_figure(detector, audio, verdict, tmp_path / "explain.png")
    assert Image.open(path).size[0] >= 1000
    assert Image.open(timeline_figure(detector, verdict, tmp_path / "t.png")).size[0] >= 800
