"""The shipped default model: present, small, calibrated, loadable without pickles, and able to scan."""

from __future__ import annotations

import numpy as np
import pytest

from fakescope.audio.synthetic import voice_like
from fakescope.detection import DEFAULT_CHECKPOINT, Detector


def test_default_model_is_shipped_and_small():
    assert DEFAULT_CHECKPOINT.is_file(), "the package must ship its default model"
    assert DEFAULT_CHECKPOINT.stat().st_size <= 10 * 2**20


def test_default_model_scans_with_calibration():
    detector = Detector.from_checkpoint()  # no path: the default model
    assert detector.calibration.slope != 0
    assert detector.config["training"], "the checkpoint records how it was trained"
    verdict = detector.scan((voice_like(seconds=6.0, rng=np.random.default_rng(0)).samples, 16000), name="x.wav")
    assert verdict.verdict in ("real", "uncertain", "fake") and 0 <= verdict.p_fake <= 1
    # 8-s windows, and shorter input scored at its own length (data.pad "none"): one window, 0-6 s.
    assert (detector.plan.window_s, detector.plan.pad) == (8.0, "none")
    assert [(w.start_s, w.end_s) for w in verdict.windows] == [(0.0, pytest.approx(6.0))]


def test_detector_is_public_api():
    import fakescope

    assert fakescope.Detector is Detector


@pytest.mark.slow
def test_default_model_exports_to_onnx_and_scores_alike(tmp_path):
    """The shipped graph (LFCC, excitation and phase rows stacked, pooled statistics, RBF-SVM) runs the same in onnxruntime."""
    from fakescope.detection.export import export_onnx

    onnx_path = export_onnx(DEFAULT_CHECKPOINT, tmp_path / "default.onnx")
    torch_detector, onnx_detector = Detector.from_checkpoint(), Detector.from_checkpoint(onnx_path)
    for seconds in (11.0, 3.0, 0.3):  # full windows, and short inputs at their own length (a dynamic time axis)
        audio = (voice_like(seconds=seconds, rng=np.random.default_rng(3)).samples, 16000)
        ours, theirs = torch_detector.scan(audio, name="x.wav"), onnx_detector.scan(audio, name="x.wav")
        np.testing.assert_allclose([w.score for w in theirs.windows], [w.score for w in ours.windows], atol=1e-3)
        assert abs(theirs.p_fake - ours.p_fake) < 1e-3


@pytest.mark.slow
def test_default_model_explains_a_scan(tmp_path):
    """Occlusion works on any pipeline: the pooled SVM is explained like the networks."""
    from fakescope.detection.explain import explanation_figure

    detector = Detector.from_checkpoint()
    audio = voice_like(seconds=5.0, rng=np.random.default_rng(4))
    verdict = detector.scan((audio.samples, 16000), name="x.wav")
    figure = explanation_figure(detector, audio, verdict, tmp_path / "explain.png")
    assert figure.stat().st_size > 10_000
