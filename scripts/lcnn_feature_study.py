"""Train the LFCC-LCNN on precomputed LFCC frames, on a lent GPU, for the default model's folds.

Why precomputed frames: a lent GPU machine gets the working tree and at most 64 MiB beside it, while the
full corpus's audio is several GB. Its 20 static LFCC per 10-ms frame fit, as int8 codes per coefficient (a step
of 1/10 of its standard deviation) compressed with lzma, 4 s per file; deltas are computed on each training crop with the
front-end's own `deltas`, so a crop sees exactly what the checkpoint's LFCC front-end computes on a window
of audio, up to that quantisation and the STFT's padding at the window's two edges.

    # here (CPU): pack the folds' files (corpus train, a third of corpus dev, dev-real, optional laundered copies)
    .venv/bin/python scripts/lcnn_feature_study.py pack --corpus corpus-full --dev-real ../shared/data/dev-real \
        --laundered runs/default/laundered --out .gpu/frames.npz
    # there (GPU): train the final model and the LOSO folds in parallel, one process each
    python3 scripts/lcnn_feature_study.py train --data .gpu/frames.npz --out $OUT/runs --seconds 330

The folds are those of `scripts/train_default_model.py`: final = corpus train + dev-real except vits_demo,
selected and calibrated on corpus dev + vits_demo; `loso-S` also leaves out dev-real source S and is
tested on it. Each run writes RUN/model.safetensors (a fakescope checkpoint that `fakescope evaluate` and
`fakescope scan` read: its LFCC front-end rebuilds the features from audio), RUN/test_scores.csv and
RUN/summary.json (dev EER by evaluation, test EER by source, on the packed frames of each file's first crop).
The corpus eval split is not packed: the final model is scored on it here, from audio, with `fakescope evaluate`.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import lzma
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

LFCC = {"name": "lfcc", "n_fft": 512, "win_length": 320, "hop_length": 160, "n_filters": 20, "n_lfcc": 20}
VALIDATION_SOURCE = "vits_demo"
LOSO_SOURCES = ("hifigan_demo", "melgan_demo", "speechresearch_msra", "yourtts_demo")
CROP_FRAMES = 400  # 4 s at a 10-ms hop: the recipe's crop


# --- pack (CPU, where the audio is) ------------------------------------------------------------------------


def pack(args: argparse.Namespace) -> int:
    import torch

    from fakescope.audio.io import load_audio
    from fakescope.errors import FakescopeError
    from fakescope.features import build_frontend
    from fakescope.fileio import atomic_path
    from train_default_model import corpus_rows, dev_real_rows

    torch.set_num_threads(max(1, args.threads))
    rng = np.random.default_rng(args.seed)
    corpus = [r for r in corpus_rows(args.corpus) if r.split in ("train", "dev")]  # eval: scored from audio, not here
    rows = [(r, f"corpus-{r.split}") for r in corpus if r.split == "train" or rng.random() < args.dev_fraction]
    rows += [(r, "real") for r in dev_real_rows(args.dev_real)]
    if args.laundered:
        from fakescope.datasets.manifest import read_manifest

        manifest = read_manifest(args.laundered / "manifest.csv")
        for row in manifest:
            row.path = str(manifest.resolve(row).resolve())
            row.utt_id = f"{row.extra['original_utt_id']}__{row.condition}"
            rows.append((row, "laundered"))
    frontend = build_frontend("lfcc", **{k: v for k, v in LFCC.items() if k != "name"}, with_deltas=False).eval()
    chunks, meta, offset, started, unreadable = [], [], 0, time.time(), []
    for index, (row, group) in enumerate(rows):
        try:
            audio = load_audio(row.path)
        except FakescopeError as exc:  # its message names the file; the pack goes on without it
            unreadable.append(str(exc))
            continue
        with torch.no_grad():
            frames = frontend(torch.from_numpy(audio.samples))[0, 0].numpy()  # (20, frames)
        if frames.shape[1] > args.max_frames:
            # Scored rows keep their first crop (what `fakescope evaluate` scores); training rows a random stretch.
            start = 0 if group in ("corpus-dev", "real") else int(rng.integers(0, frames.shape[1] - args.max_frames + 1))
            frames = frames[:, start:start + args.max_frames]
        chunks.append(frames.astype(np.float32))
        meta.append({"utt_id": row.utt_id, "group": group, "label": int(row.label == "bonafide"), "source": row.source,
                     "attack": row.attack or "-", "family": row.family or "", "original": (row.extra or {}).get("original_utt_id", ""),
                     "offset": offset, "length": int(frames.shape[1])})
        offset += frames.shape[1]
        if index % 2000 == 0:
            print(f"pack: {index}/{len(rows)} files, {time.time() - started:.0f} s", flush=True)
    allframes = np.concatenate(chunks, axis=1)
    # A step of 1/10 of each coefficient's spread: an error of 1/35 of it (RMS), small beside the speech's own
    # variation, and int8 codes that lzma shrinks to about 0.62 (a step of 1/30 only to 0.8).
    mid, scale = np.median(allframes, axis=1), allframes.std(axis=1) / 10
    quantised = np.clip(np.round((allframes - mid[:, None]) / scale[:, None]), -127, 127).astype(np.int8)
    error = quantised.astype(np.float32) * scale[:, None] + mid[:, None] - allframes
    print(f"pack: {len(meta)} files, {allframes.shape[1]} frames; quantisation error RMS / coefficient std "
          f"{float(np.sqrt((error ** 2).mean(axis=1)).mean() / allframes.std(axis=1).mean()):.4f}; "
          f"clipped {float(np.mean(np.abs(error) > scale[:, None])):.2e}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    packed = np.frombuffer(lzma.compress(quantised.tobytes(), preset=6), dtype=np.uint8)
    with atomic_path(args.out) as tmp, open(tmp, "wb") as handle:  # a handle: np.savez adds ".npz" to a bare path
        np.savez(handle, frames_xz=packed, shape=np.array(quantised.shape), mid=mid.astype(np.float32),
                 scale=scale.astype(np.float32), meta=np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8))
    print(f"pack: wrote {args.out} ({args.out.stat().st_size / 2**20:.1f} MiB)")
    for message in unreadable:
        print(f"pack: skipped {message}", file=sys.stderr)
    return 1 if unreadable else 0


# --- train (GPU, or CPU for a smoke test) ------------------------------------------------------------------


def fold_indices(meta: list[dict], run: str) -> tuple[list[int], list[int], list[int]]:
    """(train, dev, test) indices of a run, as in scripts/train_default_model.py."""
    held = run[len("loso-"):] if run.startswith("loso-") else None
    clean = run.endswith("-clean")
    train, dev, test = [], [], []
    for i, m in enumerate(meta):
        group, source = m["group"], m["source"]
        real = group == "real"
        if group == "corpus-dev" or (real and source == VALIDATION_SOURCE):
            dev.append(i)
        if real and source == (held or VALIDATION_SOURCE):  # the corpus eval split is scored from audio
            test.append(i)
        if group == "corpus-train" or (real and source not in (VALIDATION_SOURCE, held)):
            train.append(i)
    if not clean:
        keep = {meta[i]["utt_id"] for i in train}
        train += [i for i, m in enumerate(meta) if m["group"] == "laundered" and m["original"] in keep]
    return train, dev, test


def eer(scores: np.ndarray, bonafide: np.ndarray) -> tuple[float, float]:
    """(EER, threshold) of scores whose bona fide trials are marked by the boolean `bonafide`."""
    from fakescope.evaluation.metrics import eer as compute_eer

    value, threshold = compute_eer(bonafide_scores=scores[bonafide], spoof_scores=scores[~bonafide])
    return float(value), float(threshold)


def train_one(args: argparse.Namespace) -> int:
    import torch

    from fakescope.evaluation.calibration import fit_calibration
    from fakescope.features.lfcc import deltas
    from fakescope.fileio import write_text_atomic
    from fakescope.models import scores_from_logits
    from fakescope.training import checkpoint as ckpt
    from fakescope.training.augment import SpecAugment
    from fakescope.training.pipeline import build_pipeline

    started = time.time()
    device = torch.device(args.device)
    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    if not args.data.is_file():
        print(f"train: {args.data}: packed frames not found (make them with the pack command)", file=sys.stderr)
        return 2
    data = np.load(args.data)
    meta = json.loads(data["meta"].tobytes().decode())
    codes = np.frombuffer(lzma.decompress(data["frames_xz"].tobytes()), dtype=np.int8).reshape(tuple(data["shape"]))
    frames = torch.from_numpy(codes.copy()).to(device).float()
    frames = frames * torch.from_numpy(data["scale"]).to(device)[:, None] + torch.from_numpy(data["mid"]).to(device)[:, None]
    starts = torch.tensor([m["offset"] for m in meta], device=device)
    lengths = torch.tensor([m["length"] for m in meta], device=device)
    bonafide = np.array([m["label"] == 1 for m in meta])
    labels = torch.from_numpy(bonafide.astype(np.int64)).to(device)
    train_idx, dev_idx, test_idx = (np.asarray(x, dtype=np.int64) for x in fold_indices(meta, args.run))
    by_class = [train_idx[bonafide[train_idx] == c] for c in (False, True)]

    frontend = {**LFCC, "with_deltas": True}
    pipeline = build_pipeline(frontend=frontend, model={"name": "lcnn", "dropout": 0.7, "input_norm": "utterance"})
    model = pipeline.model.to(device)
    optimiser = torch.optim.Adam(model.parameters(), lr=args.lr, weight_decay=1e-4)
    amp = device.type == "cuda"
    positions = torch.arange(CROP_FRAMES, device=device)
    spec_augment = SpecAugment()  # the configs' 2 + 2 masks of up to 10 %

    def crops(indices: np.ndarray, offsets: torch.Tensor) -> torch.Tensor:
        """(B, 1, 60, 400): each item's frames from `offsets`, tiled when shorter (the recipe's repeat pad)."""
        idx = torch.as_tensor(indices, device=device)
        cols = starts[idx, None] + (offsets[:, None] + positions[None, :]) % lengths[idx, None]
        statics = frames[:, cols].permute(1, 0, 2)  # (B, 20, 400)
        d1 = deltas(statics)
        return torch.cat([statics, d1, deltas(d1)], dim=1).unsqueeze(1)

    @torch.no_grad()
    def score(indices: np.ndarray) -> np.ndarray:
        model.eval()
        out = []
        for k in range(0, len(indices), 512):
            part = indices[k:k + 512]
            with torch.autocast(device_type=device.type, dtype=torch.bfloat16, enabled=amp):
                logits = model(crops(part, torch.zeros(len(part), dtype=torch.long, device=device))).float()
            out.append(scores_from_logits(logits).cpu().numpy())
        model.train()
        return np.concatenate(out).astype(np.float64)

    out = args.out / args.run
    out.mkdir(parents=True, exist_ok=True)
    log = open(out / "log.csv", "w", buffering=1)  # progress, line by line; the results below are atomic
    log.write("step,seconds,train_loss,dev_eer\n")
    best = (float("inf"), None, 0)
    step, stale, loss_sum = 0, 0, torch.zeros((), device=device)
    half = args.batch_size // 2
    loop_started = time.time()  # the budget is the loop's: loading the frames is not training
    while (step == 0 or time.time() - loop_started < args.seconds) and stale < args.patience:
        chosen = np.concatenate([rng.choice(by_class[0], half), rng.choice(by_class[1], half)])
        offsets = (torch.rand(len(chosen), device=device) * lengths[torch.as_tensor(chosen, device=device)]).long()
        x = spec_augment(crops(chosen, offsets), rng)
        y = labels[torch.as_tensor(chosen, device=device)]
        with torch.autocast(device_type=device.type, dtype=torch.bfloat16, enabled=amp):
            loss = torch.nn.functional.cross_entropy(model(x).float(), y)
        optimiser.zero_grad(set_to_none=True)
        loss.backward()
        optimiser.step()
        loss_sum += loss.detach()  # summed on the device: no sync per step
        step += 1
        if step % args.eval_every == 0:
            value, _ = eer(score(dev_idx), bonafide[dev_idx])
            log.write(f"{step},{time.time() - started:.1f},{float(loss_sum) / args.eval_every:.4f},{value:.4f}\n")
            loss_sum.zero_()
            if value < best[0]:
                best, stale = (value, {k: v.detach().clone() for k, v in model.state_dict().items()}, step), 0
            else:
                stale += 1
    log.close()
    if best[1] is not None:
        model.load_state_dict(best[1])
    dev_scores = score(dev_idx)
    value, threshold = eer(dev_scores, bonafide[dev_idx])
    calibration = fit_calibration(bonafide_scores=dev_scores[bonafide[dev_idx]], spoof_scores=dev_scores[~bonafide[dev_idx]])
    pipeline.cpu()
    training = {"recipe": "scripts/lcnn_feature_study.py", "run": args.run, "step": best[2], "steps_run": step,
                "dev_eer": value, "train_files": int(len(train_idx)), "seconds": time.time() - started,
                "device": torch.cuda.get_device_name() if amp else "cpu", "batch_size": args.batch_size, "lr": args.lr,
                "augment": "specaugment 2+2 masks of up to 10 %" + ("" if args.run.endswith("-clean") else "; laundered copies")}
    config = ckpt.checkpoint_config(
        pipeline, input_spec={"kind": "audio", "sample_rate": 16000, "crop_seconds": CROP_FRAMES / 100, "pad": "repeat"},
        calibration=calibration, threshold={"score": threshold, "p_fake": float(calibration.p_fake(threshold)),
                                            "source": "dev EER threshold", "dev_eer": value}, training=training)
    ckpt.save_checkpoint(out / "model.safetensors", tensors=ckpt.model_tensors(pipeline), config=config)
    pipeline.to(device)
    test_scores = score(test_idx)
    table = io.StringIO()
    writer = csv.writer(table, lineterminator="\n")
    writer.writerow(["utt_id", "score", "label", "source", "attack", "family"])
    for i, s in zip(test_idx, test_scores):
        m = meta[i]
        writer.writerow([m["utt_id"], f"{s:.6f}", "bonafide" if m["label"] else "spoof", m["source"], m["attack"], m["family"]])
    write_text_atomic(out / "test_scores.csv", table.getvalue())
    test_bonafide = bonafide[test_idx]
    summary = {**training, "test_eer": eer(test_scores, test_bonafide)[0], "by_source": {}}
    test_sources = np.array([meta[i]["source"] for i in test_idx])
    for source in sorted(set(test_sources)):
        mask = test_sources == source
        if test_bonafide[mask].any() and not test_bonafide[mask].all():
            summary["by_source"][source] = eer(test_scores[mask], test_bonafide[mask])[0]
    write_text_atomic(out / "summary.json", json.dumps(summary, indent=2) + "\n")
    print(json.dumps({k: summary[k] for k in ("run", "dev_eer", "test_eer", "step", "steps_run", "seconds")}), flush=True)
    return 0


def train_all(args: argparse.Namespace) -> int:
    """One process per run, all at once on the one GPU (each is small; together they keep it busy)."""
    procs = []
    for run in args.runs.split(","):
        command = [sys.executable, __file__, "train-one", "--data", str(args.data), "--out", str(args.out), "--run", run,
                   "--seconds", str(args.seconds), "--device", args.device, "--batch-size", str(args.batch_size),
                   "--eval-every", str(args.eval_every), "--patience", str(args.patience), "--lr", str(args.lr)]
        procs.append((run, subprocess.Popen(command, env={**os.environ, "OMP_NUM_THREADS": "2"})))
    failed = [run for run, proc in procs if proc.wait() != 0]
    if failed:
        print(f"train: runs failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("pack")
    p.add_argument("--corpus", type=Path, required=True)
    p.add_argument("--dev-real", type=Path, required=True)
    p.add_argument("--laundered", type=Path, help="a launder output folder (manifest.csv) of training files")
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--max-frames", type=int, default=400, help="frames kept per file (400 = 4 s, one crop)")
    p.add_argument("--dev-fraction", type=float, default=0.35, help="share of the corpus dev split packed")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=1)
    for name in ("train", "train-one"):
        t = sub.add_parser(name)
        t.add_argument("--data", type=Path, required=True)
        t.add_argument("--out", type=Path, required=True)
        if name == "train":
            t.add_argument("--runs", default="final,final-clean," + ",".join(f"loso-{s}" for s in LOSO_SOURCES))
        else:
            t.add_argument("--run", required=True)
        t.add_argument("--seconds", type=float, default=380.0, help="wall-clock budget of each run's training")
        t.add_argument("--device", default="cuda")
        t.add_argument("--batch-size", type=int, default=256)
        t.add_argument("--eval-every", type=int, default=250, help="steps between dev evaluations")
        t.add_argument("--patience", type=int, default=12, help="dev evaluations without a gain before stopping")
        t.add_argument("--lr", type=float, default=3e-4)
        t.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    return {"pack": pack, "train": train_all, "train-one": train_one}[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
