"""Evaluation reports from scored trials: metrics.json, per-attack / per-source tables, and PNG plots.

Everything is computed from `ScoreRow`s (scores higher = bona fide), so a report can be made for this
project's checkpoints and for any other system's ASVspoof-format score file alike. Rates in metrics.json
are fractions in [0, 1]; the markdown tables show percentages.
"""

from __future__ import annotations

import csv
import json
import math
import os
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from ..errors import DatasetError, ParameterError
from . import metrics as M
from .scores import ScoreRow

TDCF_MODES = ("auto", "eval", "dev", "off")
_LA19_EVAL = {f"A{i:02d}" for i in range(7, 20)}
_LA19_DEV = {f"A{i:02d}" for i in range(1, 7)}


def split_scores(rows: Sequence[ScoreRow]) -> tuple[np.ndarray, np.ndarray]:
    """(bona fide scores, spoof scores); rows without a label are ignored."""
    bona = np.array([r.score for r in rows if r.label == "bonafide"], dtype=np.float64)
    spoof = np.array([r.score for r in rows if r.label == "spoof"], dtype=np.float64)
    return bona, spoof


def tdcf_partition(rows: Sequence[ScoreRow], mode: str = "auto") -> tuple[str | None, str]:
    """Which ASVspoof 2019 LA t-DCF constants apply: ('eval' | 'dev' | None, why).

    "auto" uses them only for trials that look like the 2019 LA eval (LA_E_*, attacks A07–A19) or dev
    (LA_D_*, attacks A01–A06) set; the constants describe that set's official ASV system and nothing else.
    """
    if mode not in TDCF_MODES:
        raise ParameterError(f"tdcf must be one of {', '.join(TDCF_MODES)}, got {mode!r}")
    if mode == "off":
        return None, "t-DCF switched off"
    if mode in ("eval", "dev"):
        return mode, f"ASVspoof 2019 LA {mode} constants, as requested"
    attacks = {r.attack for r in rows if r.label == "spoof"}
    for prefix, known, name in (("LA_E_", _LA19_EVAL, "eval"), ("LA_D_", _LA19_DEV, "dev")):
        if rows and all(r.utt_id.startswith(prefix) for r in rows) and attacks and attacks <= known:
            return name, f"trials look like ASVspoof 2019 LA {name} ({prefix}*, attacks {min(attacks)}-{max(attacks)})"
    return None, "not ASVspoof 2019 LA trials: the 2019 t-DCF constants do not apply (see min_dcf)"


CI_METHOD = (f"{100 * M.EER_CI_LEVEL:g} % bootstrap interval: bona fide and spoof trials resampled apart, "
             f"{M.EER_CI_RESAMPLES} resamples, percentile method, seed {M.EER_CI_SEED}")


def compute_metrics(
    rows: Sequence[ScoreRow], *, threshold: float | None = None, threshold_source: str = "", tdcf: str = "auto",
    intervals: bool = True,
) -> dict[str, Any]:
    """All headline numbers as a JSON-ready dict. Without `threshold`, decisions use this set's own EER
    threshold (and say so in `at_threshold.source`). `intervals`: bootstrap confidence intervals of every EER
    (about a second per 8,000 trials; robustness runs skip these and add only each condition's own)."""
    bona, spoof = split_scores(rows)
    if bona.size == 0 or spoof.size == 0:
        raise ParameterError(
            f"evaluation needs labelled bona fide and spoof trials, got {bona.size} bona fide and {spoof.size} spoof"
        )
    eer, eer_threshold = M.eer(bonafide_scores=bona, spoof_scores=spoof)
    min_dcf, _ = M.min_dcf(bonafide_scores=bona, spoof_scores=spoof)
    partition, why = tdcf_partition(rows, tdcf)
    tdcf_value = M.min_tdcf_2019(bonafide_scores=bona, spoof_scores=spoof, partition=partition)[0] if partition else None
    if threshold is None:
        threshold, threshold_source = eer_threshold, threshold_source or "EER threshold of these trials (no dev threshold given)"
    at = M.threshold_metrics(bonafide_scores=bona, spoof_scores=spoof, threshold=threshold)
    interval = M.eer_interval(bonafide_scores=bona, spoof_scores=spoof) if intervals else None
    return {
        "trials": {"bonafide": int(bona.size), "spoof": int(spoof.size), "unlabelled": sum(1 for r in rows if not r.label)},
        "eer": eer,
        "eer_ci": list(interval) if interval else None,
        "eer_ci_method": CI_METHOD if intervals else None,
        "eer_threshold": eer_threshold,
        "min_tdcf": tdcf_value,
        "min_tdcf_note": why,
        "min_dcf": min_dcf,
        "min_dcf_costs": {"p_spoof": M.DCF_P_SPOOF, "c_miss": M.DCF_C_MISS, "c_fa": M.DCF_C_FA},
        "roc_auc": M.roc_auc(bonafide_scores=bona, spoof_scores=spoof),
        "at_threshold": {**at.to_dict(), "source": threshold_source, "positive_class": "spoof"},
        "classification_report": M.classification_report(at),
        "per_attack": breakdown(rows, key="attack", threshold=threshold, intervals=intervals),
        "per_source": breakdown(rows, key="source", threshold=threshold, intervals=intervals),
    }


def compare_rows(rows: Sequence[ScoreRow], other: Sequence[ScoreRow], *, where: str) -> dict[str, Any]:
    """This system's EER less another's on the same labelled trials (matched by utt_id), with the paired
    bootstrap interval of the difference (metrics.eer_difference). `where` names the other score file."""
    other_scores = {row.utt_id: row.score for row in other}
    labelled = [row for row in rows if row.label]
    missing = [row.utt_id for row in labelled if row.utt_id not in other_scores]
    if missing:
        raise DatasetError(f"{where}: {len(missing)} of the {len(labelled)} trials have no score here, e.g. {missing[0]!r}")
    bona = [row for row in labelled if row.label == "bonafide"]
    spoof = [row for row in labelled if row.label == "spoof"]
    result = M.eer_difference(
        bonafide_scores=[row.score for row in bona], spoof_scores=[row.score for row in spoof],
        other_bonafide_scores=[other_scores[row.utt_id] for row in bona],
        other_spoof_scores=[other_scores[row.utt_id] for row in spoof],
    )
    return {"file": where, "trials": len(labelled), **result, "method": f"paired {CI_METHOD}, both systems on each draw"}


def breakdown(rows: Sequence[ScoreRow], *, key: str, threshold: float, intervals: bool = True) -> list[dict[str, Any]]:
    """EER per attack (all bona fide vs that attack's spoofs, the ASVspoof convention) or per source
    (within the source; None where it holds one class only), with its bootstrap interval (`eer_ci`, when
    `intervals`) and the accuracy at `threshold`."""
    if key not in ("attack", "source"):
        raise ParameterError(f"key must be 'attack' or 'source', got {key!r}")
    bona_all, _ = split_scores(rows)
    groups: dict[str, list[ScoreRow]] = {}
    for row in rows:
        if row.label and not (key == "attack" and row.label == "bonafide"):
            groups.setdefault(getattr(row, key) or "-", []).append(row)
    table = []
    for name in sorted(groups):
        bona, spoof = split_scores(groups[name])
        if key == "attack":
            bona = bona_all
        eer = M.eer(bonafide_scores=bona, spoof_scores=spoof)[0] if bona.size and spoof.size else None
        interval = M.eer_interval(bonafide_scores=bona, spoof_scores=spoof) if intervals and eer is not None else None
        own_bona = bona if key == "source" else bona[:0]  # per attack: the share of its spoofs detected
        correct = int(np.sum(own_bona >= threshold)) + int(np.sum(spoof < threshold))
        total = own_bona.size + spoof.size
        table.append({key: name, "bonafide": int(bona.size) if key == "source" else None, "spoof": int(spoof.size),
                      "eer": eer, "eer_ci": list(interval) if interval else None,
                      "accuracy": correct / total if total else None})
    return table


def _pct(value: float | None) -> str:
    return "n/a" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{100 * value:.2f}"


def interval_text(bounds: Sequence[float] | None, digits: int = 2) -> str:
    """An EER interval as "low–high" in %, or "n/a" where there is none (every report and table uses this)."""
    return "n/a" if not bounds else f"{100 * bounds[0]:.{digits}f}–{100 * bounds[1]:.{digits}f}"


def table_markdown(table: list[dict[str, Any]], key: str) -> str:
    """A breakdown table as GitHub markdown (rates in %)."""
    accuracy = "detected at threshold %" if key == "attack" else "accuracy at threshold %"
    lines = [f"| {key} | bona fide | spoof | EER % | 95 % CI | {accuracy} |", "|---|---:|---:|---:|---:|---:|"]
    for row in table:
        bona = "all" if row["bonafide"] is None else str(row["bonafide"])
        lines.append(f"| {row[key]} | {bona} | {row['spoof']} | {_pct(row['eer'])} | {interval_text(row.get('eer_ci'))} | "
                     f"{_pct(row['accuracy'])} |")
    return "\n".join(lines) + "\n"


def _write_table_csv(path: Path, table: list[dict[str, Any]], key: str) -> None:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow([key, "bonafide", "spoof", "eer", "accuracy", "eer_ci_low", "eer_ci_high"])
        for row in table:
            interval = row.get("eer_ci") or ("", "")
            writer.writerow([row[key], "all" if row["bonafide"] is None else row["bonafide"], row["spoof"],
                             "" if row["eer"] is None else f"{row['eer']:.6f}",
                             "" if row["accuracy"] is None else f"{row['accuracy']:.6f}",
                             *("" if v == "" else f"{v:.6f}" for v in interval)])


def classification_report_text(report: dict[str, dict[str, float]]) -> str:
    """The classification report as aligned text (sklearn's layout)."""
    lines = [f"{'':>12} {'precision':>9} {'recall':>9} {'f1-score':>9} {'support':>9}", ""]
    for name, row in report.items():
        lines.append(f"{name:>12} {row['precision']:>9.4f} {row['recall']:>9.4f} {row['f1']:>9.4f} {int(row['support']):>9d}")
    return "\n".join(lines) + "\n"


def write_report(
    rows: Sequence[ScoreRow], out_dir: str | os.PathLike, *, threshold: float | None = None,
    threshold_source: str = "", tdcf: str = "auto", title: str = "",
    versus: Sequence[ScoreRow] | None = None, versus_name: str = "",
) -> dict[str, Any]:
    """Compute the metrics and write metrics.json, classification_report.txt, per_attack.{md,csv},
    per_source.{md,csv}, confusion_matrix.png, det_curve.png and score_histogram.png into `out_dir`.
    `versus`: another system's scores of the same trials, compared in metrics.json's `versus`."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    result = compute_metrics(rows, threshold=threshold, threshold_source=threshold_source, tdcf=tdcf)
    if versus is not None:
        result["versus"] = compare_rows(rows, versus, where=versus_name or "versus")
    if title:
        result = {"title": title, **result}
    (out / "metrics.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    (out / "classification_report.txt").write_text(
        classification_report_text(result["classification_report"]), encoding="utf-8"
    )
    for key, table in (("attack", result["per_attack"]), ("source", result["per_source"])):
        (out / f"per_{key}.md").write_text(table_markdown(table, key), encoding="utf-8")
        _write_table_csv(out / f"per_{key}.csv", table, key)
    bona, spoof = split_scores(rows)
    from . import plots

    label = title or "scores"
    plots.confusion_matrix_png(out / "confusion_matrix.png", result["at_threshold"]["confusion"], title=label)
    plots.det_curve_png(out / "det_curve.png", bona, spoof, eer=result["eer"], title=label)
    plots.histogram_png(out / "score_histogram.png", bona, spoof, threshold=result["at_threshold"]["threshold"], title=label)
    return result
