"""The recipe of the shipped default model, and its leave-one-source-out (LOSO) measurement.

Data: the offline corpus (train split for training, dev split for early stopping and calibration) plus the
third-party development set ../shared/data/dev-real, used source by source:
- final model: train = corpus train + every dev-real source except the validation source; dev = corpus dev +
  the validation source (model selection and calibration on sources it never trained on).
- LOSO for each target source S: train = corpus train (optionally subsampled) + dev-real minus {S, validation
  source}; dev as above; test = S. The validation source's own held-out figure is the final model's.
Laundering: with --launder-copies N, every training file also enters training N times laundered (a random
chain per copy, `random:recorded` by default: recorded noise, measured and simulated rooms, channel filters,
resampling, codecs). The closed-form models (SVM, GMM) fit in one pass, not by batches, so they cannot
launder in the loop; the copies are written once to OUT/laundered/ (resumable) and every run picks those of
its own training files.
Results: OUT/<run>/ (training runs), OUT/<run>/test/ (evaluation reports), OUT/summary.json (every run done into
OUT, also over separate `--what final` and `--what loso` invocations), and once both the final model and LOSO
runs are there, OUT/heldout_families.md: EER by generator family and by attack type, pooled over every
dev-real source scored by a model that never trained on it (the LOSO folds and the validation source).
A rerun into the same OUT (after an interruption, or with other LOSO settings) reuses every run that finished
on the same rows and config, and evaluates again only where its report is missing.

    fakescope corpus build --out corpus-full --size full --seed 0   # the shipped model trains on the full build,
    fakescope corpus build --out corpus-full-7600 --size full --band-hz 7600 --seed 0   # at both bands
    .venv/bin/python scripts/train_default_model.py --corpus corpus-full --extra-corpus corpus-full-7600 \
        --no-extra-corpus-copies --extra-corpus-dev --dev-real-repeats 4 --dev-real ../shared/data/dev-real \
        --out runs/default --loso-corpus-train 4000 --launder-copies 2 --leave-out-system S12 \
        --noise-dir ../shared/data/noise --rir-dir ../shared/data/rir   # the shipped recipe
With `--extra-corpus DIR` the train split of another build (the same corpus at another `--band-hz`) joins
training (`--no-extra-corpus-copies`: without laundered copies of its rows; `--extra-corpus-dev`: its dev split
joins dev, so the threshold and calibration fit both bands), and `--dev-real-repeats N` gives dev-real's training
rows weight N beside it (docs/MODEL_CARD.md: the top, and "The recipe on both corpus bands").
With `--vocoded-copies DIR` a HiFi-GAN copy of each dev-real bona fide training file trains as a spoof beside its
original (written once into DIR; `--vocoded-repeats N`: their weight, 1 by default); a source held out of a run
trains none of its copies (docs/MODEL_CARD.md, "Vocoded copies of dev-real's recordings").
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import json
import random
import sys
from collections import Counter
from pathlib import Path

from fakescope.datasets.manifest import ManifestRow, read_manifest, write_manifest
from fakescope.datasets.vocoded_copies import vocoded_copies
from fakescope.evaluation.report import breakdown, interval_text
from fakescope.evaluation.run import evaluate_checkpoint
from fakescope.evaluation.scores import read_scores
from fakescope.errors import FakescopeError
from fakescope.fileio import write_text_atomic
from fakescope.launder import parse_attack
from fakescope.launder.grids import Condition
from fakescope.launder.runner import ResourceConfig, launder_manifest
from fakescope.training.config import load_config
from fakescope.training.loop import train

VALIDATION_SOURCE = "vits_demo"
MIN_BONAFIDE_FOR_LOSO = 10


def corpus_rows(corpus: Path) -> list[ManifestRow]:
    manifest = read_manifest(corpus / "manifest.csv")
    rows = []
    for row in manifest:
        row.path = str(manifest.resolve(row).resolve())
        row.source = f"corpus:{row.source}"
        rows.append(row)
    return rows


def extra_corpus_rows(corpus: Path, split: str = "train") -> list[ManifestRow]:
    """One split of another build of the corpus (another `--band-hz`), ids prefixed with its folder's name: its
    utterances are the same as the main build's, so their ids would collide."""
    rows = [row for row in corpus_rows(corpus) if row.split == split]
    for row in rows:
        row.utt_id = f"{corpus.name}:{row.utt_id}"
    return rows


def rows_to_launder(train_rows: list[ManifestRow], extra: list[ManifestRow], *, extra_copies: bool) -> list[ManifestRow]:
    """The training rows that get laundered copies: all of them, or all but the extra builds' (their clean rows
    still train). The extra build's copies can be what costs the main build's eval (docs/MODEL_CARD.md, "The recipe
    on both corpus bands")."""
    if extra_copies:
        return train_rows
    left_out = {row.utt_id for row in extra}
    return [row for row in train_rows if row.utt_id not in left_out]


def repeated(rows: list[ManifestRow], times: int) -> list[ManifestRow]:
    """Each row `times` times, the repeats with their own ids (so each gets its own laundered copies). For the SVM a
    repeated row is a row of weight `times` (its bound on the dual coefficients adds up)."""
    return rows + [copied(row, utt_id=f"{row.utt_id}~r{k}") for k in range(2, times + 1) for row in rows]


def dev_real_rows(root: Path) -> list[ManifestRow]:
    rows = []
    with open(root / "labels.csv", newline="", encoding="utf-8") as handle:
        for index, record in enumerate(csv.DictReader(handle)):
            spoof = record["label"] == "spoof"
            rows.append(ManifestRow(
                utt_id=f"dr{index:05d}", path=str((root / record["path"]).resolve()), label=record["label"],
                speaker=f"{record['source']}:{record['label']}", attack=record["generator"] if spoof else "-",
                source=record["source"], split="-", duration_s=float(record["duration_s"]),
                family=record["family"] if spoof else "", extra={"attack_type": record["attack_type"]}))
    return rows


def copied(row: ManifestRow, **changes) -> ManifestRow:
    """A copy of `row` with `changes`, its `extra` a dict of its own."""
    return ManifestRow(**{**row.__dict__, "extra": dict(row.extra), **changes})


def with_split(rows: list[ManifestRow], split: str) -> list[ManifestRow]:
    return [copied(row, split=split) for row in rows]


def laundered_copies(rows: list[ManifestRow], out: Path, *, attack: str, copies: int, seed: int,
                     resources: ResourceConfig, workers: int) -> dict[str, list[ManifestRow]]:
    """`copies` laundered versions of each row, written under `out` (resumable), keyed by the original utt_id."""
    source = out / "input.csv"
    write_manifest(source, rows)
    conditions = [Condition(f"launder-{k + 1}", parse_attack(attack)) for k in range(copies)]
    result = launder_manifest(source, conditions, out, seed=seed, workers=workers, resources=resources)
    if result.failures:
        raise SystemExit(f"laundering failed for {len(result.failures)} file(s), e.g. {result.failures[0]}")
    by_original: dict[str, list[ManifestRow]] = {}
    for row in result.rows:
        original = row.extra["original_utt_id"]
        row.utt_id = f"{original}__{row.condition}"  # unique even with one copy
        row.path = str((out / row.path).resolve())
        by_original.setdefault(original, []).append(row)
    return by_original


def without_systems(rows: list[ManifestRow], systems: list[str]) -> list[ManifestRow]:
    """The rows whose attack is none of `systems`: e.g. S12's copies kept out of training while dev and eval
    still test on them (docs/MODEL_CARD.md: training on them cost the TTS systems 3-5 points)."""
    left_out = set(systems)
    return [r for r in rows if r.attack not in left_out]


def group_breakdown(rows: list, group_of: dict[str, str], *, intervals: bool = False) -> dict[str, dict]:
    """Each group of spoofs (utt_id → group, e.g. the generator family) against all bona fide trials: the
    evaluation report's per-attack entries (EER, and its interval when `intervals`) with the group in place of
    the attack."""
    keyed = [dataclasses.replace(r, attack=group_of.get(r.utt_id, "?")) for r in rows]
    return {entry["attack"]: entry for entry in breakdown(keyed, key="attack", threshold=0.0, intervals=intervals)}


def eer_by_group(rows: list, group_of: dict[str, str]) -> dict[str, float]:
    """EER of each group of spoofs against all bona fide trials (group_breakdown without intervals)."""
    return {group: entry["eer"] for group, entry in group_breakdown(rows, group_of).items()}


def heldout_families(out: Path, real: list[ManifestRow], runs: list[str], min_files: int = 10) -> str:
    """Markdown: EER per family and per attack type over the held-out dev-real trials of `runs` (pooled)."""
    meta = {row.utt_id: row for row in real}
    rows = [r for run_name in runs for r in read_scores(out / run_name / "test" / "scores.csv") if r.utt_id in meta]
    lines = [f"Held-out dev-real trials pooled over {', '.join(runs)}: {len(rows)} files.", ""]
    for title, key in (("generator family", lambda m: m.family), ("attack type", lambda m: m.extra["attack_type"])):
        group_of = {r.utt_id: key(meta[r.utt_id]) for r in rows if r.label == "spoof"}
        counts = Counter(group_of.values())
        table = sorted(((g, e) for g, e in group_breakdown(rows, group_of, intervals=True).items() if counts[g] >= min_files),
                       key=lambda item: item[1]["eer"])  # breakdown lists groups by name, so ties stay in name order
        lines += [f"| {title} (≥ {min_files} spoofs) | spoofs | EER % | 95 % CI |", "|---|---:|---:|---:|"]
        lines += [f"| {group} | {counts[group]} | {100 * e['eer']:.1f} | {interval_text(e['eer_ci'], 1)} |" for group, e in table]
        lines += [""]
    return "\n".join(lines)


def finished_summary(folder: Path, config, manifest_text: str) -> dict | None:
    """The summary of a run that already finished on exactly these rows and this config, else None.

    The closed-form models refit from scratch when trained again (nothing to resume mid-fit), so a recipe
    restarted after an interruption, or rerun with other LOSO settings, reuses its finished runs instead.
    """
    summary = folder / "summary.json"
    config.resolve_frontend_rate()  # as training saved it
    try:
        same_rows = (folder / "manifest.csv").read_text(encoding="utf-8") == manifest_text
        same_config = load_config(folder / "config.yaml").to_dict() == config.to_dict()
        saved = json.loads(summary.read_text(encoding="utf-8"))
    except (OSError, ValueError, FakescopeError):
        return None
    return saved if same_rows and same_config and Path(saved.get("checkpoint", "")).exists() else None


def run(name: str, out: Path, config_path: Path, train_rows, dev_rows, test_rows, overrides: dict) -> dict:
    folder = out / name
    manifest = folder / "manifest.csv"
    staged = folder / ".manifest.next.csv"
    write_manifest(staged, with_split(train_rows, "train") + with_split(dev_rows, "dev") + with_split(test_rows, "test"))
    config = load_config(config_path, overrides={"data.manifest": str(manifest), **overrides})
    done = finished_summary(folder, config, staged.read_text(encoding="utf-8"))
    if done is None:
        staged.replace(manifest)
        result = train(config, out_dir=folder, resume=True, show_progress=False,
                       echo=lambda m: print(f"[{name}] {m}", flush=True))
        done = {"checkpoint": result.checkpoint, "best_dev_eer": result.best_dev_eer,
                "epochs_run": result.epochs_run, "seconds": result.seconds}
    else:
        staged.unlink()
        print(f"[{name}] finished before on the same rows and config: reused", flush=True)
    metrics = {}
    if test_rows:
        report = folder / "test" / "metrics.json"
        if report.exists() and report.stat().st_mtime >= Path(done["checkpoint"]).stat().st_mtime:
            metrics = json.loads(report.read_text(encoding="utf-8"))
        else:
            metrics, _ = evaluate_checkpoint(done["checkpoint"], out_dir=folder / "test", manifest=manifest, splits=["test"])
    summary = {"run": name, "checkpoint": done["checkpoint"], "best_dev_eer": done["best_dev_eer"],
               "epochs_run": done["epochs_run"], "seconds": done["seconds"],
               "test_eer": metrics.get("eer"), "test_n": len(test_rows)}
    print(json.dumps(summary), flush=True)
    return summary


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, required=True)
    parser.add_argument("--dev-real", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--config", type=Path, default=Path(__file__).resolve().parent.parent / "configs" / "default_model.yaml")
    parser.add_argument("--what", choices=["final", "loso", "all"], default="all")
    parser.add_argument("--loso-corpus-train", type=int, default=600, help="corpus train rows per LOSO run (0 = all)")
    parser.add_argument("--loso-source", action="append", default=[], metavar="SOURCE",
                        help="run only this source's LOSO fold (repeatable; default: every source with enough files)")
    parser.add_argument("--loso-epochs", type=int, default=1, help="epochs per LOSO run (1 for the GMM)")
    parser.add_argument("--launder-copies", type=int, default=0, help="laundered copies of each training file (0 = none)")
    parser.add_argument("--launder-attack", default="random:recorded", help="the launder spec of each copy")
    parser.add_argument("--launder-seed", type=int, default=1)
    parser.add_argument("--noise-dir", type=Path, help="noise recordings (needed by random:recorded)")
    parser.add_argument("--rir-dir", type=Path, help="measured room impulse responses (needed by random:recorded)")
    parser.add_argument("--workers", type=int, default=2, help="processes for laundering")
    parser.add_argument("--leave-out-system", action="append", default=[], metavar="ID",
                        help="a corpus system (e.g. S12) kept out of training; dev and eval keep it (repeatable)")
    parser.add_argument("--extra-corpus", action="append", default=[], type=Path, metavar="DIR",
                        help="another build of the corpus (e.g. --band-hz 7600) whose train split joins training; eval "
                             "stays --corpus's, and so does dev unless --extra-corpus-dev (repeatable)")
    parser.add_argument("--extra-corpus-dev", action=argparse.BooleanOptionalAction, default=False,
                        help="the --extra-corpus builds' dev split joins dev: the threshold and calibration then fit "
                             "every band the model trains on, not only --corpus's")
    parser.add_argument("--extra-corpus-copies", action=argparse.BooleanOptionalAction, default=True,
                        help="launder the --extra-corpus rows too (--no-extra-corpus-copies: they train clean only)")
    parser.add_argument("--dev-real-repeats", type=int, default=1, metavar="N",
                        help="dev-real's training rows enter N times, each with its own laundered copies: their weight "
                             "beside a larger corpus")
    parser.add_argument("--vocoded-copies", type=Path, metavar="DIR",
                        help="a HiFi-GAN copy of each dev-real bona fide training file joins training as a spoof "
                             "(written once into DIR): the same recording, only the waveform generator changed")
    parser.add_argument("--vocoded-repeats", type=int, default=1, metavar="N",
                        help="each vocoded copy enters N times (its weight; 1 measured better than dev-real's 4)")
    args = parser.parse_args()
    for flag, value in (("--dev-real-repeats", args.dev_real_repeats), ("--vocoded-repeats", args.vocoded_repeats)):
        if value < 1:
            raise SystemExit(f"{flag} must be >= 1, got {value}")

    corpus = corpus_rows(args.corpus)
    real = dev_real_rows(args.dev_real)
    extra = [row for folder in args.extra_corpus for row in extra_corpus_rows(folder)]
    corpus_train = without_systems([r for r in corpus if r.split == "train"] + extra, args.leave_out_system)

    vocoded: dict[str, ManifestRow] = {}
    if args.vocoded_copies:  # the validation source never trains, so it needs no copies
        try:
            vocoded = vocoded_copies([r for r in real if r.source != VALIDATION_SOURCE], args.vocoded_copies)
        except FakescopeError as error:  # an unreadable recording: its name in one line, not a traceback
            raise SystemExit(f"vocoded copies: {error}") from None

    def real_train(left_out: tuple[str, ...]) -> list[ManifestRow]:
        """Dev-real's rows of every source but `left_out`, with their vocoded copies (never the left-out
        sources' copies: a copy carries its original's recording chain)."""
        rows = [r for r in real if r.source not in left_out]
        copies = [vocoded[r.utt_id] for r in rows if r.utt_id in vocoded]
        return repeated(rows, args.dev_real_repeats) + repeated(copies, args.vocoded_repeats)

    corpus_dev = [r for r in corpus if r.split == "dev"]
    if args.extra_corpus_dev:
        corpus_dev += [row for folder in args.extra_corpus for row in extra_corpus_rows(folder, "dev")]
    corpus_eval = [r for r in corpus if r.split == "eval"]
    validation = [r for r in real if r.source == VALIDATION_SOURCE]
    final_train = corpus_train + real_train((VALIDATION_SOURCE,))
    laundered: dict[str, list[ManifestRow]] = {}
    if args.launder_copies:
        # Every run's training rows are a subset of the final model's, so one laundering serves them all.
        resources = ResourceConfig(noise_dir=str(args.noise_dir) if args.noise_dir else None,
                                   rir_dir=str(args.rir_dir) if args.rir_dir else None)
        laundered = laundered_copies(rows_to_launder(final_train, extra, extra_copies=args.extra_corpus_copies),
                                     args.out / "laundered", attack=args.launder_attack, copies=args.launder_copies,
                                     seed=args.launder_seed, resources=resources, workers=args.workers)

    def with_laundered(rows: list[ManifestRow]) -> list[ManifestRow]:
        return rows + [copy for row in rows for copy in laundered.get(row.utt_id, [])]

    summaries = []
    if args.what in ("final", "all"):
        train_rows = with_laundered(final_train)
        summaries.append(run("final", args.out, args.config, train_rows, corpus_dev + validation, corpus_eval + validation, {}))
    if args.what in ("loso", "all"):
        sources = sorted({r.source for r in real} - {VALIDATION_SOURCE})
        unknown = sorted(set(args.loso_source) - set(sources))
        if unknown:
            raise SystemExit(f"--loso-source: no fold for {', '.join(unknown)}; the folds are {', '.join(sources)}")
        sources = [source for source in sources if source in args.loso_source] if args.loso_source else sources
        subset = list(corpus_train)
        random.Random(0).shuffle(subset)
        subset = subset[: args.loso_corpus_train] if args.loso_corpus_train else subset
        for source in sources:
            bonafide = sum(1 for r in real if r.source == source and r.label == "bonafide")
            if bonafide < MIN_BONAFIDE_FOR_LOSO:
                continue
            train_rows = with_laundered(subset + real_train((source, VALIDATION_SOURCE)))
            test_rows = [r for r in real if r.source == source]
            summaries.append(run(f"loso-{source}", args.out, args.config, train_rows, corpus_dev + validation, test_rows,
                                 {"train.epochs": args.loso_epochs}))
    summaries = merged_summaries(args.out / "summary.json", summaries)
    write_text_atomic(args.out / "summary.json", json.dumps(summaries, indent=2) + "\n")
    runs = [s["run"] for s in summaries]  # the final model's test rows hold the validation source
    if "final" in runs and any(run.startswith("loso-") for run in runs):
        write_text_atomic(args.out / "heldout_families.md", heldout_families(args.out, real, runs) + "\n")
    return 0


def merged_summaries(path: Path, new: list[dict]) -> list[dict]:
    """The runs of an earlier invocation into the same OUT (`--what final`, then `--what loso`) kept beside the
    new ones; a run done again replaces its old entry. Final first, then the LOSO runs by name."""
    kept = {entry["run"]: entry for entry in (json.loads(path.read_text(encoding="utf-8")) if path.is_file() else [])}
    kept.update({entry["run"]: entry for entry in new})
    return sorted(kept.values(), key=lambda entry: (entry["run"] != "final", entry["run"]))


if __name__ == "__main__":
    sys.exit(main())
