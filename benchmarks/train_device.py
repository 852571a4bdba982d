"""Training speed report (not a test): the same run on the CPU and on a CUDA GPU (mixed precision), as a ratio.

It writes a synthetic corpus to a temp folder (bona fide: fakescope.audio.synthetic.voice_like; spoof: the same
kind of signal resynthesised from its STFT magnitude with random phase, a crude vocoder), trains one
configuration with `fakescope.training.train` on each device for the same number of epochs, and prints
seconds per epoch (the first epoch, which pays for cuDNN autotuning and caches, is reported apart), audio
seconds trained per wall second, and the GPU/CPU ratio. It then checks what a user relies on:
  - the GPU run's best checkpoint loads on the CPU and scores the dev files like the GPU pipeline did;
  - with --torchrun N (N GPUs), the same run under `torch.distributed.run` (DDP, NCCL) ends with one log.

    .venv/bin/python benchmarks/train_device.py                          # CQT x LCNN, 4-s crops, 2 epochs each
    .venv/bin/python benchmarks/train_device.py --frontend lfcc --model resnet18 --epochs 3
    .venv/bin/python benchmarks/train_device.py --skip-cpu --torchrun 2  # on a 2-GPU machine

With no GPU it runs the CPU side only and says so.
"""

from __future__ import annotations

import argparse
import csv
import os
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("MPLBACKEND", "Agg")
os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")

SAMPLE_RATE = 16000


def random_phase(samples: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The STFT magnitude of `samples` with uniformly random phase, back to a waveform (a crude vocoder)."""
    from scipy import signal

    _, _, spec = signal.stft(samples, fs=SAMPLE_RATE, nperseg=512, noverlap=384)
    phase = np.exp(2j * np.pi * rng.uniform(size=spec.shape))
    _, out = signal.istft(np.abs(spec) * phase, fs=SAMPLE_RATE, nperseg=512, noverlap=384)
    out = out[: samples.size]
    return (0.5 * out / max(np.max(np.abs(out)), 1e-9)).astype(np.float32)


def make_corpus(root: Path, *, train: int, dev: int, seconds: float, seed: int = 0) -> Path:
    from fakescope.audio import Audio, save_audio
    from fakescope.audio.synthetic import voice_like
    from fakescope.datasets.manifest import ManifestRow, write_manifest

    rng = np.random.default_rng(seed)
    rows = []
    for split, count in (("train", train), ("dev", dev)):
        for label in ("bonafide", "spoof"):
            for i in range(count):
                length = seconds * rng.uniform(0.8, 1.2)
                voice = voice_like(seconds=length, rng=rng, f0_hz=rng.uniform(90, 250)).samples[0]
                samples = voice if label == "bonafide" else random_phase(voice, rng)
                rel = f"audio/{split}/{label}_{i}.flac"
                save_audio(root / rel, Audio(samples[np.newaxis, :], SAMPLE_RATE))
                rows.append(ManifestRow(utt_id=f"{split}_{label}_{i}", path=rel, label=label, speaker=f"spk{i % 4}",
                                        attack="-" if label == "bonafide" else "RP", source="synthetic", split=split,
                                        duration_s=samples.size / SAMPLE_RATE))
    return write_manifest(root / "manifest.csv", rows)


def overrides(args: argparse.Namespace, manifest: Path, device: str) -> dict:
    return {
        "data.manifest": str(manifest), "data.crop_seconds": args.crop, "data.num_workers": args.workers,
        "train.epochs": args.epochs, "train.batch_size": args.batch_size, "train.device": device,
        "train.amp": not args.no_amp, "train.patience": args.epochs + 1, "train.seed": 0,
    }


def timed_run(args: argparse.Namespace, manifest: Path, out: Path, device: str) -> dict:
    from fakescope.training import load_config, train

    config = load_config(overrides=overrides(args, manifest, device), names={"frontend": args.frontend, "model": args.model})
    started = time.perf_counter()
    result = train(config, out_dir=out, resume=False, show_progress=False)
    wall = time.perf_counter() - started
    with open(out / "log.csv", newline="") as handle:
        epochs = [float(row["seconds"]) for row in csv.DictReader(handle)]
    steady = epochs[1:] or epochs
    train_audio = 2 * args.train * args.crop  # each epoch draws one crop per training file
    return {"device": device, "wall": wall, "first": epochs[0], "epoch": float(np.mean(steady)),
            "x_audio": train_audio / float(np.mean(steady)), "dev_eer": result.best_dev_eer, "best": result.checkpoint}


def check_on_cpu(best: Path, manifest: Path, args: argparse.Namespace) -> float:
    """Largest |score difference| between the GPU-trained checkpoint scored on the GPU and on the CPU (dev files).

    On the GPU it scores under the same autocast as training's dev pass, so the difference includes the
    mixed-precision error a GPU user sees.
    """
    import torch

    from fakescope.audio import load_audio
    from fakescope.audio.ops import fix_length
    from fakescope.datasets.manifest import read_manifest
    from fakescope.training import load_pipeline
    from fakescope.training.pipeline import score_batches

    manifest_rows = read_manifest(manifest)
    rows = [row for row in manifest_rows if row.split == "dev"][:32]
    length = int(args.crop * SAMPLE_RATE)
    waves = np.stack([fix_length(load_audio(manifest_rows.resolve(row), sample_rate=SAMPLE_RATE).samples[0], length)
                      for row in rows])
    batch = [(torch.from_numpy(waves), torch.tensor([int(row.label == "spoof") for row in rows]))]
    scores = {}
    for device in ("cpu", "cuda"):
        pipeline = load_pipeline(best, device=device).pipeline
        scores[device] = score_batches(pipeline, batch, device=torch.device(device), amp=not args.no_amp)[0]
    return float(np.max(np.abs(scores["cpu"] - scores["cuda"])))


DDP_SCRIPT = """
from fakescope.training import load_config, train
config = load_config(overrides={overrides!r}, names={names!r})
train(config, out_dir={out!r}, resume=False, show_progress=False)
"""


def torchrun(args: argparse.Namespace, manifest: Path, out: Path) -> tuple[float, int]:
    script = out.parent / "ddp.py"
    script.write_text(textwrap.dedent(DDP_SCRIPT.format(overrides=overrides(args, manifest, "cuda"), out=str(out),
                                                        names={"frontend": args.frontend, "model": args.model})))
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node",
                           str(args.torchrun), str(script)], capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"torchrun failed:\n{done.stderr[-3000:]}")
    with open(out / "log.csv", newline="") as handle:
        return time.perf_counter() - started, len(list(csv.DictReader(handle)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frontend", default="cqt")
    parser.add_argument("--model", default="lcnn")
    parser.add_argument("--train", type=int, default=256, help="training files per class")
    parser.add_argument("--dev", type=int, default=32, help="dev files per class")
    parser.add_argument("--seconds", type=float, default=4.0, help="mean file length")
    parser.add_argument("--crop", type=float, default=4.0)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--workers", type=int, default=0, help="DataLoader workers")
    parser.add_argument("--no-amp", action="store_true", help="float32 on the GPU too")
    parser.add_argument("--skip-cpu", action="store_true")
    parser.add_argument("--torchrun", type=int, default=0, help="also run DDP on this many GPUs")
    args = parser.parse_args()

    import torch

    gpu = torch.cuda.is_available()
    print(f"torch {torch.__version__}; GPU: {torch.cuda.get_device_name(0) if gpu else 'none'}; "
          f"CPU threads: {torch.get_num_threads()}; {args.frontend} x {args.model}, batch {args.batch_size}, "
          f"{args.crop:g}-s crops, {2 * args.train} training files, {args.epochs} epochs per device")
    with tempfile.TemporaryDirectory(prefix="fakescope-train-bench-") as tmp:
        root = Path(tmp)
        started = time.perf_counter()
        manifest = make_corpus(root / "corpus", train=args.train, dev=args.dev, seconds=args.seconds)
        print(f"corpus: {2 * (args.train + args.dev)} files in {time.perf_counter() - started:.1f} s")
        results = []
        if not args.skip_cpu:
            results.append(timed_run(args, manifest, root / "cpu", "cpu"))
        if gpu:
            results.append(timed_run(args, manifest, root / "cuda", "cuda"))
        print(f"{'device':<6} {'first epoch s':>13} {'epoch s':>8} {'x real time':>11} {'dev EER %':>9} {'wall s':>7}")
        for r in results:
            print(f"{r['device']:<6} {r['first']:>13.2f} {r['epoch']:>8.2f} {r['x_audio']:>11.0f} "
                  f"{100 * r['dev_eer']:>9.2f} {r['wall']:>7.1f}")
        if len(results) == 2:
            print(f"GPU / CPU training speed (steady epochs): {results[0]['epoch'] / results[1]['epoch']:.1f}x"
                  f"{' (mixed precision)' if not args.no_amp else ''}")
        if gpu:
            cuda = next(r for r in results if r["device"] == "cuda")
            print(f"GPU-trained checkpoint scored on CPU vs GPU: max |score difference| "
                  f"{check_on_cpu(Path(cuda['best']), manifest, args):.2e}")
        else:
            print("no CUDA GPU here: CPU side only")
        if args.torchrun:
            if not gpu or torch.cuda.device_count() < args.torchrun:
                raise SystemExit(f"--torchrun {args.torchrun} needs that many GPUs; this machine has "
                                 f"{torch.cuda.device_count() if gpu else 0}")
            wall, rows = torchrun(args, manifest, root / "ddp")
            print(f"DDP (NCCL) on {args.torchrun} GPUs: {rows} epoch rows in log.csv, {wall:.1f} s wall")


if __name__ == "__main__":
    main()
