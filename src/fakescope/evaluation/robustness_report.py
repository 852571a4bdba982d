"""The files of a robustness report: robustness.md, robustness.csv and robustness.png (a heatmap of EER by
attack family × severity), written atomically from the state that robustness.py records.

Rates in the CSV are fractions in [0, 1] (as in the evaluation report's CSVs); the markdown shows percent
and EER deltas in percentage points.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import numpy as np

from ..fileio import atomic_path, write_text_atomic
from .report import interval_text

CSV_COLUMNS = ("condition", "family", "severity", "attack", "eer", "eer_minus_clean", "min_tdcf", "min_dcf", "roc_auc",
               "accuracy", "threshold", "n", "bonafide", "spoof", "failed", "seconds", "eer_ci_low", "eer_ci_high")


def family_severity(name: str) -> tuple[str, str]:
    """Split a condition name into (attack family, severity) at its first later part that starts with a
    digit (babble-10db, resample-11.025k, amr-nb-4.75k), else at its last later part holding one
    (codec-mp3-bitrate32, gain-minus20db): clean → (clean, ''), g722 → (g722, '')."""
    parts = name.split("-")
    later = range(1, len(parts))
    starts = [i for i in later if parts[i][:1].isdigit()]
    holds = [i for i in later if any(ch.isdigit() for ch in parts[i])]
    cut = starts[0] if starts else holds[-1] if holds else None
    return (name, "") if cut is None else ("-".join(parts[:cut]), "-".join(parts[cut:]))


def _pct(value: float | None, digits: int = 2) -> str:
    return "n/a" if value is None else f"{100 * value:.{digits}f}"


def _num(value: float | None, digits: int = 4) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def _rows(state: dict[str, Any], order: list[str]) -> list[dict[str, Any]]:
    records = state["conditions"]
    clean = (records.get("clean") or {}).get("eer")
    rows = []
    for name in order:
        record = records.get(name)
        if record is None:
            continue
        family, severity = family_severity(name)
        delta = None if record["eer"] is None or clean is None else record["eer"] - clean
        rows.append({"condition": name, "family": family, "severity": severity, "record": record, "delta": delta})
    return rows


def write_robustness_report(out_dir: Path, state: dict[str, Any], *, order: list[str]) -> None:
    """robustness.md, robustness.csv and robustness.png for the conditions of `order` finished so far."""
    rows = _rows(state, order)
    write_text_atomic(out_dir / "robustness.csv", _csv(rows))
    write_text_atomic(out_dir / "robustness.md", _markdown(state, rows, order))
    heatmap_png(out_dir / "robustness.png", rows, title=Path(state["settings"]["paths"]["checkpoint"]).stem)


def _csv(rows: list[dict[str, Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        record = row["record"]

        def cell(value: Any) -> str:
            return "" if value is None else f"{value:.6f}" if isinstance(value, float) else str(value)

        writer.writerow([row["condition"], row["family"], row["severity"], record["spec"], cell(record["eer"]),
                         cell(row["delta"]), cell(record["min_tdcf"]), cell(record["min_dcf"]), cell(record["roc_auc"]),
                         cell(record["accuracy"]), cell(record["threshold"]), record["n"], record["bonafide"],
                         record["spoof"], len(record["failures"]), f"{record['seconds']:.2f}",
                         *(cell(v) for v in (record.get("eer_ci") or (None, None)))])
    return buffer.getvalue()


def _markdown(state: dict[str, Any], rows: list[dict[str, Any]], order: list[str]) -> str:
    settings, paths = state["settings"], state["settings"]["paths"]
    records = state["conditions"]
    with_tdcf = any(row["record"]["min_tdcf"] is not None for row in rows)
    clean = records.get("clean") or {}
    subset = (f", a stratified subset (limit {settings['limit']}, seed {settings['seed']})"
              if settings.get("limit") is not None else "")
    counts = f"{clean['bonafide']} bona fide, {clean['spoof']} spoof" if clean else "counts per condition below"
    threshold = settings["threshold"] if settings["threshold"] is not None else clean.get("eer_threshold")
    lines = [
        f"# Robustness of {Path(paths['checkpoint']).stem}", "",
        f"- checkpoint: `{paths['checkpoint']}` (sha256 {settings['checkpoint_sha256'][:12]})",
        f"- trials: `{paths['manifest']}`, split(s) {', '.join(settings['splits'])}: {settings['items']} files "
        f"({counts}){subset}",
        f"- grid: {paths['grid']}{' (' + paths['grid_description'] + ')' if paths.get('grid_description') else ''}; "
        f"laundered on the fly at {settings['sample_rate']} Hz, seed {settings['seed']}, crops of "
        f"{settings['crop_seconds']:g} s",
        f"- accuracy at threshold {_num(threshold)} ({paths['threshold_source']})",
        f"- min t-DCF: {clean.get('min_tdcf_note') or 'n/a'}", "",
    ]
    head = "| condition | attack | EER % | 95 % CI | EER − clean (points) |" + (" min t-DCF |" if with_tdcf else "")
    head += " minDCF | accuracy % | n | seconds |"
    lines += [head, "|---|---|---:|---:|---:|" + ("---:|" if with_tdcf else "") + "---:|---:|---:|---:|"]
    for row in rows:
        record = row["record"]
        delta = "n/a" if row["delta"] is None else f"{100 * row['delta']:+.2f}"
        # Conditions finished before the intervals existed have none ("n/a").
        cells = [row["condition"], f"`{record['spec']}`", _pct(record["eer"]), interval_text(record.get("eer_ci")), delta]
        cells += [_num(record["min_tdcf"])] if with_tdcf else []
        cells += [_num(record["min_dcf"]), _pct(record["accuracy"]), str(record["n"]), f"{record['seconds']:.1f}"]
        lines.append("| " + " | ".join(cells) + " |")
    lines += [""] + _summary_lines(rows, clean.get("eer"), state, order)
    return "\n".join(lines).rstrip() + "\n"


def _summary_lines(rows: list[dict[str, Any]], clean: float | None, state: dict[str, Any], order: list[str]) -> list[str]:
    lines = []
    attacked = [row for row in rows if row["condition"] != "clean" and row["record"]["eer"] is not None]
    if attacked and clean is not None:
        worst = max(attacked, key=lambda row: row["record"]["eer"])
        # The target for the default model: EER <= 2 x clean EER + 5 points under every condition.
        bound = 2 * clean + 0.05
        missed = [row["condition"] for row in attacked if row["record"]["eer"] > bound]
        lines.append(f"Worst condition: {worst['condition']} (EER {_pct(worst['record']['eer'])} %, "
                     f"{100 * worst['delta']:+.2f} points over clean).")
        lines.append(f"Target EER ≤ 2 × clean + 5 points ({_pct(bound)} %): met by "
                     f"{len(attacked) - len(missed)} of {len(attacked)} condition(s)"
                     + (f"; missed by {', '.join(missed)}." if missed else "."))
        # A miss whose interval reaches below the bound may be chance (the clean EER's own noise aside).
        near = [row["condition"] for row in attacked if row["condition"] in missed
                and (row["record"].get("eer_ci") or [1.0])[0] <= bound]
        if near:
            lines.append(f"Within their 95 % interval of the bound: {', '.join(near)}.")
        total = sum(row["record"]["seconds"] for row in rows)
        lines.append(f"Time: {total:.1f} s over {len(rows)} condition(s), {total / len(rows):.1f} s per condition.")
    pending = [name for name in order if name not in state["conditions"]]
    if pending:
        lines.append(f"Not finished yet: {', '.join(pending)}.")
    by_reason: dict[str, list[str]] = {}
    for name, why in (state.get("skipped") or {}).items():
        by_reason.setdefault(why, []).append(name)
    lines += [f"Not run: {', '.join(names)} ({why})." for why, names in by_reason.items()]
    failed = [(row["condition"], path, reason) for row in rows for path, reason in row["record"]["failures"]]
    if failed:
        lines.append(f"{len(failed)} (file, condition) pair(s) could not be scored, e.g.:")
        lines += [f"- {path} [{name}]: {reason}" for name, path, reason in failed[:20]]
    return lines


def heatmap_png(path: Path, rows: list[dict[str, Any]], *, title: str = "") -> Path:
    """EER % by attack family (rows, in grid order) × severity (cells left to right, in grid order)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    families: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        families.setdefault(row["family"], []).append(row)
    width = max((len(cells) for cells in families.values()), default=1)
    values = np.full((max(len(families), 1), width), np.nan)
    for i, cells in enumerate(families.values()):
        for j, row in enumerate(cells):
            eer = row["record"]["eer"]
            values[i, j] = np.nan if eer is None else 100 * eer
    top = max(50.0, float(np.nanmax(values)) if np.isfinite(values).any() else 0.0)
    figure = Figure(figsize=(2.2 + 1.25 * width, 1.4 + 0.5 * len(families)), dpi=100)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    masked = np.ma.masked_invalid(values)
    image = axes.imshow(masked, cmap="YlOrRd", vmin=0.0, vmax=top, aspect="auto")
    axes.set_facecolor("#eeeeee")
    for i, cells in enumerate(families.values()):
        for j, row in enumerate(cells):
            eer = values[i, j]
            text = "n/a" if np.isnan(eer) else f"{eer:.1f}"
            label = f"{row['severity']}\n{text}" if row["severity"] else text
            colour = "white" if not np.isnan(eer) and eer > 0.6 * top else "black"
            axes.text(j, i, label, ha="center", va="center", fontsize=8, color=colour)
    axes.set_yticks(range(len(families)), list(families))
    axes.set_xticks([])
    axes.set_xlabel("severity (grid order)")
    figure.colorbar(image, ax=axes, label="EER %", fraction=0.04, pad=0.02)
    axes.set_title(f"EER % under laundering: {title}" if title else "EER % under laundering")
    figure.tight_layout()
    with atomic_path(path, suffix=".png") as tmp:
        figure.savefig(tmp, format="png")
    return path
