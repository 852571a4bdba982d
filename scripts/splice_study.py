"""Splice study: does a scan find one fake spliced into a long genuine recording?

Long recordings are built from one dev-real source's genuine files (several in a row, 0.4 s of -80 dBFS room
tone between them); each is scanned as it is and with one of the same source's fakes spliced in at a random place.
Reported: the verdicts, how often the most suspect window (`fakescope scan`'s table column) lies on the fake, and
how well the most suspect window's p_fake and the file's p_fake tell spliced from untouched recordings (EER).
Use a source the model never trained on (the default model: vits_demo, its validation source).

    .venv/bin/python scripts/splice_study.py --dev-real ../shared/data/dev-real --source vits_demo
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

import numpy as np

from fakescope.audio import load_audio
from fakescope.detection import Detector
from fakescope.evaluation.metrics import eer

GAP_S = 0.4
GAP_DBFS = -80.0


def read_source(root: Path, source: str, min_fake_s: float) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """The source's genuine files and its fakes of at least `min_fake_s`, decoded at 16 kHz mono."""
    with open(root / "labels.csv", newline="") as handle:
        rows = [row for row in csv.DictReader(handle) if row["source"] == source]
    genuine = [load_audio(root / r["path"]).samples[0] for r in rows if r["label"] == "bonafide"]
    fakes = [load_audio(root / r["path"]).samples[0] for r in rows
             if r["label"] == "spoof" and float(r["duration_s"]) >= min_fake_s]
    if len(genuine) < 2 or not fakes:
        raise SystemExit(f"{root / 'labels.csv'}: source {source!r} needs 2+ genuine files and a fake of "
                         f">= {min_fake_s:g} s (found {len(genuine)} and {len(fakes)})")
    return genuine, fakes


def joined(pieces: list[np.ndarray], rng: np.random.Generator) -> tuple[np.ndarray, list[tuple[float, float]]]:
    """The pieces in a row with room tone between them, and each piece's (start_s, end_s)."""
    out, spans, t = [], [], 0
    for piece in pieces:
        gap = (10 ** (GAP_DBFS / 20) * rng.standard_normal(int(GAP_S * 16000))).astype(np.float32)
        spans.append((t / 16000, (t + len(piece)) / 16000))
        out += [piece, gap]
        t += len(piece) + len(gap)
    return np.concatenate(out), spans


def run(detector: Detector, genuine, fakes, *, trials: int, files: int, seed: int) -> dict[str, list[dict]]:
    rng = np.random.default_rng(seed)
    results: dict[str, list[dict]] = {"untouched": [], "spliced": []}
    for _ in range(trials):
        parts = [genuine[i] for i in rng.permutation(len(genuine))[: min(files, len(genuine))]]
        at = int(rng.integers(1, len(parts)))
        fake = fakes[int(rng.integers(len(fakes)))]
        for kind, pieces in (("untouched", parts), ("spliced", parts[:at] + [fake] + parts[at:])):
            samples, spans = joined(pieces, rng)
            verdict = detector.scan((samples[np.newaxis], 16000))
            peak = verdict.peak_window or verdict.windows[0]
            on_fake = kind == "spliced" and peak.start_s < spans[at][1] and peak.end_s > spans[at][0]
            results[kind].append({"verdict": verdict.verdict, "p_fake": verdict.p_fake, "peak": peak.p_fake,
                                  "on_fake": on_fake, "seconds": len(samples) / 16000, "windows": len(verdict.windows)})
    return results


def report(results: dict[str, list[dict]], fake_at: float) -> str:
    lines = []
    for kind, rows in results.items():
        counts = {v: sum(r["verdict"] == v for r in rows) for v in ("real", "uncertain", "fake")}
        seconds = [r["seconds"] for r in rows]
        line = (f"{kind:9s} n={len(rows)} {min(seconds):.0f}-{max(seconds):.0f} s, verdicts {counts}, "
                f"file p_fake median {np.median([r['p_fake'] for r in rows]):.2f}, most suspect window p_fake median "
                f"{np.median([r['peak'] for r in rows]):.2f} (>= {fake_at:g} in {sum(r['peak'] >= fake_at for r in rows)})")
        if kind == "spliced":
            line += f", on the fake in {sum(r['on_fake'] for r in rows)}"
        lines.append(line)
    for key, name in (("peak", "most suspect window's p_fake"), ("p_fake", "file's p_fake")):
        untouched = np.array([r[key] for r in results["untouched"]])
        spliced = np.array([r[key] for r in results["spliced"]])
        value = eer(bonafide_scores=-untouched, spoof_scores=-spliced)[0]  # higher p_fake = spliced
        lines.append(f"EER of the {name}, spliced against untouched: {100 * value:.1f} %")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dev-real", type=Path, required=True, help="a folder with labels.csv (dev-real's layout)")
    parser.add_argument("--source", default="vits_demo")
    parser.add_argument("--checkpoint", default=None, help="model to scan with (default: the shipped one)")
    parser.add_argument("--trials", type=int, default=40)
    parser.add_argument("--files", type=int, default=8, help="genuine files per recording")
    parser.add_argument("--min-fake-s", type=float, default=2.0)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    genuine, fakes = read_source(args.dev_real, args.source, args.min_fake_s)
    detector = Detector.from_checkpoint(args.checkpoint)
    results = run(detector, genuine, fakes, trials=args.trials, files=args.files, seed=args.seed)
    print(report(results, detector.thresholds.fake_above))


if __name__ == "__main__":
    main()
