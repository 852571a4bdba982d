"""The harmonic phase front-end: its pitch against librosa.yin, its rows on harmonic signals whose phases are known."""

from __future__ import annotations

import librosa
import numpy as np
import pytest
import torch

from fakescope.errors import ParameterError
from fakescope.features import build_frontend

SR = 16000
K = 12


def harmonic_signal(f0: np.ndarray, offsets: np.ndarray, *, noise: float = 1e-3, seed: int = 0) -> np.ndarray:
    """Σ_k cos(k·Φ(t) + offsets[k-1]) / k with Φ the integral of f0: harmonic k's relative phase shift is
    offsets[k-1] − k·offsets[0] wherever the frame is measured."""
    phase = 2 * np.pi * np.cumsum(f0) / SR
    x = sum(np.cos(k * phase + offsets[k - 1]) / k for k in range(1, len(offsets) + 1)) * 0.1
    return (x + np.random.default_rng(seed).normal(0, noise, len(x))).astype(np.float32)


def rows_of(frontend, x: np.ndarray) -> np.ndarray:
    return frontend(torch.from_numpy(x))[0, 0].numpy()


def test_pitch_follows_librosa_yin():
    frontend = build_frontend("harmonic")
    t = np.arange(2 * SR) / SR
    f0 = 110 + 60 * t  # a glide 110 → 230 Hz
    x = harmonic_signal(f0, np.zeros(20))
    ours = frontend.fundamental(frontend.frames(torch.from_numpy(x)[None]))[0][0].numpy()
    # librosa frames from sample 0 without centring; our frame m is centred on sample m·hop.
    ref = librosa.yin(np.pad(x, (320, 320)), fmin=70, fmax=400, sr=SR, frame_length=640, hop_length=160, center=False)
    inner = slice(4, min(len(ours), len(ref)) - 4)  # frames that lie wholly inside the signal
    np.testing.assert_allclose(ours[inner], ref[inner], rtol=0.01)  # within 1 %, 17 cents
    np.testing.assert_allclose(ours[inner], f0[::160][inner], rtol=0.01)


@pytest.mark.parametrize("batch", [1, 3, 40])
def test_harmonic_sums_match_a_direct_fourier_sum_whatever_the_chunking(batch):
    """The chunked, rotation-recurrence sums equal Σ w·x·e^{-j2πk·f0·(n − L/2)/sr} computed plainly (complex128)."""
    frontend = build_frontend("harmonic")
    rng = np.random.default_rng(batch)
    frames = torch.from_numpy(rng.normal(0, 0.1, (batch, 37, frontend.frame_length)).astype(np.float32))
    f0 = torch.from_numpy(rng.uniform(70, 330, (batch, 37)).astype(np.float32))
    re, im = frontend.harmonic_sums(frames, f0)
    n = np.arange(frontend.frame_length) - frontend.frame_length / 2
    windowed = frames.numpy().astype(np.float64) * frontend.analysis_window.numpy()
    k = np.arange(1, K + 1)
    kernel = np.exp(-2j * np.pi * (k[None, None, :, None] * f0.numpy()[..., None, None].astype(np.float64)) * n / SR)
    expected = (windowed[:, :, None, :] * kernel).sum(-1)  # (B, T, K)
    scale = np.abs(expected).max()
    np.testing.assert_allclose(re.numpy(), expected.real, atol=2e-5 * scale)
    np.testing.assert_allclose(im.numpy(), expected.imag, atol=2e-5 * scale)


def test_fixed_relative_phases_are_read_exactly_and_do_not_move():
    frontend = build_frontend("harmonic")
    offsets = np.random.default_rng(5).uniform(-np.pi, np.pi, K)
    t = np.arange(2 * SR) / SR
    x = harmonic_signal(130 + 20 * np.sin(2 * np.pi * t), offsets)  # vibrato: f0 moves up to 126 Hz/s
    rows = rows_of(frontend, x)
    assert rows.shape == (3 * (K - 1) + 2, 2 * SR // 160 + 1)
    inner = slice(4, -4)
    expected = offsets[1:] - np.arange(2, K + 1) * offsets[0]
    np.testing.assert_allclose(rows[: K - 1, inner].mean(1), np.cos(expected), atol=0.02)
    np.testing.assert_allclose(rows[K - 1 : 2 * (K - 1), inner].mean(1), np.sin(expected), atol=0.02)
    change = rows[2 * (K - 1) : 3 * (K - 1), inner]
    assert change.max() < 0.1  # the pulse shape does not change, only f0 does
    assert (rows[-2, inner] == 1).all() and (rows[-1, inner] == 1).all()


def test_relative_phases_that_jump_read_as_change():
    """Harmonic phases redrawn every 50 ms, as a vocoder that does not keep the pulse shape: large changes."""
    frontend = build_frontend("harmonic")
    rng = np.random.default_rng(2)
    segment = 800
    pieces = [harmonic_signal(np.full(segment, 150.0), rng.uniform(-np.pi, np.pi, K), seed=i) for i in range(40)]
    rows = rows_of(frontend, np.concatenate(pieces))
    change, pair = rows[2 * (K - 1) : 3 * (K - 1)], rows[-1]
    voiced_mean = (change * pair).sum(1) / pair.sum()
    steady = rows_of(frontend, harmonic_signal(np.full(40 * segment, 150.0), rng.uniform(-np.pi, np.pi, K)))
    steady_mean = (steady[2 * (K - 1) : 3 * (K - 1)] * steady[-1]).sum(1) / steady[-1].sum()
    assert voiced_mean.mean() > 0.3 > 0.02 > steady_mean.mean()


def test_rows_do_not_depend_on_the_level():
    frontend = build_frontend("harmonic")
    t = np.arange(SR) / SR
    x = harmonic_signal(140 + 20 * t, np.random.default_rng(3).uniform(-np.pi, np.pi, 20), noise=3e-3)
    base = rows_of(frontend, x)
    for gain in (0.01, 30.0):
        np.testing.assert_allclose(rows_of(frontend, x * np.float32(gain)), base, atol=2e-3)


def test_high_voices_and_silence_are_unvoiced_and_finite():
    frontend = build_frontend("harmonic")
    high = rows_of(frontend, harmonic_signal(np.full(SR, 380.0), np.zeros(K)))  # 12 × 380 Hz > 4 kHz
    assert high[-2, 4:-4].max() == 0 and np.abs(high[:-2, 4:-4]).max() == 0
    silent = frontend(torch.zeros(2, 8000))
    assert torch.isfinite(silent).all() and float(silent.abs().max()) == 0.0
    short = frontend(torch.randn(1, 100) * 0.1)
    assert short.shape == (1, 1, frontend.num_bins, 1) and torch.isfinite(short).all()


def test_scores_flow_gradients_for_explanations():
    frontend = build_frontend("harmonic")
    x = torch.from_numpy(harmonic_signal(np.full(8000, 160.0), np.zeros(K))).requires_grad_(True)
    frontend(x)[0, 0, 2 * (K - 1) : 3 * (K - 1)].sum().backward()
    assert x.grad is not None and torch.isfinite(x.grad).all()


@pytest.mark.parametrize("params,message", [
    ({"frame_length": 400}, "too short for a lowest pitch of 70 Hz"),
    ({"n_harmonics": 1}, "n_harmonics must be in 2..64"),
    ({"pitch_range": [300, 200]}, "0 < low < high"),
    ({"yin_threshold": 1.5}, "yin_threshold"),
    ({"harmonic_fmax": 9000}, "harmonic_fmax"),
])
def test_bad_parameters_are_refused(params, message):
    with pytest.raises(ParameterError, match=message):
        build_frontend("harmonic", **params)


@pytest.mark.slow
def test_exports_to_onnx():
    """YIN's argmin/gather, the Fourier sums at k·f0 and the phasor products survive ONNX export."""
    import onnxruntime

    frontend = build_frontend("harmonic").eval()
    program = torch.onnx.export(frontend, (torch.zeros(2, 16000),), input_names=["waveforms"], output_names=["rows"],
                                dynamic_shapes={"waveform": {0: torch.export.Dim("batch", min=1, max=64)}},
                                dynamo=True, external_data=False, verbose=False)
    session = onnxruntime.InferenceSession(program.model_proto.SerializeToString())
    t = np.arange(SR) / SR
    batch = np.stack([harmonic_signal(150 + 30 * t, np.arange(K) * 0.7),
                      np.random.default_rng(4).normal(0, 0.1, SR).astype(np.float32)])
    ours = frontend(torch.from_numpy(batch)).numpy()
    theirs = session.run(None, {"waveforms": batch})[0]
    np.testing.assert_allclose(theirs, ours, atol=2e-3)
