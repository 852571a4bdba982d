"""Splitting a manifest: group-disjoint (speaker by default) and stratified by label and attack.

Every group (all rows of one speaker, or one source, or any column's value) goes to exactly one split, so
no speaker leaks from training into evaluation. Within that constraint, groups are placed greedily, largest
first, on the split where they reduce the squared distance to the target counts the most, per stratum
(label × attack) and overall. Before that, each label's smallest groups seed the first and last splits
(then the middle ones), so that training and evaluation hold both labels whenever enough groups allow.
Rows whose group value is unknown ('-' or empty) are placed one by one.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import replace

import numpy as np

from ..errors import DatasetError, ParameterError
from .balance import row_value
from .manifest import LABELS, ManifestRow

DEFAULT_NAMES = {2: ("train", "eval"), 3: ("train", "dev", "eval")}
_UNKNOWN = ("", "-")


def parse_ratios(text: str) -> tuple[float, ...]:
    """'70/15/15', '80/20', '0.7,0.15,0.15' or '0.8:0.2' → fractions summing to 1."""
    parts = [p for p in re.split(r"[/,:]", text.strip()) if p.strip()]
    try:
        values = [float(p) for p in parts]
    except ValueError:
        raise ParameterError(f"ratios must look like 70/15/15 or 0.8,0.2, got {text!r}") from None
    if len(values) < 2 or any(v < 0 for v in values) or sum(values) <= 0:
        raise ParameterError(f"ratios need at least two non-negative parts with a positive sum, got {text!r}")
    total = sum(values)
    return tuple(v / total for v in values)


def plan_splits(
    ratios: tuple[float, ...], *, names: tuple[str, ...] | None = None, dev_fraction: float = 0.0
) -> tuple[tuple[float, ...], tuple[str, ...]]:
    """(ratios, names) after naming the parts and carving a validation set (`dev`) out of the first part.

    `80/20` with dev_fraction 0.1 gives train 72 %, dev 8 %, eval 20 %.
    """
    if names is None:
        if len(ratios) not in DEFAULT_NAMES:
            raise ParameterError(f"{len(ratios)} ratios need --names (one name per part)")
        names = DEFAULT_NAMES[len(ratios)]
    if len(names) != len(ratios):
        raise ParameterError(f"{len(ratios)} ratios but {len(names)} names ({', '.join(names)})")
    if len(set(names)) != len(names) or any(not n or n == "-" for n in names):
        raise ParameterError(f"split names must be distinct and not '-', got {', '.join(names)}")
    if not 0 <= dev_fraction < 1:
        raise ParameterError(f"dev_fraction must be in [0, 1), got {dev_fraction}")
    if dev_fraction:
        if "dev" in names:
            raise ParameterError("dev_fraction carves a 'dev' split, but the names already have one")
        first = ratios[0]
        ratios = (first * (1 - dev_fraction), first * dev_fraction) + tuple(ratios[1:])
        names = (names[0], "dev") + tuple(names[1:])
    return tuple(ratios), tuple(names)


def split_rows(
    rows: list[ManifestRow],
    *,
    ratios: tuple[float, ...] = (0.7, 0.15, 0.15),
    names: tuple[str, ...] | None = None,
    dev_fraction: float = 0.0,
    by: str = "speaker",
    stratify: tuple[str, ...] = ("label", "attack"),
    seed: int = 0,
) -> list[ManifestRow]:
    """Rows with a new `split`, disjoint by the column `by` ('none': row by row) and stratified by `stratify`.

    Raises DatasetError when there are fewer groups than non-empty splits (e.g. a one-speaker corpus split
    by speaker: split it `--by` another column such as `original`, or `none`).
    """
    ratios, names = plan_splits(ratios, names=names, dev_fraction=dev_fraction)
    if not rows:
        raise DatasetError("no rows to split")
    groups: dict[str, list[int]] = defaultdict(list)
    for index, row in enumerate(rows):
        value = "" if by == "none" else row_value(row, by)
        key = f"\0{index}" if value in _UNKNOWN else value  # an unknown speaker is a group of one
        groups[key].append(index)
    wanted = sum(1 for r in ratios if r > 0)
    if len(groups) < wanted:
        raise DatasetError(
            f"only {len(groups)} distinct {by} value(s) for {wanted} splits; split --by another column "
            "(e.g. original or source) or --by none"
        )
    strata = [tuple(row_value(r, c) for c in stratify) for r in rows]
    stratum_totals = Counter(strata)
    targets = [{s: ratio * n for s, n in stratum_totals.items()} for ratio in ratios]
    size_targets = [ratio * len(rows) for ratio in ratios]
    current = [Counter() for _ in ratios]
    sizes = [0] * len(ratios)
    rng = np.random.default_rng(seed)
    keys = list(groups)
    order = sorted((int(i) for i in rng.permutation(len(keys))), key=lambda i: -len(groups[keys[i]]))
    assignment: dict[str, int] = {}

    def place(key: str, split: int) -> None:
        assignment[key] = split
        current[split].update(strata[i] for i in groups[key])
        sizes[split] += len(groups[key])

    for key, split in _label_coverage([keys[i] for i in order], groups, rows, ratios):
        place(key, split)
    for position in order:
        key = keys[position]
        if key in assignment:
            continue
        members = groups[key]
        counts = Counter(strata[i] for i in members)
        best, best_cost = 0, None
        for s, ratio in enumerate(ratios):
            if ratio <= 0:
                continue
            # Change in squared error if this group joins split s: sum of c * (2 * (have - want) + c).
            cost = sum(c * (2 * (current[s][st] - targets[s][st]) + c) for st, c in counts.items())
            cost += len(members) * (2 * (sizes[s] - size_targets[s]) + len(members))
            if best_cost is None or cost < best_cost:
                best, best_cost = s, cost
        place(key, best)
    _fill_empty(assignment, groups, ratios)
    out = list(rows)
    for key, members in groups.items():
        for index in members:
            out[index] = replace(rows[index], split=names[assignment[key]], extra=dict(rows[index].extra))
    return out


def _fill_empty(assignment: dict[str, int], groups: dict[str, list[int]], ratios: tuple[float, ...]) -> None:
    """Give every split with a positive ratio at least one group, taking the smallest group of the fullest split.

    The greedy pass can leave a small split empty when a few large groups dominate.
    """
    for split, ratio in enumerate(ratios):
        if ratio <= 0 or split in assignment.values():
            continue
        members: dict[int, list[str]] = defaultdict(list)
        for key, s in assignment.items():
            members[s].append(key)
        donor = max((s for s in members if len(members[s]) > 1), key=lambda s: sum(len(groups[k]) for k in members[s]))
        smallest = min(members[donor], key=lambda k: (len(groups[k]), k))
        assignment[smallest] = split


def _label_coverage(keys: list[str], groups: dict[str, list[int]], rows: list[ManifestRow],
                    ratios: tuple[float, ...]) -> list[tuple[str, int]]:
    """Seed placements that give every split both labels, as far as each label's groups allow.

    Count-matching alone puts all of a label into training when few groups hold it (two bona fide speakers
    and three splits), leaving an evaluation split where no EER can be computed. Each label's smallest
    groups go first to the first split, then the last (evaluation), then the middle ones.
    """
    active = [s for s, r in enumerate(ratios) if r > 0]
    priority = active[:1] + active[-1:] + active[1:-1] if len(active) > 1 else active
    placed: dict[str, int] = {}
    for label in LABELS:
        covered = {placed[k] for k in placed if any(rows[i].label == label for i in groups[k])}
        holders = sorted((k for k in keys if k not in placed and any(rows[i].label == label for i in groups[k])),
                         key=lambda k: len(groups[k]))
        for split in priority:
            if split in covered:
                continue
            if not holders:
                break
            placed[holders.pop(0)] = split
    return list(placed.items())

