"""The excitation rows computed the obvious way, frame by frame with scipy: the reference that
tests/features/test_excitation.py checks features/excitation.py against, and the baseline that
benchmarks/excitation.py times it against. Plain NumPy/SciPy, no pytest, so the benchmark can import it.
"""

from __future__ import annotations

import numpy as np
import scipy.linalg
import scipy.signal
import scipy.stats


def reference_rows(x: np.ndarray, frontend) -> np.ndarray:
    """Rows computed frame by frame with scipy: solve_toeplitz LPC, lfilter residual, firwin band-passes.

    x is the analysis signal (after the front-end's low-pass and decimation, which test_excitation.py checks on its own).
    """
    n_fft, hop, win, order = frontend.frame, frontend.step, frontend.span, frontend.lpc_order
    rate = frontend.rate
    window = scipy.signal.get_window("hamming", win, fftbins=True)
    padded = np.pad(x.astype(np.float64), (n_fft // 2, n_fft // 2))
    left = (n_fft - win) // 2
    low, high = frontend.lags
    taps = frontend.band_margin
    kernels = [scipy.signal.firwin(taps, list(band), pass_zero=False, fs=rate) for band in frontend.bands]
    out = []
    for start in range(0, len(padded) - n_fft + 1, hop):
        frame = padded[start + left : start + left + win] * window
        r = np.correlate(frame, frame, "full")[win - 1 : win + order]
        r[0] = r[0] * (1 + 1e-4) + 1e-12
        a = np.concatenate([[1.0], scipy.linalg.solve_toeplitz(r[:-1], -r[1:])])
        residual = scipy.signal.lfilter(a, [1.0], np.concatenate([frame, np.zeros(order)]))
        inside = residual[:win]
        row = [np.log(scipy.stats.kurtosis(inside, fisher=False) + 1e-3),
               np.log(np.abs(inside).max() / np.sqrt(np.mean(inside ** 2)))]
        for h in kernels:
            filtered = np.convolve(residual, h)  # full linear convolution, delayed by taps // 2
            core = filtered[taps // 2 + taps : win + taps // 2 - taps]
            row.append(np.log(scipy.stats.kurtosis(core, fisher=False) + 1e-3))
        corr = np.correlate(residual, residual, "full")[len(residual) - 1 :]
        row.append(corr[low : high + 1].max() / corr[0])
        out.append(row)
    return np.array(out).T  # (rows, frames)
