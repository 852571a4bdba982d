"""Excitation front-end speed (not a test): fakescope's batched torch version against a per-frame scipy baseline.

Both compute the same six rows per 10-ms frame (LPC order 20 by autocorrelation, residual kurtosis and crest
factor, kurtosis in three FIR sub-bands, pitch-lag autocorrelation peak) on the same generated speech-like clips
(fakescope.audio.synthetic.voice_like), on one thread:
  (a) the obvious implementation: per frame, scipy.linalg.solve_toeplitz, scipy.signal.lfilter and np.convolve
      (what a user would write with the libraries: tests/features/excitation_reference.py, the same reference
      tests/features/test_excitation.py checks the front-end against)
  (b) features/excitation.py: the whole batch at once (FFT products, batched Levinson-Durbin)
  (c) the LFCC front-end on the same batch, for scale (the model it joins reads both)

    .venv/bin/python benchmarks/excitation.py [--files 16 --seconds 4]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the repository root: tests.features is the reference
from tests.features.excitation_reference import reference_rows  # noqa: E402


def best_of(fn, repeats: int = 3) -> float:
    fn()  # warm-up
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=4.0)
    args = parser.parse_args()

    import torch

    from fakescope.audio.synthetic import voice_like
    from fakescope.features import build_frontend

    torch.set_num_threads(1)
    rng = np.random.default_rng(0)
    clips = np.stack([voice_like(seconds=args.seconds, rng=rng).samples[0] for _ in range(args.files)])
    batch = torch.from_numpy(clips)
    audio_s = args.files * args.seconds
    excitation = build_frontend("excitation")
    lfcc = build_frontend("lfcc", fmax=4000.0)
    with torch.no_grad():
        ours = excitation(batch)[:, 0].numpy()
        # One clip through the baseline is enough to time it (it is per frame) and to check agreement.
        reference = reference_rows(clips[0], excitation)
        voiced = reference[0] > 1.5
        agreement = float(np.abs(ours[0][:, voiced] - reference[:, voiced]).max())
        baseline_s = best_of(lambda: reference_rows(clips[0], excitation), repeats=1) * args.files
        torch_s = best_of(lambda: excitation(batch))
        lfcc_s = best_of(lambda: lfcc(batch))
    print(f"{args.files} clips of {args.seconds:g} s ({audio_s:.0f} audio-s), one thread; rows agree within {agreement:.1e}")
    for label, wall in (("(a) per-frame scipy baseline", baseline_s), ("(b) fakescope excitation (batched torch)", torch_s),
                        ("(c) LFCC front-end, for scale", lfcc_s)):
        print(f"  {label:<44} {wall:8.3f} s  {audio_s / wall:9.0f}x real time")
    print(f"ratios: b/a = {baseline_s / torch_s:.1f}x faster than the per-frame baseline; "
          f"excitation costs {torch_s / lfcc_s:.1f}x the LFCC front-end")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
