"""CQT front-end throughput (not a test): audio-seconds per wall-second on one core, same clips for every route.

Routes (95 bins from 32.7 Hz, 12 per octave, 10 ms hop, 16 kHz):
  (a) librosa.cqt per clip (multi-rate, soxr resampling), the reference the multi-rate front-end follows
  (b) librosa.pseudo_cqt per clip (one full-rate FFT per frame)
  (c) fakescope cqt, method=pseudo, batched in torch (the front-end before the multi-rate one)
  (d) fakescope cqt, method=multirate (the default), batched in torch
Prints each route's rate and the ratios d/c (what the multi-rate form gains) and d/a.

    .venv/bin/python benchmarks/cqt.py [--clips 64] [--seconds 4]
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np

SAMPLE_RATE, HOP, FMIN, N_BINS, CHUNK = 16000, 160, 32.703, 95, 8
REPEATS = 3  # best of three passes: the least disturbed by other processes


def route_librosa(clips: np.ndarray) -> None:
    import librosa

    for clip in clips:
        librosa.cqt(clip, sr=SAMPLE_RATE, hop_length=HOP, fmin=FMIN, n_bins=N_BINS)


def route_librosa_pseudo(clips: np.ndarray) -> None:
    import librosa

    for clip in clips:
        librosa.pseudo_cqt(clip, sr=SAMPLE_RATE, hop_length=HOP, fmin=FMIN, n_bins=N_BINS)


def torch_route(method: str):
    def route(clips: np.ndarray) -> None:
        import torch

        from fakescope.features import build_frontend

        frontend = build_frontend("cqt", method=method)
        with torch.inference_mode():
            for start in range(0, len(clips), CHUNK):
                frontend(torch.from_numpy(clips[start : start + CHUNK]))

    return route


ROUTES = [("a", "librosa.cqt per clip", route_librosa), ("b", "librosa.pseudo_cqt per clip", route_librosa_pseudo),
          ("c", "fakescope cqt method=pseudo (torch)", torch_route("pseudo")),
          ("d", "fakescope cqt method=multirate (torch)", torch_route("multirate"))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clips", type=int, default=64)
    parser.add_argument("--seconds", type=float, default=4.0)
    args = parser.parse_args()
    import torch

    from fakescope.audio.synthetic import voice_like

    torch.set_num_threads(1)  # one core: the speed target of the default model is per core
    clips = np.stack([voice_like(seconds=args.seconds, rng=np.random.default_rng(i)).samples[0] for i in range(args.clips)])
    audio_s = clips.size / SAMPLE_RATE
    print(f"{args.clips} clips of {args.seconds:g} s ({audio_s:.0f} audio-s), one torch thread", flush=True)
    rates = {}
    for key, label, route in ROUTES:
        route(clips[:2])  # warm-up: numba JIT, filter caches, torch kernels
        walls = []
        for _ in range(REPEATS):
            start = time.perf_counter()
            route(clips)
            walls.append(time.perf_counter() - start)
        rates[key] = audio_s / min(walls)
        print(f"  ({key}) {label:<42} {min(walls):7.2f} s  {rates[key]:8.0f} x real time", flush=True)
    print(f"ratios: d/c = {rates['d'] / rates['c']:.1f}x (multi-rate over full-rate, same package)   "
          f"d/a = {rates['d'] / rates['a']:.1f}x (over librosa.cqt)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
