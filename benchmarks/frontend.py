"""Front-end throughput report (not a test): audio-seconds processed per wall-second on the same clips.

Routes, all on the same in-memory 16 kHz clips (decoding is timed separately, as it is common to all):
  (a) original: librosa mel spectrogram per file + a matplotlib figure saved as PNG
  (b) librosa mel spectrogram per file, no PNG
  (c) fakescope's batched torch mel front-end (chunks of 4 clips, the fastest here)
  (d) fakescope's PNG writer (batched front-end + 128x128 image + PNG file)
Prints a table and the ratios c/a, c/b and d/a, then the same (b) and (c) end to end from the files.

    .venv/bin/python benchmarks/frontend.py [--files 200] [--seconds 4]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("MPLBACKEND", "Agg")

N_FFT, HOP, N_MELS, SAMPLE_RATE, CHUNK = 512, 160, 80, 16000, 4
REPEATS = 3  # each route's best of three passes: the least disturbed by other processes


def make_clips(folder: Path, count: int, seconds: float) -> list[Path]:
    from fakescope.audio import save_audio
    from fakescope.audio.synthetic import voice_like

    paths = []
    for i in range(count):
        path = folder / f"clip{i:04d}.flac"
        save_audio(path, voice_like(seconds=seconds, rng=np.random.default_rng(i), f0_hz=90 + (i % 7) * 20))
        paths.append(path)
    return paths


def route_original(clips: list[np.ndarray], out: Path) -> None:
    import librosa
    import librosa.display
    import matplotlib.pyplot as plt

    for i, clip in enumerate(clips):
        mel = librosa.feature.melspectrogram(y=clip, sr=SAMPLE_RATE, n_fft=N_FFT, hop_length=HOP, n_mels=N_MELS)
        db = librosa.power_to_db(mel, ref=np.max)
        fig = plt.figure(figsize=(1.28, 1.28), dpi=100)
        ax = fig.add_axes([0, 0, 1, 1])
        librosa.display.specshow(db, sr=SAMPLE_RATE, hop_length=HOP, ax=ax)
        ax.axis("off")
        fig.savefig(out / f"a{i:04d}.png")
        plt.close(fig)


def route_librosa(clips: list[np.ndarray], out: Path) -> None:
    import librosa

    for clip in clips:
        mel = librosa.feature.melspectrogram(y=clip, sr=SAMPLE_RATE, n_fft=N_FFT, hop_length=HOP, n_mels=N_MELS)
        librosa.power_to_db(mel, ref=np.max)


def route_torch(clips: list[np.ndarray], out: Path) -> None:
    import torch

    from fakescope.features import build_frontend

    frontend = build_frontend("mel", n_fft=N_FFT, hop_length=HOP, n_mels=N_MELS)
    with torch.no_grad():
        for start in range(0, len(clips), CHUNK):
            frontend(torch.from_numpy(np.stack(clips[start : start + CHUNK])))  # (4, T) → (4, 1, 80, frames)


def route_png(clips: list[np.ndarray], out: Path) -> None:
    from fakescope.features.images import ImageSpec, SpectrogramImager, write_png

    imager = SpectrogramImager(ImageSpec(frontend="mel", frontend_params={"n_fft": N_FFT, "hop_length": HOP, "n_mels": N_MELS}))
    for start in range(0, len(clips), CHUNK):
        for offset, image in enumerate(imager.render(clips[start : start + CHUNK])):
            write_png(out / f"d{start + offset:04d}.png", image)


def route_librosa_from_files(paths: list[Path], out: Path) -> None:
    import librosa

    for path in paths:
        clip, _ = librosa.load(path, sr=SAMPLE_RATE)
        librosa.power_to_db(librosa.feature.melspectrogram(y=clip, sr=SAMPLE_RATE, n_fft=N_FFT, hop_length=HOP, n_mels=N_MELS), ref=np.max)


def route_torch_from_files(paths: list[Path], out: Path) -> None:
    from fakescope.audio import load_audio

    route_torch([load_audio(p).samples[0] for p in paths], out)


ROUTES = [("(a) librosa + matplotlib PNG (original)", route_original), ("(b) librosa per file, no PNG", route_librosa),
          ("(c) fakescope batched torch front-end", route_torch), ("(d) fakescope PNG writer", route_png)]


def best_time(route, inputs, out: Path) -> float:
    times = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        route(inputs, out)
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=4.0)
    args = parser.parse_args()
    import torch

    from fakescope.audio import load_audio

    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        paths = make_clips(tmp_path, args.files, args.seconds)
        start = time.perf_counter()
        clips = [load_audio(p).samples[0] for p in paths]
        decode_s = time.perf_counter() - start
        audio_s = sum(len(c) for c in clips) / SAMPLE_RATE
        print(f"{args.files} clips of {args.seconds:g} s ({audio_s:.0f} audio-s); torch threads: {torch.get_num_threads()}; "
              f"cores: {os.cpu_count()}", flush=True)
        rates = {}
        for label, route in ROUTES:
            out = tmp_path / label[1]
            out.mkdir()
            route(clips[:4], out)  # warm-up: numba JIT, matplotlib import, torch kernels
            wall = best_time(route, clips, out)
            rates[label[1]] = audio_s / wall
            print(f"  {label:<42} {wall:8.2f} s  {rates[label[1]]:9.0f} audio-s/s", flush=True)
        print(f"  {'decode (load_audio, common to all)':<42} {decode_s:8.2f} s  {audio_s / decode_s:9.0f} audio-s/s")
        print("end to end from the FLAC files (decoding included):")
        for label, route in [("(b+io) librosa.load + mel per file", route_librosa_from_files),
                             ("(c+io) load_audio + batched torch", route_torch_from_files)]:
            route(paths[:4], tmp_path)
            wall = best_time(route, paths, tmp_path)
            rates[label[1:5]] = audio_s / wall
            print(f"  {label:<42} {wall:8.2f} s  {audio_s / wall:9.0f} audio-s/s", flush=True)
        print(f"ratios: c/a = {rates['c'] / rates['a']:.1f}x (target >= 50)   c/b = {rates['c'] / rates['b']:.1f}x (target >= 10)   "
              f"d/a = {rates['d'] / rates['a']:.1f}x (target >= 5)   "
              f"(c+io)/(b+io) = {rates['c+io'] / rates['b+io']:.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
