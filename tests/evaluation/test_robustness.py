"""`fakescope robustness`: on-the-fly laundering, per-condition metrics, report files, resuming, --limit, failures."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from PIL import Image

from fakescope.audio.synthetic import voice_like
from fakescope.cli.app import main
from fakescope.datasets.manifest import ManifestRow, read_manifest, write_manifest
from fakescope.evaluation.robustness import conditions_with_clean, laundered_crop, stratified_subset
from fakescope.evaluation.robustness_report import family_severity
from fakescope.launder import load_grid
from fakescope.launder.runner import ResourceConfig, launder_manifest
from fakescope.training.dataset import manifest_items

RATE = 16000
GRID = "name: tiny\nconditions:\n  babble-10db: \"noise:babble:snr=10\"\n  lowpass-4khz: \"lowpass:4000\"\n"


def run(*args: str) -> int:
    """The console entry point in-process (a subprocess per call would cost seconds of imports)."""
    with pytest.raises(SystemExit) as exit_info:
        main(list(args))
    return int(exit_info.value.code or 0)


def _corpus(folder: Path, *, prefix: str, attacks: tuple[str, ...], bonafide: int = 8, spoof: int = 8) -> Path:
    """Short seeded voices: `bonafide` real talkers (one speaker each) and `spoof` fakes cycling over `attacks`."""
    (folder / "wav").mkdir(parents=True)
    rows = []
    for index in range(bonafide + spoof):
        is_bona = index < bonafide
        audio = voice_like(seconds=0.5, rng=np.random.default_rng(300 + index), f0_hz=90 + 10 * index)
        samples = audio.samples[0] if is_bona else np.round(audio.samples[0] * 64) / 64  # crude "vocoder" artefact
        name = f"{prefix}{index:04d}"
        sf.write(folder / "wav" / f"{name}.wav", samples, RATE)
        rows.append(ManifestRow(name, f"wav/{name}.wav", "bonafide" if is_bona else "spoof", speaker=f"spk{index}",
                                attack="-" if is_bona else attacks[index % len(attacks)], source="test", split="eval",
                                duration_s=0.5))
    return write_manifest(folder / "manifest.csv", rows)


@pytest.fixture(scope="module")
def la_corpus(tmp_path_factory) -> Path:
    """Trials named like ASVspoof 2019 LA eval (LA_E_*, attacks A07-A09), so min t-DCF applies."""
    return _corpus(tmp_path_factory.mktemp("la"), prefix="LA_E_", attacks=("A07", "A08", "A09"))


@pytest.fixture
def grid_file(tmp_path) -> Path:
    path = tmp_path / "tiny.yaml"
    path.write_text(GRID, encoding="utf-8")
    return path


def _table(path: Path) -> dict[str, dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as handle:
        return {row["condition"]: row for row in csv.DictReader(handle)}


def test_report_per_condition_then_resume(checkpoint, la_corpus, grid_file, tmp_path, capsys):
    out = tmp_path / "report"
    args = ["robustness", "--checkpoint", str(checkpoint), "--manifest", str(la_corpus), "--grid", str(grid_file),
            "--out", str(out), "--workers", "2", "--seed", "5"]
    assert run(*args) == 0, capsys.readouterr().err
    assert "3 condition(s) (3 run, 0 kept from before): clean EER" in capsys.readouterr().out
    table = _table(out / "robustness.csv")
    assert list(table) == ["clean", "babble-10db", "lowpass-4khz"]  # clean added first, then grid order
    clean, babble = table["clean"], table["babble-10db"]
    assert float(clean["eer_minus_clean"]) == 0.0 and clean["attack"] == "clean"
    assert babble["family"] == "babble" and babble["severity"] == "10db" and babble["attack"] == "noise:babble:snr=10"
    for row in table.values():
        assert row["n"] == "16" and row["bonafide"] == "8" and row["spoof"] == "8" and row["failed"] == "0"
        assert 0 <= float(row["eer"]) <= 1 and 0 <= float(row["accuracy"]) <= 1 and float(row["seconds"]) > 0
        assert row["min_tdcf"] != "" and float(row["threshold"]) == 0.0  # LA-like trials; the stored threshold
        assert float(row["eer_minus_clean"]) == pytest.approx(float(row["eer"]) - float(clean["eer"]), abs=1e-6)
        assert float(row["eer_ci_low"]) <= float(row["eer"]) <= float(row["eer_ci_high"])  # each condition's interval
    markdown = (out / "robustness.md").read_text()
    assert ("| condition | attack | EER % | 95 % CI | EER − clean (points) | min t-DCF | minDCF | accuracy % | n | seconds |"
            in markdown)
    assert "dev EER threshold stored in the checkpoint" in markdown and "Target EER ≤ 2 × clean" in markdown
    with Image.open(out / "robustness.png") as image:
        assert image.size[0] >= 300 and image.size[1] >= 150
    assert sorted(p.name for p in (out / "scores").iterdir()) == ["babble-10db.csv", "clean.csv", "lowpass-4khz.csv"]
    assert not list(out.rglob("*.wav")) and not list(out.rglob("*.flac")) and not list(out.rglob(".*.tmp"))
    state = json.loads((out / "robustness.json").read_text())
    first = {name: record["eer"] for name, record in state["conditions"].items()}

    assert run(*args) == 0  # everything finished: nothing reruns, the numbers stay
    assert "(0 run, 3 kept from before)" in capsys.readouterr().out
    del state["conditions"]["lowpass-4khz"]  # as if interrupted before the last condition finished
    (out / "robustness.json").write_text(json.dumps(state))
    assert run(*args[:-4], "--workers", "0", "--seed", "5") == 0  # workers do not change the numbers
    assert "(1 run, 2 kept from before)" in capsys.readouterr().out
    again = json.loads((out / "robustness.json").read_text())["conditions"]
    assert {name: record["eer"] for name, record in again.items()} == first

    assert run(*args[:-2], "--seed", "6") == 2  # other laundering draws: refuse to mix them into this report
    assert "other settings (seed differ)" in capsys.readouterr().err


def test_on_the_fly_matches_launder_files(la_corpus, tmp_path):
    """Same per-item generator and resources as `fakescope launder`: equal up to its 16-bit FLAC rounding."""
    grid = load_grid("paper")
    conditions = [grid.get("babble-0db"), grid.get("reverb-0.6s")]
    resources = ResourceConfig(babble_manifest=str(la_corpus))
    result = launder_manifest(la_corpus, conditions, tmp_path / "laundered", seed=3, resources=resources,
                              progress_bar=False)
    assert not result.failures
    items = manifest_items(read_manifest(la_corpus), ["eval"])[6:10]
    for condition in conditions:
        for item in items:
            crop = laundered_crop(item, attack=condition.attack, condition=condition.name, seed=3, sample_rate=RATE,
                                  seconds=0.5, resources=resources)
            stored, _ = sf.read(tmp_path / "laundered" / "audio" / condition.name / f"{item.utt_id}.flac", dtype="float32")
            assert crop.shape == stored.shape and np.max(np.abs(crop - stored)) < 2e-4


def test_limit_bad_files_and_no_tdcf_outside_asvspoof(checkpoint, tmp_path, grid_file, capsys):
    manifest = _corpus(tmp_path / "wild", prefix="clip", attacks=("tts-a", "tts-b"), bonafide=10, spoof=6)
    (tmp_path / "wild" / "wav" / "clip0003.wav").write_bytes(b"not audio at all")
    out = tmp_path / "report"
    code = run("robustness", "--checkpoint", str(checkpoint), "--manifest", str(manifest), "--grid", str(grid_file),
               "--out", str(out), "--workers", "0", "--limit", "16")
    err = capsys.readouterr().err
    assert code == 1 and "clip0003.wav [every condition]: not a readable audio file" in err
    table = _table(out / "robustness.csv")
    assert all(row["n"] == "15" and row["failed"] == "1" for name, row in table.items() if name != "babble-10db")
    # babble is summed from the manifest's bona fide talkers: items that drew the broken one are listed too
    assert "[babble-10db]: laundering failed: " in err and "clip0003.wav: not a readable audio file" in err
    assert all(row["min_tdcf"] == "" for row in table.values())
    markdown = (out / "robustness.md").read_text()
    assert "min t-DCF |" not in markdown and "not ASVspoof 2019 LA trials" in markdown
    assert "clip0003.wav [clean]" in markdown

    small = tmp_path / "small"
    assert run("robustness", "--checkpoint", str(checkpoint), "--manifest", str(manifest), "--grid", str(grid_file),
               "--out", str(small), "--workers", "0", "--limit", "6", "--seed", "1") in (0, 1)
    row = _table(small / "robustness.csv")["clean"]
    assert int(row["bonafide"]) + int(row["failed"]) == 3 and row["spoof"] == "3"


def test_paper_grid_expands_to_30_conditions_and_checks_recordings_first(checkpoint, la_corpus, tmp_path, capsys):
    conditions = conditions_with_clean(load_grid("paper"))
    names = [c.name for c in conditions]
    assert len(names) == 30 - len(load_grid("paper").skipped) and names[0] == "clean"
    assert {"babble-0db", "cafe-20db", "reverb-0.9s", "resample-44.1k", "lowpass-7khz"} <= set(names)
    examples = ("volvo-10db", "mp3-320k", "resample-11.025k", "clean", "g722", "codec-mp3-bitrate32", "amr-nb-4.75k")
    assert [family_severity(n) for n in examples] == [
        ("volvo", "10db"), ("mp3", "320k"), ("resample", "11.025k"), ("clean", ""), ("g722", ""),
        ("codec-mp3", "bitrate32"), ("amr-nb", "4.75k")]
    out = tmp_path / "paper"
    # volvo, street and cafe have no synthetic form: without --noise-dir the run stops before scoring anything.
    assert run("robustness", "--checkpoint", str(checkpoint), "--manifest", str(la_corpus), "--grid", "paper",
               "--out", str(out), "--workers", "0") == 2
    assert "9 condition(s) cannot run" in capsys.readouterr().err and not out.exists()


def test_stratified_subset_is_balanced_spread_and_seeded(la_corpus):
    items = manifest_items(read_manifest(la_corpus), ["eval"])
    subset = stratified_subset(items, 6, seed=0)
    assert [i.label for i in subset].count(1) == 3 and len(subset) == 6
    assert {i.row.attack for i in subset if i.label == 0} == {"A07", "A08", "A09"}  # one per attack
    assert subset == [i for i in items if i in subset]  # input order kept
    assert stratified_subset(items, 6, seed=0) == subset and stratified_subset(items, 99, seed=0) == items
    lopsided = stratified_subset([i for i in items if i.label == 1] + items[-2:], 7, seed=2)
    assert [i.label for i in lopsided].count(0) == 2  # the small class gives all it has; the other fills the rest
    with pytest.raises(ValueError, match="limit must be >= 2"):
        stratified_subset(items, 1, seed=0)


def test_summary_names_the_misses_within_their_interval():
    from fakescope.evaluation.robustness_report import _summary_lines

    def row(name, eer, ci):
        return {"condition": name, "record": {"eer": eer, "eer_ci": ci, "seconds": 1.0, "failures": []}, "delta": eer - 0.1}

    # Bound: 2 × 10 % + 5 = 25 %. "far" misses it beyond doubt, "near" within its interval, "old" has none.
    rows = [row("clean", 0.1, [0.08, 0.12]), row("far", 0.4, [0.35, 0.45]), row("near", 0.27, [0.22, 0.31]),
            row("old", 0.3, None)]
    lines = _summary_lines(rows, 0.1, {"conditions": {r["condition"]: r for r in rows}}, [r["condition"] for r in rows])
    assert "missed by far, near, old." in lines[1]
    assert lines[2] == "Within their 95 % interval of the bound: near."
