"""The excitation front-end against an independent per-frame reference (scipy), and on signals whose answer is known."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.signal
import torch

from fakescope.errors import ParameterError
from fakescope.features import build_frontend

from .excitation_reference import reference_rows

SR = 16000


@pytest.mark.parametrize("params", [{}, {"fmax": 4000.0, "lpc_order": 10, "band_taps": 31}])
def test_matches_a_per_frame_scipy_reference(speech, params):
    frontend = build_frontend("excitation", **params)
    x = speech.samples[0]
    ours = frontend(torch.from_numpy(x))[0, 0].numpy()
    analysis = frontend.analysis_signal(torch.from_numpy(x)[None])[0].numpy()
    if frontend.factor > 1:  # the low-pass is a plain FIR ('same' alignment), then every factor-th sample
        taps = scipy.signal.firwin(32 * frontend.factor + 1, 0.95 * frontend.rate / 2, fs=SR)
        np.testing.assert_allclose(analysis, np.convolve(x, taps, "same")[:: frontend.factor], atol=1e-6)
    ref = reference_rows(analysis, frontend)[:, : len(x) // 160 + 1]
    assert ours.shape == ref.shape == (6, len(x) // 160 + 1)
    voiced = ref[0] > 1.5  # frames with signal (the synthetic voice's pauses hold only a faint noise floor)
    assert voiced.mean() > 0.3
    np.testing.assert_allclose(ours[:, voiced], ref[:, voiced], atol=2e-3, rtol=2e-3)
    assert frontend.row_names()[0] == "log kurtosis" and len(frontend.row_names()) == 6


def _pulses(f0: float, seconds: float = 1.0) -> np.ndarray:
    n = int(seconds * SR)
    train = np.zeros(n)
    train[:: int(SR / f0)] = 1.0
    # An all-pole "vocal tract": the residual of an LPC fit recovers the pulses.
    return scipy.signal.lfilter([1.0], [1.0, -1.3, 0.8], train).astype(np.float32) * 0.1


def test_pulse_train_is_peaky_and_periodic_noise_is_neither():
    frontend = build_frontend("excitation")
    pulses = frontend(torch.from_numpy(_pulses(125.0)))[0, 0, :, 10:-10]
    noise = frontend(torch.from_numpy(np.random.default_rng(0).standard_normal(SR).astype(np.float32) * 0.1))[0, 0, :, 10:-10]
    kurtosis, crest, pitch = 0, 1, 5
    # Gaussian noise under the analysis window w has kurtosis 3 · E[w⁴] / E[w²]² (about 4.4 for Hamming).
    w = scipy.signal.get_window("hamming", frontend.span, fftbins=True)
    gaussian = np.log(3 * np.mean(w ** 4) / np.mean(w ** 2) ** 2)
    assert abs(noise[kurtosis].median() - gaussian) < 0.15 and pulses[kurtosis].median() > gaussian + 2.0
    assert pulses[crest].median() > noise[crest].median() + 1.0
    # The peak is not divided by the window's own autocorrelation, so a perfectly periodic excitation reads as
    # that: Σ w[n] w[n + P] / Σ w[n]² at its period P (8 ms).
    period = int(SR / 125.0) // frontend.factor
    window_peak = np.sum(w[:-period] * w[period:]) / np.sum(w * w)
    assert abs(pulses[pitch].median() - window_peak) < 0.05 and noise[pitch].median() < 0.3


def test_level_does_not_change_the_rows(speech):
    frontend = build_frontend("excitation")
    x = torch.from_numpy(speech.samples[0])
    loud, quiet = frontend(x)[0, 0], frontend(x * 0.01)[0, 0]
    voiced = loud[0] > 1.5
    torch.testing.assert_close(quiet[:, voiced], loud[:, voiced], atol=1e-3, rtol=1e-3)


def test_silence_gives_finite_rows():
    out = build_frontend("excitation")(torch.zeros(2, 4000))
    assert torch.isfinite(out).all()


@pytest.mark.parametrize("params,message", [
    ({"lpc_order": 0}, "lpc_order must be > 0"),
    ({"lpc_order": 250}, "lpc_order must be <"),
    ({"band_taps": 64}, "odd number"),
    ({"bands": [[1000, 9000]]}, "each band"),
    ({"fmax": 4000.0, "lpc_order": 10, "band_taps": 31, "bands": [[1000, 5000]]}, "each band"),
    ({"pitch_range": [400, 60]}, "pitch_range"),
    ({"pitch_range": [20, 400]}, "inside the"),
    ({"win_length": 512}, "win_length must exceed"),
    ({"fmax": 3000}, "fmax must be None or"),
    ({"fmax": 4000.0, "lpc_order": 10, "band_taps": 31, "hop_length": 161}, "multiples of 2"),
])
def test_bad_parameters_are_refused(params, message):
    with pytest.raises(ParameterError, match=message):
        build_frontend("excitation", **params)


def test_stack_concatenates_members_frame_by_frame(speech):
    x = torch.from_numpy(speech.samples[0])
    lfcc = build_frontend("lfcc", fmax=4000)
    excitation = build_frontend("excitation")
    stack = build_frontend("stack", members=[lfcc.config(), excitation.config()])
    torch.testing.assert_close(stack(x), torch.cat([lfcc(x), excitation(x)], dim=2))
    assert stack.num_bins == 66 and stack.config()["members"][1]["name"] == "excitation"
    with pytest.raises(ParameterError, match="must share hop_length"):
        build_frontend("stack", members=[{"name": "lfcc"}, {"name": "excitation", "hop_length": 320}])
    with pytest.raises(ParameterError, match="cannot be stacks"):
        build_frontend("stack", members=[{"name": "stack"}])
    with pytest.raises(ParameterError, match="list of front-end configs"):
        build_frontend("stack", members=[])
