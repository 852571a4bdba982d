"""The balanced builder: under- or over-sample a manifest to equal counts per label, optionally even per attack or speaker.

Under-sampling never repeats a row: every label is cut to the smallest label's count (or `count`), and
within a label the rows are spread as evenly as the groups allow (water-filling from above: small groups
keep everything, large groups give up the rest). Over-sampling never drops a row: labels are topped up
to the largest label's count (with `per`, to the largest label's group count × its number of groups, so
groups end up even too), repeating rows as evenly as possible. Repeated rows get `#dupN` utt_id suffixes
so that ids stay unique. Everything is drawn from one seeded generator.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

import numpy as np

from ..errors import DatasetError, ParameterError
from .manifest import LABELS, ManifestRow

MODES = ("under", "over")


def row_value(row: ManifestRow, column: str) -> str:
    """The value of a manifest column (a field or an extra column) as text; '' when absent."""
    if column in row.extra:
        return row.extra[column]
    value = getattr(row, column, None)
    if value is None or column == "extra":
        return ""
    return str(value)


def allocate(total: int, sizes: list[int], *, fill: str, order: list[int]) -> list[int]:
    """Split `total` over groups of `sizes` as evenly as possible.

    fill='cap': no group gets more than its size (needs total <= sum(sizes)); small groups keep all.
    fill='floor': no group gets less than its size (needs total >= sum(sizes)); large groups keep their size.
    order: the (seeded) order in which groups receive the units that do not divide evenly.
    """
    if fill == "cap":
        if total > sum(sizes):
            raise ValueError(f"cannot take {total} from groups of {sum(sizes)} without repeats")
        # The highest common level L with sum(min(size, L)) <= total; the remainder goes to groups above L.
        level = _highest_level(lambda lvl: sum(min(s, lvl) for s in sizes) <= total, 0, max(sizes, default=0))
        counts = [min(s, level) for s in sizes]
        open_groups = [i for i in order if sizes[i] > level]
    elif fill == "floor":
        if total < sum(sizes):
            raise ValueError(f"cannot fit groups of {sum(sizes)} into {total} without dropping")
        # The highest common level L with sum(max(size, L)) <= total; the remainder goes to groups at L.
        level = _highest_level(lambda lvl: sum(max(s, lvl) for s in sizes) <= total, 0, total)
        counts = [max(s, level) for s in sizes]
        open_groups = [i for i in order if sizes[i] <= level]
    else:
        raise ValueError(f"fill must be cap or floor, got {fill!r}")
    for index in open_groups[: total - sum(counts)]:
        counts[index] += 1
    return counts


def _highest_level(fits, low: int, high: int) -> int:
    """The largest integer in [low, high] for which the monotone predicate `fits` holds (`fits(low)` must)."""
    while low < high:
        middle = (low + high + 1) // 2
        if fits(middle):
            low = middle
        else:
            high = middle - 1
    return low


def balance_rows(
    rows: list[ManifestRow],
    *,
    mode: str = "under",
    per: str | None = None,
    count: int | None = None,
    split: str | None = None,
    seed: int = 0,
) -> list[ManifestRow]:
    """Rows with equal counts per label (see the module docstring).

    per: a column (attack, speaker, ...) whose groups are spread evenly within each label.
    count: rows per label (default: the smallest label's count when under-sampling, the largest when over-sampling).
    split: balance only rows of this split; the others pass through unchanged.
    Raises DatasetError when a label is absent or `count` cannot be met without repeating (under) or dropping (over).
    """
    if mode not in MODES:
        raise ParameterError(f"mode must be under or over, got {mode!r}")
    if count is not None and count < 1:
        raise ParameterError(f"count must be >= 1, got {count}")
    chosen = [i for i, r in enumerate(rows) if split is None or r.split == split]
    if not chosen:
        raise DatasetError(f"no rows in split {split!r} to balance" if split else "no rows to balance")
    by_label: dict[str, dict[str, list[int]]] = {label: {} for label in LABELS}
    for index in chosen:
        row = rows[index]
        key = row_value(row, per) if per else ""
        by_label[row.label].setdefault(key, []).append(index)
    for label, groups in by_label.items():
        if not groups:
            raise DatasetError(f"cannot balance: no {label} rows" + (f" in split {split!r}" if split else ""))
    totals = {label: sum(map(len, groups.values())) for label, groups in by_label.items()}
    if count is None:
        if mode == "under":
            count = min(totals.values())
        else:
            count = max(len(g) * max(map(len, g.values())) for g in by_label.values()) if per else max(totals.values())
    rng = np.random.default_rng(seed)
    picked: list[tuple[int, int]] = []  # (row index, copy number)
    for label, groups in by_label.items():
        if mode == "under" and count > totals[label]:
            raise DatasetError(f"only {totals[label]} {label} rows, fewer than {count}: use --mode over")
        if mode == "over" and count < totals[label]:
            raise DatasetError(f"{totals[label]} {label} rows, more than {count}: use --mode under")
        keys = sorted(groups)
        sizes = [len(groups[k]) for k in keys]
        order = [int(i) for i in rng.permutation(len(keys))]
        counts = allocate(count, sizes, fill="cap" if mode == "under" else "floor", order=order)
        for key, wanted in zip(keys, counts):
            picked.extend(_sample(groups[key], wanted, rng))
    picked.sort()
    keep = set(range(len(rows))) - set(chosen)
    out: list[tuple[int, int, ManifestRow]] = [(i, 0, rows[i]) for i in keep]
    for index, copy in picked:
        row = rows[index]
        out.append((index, copy, row if copy == 0 else replace(row, utt_id=f"{row.utt_id}#dup{copy}", extra=dict(row.extra))))
    out.sort(key=lambda item: (item[0], item[1]))
    return [row for _, _, row in out]


def _sample(members: list[int], wanted: int, rng: np.random.Generator) -> list[tuple[int, int]]:
    """`wanted` draws from `members`: without repetition while possible, then whole extra rounds plus a remainder."""
    rounds, remainder = divmod(wanted, len(members))
    picked = [(m, r) for r in range(rounds) for m in members]
    if remainder:
        for position in sorted(rng.choice(len(members), size=remainder, replace=False)):
            picked.append((members[int(position)], rounds))
    return picked


def label_counts(rows: list[ManifestRow], *, per: str | None = None) -> Counter:
    """Counts by label, or by (label, value of `per`)."""
    if per:
        return Counter((r.label, row_value(r, per)) for r in rows)
    return Counter(r.label for r in rows)
