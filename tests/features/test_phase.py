"""The phase front-end against an independent per-frame NumPy reference, and on signals whose answer is known."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.fft
import scipy.signal
import torch

from fakescope.errors import ParameterError
from fakescope.features import build_frontend

SR = 16000


def _wrapped_abs(z: np.ndarray) -> np.ndarray:
    return np.abs(np.angle(z))


def reference_rows(x: np.ndarray, fe) -> np.ndarray:
    """The rows frame by frame with complex NumPy (np.angle, np.fft cepstrum, scipy DCT): (F, frames)."""
    n, hop, width = fe.n_fft, fe.hop_length, fe.win_length
    window = np.zeros(n)
    left = (n - width) // 2
    window[left : left + width] = scipy.signal.get_window("hann", width, fftbins=True)
    padded = np.pad(x.astype(np.float64), (n // 2, n // 2))
    count = len(x) // hop + 1
    frames = np.stack([padded[i * hop : i * hop + n] * window for i in range(count)])
    spec = np.fft.rfft(frames, axis=1)
    bins = np.arange(n // 2 + 1)
    power = np.abs(spec) ** 2
    floor = 1e-10 * power.max() + 1e-30
    log_power = np.log(power + floor)
    shape = np.stack([log_power[:, g].mean(1) for g in np.array_split(bins, fe.n_bands)], 1)
    shape -= log_power.mean(1, keepdims=True)
    last = int(np.floor(fe.phase_fmax * n / SR))
    groups = np.array_split(bins[1 : last + 1], fe.n_phase_bands)

    def pooled(angle, weight):
        return np.stack([(angle[:, g] * weight[:, g]).sum(1) / (weight[:, g].sum(1) + floor**2) for g in groups], 1)

    z = spec[1:] * np.conj(spec[:-1]) * np.exp(-2j * np.pi * bins * hop / n)
    if_dev = pooled(_wrapped_abs(z), np.abs(z) ** 2)
    if_dev = np.vstack([if_dev[:1], if_dev])
    centre = left + width / 2
    z = np.zeros_like(spec)
    z[:, 1:] = spec[:, 1:] * np.conj(spec[:, :-1]) * np.exp(2j * np.pi * centre / n)
    adjacent = pooled(_wrapped_abs(z), np.abs(z) ** 2)
    ramp = np.fft.rfft(frames * (np.arange(n) - centre), axis=1)
    group_delay = spec.real * ramp.real + spec.imag * ramp.imag
    cepstrum = np.fft.irfft(log_power, n=n, axis=1)
    cepstrum[:, fe.params["mgd_lifter"] : n - fe.params["mgd_lifter"] + 1] = 0
    smooth = np.exp(np.fft.rfft(cepstrum, axis=1).real)
    tau = group_delay / (smooth + floor)
    tau = np.sign(tau) * np.abs(tau) ** fe.mgd_alpha
    mgd = scipy.fft.dct(tau, type=2, norm="ortho", axis=1)[:, 1 : 1 + fe.n_mgd]
    return np.hstack([shape, if_dev, adjacent, mgd]).T


def _with_noise_floor(speech) -> np.ndarray:
    """The voice plus a noise floor 50 dB down. MODGD divides by the smoothed power: in the bins the synthetic
    voice leaves empty (near -200 dB) float32 rounding, not the signal, would decide its rows."""
    noise = np.random.default_rng(1).normal(0, 3e-4, speech.samples.shape[1])
    return (speech.samples[0] + noise).astype(np.float32)


@pytest.mark.parametrize("params", [{}, {"phase_fmax": 4000.0, "n_phase_bands": 8, "n_mgd": 12}])
def test_matches_a_per_frame_numpy_reference(speech, params):
    frontend = build_frontend("phase", **params)
    x = _with_noise_floor(speech)
    ours = frontend(torch.from_numpy(x))[0, 0].numpy()
    ref = reference_rows(x, frontend)
    assert ours.shape == ref.shape == (frontend.num_bins, len(x) // 160 + 1)
    shape_rows = frontend.n_bands
    np.testing.assert_allclose(ours[:shape_rows], ref[:shape_rows], atol=2e-3, rtol=1e-3)
    phase = slice(shape_rows, shape_rows + 2 * frontend.n_phase_bands)
    # Phase rows in radians: float32 products against complex128 angles.
    np.testing.assert_allclose(ours[phase], ref[phase], atol=2e-3)
    np.testing.assert_allclose(ours[phase.stop :], ref[phase.stop :], atol=5e-3, rtol=1e-2)
    assert len(frontend.row_names()) == frontend.num_bins


def test_steady_tone_reads_as_the_windows_leakage():
    """A steady tone at a bin centre: each bin advances at the tone's frequency, not its own, so the IF deviation
    of the band is the leakage-weighted mean of |2π(k0 − k)·hop / n_fft| (wrapped), and neighbouring bins of
    the main lobe share their phase once the window centre's linear phase is removed."""
    frontend = build_frontend("phase", n_mgd=0)
    k0, n, hop = 32, 512, 160  # 1 kHz at 31.25 Hz per bin
    t = np.arange(SR) / SR
    rows = frontend(torch.from_numpy((0.3 * np.sin(2 * np.pi * k0 * SR / n * t)).astype(np.float32)))[0, 0].numpy()
    middle = rows[:, 10:-10]  # away from the zero-padded edges
    assert np.ptp(middle, axis=1).max() < 1e-3  # a steady signal gives steady rows
    window = np.zeros(n)
    window[96:416] = scipy.signal.get_window("hann", 320, fftbins=True)
    leakage = np.abs(np.fft.rfft(window * np.cos(2 * np.pi * k0 * np.arange(n) / n))) ** 2
    band = np.array_split(np.arange(1, 257), 16)[1]  # bins 17..32: the tone's band
    assert k0 in band
    weight = leakage[band] ** 2
    expected = (weight * np.abs(np.angle(np.exp(2j * np.pi * (k0 - band) * hop / n)))).sum() / weight.sum()
    if_row = frontend.n_bands + 1
    assert middle[if_row].mean() == pytest.approx(expected, abs=2e-3)
    assert middle[frontend.n_bands + frontend.n_phase_bands + 1].mean() < 0.05


def test_rows_do_not_depend_on_the_level(speech):
    frontend = build_frontend("phase")
    x = torch.from_numpy(_with_noise_floor(speech))
    rows = frontend(x)
    for gain in (1e-3, 30.0):
        torch.testing.assert_close(frontend(x * gain), rows, atol=5e-3, rtol=1e-3)


def test_silence_and_very_short_inputs_stay_finite():
    frontend = build_frontend("phase")
    for length in (1, 100, 4000):
        out = frontend(torch.zeros(2, length))
        assert out.shape == (2, 1, frontend.num_bins, length // 160 + 1) and torch.isfinite(out).all()


def test_phase_fmax_narrows_only_the_phase_rows(speech):
    x = torch.from_numpy(speech.samples[0])
    full = build_frontend("phase", n_phase_bands=8)(x)[0, 0]
    narrow_frontend = build_frontend("phase", n_phase_bands=8, phase_fmax=4000.0)
    narrow = narrow_frontend(x)[0, 0]
    torch.testing.assert_close(narrow[:64], full[:64])
    assert not torch.allclose(narrow[64:80], full[64:80])
    torch.testing.assert_close(narrow[80:], full[80:])  # MODGD does not depend on phase_fmax
    assert narrow_frontend.row_names()[64] == "IF deviation 0-500 Hz"


@pytest.mark.parametrize("params, match", [
    ({"n_bands": 0}, "n_bands"),
    ({"n_mgd": 300}, "n_mgd"),
    ({"mgd_alpha": 0.0}, "mgd_alpha"),
    ({"mgd_lifter": 0}, "mgd_lifter"),
    ({"phase_fmax": 9000.0}, "fmax"),
    ({"phase_fmax": 100.0}, "phase bands"),
])
def test_bad_parameters_are_refused(params, match):
    with pytest.raises(ParameterError, match=match):
        build_frontend("phase", **params)
