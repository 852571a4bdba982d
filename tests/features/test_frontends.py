"""Front-ends against librosa/scipy references, with pinned shapes; one contract test over the registry.

Tolerances (stated): stft, mel and the pseudo-CQT within 0.01 dB of librosa wherever the level is within 80 dB of the
clip's peak (below that, float32 rounding of the FFT dominates: up to 0.2 dB at -97 dB), and within 0.5 dB
everywhere; LFCC within 1e-3 (relative to its largest value) of a scipy DCT over an independently built
linear filterbank and librosa's deltas. The multi-rate CQT: see its test for where it may differ from librosa.cqt.
"""

from __future__ import annotations

import librosa
import numpy as np
import pytest
import scipy.fft
import torch

from fakescope.errors import ParameterError
from fakescope.features import FRONTENDS, build_frontend, frontend_from_config

DB_TOLERANCE = 0.01


def assert_db_close(ours: np.ndarray, ref: np.ndarray) -> None:
    audible = ref > ref.max() - 80.0
    assert np.abs(ours - ref)[audible].max() < DB_TOLERANCE
    assert np.abs(ours - ref).max() < 0.5


@pytest.fixture
def clip(speech) -> np.ndarray:
    return speech.samples[0]  # 1.5 s at 16 kHz


def _librosa_db(power: np.ndarray) -> np.ndarray:
    return librosa.power_to_db(power, ref=1.0, amin=1e-10, top_db=None)


@pytest.mark.parametrize("window", ["hann", "hamming", "blackman"])
def test_stft_matches_librosa(clip, window):
    frontend = build_frontend("stft", n_fft=512, hop_length=160, window=window)
    ours = frontend(torch.from_numpy(clip))[0, 0].numpy()
    ref = _librosa_db(np.abs(librosa.stft(clip, n_fft=512, hop_length=160, window=window, pad_mode="constant")) ** 2)
    assert ours.shape == ref.shape == (257, 151)
    assert_db_close(ours, ref)


def test_stft_band_selects_bins_and_win_length(clip):
    frontend = build_frontend("stft", n_fft=1024, hop_length=256, win_length=800, fmin=300, fmax=3400)
    ours = frontend(torch.from_numpy(clip))[0, 0].numpy()
    freqs = np.fft.rfftfreq(1024, 1 / 16000)
    keep = (freqs >= 300) & (freqs <= 3400)
    ref = _librosa_db(np.abs(librosa.stft(clip, n_fft=1024, hop_length=256, win_length=800, pad_mode="constant")) ** 2)[keep]
    assert ours.shape == ref.shape == (int(keep.sum()), 94)
    assert_db_close(ours, ref)
    np.testing.assert_allclose(frontend.frequencies().numpy(), freqs[keep], rtol=1e-6)


@pytest.mark.parametrize("n_mels,fmin,fmax", [(80, 0.0, None), (40, 50.0, 7000.0)])
def test_mel_matches_librosa(clip, n_mels, fmin, fmax):
    frontend = build_frontend("mel", n_fft=512, hop_length=160, n_mels=n_mels, fmin=fmin, fmax=fmax)
    ours = frontend(torch.from_numpy(clip))[0, 0].numpy()
    ref = _librosa_db(librosa.feature.melspectrogram(y=clip, sr=16000, n_fft=512, hop_length=160, n_mels=n_mels,
                                                     fmin=fmin, fmax=fmax, pad_mode="constant"))
    assert ours.shape == ref.shape == (n_mels, 151)
    assert_db_close(ours, ref)


def _reference_linear_filterbank(sample_rate, n_fft, n_filters, fmin, fmax):
    """Triangular filters built point by point, independently of the vectorised implementation."""
    edges = np.linspace(fmin, fmax, n_filters + 2)
    freqs = np.arange(n_fft // 2 + 1) * sample_rate / n_fft
    bank = np.zeros((n_filters, freqs.size))
    for i in range(n_filters):
        lo, mid, hi = edges[i : i + 3]
        for j, f in enumerate(freqs):
            if lo <= f <= mid:
                bank[i, j] = (f - lo) / (mid - lo)
            elif mid < f <= hi:
                bank[i, j] = (hi - f) / (hi - mid)
    return bank


@pytest.mark.parametrize("with_deltas", [False, True])
def test_lfcc_matches_scipy_dct_and_librosa_deltas(clip, with_deltas):
    frontend = build_frontend("lfcc", with_deltas=with_deltas)
    ours = frontend(torch.from_numpy(clip))[0, 0].numpy()
    power = np.abs(librosa.stft(clip, n_fft=512, hop_length=160, win_length=320, pad_mode="constant")) ** 2
    energies = _reference_linear_filterbank(16000, 512, 20, 0.0, 8000.0) @ power
    cepstra = scipy.fft.dct(np.log(energies + 1e-10), type=2, norm="ortho", axis=0)[:20]
    if with_deltas:
        d1 = librosa.feature.delta(cepstra, width=9, order=1, mode="nearest")
        d2 = librosa.feature.delta(d1, width=9, order=1, mode="nearest")
        cepstra = np.concatenate([cepstra, d1, d2])
    assert ours.shape == cepstra.shape == ((60 if with_deltas else 20), 151)
    assert np.abs(ours - cepstra).max() < 1e-3 * max(1.0, np.abs(cepstra).max())


def test_cqt_pseudo_matches_librosa_pseudo_cqt(clip):
    frontend = build_frontend("cqt", hop_length=160, fmin=32.703, bins_per_octave=12, method="pseudo")
    ours = frontend(torch.from_numpy(clip))[0, 0].numpy()
    ref = librosa.pseudo_cqt(clip, sr=16000, hop_length=160, fmin=32.703, n_bins=frontend.num_bins,
                             bins_per_octave=12, sparsity=0.0)
    ref = _librosa_db(ref**2)
    assert frontend.num_bins == 95
    assert ours.shape == ref.shape == (95, 151)
    assert_db_close(ours, ref)


def _librosa_cqt_db(clip: np.ndarray, n_bins: int) -> np.ndarray:
    ref = librosa.cqt(clip, sr=16000, hop_length=160, fmin=32.703, n_bins=n_bins, bins_per_octave=12, sparsity=0.0,
                      res_type="soxr_vhq")
    return _librosa_db(np.abs(ref) ** 2)


def test_cqt_multirate_matches_librosa_cqt(clip):
    """Equal to librosa.cqt except where the two use different halving filters.

    The top bins of each halved octave have filters whose main lobe reaches the halved signal's Nyquist,
    so their level depends on the resampler's roll-off: librosa itself moves them by up to 5 dB between
    soxr_hq and soxr_vhq, and by up to 28 dB with res_type="fft". So the top two are left out and the
    rest is held to percentiles. The first and last 5 frames see the resamplers' different edge handling
    (soxr's own padding against our zeros).
    """
    frontend = build_frontend("cqt")
    assert frontend.params["method"] == "multirate"
    ours = frontend(torch.from_numpy(clip))[0, 0].numpy()
    ref = _librosa_cqt_db(clip, frontend.num_bins)
    assert ours.shape == ref.shape == (95, 151)
    resampler_bound = np.zeros(95, dtype=bool)
    for top in range(95 - 12 - 1, 0, -12):  # the top bin of every octave below the first (full-rate) one
        resampler_bound[max(0, top - 1) : top + 1] = True
    interior = (slice(None), slice(5, -5))
    diff = np.abs(ours - ref)[interior][~resampler_bound]
    audible = (ref > ref.max() - 60.0)[interior][~resampler_bound]
    assert np.median(diff[audible]) < 0.01  # measured 0.0007 dB
    assert np.percentile(diff[audible], 95) < 0.2  # measured 0.08 dB (the third bin from an octave's top: 7 dB at most)
    assert np.abs(ours - ref)[83:, 5:-5].max() < 0.05  # the full-rate octave: no resampler (measured 0.018 dB)


@pytest.mark.parametrize("bin_index", [5, 30, 47, 64, 90])
def test_cqt_multirate_puts_a_tone_in_its_bin_at_librosa_level(bin_index):
    """A tone at a bin's centre peaks in that bin, at librosa.cqt's level (0.1 dB), in every octave."""
    frequency = librosa.cqt_frequencies(n_bins=95, fmin=32.703, bins_per_octave=12)[bin_index]
    tone = (0.5 * np.sin(2 * np.pi * frequency * np.arange(32000) / 16000)).astype(np.float32)
    ours = build_frontend("cqt")(torch.from_numpy(tone))[0, 0].numpy()[:, 50:150]
    ref = _librosa_cqt_db(tone, 95)[:, 50:150]
    assert (ours.argmax(axis=0) == bin_index).all()
    assert np.abs(ours[bin_index] - ref[bin_index]).max() < 0.1


def test_cqt_multirate_is_much_cheaper_than_pseudo():
    """The point of the multi-rate form: no 16,384-point FFT (the pseudo-CQT's n_fft at fmin 32.7 Hz)."""
    multirate, pseudo = build_frontend("cqt"), build_frontend("cqt", method="pseudo")
    assert pseudo.n_fft == 16384
    assert max(n_fft for n_fft, _, _ in multirate._octaves) <= 512


# The contract every registered front-end keeps: shapes, batching, determinism, config round trip.
PINNED_BINS = {"stft": 257, "mel": 80, "lfcc": 60, "cqt": 95, "excitation": 6, "harmonic": 35, "phase": 116, "stack": 66}


@pytest.mark.parametrize("name", sorted(FRONTENDS.names()))
def test_frontend_contract(name, rng):
    assert set(PINNED_BINS) == set(FRONTENDS.names())
    frontend = build_frontend(name)
    batch = torch.from_numpy(rng.standard_normal((3, 8000)).astype(np.float32) * 0.1)
    out = frontend(batch)
    assert out.shape == (3, 1, PINNED_BINS[name], 51) == (3, 1, frontend.num_bins, frontend.num_frames(8000))
    assert out.dtype == torch.float32 and torch.isfinite(out).all()
    single = frontend(batch[1])
    torch.testing.assert_close(single[0], out[1], rtol=1e-4, atol=1e-3)  # batching does not change a clip
    torch.testing.assert_close(frontend(batch), out, rtol=0, atol=0)  # deterministic
    rebuilt = frontend_from_config(frontend.config())
    torch.testing.assert_close(rebuilt(batch), out, rtol=0, atol=0)
    assert frontend.frequencies().shape == (frontend.num_bins,)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no GPU on this machine (CI never has one)")
@pytest.mark.parametrize("name", sorted(PINNED_BINS))
def test_frontend_on_gpu_matches_cpu(name, rng):
    frontend = build_frontend(name)
    batch = torch.from_numpy(rng.standard_normal((2, 8000)).astype(np.float32) * 0.1)
    torch.testing.assert_close(frontend.cuda()(batch.cuda()).cpu(), frontend.cpu()(batch), rtol=1e-3, atol=1e-2)


def test_top_db_floors_each_example():
    frontend = build_frontend("stft", top_db=40.0)
    out = frontend(torch.randn(2, 4000))
    for example in out:
        assert float(example.max() - example.min()) <= 40.0 + 1e-4


@pytest.mark.parametrize("name,params,message", [
    ("stft", {"n_fft": 0}, "n_fft must be > 0"),
    ("stft", {"window": "kaiser"}, "window must be one of"),
    ("mel", {"fmax": 9000}, "fmax <= 8000"),
    ("lfcc", {"n_lfcc": 30}, "n_lfcc must be in 1..n_filters=20"),
    ("cqt", {"n_bins": 200}, "above Nyquist"),
    ("stft", {"win_length": 1024}, "win_length must be in 1..n_fft=512"),
])
def test_bad_parameters_name_the_range(name, params, message):
    with pytest.raises(ParameterError, match=message):
        build_frontend(name, **params)


def test_unknown_frontend_lists_choices():
    with pytest.raises(ParameterError, match="choose one of: cqt, excitation, harmonic, lfcc, mel, phase, stack, stft"):
        build_frontend("mfcc")


@pytest.mark.slow
def test_cqt_multirate_exports_to_onnx(rng):
    """The multi-rate CQT's FFT convolution, strided halving and split complex products survive ONNX export."""
    import onnxruntime

    frontend = build_frontend("cqt").eval()
    program = torch.onnx.export(frontend, (torch.zeros(2, 16000),), input_names=["waveforms"], output_names=["spec"],
                                dynamic_shapes={"waveform": {0: torch.export.Dim("batch", min=1, max=64)}},
                                dynamo=True, external_data=False, verbose=False)
    session = onnxruntime.InferenceSession(program.model_proto.SerializeToString())
    batch = (rng.standard_normal((3, 16000)) * 0.1).astype(np.float32)
    ours = frontend(torch.from_numpy(batch)).numpy()
    theirs = session.run(None, {"waveforms": batch})[0]
    # onnxruntime's FFTs round differently in float32: measured 0.07 dB at most within 20 dB of the peak, 99 % of
    # the bins within 60 dB under 0.05 dB (up to 1 dB on a few bins near -60 dB).
    diff = np.abs(theirs - ours)
    assert theirs.shape == ours.shape
    assert diff[ours > ours.max() - 20.0].max() < 0.2
    assert np.percentile(diff[ours > ours.max() - 60.0], 99) < 0.1
