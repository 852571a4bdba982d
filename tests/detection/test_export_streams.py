"""A stacked front-end (LFCC + excitation) with a two-stream GMM: checkpoint round trip, ONNX export, explanation."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from fakescope.audio.synthetic import voice_like
from fakescope.detection import Detector
from fakescope.evaluation.calibration import Calibration
from fakescope.training.checkpoint import checkpoint_config, model_tensors, save_checkpoint
from fakescope.training.pipeline import build_pipeline


@pytest.fixture(scope="module")
def stream_checkpoint(tmp_path_factory):
    """The excitation recipe's pipeline (configs/lfcc_excitation_gmm.yaml) with small mixtures fitted on synthetic frames."""
    pipeline = build_pipeline(frontend={"name": "stack"}, model={
        "name": "gmm", "n_components": 4, "keep_loudest": 0.5, "streams": [60, 6], "stream_components": [4, 2],
        "stream_weights": [1.0, 3.0]}).eval()
    rng = np.random.default_rng(0)
    with torch.no_grad():
        voices = torch.from_numpy(np.stack([voice_like(seconds=2.0, rng=rng).samples[0] for _ in range(4)]))
        frames = pipeline.model.frames(pipeline.features(voices)).reshape(-1, 66).numpy()
    # Bona fide: the voices' frames; spoof: the same frames shifted, so both mixtures are well defined.
    pipeline.model.fit(bonafide_frames=frames, spoof_frames=frames + rng.normal(0.5, 0.5, frames.shape), seed=0)
    config = checkpoint_config(pipeline, input_spec={"kind": "audio", "sample_rate": 16000, "crop_seconds": 4.0},
                               calibration=Calibration(slope=1.0, offset=0.0), threshold={"score": 0.0})
    path = tmp_path_factory.mktemp("streams") / "streams.safetensors"
    save_checkpoint(path, tensors=model_tensors(pipeline), config=config)
    return path


@pytest.mark.slow
def test_stream_model_exports_to_onnx_and_explains(stream_checkpoint, tmp_path):
    from fakescope.detection.explain import explanation_figure
    from fakescope.detection.export import export_onnx

    detector = Detector.from_checkpoint(stream_checkpoint)
    onnx_detector = Detector.from_checkpoint(export_onnx(stream_checkpoint, tmp_path / "streams.onnx"))
    audio = voice_like(seconds=7.0, rng=np.random.default_rng(5))
    ours = detector.scan((audio.samples, 16000))
    theirs = onnx_detector.scan((audio.samples, 16000))
    assert len(ours.windows) == 3
    # float32 FFTs in both runtimes: scores (here far from 0, the mixtures are synthetic) agree to 1e-4 relative.
    np.testing.assert_allclose([w.score for w in theirs.windows], [w.score for w in ours.windows], rtol=1e-4)
    figure = explanation_figure(detector, audio, ours, tmp_path / "explain.png")
    assert figure.stat().st_size > 10_000
