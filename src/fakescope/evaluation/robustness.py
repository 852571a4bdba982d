"""Robustness reports behind `fakescope robustness`: a checkpoint scored under every condition of a
laundering grid, laundering on the fly in memory (no intermediate audio files).

Each utterance is loaded at the checkpoint's rate, attacked whole with `item_rng(seed, utt_id, condition)`
and the resources `fakescope launder` would use, then cropped exactly as `fakescope evaluate` crops, so a
condition's scores match laundering to files and evaluating those (up to 16-bit rounding). Scoring reuses
evaluation/run.py's lazy, batched DataLoader; metrics are report.py's (min t-DCF only where the ASVspoof
2019 constants apply). `DIR/robustness.json` records the settings and every finished condition, so a rerun
skips them (and refuses other settings); `DIR/scores/<condition>.csv` keeps each condition's scores.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import os
import time
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from ..errors import AudioError, FakescopeError, ParameterError
from ..launder.base import Attack
from ..launder.grids import Condition, Grid, load_grid
from ..launder.runner import ResourceConfig, item_rng
from ..fileio import write_text_atomic
from .robustness_report import write_robustness_report
from .scores import ScoreRow, write_scores

STATE_FILE = "robustness.json"
CLEAN = "clean"


@dataclass
class RobustnessResult:
    """What a run did: conditions in report order (with their records), counts, skips and failed files."""

    out_dir: Path
    conditions: list[str]
    records: dict[str, dict[str, Any]]
    ran: int = 0
    resumed: int = 0
    skipped: dict[str, str] = field(default_factory=dict)  # condition → why it was not run
    failures: list[tuple[str, str]] = field(default_factory=list)  # (file [conditions], reason)


def stratified_subset(items: Sequence[Any], limit: int, *, seed: int) -> list[Any]:
    """`limit` items balanced by label (as evenly as the classes allow), each class spread over its
    (attack, source) groups in proportion to their sizes; seeded, returned in the input order."""
    if limit < 2:
        raise ParameterError(f"limit must be >= 2 (one bona fide and one spoof at least), got {limit}")
    if limit >= len(items):
        return list(items)
    rng = np.random.default_rng(seed)
    by_label: dict[int, list[int]] = {}
    for index, item in enumerate(items):
        by_label.setdefault(item.label, []).append(index)
    chosen: list[int] = []
    remaining = limit
    ordered = sorted(by_label, key=lambda label: (len(by_label[label]), label))
    for position, label in enumerate(ordered):  # smaller class first: what it cannot fill goes to the other
        quota = min(len(by_label[label]), remaining // (len(ordered) - position))
        chosen += _proportional(by_label[label], quota, rng, key=lambda i: _group(items[i]))
        remaining -= quota
    return [items[i] for i in sorted(chosen)]


def _group(item: Any) -> tuple[str, str]:
    row = getattr(item, "row", None)
    return (row.attack or "-", row.source or "-") if row is not None else ("-", "-")


def _proportional(indices: list[int], count: int, rng: np.random.Generator, *, key) -> list[int]:
    """`count` of `indices`, allotted to groups by largest remainder (ties drawn at random)."""
    groups: dict[Any, list[int]] = {}
    for index in indices:
        groups.setdefault(key(index), []).append(index)
    names = sorted(groups)
    exact = np.array([count * len(groups[n]) / len(indices) for n in names])
    allot = np.floor(exact).astype(int)
    order = np.lexsort((rng.random(len(names)), -(exact - allot)))  # largest fractional part first
    for i in order[: count - int(allot.sum())]:
        allot[i] += 1
    picked: list[int] = []
    for name, take in zip(names, allot):
        members = np.array(groups[name])
        picked += members[rng.permutation(members.size)[:take]].tolist()
    return picked


def conditions_with_clean(grid: Grid) -> list[Condition]:
    """The grid's conditions with the clean reference first (added when the grid lacks one)."""
    conditions = list(grid)
    clean = [c for c in conditions if c.attack.to_spec() == CLEAN]
    if not clean:
        if CLEAN in grid.names():
            raise ParameterError(f"grid {grid.name!r}: condition {CLEAN!r} must be the clean (no attack) condition")
        from ..launder.base import Clean

        return [Condition(CLEAN, Clean()), *conditions]
    return [clean[0], *(c for c in conditions if c is not clean[0])]


def laundered_crop(
    item: Any, *, attack: Attack, condition: str, seed: int, sample_rate: int, seconds: float,
    resources: ResourceConfig, pad: str = "repeat",
) -> np.ndarray:
    """An item's audio attacked as `fakescope launder` attacks it, then cropped as `fakescope evaluate`
    crops: (T,) float32. Module level so DataLoader workers can pickle it."""
    from ..audio import load_audio
    from ..audio.activity import trim_quiet_edges
    from ..audio.ops import model_crop

    audio = load_audio(item.path, sample_rate=sample_rate, mono=True)
    speaker = item.row.speaker if getattr(item, "row", None) is not None else ""
    try:
        out = attack(audio.samples, audio.sample_rate, item_rng(seed, item.utt_id, condition),
                     resources=resources.build().for_item(utt_id=item.utt_id, speaker=speaker))
    except FakescopeError as exc:  # FFmpeg refusing this file, an unreadable babble talker: list it, go on
        raise AudioError(item.path, f"laundering failed: {exc}") from None
    peak = float(np.max(np.abs(out)))
    if peak > 1.0:  # what `fakescope launder` does before writing 16-bit files (keeps SNRs, avoids clipping)
        out = out * np.float32(0.999 / peak)
    kept = trim_quiet_edges(out[0], sample_rate)  # as evaluate cuts a laundered file's edges
    return np.ascontiguousarray(model_crop(kept, int(round(seconds * sample_rate)), pad=pad, offset=0,
                                           sample_rate=sample_rate))


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(functools.partial(handle.read, 1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _fingerprint(items: Sequence[Any]) -> str:
    # ids and labels, not paths: a moved corpus (or a relative --manifest) resumes the same report
    text = "\n".join(f"{item.utt_id}\t{item.label}" for item in items)
    return f"{zlib.crc32(text.encode('utf-8')):08x}"


def _load_state(out_dir: Path, settings: dict[str, Any]) -> dict[str, Any]:
    """The recorded run in `out_dir` (refusing other settings), or a fresh state."""
    path = out_dir / STATE_FILE
    if not path.is_file():
        return {"settings": settings, "conditions": {}}
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
        previous = state["settings"]
        state["conditions"] = dict(state.get("conditions") or {})
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ParameterError(f"{path}: unreadable record of an earlier run ({exc}); use another --out") from None
    clashes = [key for key in settings if key != "paths" and previous.get(key) != settings[key]]
    if clashes:
        raise ParameterError(f"{out_dir} holds a report made with other settings ({', '.join(clashes)} differ): "
                             "use another --out, or the same settings to resume")
    state["settings"] = settings
    return state


def _resolve_threshold(loaded: Any, threshold: float | None) -> tuple[float | None, str]:
    if threshold is not None:
        return float(threshold), "given threshold"
    if loaded.threshold is not None:
        return loaded.threshold, "dev EER threshold stored in the checkpoint"
    return None, "EER threshold of the clean condition (the checkpoint stores none)"


def _summarise(rows: list[ScoreRow], *, threshold: float | None, source: str, tdcf: str) -> dict[str, Any]:
    """The numbers one condition reports (None where a class has no scores left)."""
    from .metrics import eer_interval
    from .report import compute_metrics, split_scores

    counts = {"n": len(rows), "bonafide": sum(r.label == "bonafide" for r in rows),
              "spoof": sum(r.label == "spoof" for r in rows)}
    if not counts["bonafide"] or not counts["spoof"]:
        return {**counts, "eer": None, "eer_threshold": None, "min_tdcf": None, "min_tdcf_note": "one class has no scores",
                "min_dcf": None, "roc_auc": None, "accuracy": None, "threshold": threshold, "per_attack": []}
    metrics = compute_metrics(rows, threshold=threshold, threshold_source=source, tdcf=tdcf, intervals=False)
    # The condition's own interval only (about a second), not the per-attack ones: it says whether a miss of
    # the bound is more than chance.
    bona, spoof = split_scores(rows)
    interval = eer_interval(bonafide_scores=bona, spoof_scores=spoof)
    return {**counts, "eer": metrics["eer"], "eer_ci": list(interval) if interval else None,
            "eer_threshold": metrics["eer_threshold"],
            "min_tdcf": metrics["min_tdcf"], "min_tdcf_note": metrics["min_tdcf_note"], "min_dcf": metrics["min_dcf"],
            "roc_auc": metrics["roc_auc"], "accuracy": metrics["at_threshold"]["accuracy"],
            "threshold": metrics["at_threshold"]["threshold"],
            "per_attack": [{"attack": r["attack"], "eer": r["eer"], "detected": r["accuracy"]} for r in metrics["per_attack"]]}


def run_robustness(
    checkpoint: str | os.PathLike, *, manifest: str | os.PathLike, grid: str | os.PathLike | Grid,
    out_dir: str | os.PathLike, splits: Sequence[str] = (), resources: ResourceConfig | None = None,
    skip_unavailable: bool = False, limit: int | None = None, seed: int = 0, threshold: float | None = None,
    tdcf: str = "auto", batch_size: int = 32, device: str = "auto", workers: int = 0, show_progress: bool = False,
) -> RobustnessResult:
    """Score the manifest under the clean condition and every grid condition; write DIR/robustness.{md,csv,png}.

    `splits` defaults to eval when the manifest has an eval split, else every split. `resources` default to
    babble talkers from `manifest`. Conditions lacking recordings raise ParameterError unless
    `skip_unavailable`; unreadable files are listed in the result, never fatal.
    """
    from ..datasets.manifest import read_manifest
    from ..training.checkpoint import input_pad, load_pipeline
    from ..training.dataset import manifest_items
    from ..training.distributed import resolve_device
    from .run import score_items

    from .report import TDCF_MODES

    if seed < 0:
        raise ParameterError(f"seed must be >= 0, got {seed}")
    if tdcf not in TDCF_MODES:  # checked now, not after the first condition has been scored
        raise ParameterError(f"tdcf must be one of {', '.join(TDCF_MODES)}, got {tdcf!r}")
    out = Path(out_dir)
    grid = grid if isinstance(grid, Grid) else load_grid(grid)
    conditions = conditions_with_clean(grid)
    resources = resources or ResourceConfig(babble_manifest=str(manifest))
    torch_device = resolve_device(device)
    loaded = load_pipeline(checkpoint, device=torch_device)
    spec = loaded.config.get("input") or {}
    if spec.get("kind") == "image":
        raise ParameterError(f"{checkpoint}: an image-mode checkpoint cannot be laundered on the fly; "
                             "robustness needs an audio checkpoint")
    rate, crop, pad = int(spec.get("sample_rate", 16000)), float(spec.get("crop_seconds", 4.0)), input_pad(spec)
    table = read_manifest(manifest)
    present = sorted({row.split for row in table})
    splits = list(splits) or (["eval"] if "eval" in present else present)
    items = manifest_items(table, splits)
    if limit is not None:
        items = stratified_subset(items, limit, seed=seed)

    built = resources.build()
    skipped = {name: "this build has no encoder for its codec" for name in grid.skipped}
    missing = {}
    for condition in conditions:
        try:
            condition.attack.check_resources(built)
        except FakescopeError as exc:  # no noise folder, too few babble talkers, ...
            missing[condition.name] = str(exc)
    if missing and not skip_unavailable:
        name, why = next(iter(missing.items()))
        raise ParameterError(f"{len(missing)} condition(s) cannot run, e.g. {name}: {why} "
                             "(--skip-unavailable leaves them out)")
    if CLEAN in missing:
        raise ParameterError(f"the clean condition cannot run: {missing[CLEAN]}")
    skipped.update(missing)
    conditions = [c for c in conditions if c.name not in missing]

    threshold, threshold_source = _resolve_threshold(loaded, threshold)
    settings = {
        "checkpoint_sha256": _sha256(Path(checkpoint)), "items": len(items), "items_fingerprint": _fingerprint(items),
        "splits": splits, "limit": limit, "seed": seed, "sample_rate": rate, "crop_seconds": crop,
        "threshold": threshold, "tdcf": tdcf,
        "resources": {key: str(Path(value).resolve()) if value else None
                      for key, value in dataclasses.asdict(resources).items()},
        "paths": {"checkpoint": str(checkpoint), "manifest": str(manifest), "grid": grid.name,
                  "grid_description": grid.description, "threshold_source": threshold_source},
    }
    state = _load_state(out, settings)
    for condition in conditions:
        record = state["conditions"].get(condition.name)
        if record is not None and record.get("attack") != condition.attack.to_dict():
            raise ParameterError(f"{out}: condition {condition.name!r} was run with another attack "
                                 f"({record.get('spec')}); use another --out")
    todo = [c for c in conditions if c.name not in state["conditions"]]
    result = RobustnessResult(out, [c.name for c in conditions], state["conditions"], resumed=len(conditions) - len(todo),
                              skipped=skipped)
    state["skipped"] = skipped
    out.mkdir(parents=True, exist_ok=True)

    from ..progress import progress

    bar = progress(total=len(todo), desc="robustness", unit="condition") if show_progress else None
    try:
        for condition in todo:
            if threshold is None and condition.name != CLEAN:
                threshold = state["conditions"][CLEAN]["eer_threshold"]  # clean runs first
            load = functools.partial(laundered_crop, attack=condition.attack, condition=condition.name, seed=seed,
                                     sample_rate=rate, seconds=crop, resources=resources, pad=pad)
            started = time.perf_counter()
            scores, failed = score_items(loaded.pipeline, items, load, device=torch_device, batch_size=batch_size,
                                         workers=workers, skip_bad_files=True, show_progress=show_progress)
            seconds = time.perf_counter() - started
            rows = [ScoreRow(item.utt_id.replace(" ", "_"), scores[i], "bonafide" if item.label == 1 else "spoof",
                             (item.row.attack if item.row else "-") or "-", (item.row.source if item.row else "-") or "-")
                    for i, item in enumerate(items) if i in scores]
            write_scores(out / "scores" / f"{condition.name}.csv", rows)
            record = _summarise(rows, threshold=threshold, source=threshold_source, tdcf=tdcf)
            state["conditions"][condition.name] = {
                "spec": condition.spec, "attack": condition.attack.to_dict(), **record, "seconds": round(seconds, 3),
                "failures": [[str(items[i].path), reason] for i, reason in failed],
            }
            write_text_atomic(out / STATE_FILE, json.dumps(state, indent=1) + "\n")
            write_robustness_report(out, state, order=result.conditions)
            result.ran += 1
            if bar is not None:
                eer = record["eer"]
                bar.set_postfix_str(f"{condition.name}: EER {'n/a' if eer is None else f'{100 * eer:.1f} %'}")
                bar.update(1)
    finally:
        if bar is not None:
            bar.close()
    if not todo:  # a finished run: rewrite the report (the grid may be a subset of what is recorded)
        write_text_atomic(out / STATE_FILE, json.dumps(state, indent=1) + "\n")
        write_robustness_report(out, state, order=result.conditions)
    result.failures = _grouped_failures(state["conditions"], result.conditions)
    return result


def _grouped_failures(records: dict[str, dict[str, Any]], order: list[str]) -> list[tuple[str, str]]:
    """(file [conditions], reason), one line per file and reason; "every condition" when it failed in all."""
    seen: dict[tuple[str, str], list[str]] = {}
    for name in order:
        for path, reason in records.get(name, {}).get("failures", []):
            seen.setdefault((path, reason), []).append(name)
    return [(f"{path} [{'every condition' if len(names) == len(order) else ', '.join(names)}]", reason)
            for (path, reason), names in seen.items()]
