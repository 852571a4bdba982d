"""The balanced builder and the splitter, on generated manifest rows (no audio needed)."""

from __future__ import annotations

from collections import Counter

import pytest

from fakescope.datasets.balance import allocate, balance_rows
from fakescope.datasets.manifest import ManifestRow
from fakescope.datasets.splits import parse_ratios, plan_splits, split_rows
from fakescope.errors import DatasetError, ParameterError


def rows_of(spec: dict[tuple[str, str], int], *, speakers: int = 1, split: str = "-") -> list[ManifestRow]:
    """{(label, attack): n} → rows with speakers s0..s{speakers-1} assigned round-robin."""
    rows = []
    for (label, attack), n in spec.items():
        for i in range(n):
            index = len(rows)
            rows.append(ManifestRow(f"u{index:05d}", f"a/{index}.wav", label, speaker=f"s{index % speakers}",
                                    attack=attack, split=split))
    return rows


def test_allocate_is_even_within_caps_and_floors():
    assert allocate(10, [2, 8, 8], fill="cap", order=[0, 1, 2]) == [2, 4, 4]
    assert allocate(11, [2, 8, 8], fill="cap", order=[2, 1, 0]) == [2, 4, 5]
    assert allocate(30, [2, 8, 12], fill="floor", order=[0, 1, 2]) == [9, 9, 12]
    assert allocate(22, [2, 8, 12], fill="floor", order=[0, 1, 2]) == [2, 8, 12]
    with pytest.raises(ValueError):
        allocate(40, [2, 8], fill="cap", order=[0, 1])


def test_under_sampling_per_label_and_per_attack():
    rows = rows_of({("bonafide", "-"): 30, ("spoof", "A01"): 100, ("spoof", "A02"): 10, ("spoof", "A03"): 50})
    out = balance_rows(rows, mode="under", seed=1)
    assert Counter(r.label for r in out) == {"bonafide": 30, "spoof": 30}
    even = balance_rows(rows, mode="under", per="attack", seed=1)
    assert Counter((r.label, r.attack) for r in even) == {("bonafide", "-"): 30, ("spoof", "A01"): 10,
                                                          ("spoof", "A02"): 10, ("spoof", "A03"): 10}
    assert len({r.utt_id for r in even}) == 60  # no repeats when under-sampling
    assert [r.utt_id for r in even] == sorted(r.utt_id for r in even)  # original order kept
    assert balance_rows(rows, mode="under", seed=1) == out  # seeded
    assert balance_rows(rows, mode="under", seed=2) != out


def test_over_sampling_repeats_with_unique_ids():
    rows = rows_of({("bonafide", "-"): 4, ("spoof", "A01"): 6, ("spoof", "A02"): 2})
    out = balance_rows(rows, mode="over", seed=0)
    assert Counter(r.label for r in out) == {"bonafide": 8, "spoof": 8}
    assert len({r.utt_id for r in out}) == 16
    assert sum("#dup" in r.utt_id for r in out) == 4
    even = balance_rows(rows, mode="over", per="attack", seed=0)
    # attacks topped up to the largest attack (6 each), bona fide up to the spoof total
    assert Counter((r.label, r.attack) for r in even) == {("bonafide", "-"): 12, ("spoof", "A01"): 6, ("spoof", "A02"): 6}
    copies = Counter(r.path for r in even if r.attack == "A02")
    assert sorted(copies.values()) == [3, 3]  # repeats spread evenly


def test_balance_count_split_and_errors():
    rows = rows_of({("bonafide", "-"): 5, ("spoof", "A01"): 9}, split="train") + rows_of({("spoof", "A02"): 3}, split="eval")
    out = balance_rows(rows, count=4, split="train", seed=0)
    assert Counter((r.split, r.label) for r in out) == {("train", "bonafide"): 4, ("train", "spoof"): 4, ("eval", "spoof"): 3}
    with pytest.raises(DatasetError, match="only 5 bonafide rows, fewer than 7: use --mode over"):
        balance_rows(rows, count=7, split="train")
    with pytest.raises(DatasetError, match="9 spoof rows, more than 6: use --mode under"):
        balance_rows(rows, mode="over", count=6, split="train")
    with pytest.raises(DatasetError, match="no bonafide rows in split 'eval'"):
        balance_rows(rows, split="eval")
    with pytest.raises(ParameterError, match="mode must be under or over"):
        balance_rows(rows, mode="sideways")


def test_parse_ratios_and_plan():
    assert parse_ratios("70/15/15") == pytest.approx((0.7, 0.15, 0.15))
    assert parse_ratios("0.8,0.2") == pytest.approx((0.8, 0.2))
    assert plan_splits((0.8, 0.2), dev_fraction=0.1) == (pytest.approx((0.72, 0.08, 0.2)), ("train", "dev", "eval"))
    assert plan_splits((0.5, 0.3, 0.2))[1] == ("train", "dev", "eval")
    with pytest.raises(ParameterError):
        parse_ratios("seventy/thirty")
    with pytest.raises(ParameterError, match="need --names"):
        plan_splits((0.25,) * 4)
    with pytest.raises(ParameterError, match="already have one"):
        plan_splits((0.7, 0.15, 0.15), dev_fraction=0.1)


def test_split_is_speaker_disjoint_and_stratified():
    rows = rows_of({("bonafide", "-"): 200, ("spoof", "A01"): 300, ("spoof", "A02"): 300}, speakers=40)
    out = split_rows(rows, ratios=(0.7, 0.15, 0.15), seed=3)
    speakers = {}
    for row in out:
        assert speakers.setdefault(row.speaker, row.split) == row.split  # every speaker in one split only
    sizes = Counter(r.split for r in out)
    assert abs(sizes["train"] - 560) <= 40 and abs(sizes["dev"] - 120) <= 40 and abs(sizes["eval"] - 120) <= 40
    for split in ("train", "dev", "eval"):
        part = Counter((r.label, r.attack) for r in out if r.split == split)
        total = sum(part.values())
        assert part[("bonafide", "-")] / total == pytest.approx(0.25, abs=0.05)
        assert part[("spoof", "A01")] / total == pytest.approx(0.375, abs=0.05)
    assert split_rows(rows, seed=3) == out
    assert [r.utt_id for r in out] == [r.utt_id for r in rows] and rows[0].split == "-"


def test_split_by_other_columns_and_row_by_row():
    rows = rows_of({("bonafide", "-"): 50, ("spoof", "A01"): 50}, speakers=1)
    with pytest.raises(DatasetError, match=r"only 1 distinct speaker value\(s\) for 3 splits"):
        split_rows(rows)
    out = split_rows(rows, ratios=(0.8, 0.2), by="none", seed=0)
    assert Counter(r.split for r in out) == {"train": 80, "eval": 20}
    assert Counter((r.split, r.label) for r in out)[("eval", "bonafide")] == 10
    for i, row in enumerate(rows):
        row.extra["original"] = f"text{i % 10}"
    by_text = split_rows(rows, ratios=(0.8, 0.2), dev_fraction=0.25, by="original", seed=0)
    owners = {}
    for row in by_text:
        assert owners.setdefault(row.extra["original"], row.split) == row.split
    assert set(Counter(r.split for r in by_text)) == {"train", "dev", "eval"}


def test_split_unknown_speakers_are_placed_one_by_one_and_small_splits_filled():
    rows = rows_of({("bonafide", "-"): 10, ("spoof", "A01"): 10})
    for row in rows:
        row.speaker = "-"
    out = split_rows(rows, ratios=(0.5, 0.5), seed=0)
    assert Counter(r.split for r in out) == {"train": 10, "eval": 10}
    few = rows_of({("bonafide", "-"): 90, ("spoof", "A01"): 6}, speakers=3)
    for row in few:
        row.speaker = "big" if row.label == "bonafide" else f"small{int(row.utt_id[1:]) % 2}"
    assert set(r.split for r in split_rows(few, ratios=(0.9, 0.05, 0.05))) == {"train", "dev", "eval"}


def test_split_gives_train_and_eval_both_labels_when_few_groups_hold_one():
    rows = rows_of({("bonafide", "-"): 100, ("spoof", "A01"): 900}, speakers=1)
    for i, row in enumerate(rows):
        row.speaker = f"bona{i % 2}" if row.label == "bonafide" else f"spoof{i % 18}"
    out = split_rows(rows, ratios=(0.7, 0.15, 0.15), seed=0)
    labels = {split: {r.label for r in out if r.split == split} for split in ("train", "dev", "eval")}
    assert labels == {"train": {"bonafide", "spoof"}, "dev": {"spoof"}, "eval": {"bonafide", "spoof"}}
