"""Scan speed report (not a test): how many seconds of audio the Detector scores per wall second on CPU.

Routes, all on generated speech-like FLAC files (fakescope.audio.synthetic.voice_like) in a temp folder:
  (a) one long file (default 60 s) through Detector.scan (the model's own windows: 8 s every 4 s for the
      shipped model, 4 s every 2 s for the untrained LCNN; scored in batches)
  (b) a batch of files (default 200 x 4 s) through detection/batch.py scan_paths, the code path of
      `fakescope scan`, with --workers 1 and 2 (the wall time includes building the detector(s), as a user sees it)
  (c) the ONNX path: the checkpoint exported once with detection/export.py, then Detector.from_checkpoint(model.onnx)
      on the same long file and batch
  (d) model only on one CPU core (torch.set_num_threads(1); onnxruntime with one intra-op thread): batched
      4-s windows straight into the scoring function, no decoding, resampling or warnings.
      Target (issue 7): >= 100x real time.

    .venv/bin/python benchmarks/scan.py                          # the shipped default model, full size
    .venv/bin/python benchmarks/scan.py --checkpoint runs/lfcc_lcnn/model.safetensors
    .venv/bin/python benchmarks/scan.py --make-untrained --files 10 --seconds 2 --long-seconds 10   # quick check
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Iterator

import numpy as np

os.environ.setdefault("MPLBACKEND", "Agg")
os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")

BUSY = ("\n  (the machine is busy: timings are pessimistic; more torch threads than idle cores can be far slower,"
        " see --threads 1)")
TARGET_X = 100.0  # issue 7: scan >= 100x real time on CPU with 4-s windows batched


@contextlib.contextmanager
def quiet(log: Path) -> Iterator[None]:
    """Send fds 1 and 2 to `log` (the ONNX exporter prints pages of progress and warnings, some from C++)."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    with open(log, "wb") as sink:
        os.dup2(sink.fileno(), 1)
        os.dup2(sink.fileno(), 2)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                yield
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            os.close(saved[0])
            os.close(saved[1])


def make_untrained_checkpoint(folder: Path) -> Path:
    """An untrained but calibrated LFCC-LCNN checkpoint (as tests/conftest.py builds): right speed, no accuracy."""
    import torch

    from fakescope.evaluation.calibration import Calibration
    from fakescope.training.checkpoint import checkpoint_config, model_tensors, save_checkpoint
    from fakescope.training.pipeline import build_pipeline

    torch.manual_seed(0)
    pipeline = build_pipeline(frontend={"name": "lfcc"}, model={"name": "lcnn"}).eval()
    config = checkpoint_config(pipeline, input_spec={"kind": "audio", "sample_rate": 16000, "crop_seconds": 4.0},
                               calibration=Calibration(slope=2.0, offset=0.1), threshold={"score": 0.0})
    path = folder / "untrained_lfcc_lcnn.safetensors"
    save_checkpoint(path, tensors=model_tensors(pipeline), config=config)
    return path


def resolve_checkpoint(checkpoint: Path | None, make_untrained: bool, folder: Path) -> Path | None:
    """The checkpoint to benchmark, or None (after printing why) when there is none."""
    from fakescope.detection import DEFAULT_CHECKPOINT

    if make_untrained:
        path = make_untrained_checkpoint(folder)
        print(f"checkpoint: {path.name} (untrained LFCC-LCNN made for this run: speed only, verdicts are meaningless)")
        return path
    path = checkpoint or DEFAULT_CHECKPOINT
    if not path.is_file():
        which = "the shipped default model" if path == DEFAULT_CHECKPOINT else "the checkpoint"
        print(f"{path}: {which} does not exist. Pass --checkpoint PATH (a trained .safetensors), "
              f"or --make-untrained to time an untrained LFCC-LCNN.", file=sys.stderr)
        return None
    print(f"checkpoint: {path}")
    return path


def speech(seconds: float, seed: int) -> "np.ndarray":
    """Speech-like 16 kHz mono samples: 3-s voice_like phrases with varying pitch, joined."""
    from fakescope.audio.synthetic import voice_like

    rng = np.random.default_rng(seed)
    pieces, left = [], seconds
    while left > 1e-6:
        part = min(3.0, left)
        pieces.append(voice_like(seconds=part, rng=rng, f0_hz=float(rng.uniform(90, 220))).samples[0])
        left -= part
    return np.concatenate(pieces)


def write_flac(path: Path, samples: np.ndarray) -> Path:
    from fakescope.audio import Audio, save_audio

    return save_audio(path, Audio(samples[np.newaxis, :].astype(np.float32), 16000))


class Report:
    """Rows of (route, audio seconds, wall seconds); prints each as it is measured."""

    def __init__(self) -> None:
        self.rate: dict[str, float] = {}  # key → audio seconds per wall second

    def add(self, key: str, label: str, audio_s: float, wall_s: float) -> None:
        self.rate[key] = audio_s / wall_s
        print(f"  {label:<58} {audio_s:8.0f} {wall_s:9.2f} {audio_s / wall_s:10.1f}x", flush=True)

    @staticmethod
    def header() -> None:
        print(f"  {'route':<58} {'audio-s':>8} {'wall-s':>9} {'real time':>11}")

    def ratio(self, top: str, bottom: str) -> str:
        if top not in self.rate or bottom not in self.rate:
            return "n/a"
        return f"{self.rate[top] / self.rate[bottom]:.2f}x"


def time_long_file(report: Report, key: str, label: str, detector, path: Path, audio_s: float) -> None:
    """Scan one file repeatedly for at least a second (a 60-s file takes well under one) and time the mean."""
    verdict = detector.scan(path)  # warm-up: first-call kernel selection, soxr/soundfile imports
    runs, start = 0, time.perf_counter()
    while runs < 20 and (runs == 0 or time.perf_counter() - start < 1.0):
        detector.scan(path)
        runs += 1
    wall = (time.perf_counter() - start) / runs
    report.add(key, f"{label} ({len(verdict.windows)} windows, mean of {runs})", audio_s, wall)


def time_batch(report: Report, key: str, label: str, factory, paths: list[Path], audio_s: float, workers: int) -> int:
    """Scan the batch as `fakescope scan --workers N` does; returns the number of failures."""
    from fakescope.detection.batch import scan_paths

    start = time.perf_counter()
    failures = sum(1 for _, verdict, _ in scan_paths(factory, paths, workers=workers) if verdict is None)
    report.add(key, label, audio_s, time.perf_counter() - start)
    return failures


def export(checkpoint: Path, folder: Path) -> tuple[Path, float]:
    """Export to ONNX once, quietly; returns (model path, seconds taken)."""
    from fakescope.detection.export import export_onnx

    log, start = folder / "export.log", time.perf_counter()
    try:
        with quiet(log):
            path = export_onnx(checkpoint, folder / "model.onnx")
    except Exception:
        print("ONNX export failed; its output ends with:\n" + log.read_text(errors="replace")[-3000:], file=sys.stderr)
        raise
    return path, time.perf_counter() - start


def model_only(report: Report, checkpoint: Path, onnx_path: Path | None, windows: int, batch: int) -> float:
    """Throughput of the scoring function alone on one core; returns the torch route's x real time."""
    import torch

    from fakescope.detection import Detector

    rng = np.random.default_rng(7)
    data = np.stack([speech(4.0, seed=int(s)) for s in rng.integers(0, 1 << 30, size=windows)]).astype(np.float32)
    audio_s = windows * 4.0
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        detector = Detector.from_checkpoint(checkpoint, batch_size=batch)
        detector.score_windows(data[:batch])  # warm-up
        start = time.perf_counter()
        detector.score_windows(data)
        wall = time.perf_counter() - start
        report.add("model", f"(d) model only, torch, 1 thread, batch {batch}", audio_s, wall)
    finally:
        torch.set_num_threads(threads)
    if onnx_path is not None:
        import onnxruntime

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = options.inter_op_num_threads = 1
        session = onnxruntime.InferenceSession(str(onnx_path), options, providers=["CPUExecutionProvider"])
        session.run(["scores"], {"waveforms": data[:batch]})
        start = time.perf_counter()
        for i in range(0, windows, batch):
            session.run(["scores"], {"waveforms": data[i : i + batch]})
        report.add("model-onnx", f"(d) model only, onnxruntime, 1 thread, batch {batch}", audio_s,
                   time.perf_counter() - start)
    return audio_s / wall


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkpoint", type=Path, default=None, help="a .safetensors checkpoint (default: the shipped model)")
    parser.add_argument("--make-untrained", action="store_true", help="time an untrained LFCC-LCNN made in a temp folder")
    parser.add_argument("--files", type=int, default=200, help="files in the batch (b)")
    parser.add_argument("--seconds", type=float, default=4.0, help="length of each batch file")
    parser.add_argument("--long-seconds", type=float, default=60.0, help="length of the one long file (a)")
    parser.add_argument("--model-windows", type=int, default=128, help="4-s windows scored in the model-only route (d)")
    parser.add_argument("--batch", type=int, default=16, help="windows per forward pass in (a), (c) one file and (d); "
                        "the batch routes use `fakescope scan`'s 16")
    parser.add_argument("--threads", type=int, default=None, help="torch threads for routes (a)-(c) (default: torch's "
                        "choice, one per core, as in `fakescope scan`)")
    parser.add_argument("--no-onnx", action="store_true", help="skip the ONNX export and route (c)")
    parser.add_argument("--no-workers", action="store_true", help="skip the --workers 2 batch")
    args = parser.parse_args()
    if args.files < 1 or args.seconds <= 0 or args.long_seconds <= 0 or args.model_windows < 1 or args.batch < 1:
        parser.error("--files, --model-windows and --batch must be >= 1; --seconds and --long-seconds > 0")
    return args


def main() -> int:
    args = parse_args()
    import torch

    from fakescope.cli.scan import DetectorFactory
    from fakescope.detection import Detector

    if args.threads:
        torch.set_num_threads(args.threads)
    with tempfile.TemporaryDirectory(prefix="fakescope-bench-") as tmp:
        tmp_path = Path(tmp)
        checkpoint = resolve_checkpoint(args.checkpoint, args.make_untrained, tmp_path)
        if checkpoint is None:
            return 2
        if checkpoint.suffix == ".onnx":
            print("give the .safetensors checkpoint: the torch routes need it and route (c) exports it", file=sys.stderr)
            return 2
        long_path = write_flac(tmp_path / "long.flac", speech(args.long_seconds, seed=1))
        paths = [write_flac(tmp_path / "batch" / f"clip{i:04d}.flac", speech(args.seconds, seed=100 + i))
                 for i in range(args.files)]
        batch_s = args.files * args.seconds
        load = os.getloadavg()[0]
        print(f"long file {args.long_seconds:g} s; batch {args.files} x {args.seconds:g} s; torch threads "
              f"{torch.get_num_threads()}; cores {os.cpu_count()}; load average {load:.2f}"
              + (BUSY if load > 0.5 * (os.cpu_count() or 1) else ""))
        start = time.perf_counter()
        detector = Detector.from_checkpoint(checkpoint, batch_size=args.batch)
        print(f"detector load: {time.perf_counter() - start:.2f} s (routes (b) include it: `fakescope scan` pays it)")

        report = Report()
        report.header()
        time_long_file(report, "long", "(a) one file, Detector.scan", detector, long_path, args.long_seconds)
        factory = DetectorFactory(str(checkpoint))
        failures = time_batch(report, "batch1", "(b) batch, scan_paths --workers 1", factory, paths, batch_s, 1)
        if not args.no_workers:
            failures += time_batch(report, "batch2", "(b) batch, scan_paths --workers 2", factory, paths, batch_s, 2)
        onnx_path = None
        if not args.no_onnx:
            onnx_path, export_s = export(checkpoint, tmp_path)
            print(f"  (ONNX export: {export_s:.1f} s, once)")
            onnx = Detector.from_checkpoint(onnx_path, batch_size=args.batch)
            time_long_file(report, "long-onnx", "(c) one file, ONNX Detector.scan", onnx, long_path, args.long_seconds)
            failures += time_batch(report, "batch-onnx", "(c) batch, ONNX scan_paths --workers 1",
                                   DetectorFactory(str(onnx_path)), paths, batch_s, 1)
        single_core = model_only(report, checkpoint, onnx_path, args.model_windows, args.batch)

    print(f"ratios: workers 2 / workers 1 = {report.ratio('batch2', 'batch1')}; ONNX / torch: one file "
          f"{report.ratio('long-onnx', 'long')}, batch {report.ratio('batch-onnx', 'batch1')}, model only "
          f"{report.ratio('model-onnx', 'model')}")
    verdict = "meets" if single_core >= TARGET_X else "misses"
    print(f"model only on one core: {single_core:.0f}x real time, {verdict} the target of >= {TARGET_X:.0f}x")
    if failures:
        print(f"{failures} generated file(s) failed to scan", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
