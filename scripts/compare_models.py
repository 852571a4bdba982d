"""Model × front-end comparison on one set of splits, as a markdown and CSV table.

Splits (the leave-speechresearch-out fold of scripts/train_default_model.py, so the GMM cell is that LOSO run):
- train: offline corpus train + ../shared/data/dev-real minus {speechresearch_msra, vits_demo};
- dev: corpus dev + vits_demo (epoch selection, early stopping and calibration);
- test 1, `eval`: the corpus eval split (five systems never seen in training);
- test 2, `test`: speechresearch_msra (26 neural TTS / VC / vocoder / codec generators of another source).
Cells come from configs/grids/model_comparison.yaml. A cell whose report exists is not run again, so the script resumes.
Each held-out EER comes with its 95 % bootstrap interval, and every cell is compared with the grid's `reference` cell
on the same trials (a paired bootstrap of the difference), so the table says which gaps are more than chance.

    .venv/bin/python scripts/compare_models.py --corpus corpus --dev-real ../shared/data/dev-real --out runs/compare
"""

from __future__ import annotations

import argparse
import csv
import itertools
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from train_default_model import VALIDATION_SOURCE, corpus_rows, dev_real_rows, eer_by_group, with_split  # noqa: E402

from fakescope.datasets.manifest import write_manifest  # noqa: E402
from fakescope.evaluation.metrics import EER_CI_RESAMPLES, eer, eer_interval  # noqa: E402
from fakescope.evaluation.report import compare_rows, interval_text, split_scores  # noqa: E402
from fakescope.evaluation.run import evaluate_checkpoint  # noqa: E402
from fakescope.evaluation.scores import read_scores  # noqa: E402
from fakescope.fileio import atomic_path, read_yaml, write_text_atomic  # noqa: E402
from fakescope.training.checkpoint import load_pipeline  # noqa: E402
from fakescope.training.config import load_config  # noqa: E402
from fakescope.training.loop import train  # noqa: E402

CONFIGS = Path(__file__).resolve().parent.parent / "configs"
TEST_SOURCE = "speechresearch_msra"
MIN_REALTIME = 100  # issue 5: the default model scores at least 100x real time on one CPU core


def realtime_factor(checkpoint: str, *, seconds: float = 60.0, repeats: int = 3) -> float:
    """Audio seconds scored per wall second by the checkpoint's pipeline on one CPU thread, in its crop-length
    windows: the best of `repeats` passes, the one least disturbed by other processes."""
    loaded = load_pipeline(checkpoint)
    window = int(round(float(loaded.config["input"].get("crop_seconds", 4.0)) * 16000))
    batch = torch.from_numpy(np.random.default_rng(0).standard_normal((int(seconds * 16000) // window, window)).astype(np.float32))
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with torch.inference_mode():
            loaded.pipeline(batch[:2])  # warm-up
            walls = []
            for _ in range(repeats):
                start = time.perf_counter()
                loaded.pipeline(batch)
                walls.append(time.perf_counter() - start)
            return batch.numel() / 16000 / min(walls)
    finally:
        torch.set_num_threads(threads)


PARTS = ("eval", "test")


def finished_cell(folder: Path) -> dict:
    """A finished cell's row. A cell finished before the tables had intervals gets them from its stored score
    files (the same bootstrap as a fresh cell's), written back so that this happens once."""
    done = folder / "cell.json"
    row = json.loads(done.read_text(encoding="utf-8"))
    missing = [part for part in PARTS if not row.get(f"{part}_eer_ci")]
    for part in missing:
        bona, spoof = split_scores(read_scores(folder / part / "scores.csv"))
        row[f"{part}_eer_ci"] = eer_interval(bonafide_scores=bona, spoof_scores=spoof)
    if missing:
        write_text_atomic(done, json.dumps(row, indent=2) + "\n")
    return row


def run_cell(name: str, cell: dict, common: dict, manifest: Path, out: Path, family_of: dict[str, str]) -> dict:
    folder = out / name
    if (folder / "cell.json").exists():
        return finished_cell(folder)
    names = {"frontend": cell["frontend"]} if "frontend" in cell else None
    overrides = {"data.manifest": str(manifest), **common, **(cell.get("set") or {})}
    config = load_config(CONFIGS / cell["config"], names=names, overrides=overrides)
    result = train(config, out_dir=folder, resume=True, show_progress=False, echo=lambda m: print(f"[{name}] {m}", flush=True))
    model = load_pipeline(result.checkpoint).pipeline.model
    row = {"cell": name, "model": config.model["name"], "frontend": config.frontend["name"],
           "parameters": sum(t.numel() for t in [*model.parameters(), *model.buffers()]),
           "epochs": result.epochs_run, "best_epoch": result.best_epoch, "train_seconds": round(result.seconds, 1),
           "dev_eer": result.best_dev_eer, "x_realtime_1core": round(realtime_factor(result.checkpoint))}
    for split in PARTS:
        metrics, _ = evaluate_checkpoint(result.checkpoint, out_dir=folder / split, manifest=manifest, splits=[split])
        row[f"{split}_eer"] = metrics["eer"]
        row[f"{split}_eer_ci"] = metrics["eer_ci"]
        row[f"{split}_families"] = eer_by_group(read_scores(folder / split / "scores.csv"), family_of)
    write_text_atomic(folder / "cell.json", json.dumps(row, indent=2) + "\n")
    print(json.dumps({k: v for k, v in row.items() if not k.endswith("families")}), flush=True)
    return row


def _score_sets(out: Path, cell: str) -> dict[str, dict[str, tuple[float, bool]]]:
    """{set: {utt_id: (score, is bona fide)}} for the dev (best epoch), eval and test scores of one cell."""
    files = {"dev": out / cell / "dev_scores.txt", "eval": out / cell / "eval" / "scores.csv",
             "test": out / cell / "test" / "scores.csv"}
    return {name: {r.utt_id: (r.score, r.label == "bonafide") for r in read_scores(path)} for name, path in files.items()}


def fusion_rows(rows: list[dict], out: Path, *, max_members: int = 3) -> list[dict]:
    """Score-level fusion: the sum of member scores, each standardised with its own dev mean and deviation.

    Every combination of up to `max_members` cells (single cells included) with its dev, eval and test EER,
    sorted by dev EER alone: eval and test stay held out.
    """
    scores = {r["cell"]: _score_sets(out, r["cell"]) for r in rows}
    speed = {r["cell"]: r["x_realtime_1core"] for r in rows}
    parts = ("dev", "eval", "test")
    first = next(iter(scores.values()))
    keys = {part: list(first[part]) for part in parts}  # one trial order for every cell
    bona = {part: np.array([first[part][k][1] for k in keys[part]]) for part in parts}
    standardised = {}
    for cell, sets in scores.items():
        dev = np.array([v[0] for v in sets["dev"].values()])
        standardised[cell] = {part: (np.array([sets[part][k][0] for k in keys[part]]) - dev.mean()) / max(dev.std(), 1e-12)
                              for part in parts}
    results = []
    for size in range(1, max_members + 1):
        for combo in itertools.combinations(scores, size):
            # Members run one after another on the same audio, so their times add up.
            row = {"members": " + ".join(combo), "x_realtime_1core": round(1.0 / sum(1.0 / speed[c] for c in combo))}
            for part in parts:
                total = sum(standardised[cell][part] for cell in combo)
                row[f"{part}_eer"] = eer(bonafide_scores=total[bona[part]], spoof_scores=total[~bona[part]])[0]
            results.append(row)
    results.sort(key=lambda r: r["dev_eer"])
    return results


def paired_rows(rows: list[dict], out: Path, reference: str) -> list[dict]:
    """Every other cell against `reference` on the same eval and test trials: the EER difference (cell less
    reference, in EER units) with its paired bootstrap interval (report.compare_rows), so that a gap can be told
    from the noise of a few hundred trials."""
    theirs = {part: read_scores(out / reference / part / "scores.csv") for part in PARTS}
    return [{"cell": r["cell"]} | {part: compare_rows(read_scores(out / r["cell"] / part / "scores.csv"), theirs[part],
                                                      where=str(out / reference / part / "scores.csv")) for part in PARTS}
            for r in rows if r["cell"] != reference]


def write_tables(rows: list[dict], out: Path, reference: str | None = None) -> None:
    pct = lambda v: f"{100 * v:.1f}"  # noqa: E731

    def with_ci(r: dict, part: str) -> str:  # None where a test set holds fewer than 2 trials of a class
        interval = r.get(f"{part}_eer_ci")
        return pct(r[f"{part}_eer"]) + (f" ({interval_text(interval, 1)})" if interval else "")

    eval_families = sorted({f for r in rows for f in r["eval_families"]})
    test_families = sorted({f for r in rows for f in r["test_families"]})
    head = ["cell", "parameters", "epochs (best)", "train s", "× real time, 1 core", "dev EER %", "corpus eval EER % (95 % CI)",
            f"{TEST_SOURCE} EER % (95 % CI)"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        lines.append(f"| {r['cell']} | {r['parameters']:,} | {r['epochs']} ({r['best_epoch']}) | "
                     f"{r['train_seconds']:.0f} | {r['x_realtime_1core']:,} | {pct(r['dev_eer'])} | {with_ci(r, 'eval')} | "
                     f"{with_ci(r, 'test')} |")
    for key, title, families in (("eval_families", "the corpus eval split", eval_families),
                                 ("test_families", TEST_SOURCE, test_families)):
        # Families are rows and cells columns: the neural sources have dozens of generators.
        lines += ["", f"EER % per spoof family on {title} (all its bona fide trials against one family at a time):", ""]
        lines += ["| family | " + " | ".join(r["cell"] for r in rows) + " |", "|" + "---|" * (len(rows) + 1)]
        lines += [f"| {f} | " + " | ".join(pct(r[key].get(f, float("nan"))) for r in rows) + " |" for f in families]
    paired = paired_rows(rows, out, reference) if reference in {r["cell"] for r in rows} else []
    if paired:
        points = lambda v: f"{100 * v:+.1f}"  # noqa: E731
        lines += ["", f"Each cell against {reference}, paired on the same trials (EER points, cell less {reference}; "
                  f"95 % paired bootstrap interval; the share of {EER_CI_RESAMPLES:,} resamples where the cell is better). "
                  "An interval that holds 0 is a gap the test sets cannot tell from chance:", "",
                  "| cell | corpus eval Δ | 95 % CI | better in | " + f"{TEST_SOURCE} Δ | 95 % CI | better in |",
                  "|---|---:|---|---:|---:|---|---:|"]
        for p in paired:
            lines.append(f"| {p['cell']} | " + " | ".join(
                f"{points(p[part]['difference'])} | {points(p[part]['difference_ci'][0])} to {points(p[part]['difference_ci'][1])} | "
                f"{100 * p[part]['share_better']:.0f} %" for part in PARTS) + " |")
    if len(rows) > 1:
        fused = fusion_rows(rows, out)
        best_single = next(r for r in fused if " + " not in r["members"])
        fast = [r for r in fused if r["x_realtime_1core"] >= MIN_REALTIME][:3]
        shown = {r["members"]: r for r in fused[:5] + fast + [best_single]}
        lines += ["", "Score-level fusion (members standardised on dev, summed; combinations of up to 3 cells ranked by "
                  f"dev EER only): the 5 best, the 3 best that run at ≥ {MIN_REALTIME}× real time on one core, and the "
                  "best single cell:", "",
                  f"| members | × real time, 1 core | dev EER % | corpus eval EER % | {TEST_SOURCE} EER % |", "|---|---|---|---|---|"]
        lines += [f"| {r['members']} | {r['x_realtime_1core']:,} | {pct(r['dev_eer'])} | {pct(r['eval_eer'])} | {pct(r['test_eer'])} |"
                  for r in sorted(shown.values(), key=lambda r: r["dev_eer"])]
    write_text_atomic(out / "comparison.md", "\n".join(lines) + "\n")
    versus = {p["cell"]: {f"{part}_diff_vs_{reference}": p[part]["difference"] for part in PARTS}
              | {f"{part}_diff_ci_vs_{reference}": p[part]["difference_ci"] for part in PARTS} for p in paired}
    flat = [{k: v for k, v in r.items() if not k.endswith("families")} | versus.get(r["cell"], {}) for r in rows]
    fields = list(dict.fromkeys(k for r in flat for k in r))  # a resumed run mixes cells with and without intervals
    with atomic_path(out / "comparison.csv") as tmp, open(tmp, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields)
        writer.writeheader()
        writer.writerows(flat)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, required=True)
    parser.add_argument("--dev-real", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--grid", type=Path, default=CONFIGS / "grids" / "model_comparison.yaml")
    parser.add_argument("--cells", nargs="*", help="run only these cells (default: all of the grid)")
    parser.add_argument("--remeasure-speed", action="store_true",
                        help="time every cell again, one after another (a cell's speed is taken right after it trains, "
                             "under whatever else runs then; this pass puts them all under the same load)")
    args = parser.parse_args()

    grid = read_yaml(args.grid)
    unknown = sorted(set(args.cells or []) - set(grid["cells"]))
    if unknown:
        raise SystemExit(f"{args.grid}: no cell(s) {', '.join(unknown)}; it has: {', '.join(grid['cells'])}")
    if grid.get("reference") and grid["reference"] not in grid["cells"]:
        raise SystemExit(f"{args.grid}: the reference {grid['reference']!r} is not one of its cells: {', '.join(grid['cells'])}")
    corpus = corpus_rows(args.corpus)
    real = dev_real_rows(args.dev_real)
    rows = (with_split([r for r in corpus if r.split == "train"] + [r for r in real if r.source not in (TEST_SOURCE, VALIDATION_SOURCE)], "train")
            + with_split([r for r in corpus if r.split == "dev"] + [r for r in real if r.source == VALIDATION_SOURCE], "dev")
            + with_split([r for r in corpus if r.split == "eval"], "eval")
            + with_split([r for r in real if r.source == TEST_SOURCE], "test"))
    args.out.mkdir(parents=True, exist_ok=True)
    manifest = args.out / "manifest.csv"
    write_manifest(manifest, rows)
    family_of = {r.utt_id: r.family or r.attack for r in rows if r.label == "spoof"}
    results = [run_cell(name, cell, grid.get("common") or {}, manifest, args.out, family_of)
               for name, cell in grid["cells"].items() if not args.cells or name in args.cells]
    if args.remeasure_speed:
        for row in results:
            row["x_realtime_1core"] = round(realtime_factor(str(args.out / row["cell"] / "model.safetensors")))
            write_text_atomic(args.out / row["cell"] / "cell.json", json.dumps(row, indent=2) + "\n")
    # The report covers every finished cell of the grid, not only those run now: running one new cell must
    # not replace the whole grid's tables (and fusions) by a one-row table.
    by_name = {row["cell"]: row for row in results}
    for name in grid["cells"]:
        done = args.out / name / "cell.json"
        if name not in by_name and done.is_file():
            by_name[name] = finished_cell(args.out / name)
    write_tables([by_name[name] for name in grid["cells"] if name in by_name], args.out, grid.get("reference"))
    print((args.out / "comparison.md").read_text(encoding="utf-8"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
