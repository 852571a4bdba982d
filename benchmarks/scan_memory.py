"""Scan memory report (not a test): peak resident memory of one `Detector.scan` against the length of the input.

A long recording (a podcast, a meeting) is decoded whole, so its scan's memory grows with its length. Each
scan runs in a fresh Python process that reports its own peak RSS (getrusage); the baseline, in the same run,
is the same process scanning a 2-min file, which holds the interpreter, torch, the model and the scoring of
full batches of windows. The report gives the growth above that baseline, and between consecutive lengths of
one format the memory each further minute costs, also as a multiple of that minute's decoded size
(channels x samples x 4 bytes): the floor is 1x, the decoded audio itself.

    .venv/bin/python benchmarks/scan_memory.py             # 10 and 30 min, 16 kHz mono and 48 kHz stereo, FLAC and M4A
    .venv/bin/python benchmarks/scan_memory.py --minutes 5 --checkpoint runs/x/model.safetensors
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

CHILD = """
import json, resource, sys
from fakescope.detection import Detector
detector = Detector.from_checkpoint(sys.argv[2] or None)
verdict = detector.scan(sys.argv[1])
print(json.dumps({"peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "p_fake": verdict.p_fake}))
"""


def speech_blocks(minutes: float, sample_rate: int, channels: int):
    """Blocks (t, C) of `minutes` of speech-like audio: a 10-s voice tiled with fresh noise."""
    from fakescope.audio.synthetic import voice_like

    rng = np.random.default_rng(0)
    block = voice_like(seconds=10.0, sample_rate=sample_rate, rng=rng).samples[0]
    total = int(minutes * 60 * sample_rate)
    for start in range(0, total, block.size):
        part = block[: min(block.size, total - start)]
        part = part + 0.003 * rng.standard_normal(part.size).astype(np.float32)
        yield np.repeat(part[:, np.newaxis], channels, axis=1)


def write_long_file(path: Path, minutes: float, sample_rate: int, channels: int) -> None:
    """FLAC through soundfile, or AAC in M4A through PyAV (the phone recorder's format), written in blocks."""
    if path.suffix == ".flac":
        import soundfile as sf

        with sf.SoundFile(path, "w", samplerate=sample_rate, channels=channels, format="FLAC") as handle:
            for part in speech_blocks(minutes, sample_rate, channels):
                handle.write(part)
        return
    import av

    layout = "mono" if channels == 1 else "stereo"
    with av.open(str(path), mode="w", format="ipod") as container:
        stream = container.add_stream("aac", rate=sample_rate, layout=layout)
        for part in speech_blocks(minutes, sample_rate, channels):
            frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(part.T), format="fltp", layout=layout)
            frame.sample_rate = sample_rate
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)


def scan_peak(path: Path, checkpoint: str) -> dict:
    done = subprocess.run([sys.executable, "-c", CHILD, str(path), checkpoint], capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"scan of {path.name} failed: {done.stderr.strip().splitlines()[-1:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=float, nargs="+", default=[10.0, 30.0])
    parser.add_argument("--formats", nargs="+", default=["flac", "m4a"], choices=["flac", "m4a"],
                        help="flac decodes through soundfile, m4a (AAC) through PyAV")
    parser.add_argument("--checkpoint", default="", help="model to scan with (default: the shipped one)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="fakescope-scan-memory-") as tmp:
        folder = Path(tmp)
        short = folder / "short.flac"
        write_long_file(short, 2.0, 16000, 1)
        base = scan_peak(short, args.checkpoint)["peak_mb"]
        print(f"baseline: a 2-min 16-kHz mono file, peak RSS {base:.0f} MB (interpreter, torch, model, full batches)")
        print(f"{'input':<28} {'peak MB':>8} {'growth MB':>10} {'MB per further min':>19} {'x decoded':>10}")
        for suffix, sample_rate, channels in [(f, r, c) for f in args.formats for r, c in ((16000, 1), (48000, 2))]:
            decoded_per_min = 60 * sample_rate * channels * 4 / 2**20
            before = None
            for minutes in sorted(args.minutes):
                path = folder / f"{minutes:g}min_{sample_rate}_{channels}ch.{suffix}"
                write_long_file(path, minutes, sample_rate, channels)
                peak = scan_peak(path, args.checkpoint)["peak_mb"]
                path.unlink()
                name = f"{suffix}, {minutes:g} min, {sample_rate // 1000} kHz, {channels} ch"
                slope = "" if before is None else f"{(peak - before[1]) / (minutes - before[0]):.1f}"
                ratio = "" if before is None else f"{(peak - before[1]) / (minutes - before[0]) / decoded_per_min:.2f}x"
                print(f"{name:<28} {peak:>8.0f} {peak - base:>10.0f} {slope:>19} {ratio:>10}")
                before = (minutes, peak)


if __name__ == "__main__":
    main()
