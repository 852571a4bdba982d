"""scripts/compare_models.py end to end on a fake corpus and a fake dev-real tree, with one tiny GMM cell."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
from pytest import approx
import soundfile as sf

from fakescope.audio.synthetic import tone, voice_like

ROOT = Path(__file__).resolve().parents[2]


def _write(path: Path, spoof: bool, rng: np.random.Generator) -> None:
    # Bona fide: a voice-like signal; spoof: a pure tone, so even a 2-component GMM separates them.
    audio = tone(frequency_hz=300.0 + 200.0 * rng.random(), seconds=1.0) if spoof else voice_like(seconds=1.0, rng=rng)
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(path, audio.samples[0], 16000)


def test_compare_models_writes_the_table(tmp_path):
    rng = np.random.default_rng(0)
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    with open(corpus / "manifest.csv", "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["utt_id", "path", "label", "speaker", "attack", "source", "split", "duration_s", "family"])
        for split in ("train", "dev", "eval"):
            for i in range(6):
                spoof = i % 2 == 1
                rel = f"flac/{split}/{i}.flac"
                _write(corpus / rel, spoof, rng)
                writer.writerow([f"{split}{i}", rel, "spoof" if spoof else "bonafide", f"spk{split}", "S01" if spoof else "-",
                                 "pkg", split, 1.0, "formant" if spoof else ""])
    dev_real = tmp_path / "dev-real"
    dev_real.mkdir()
    with open(dev_real / "labels.csv", "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["path", "label", "source", "family", "generator", "attack_type", "duration_s"])
        for source in ("speechresearch_msra", "vits_demo", "yourtts_demo"):
            for i in range(4):
                spoof = i % 2 == 1
                rel = f"audio/{source}/{i}.flac"
                _write(dev_real / rel, spoof, rng)
                writer.writerow([rel, "spoof" if spoof else "bonafide", source, "fam" if spoof else "bonafide",
                                 "gen" if spoof else "-", "tts" if spoof else "none", 1.0])
    grid = tmp_path / "grid.yaml"
    grid.write_text("reference: gmm-lfcc\ncommon: {data.crop_seconds: 1.0}\ncells:\n"
                    "  gmm-lfcc: {config: lfcc_gmm_4k.yaml, set: {model.n_components: 2, model.max_iter: 5}}\n"
                    "  gmm-mel: {config: lfcc_gmm_4k.yaml, frontend: mel, set: {model.n_components: 2, model.max_iter: 5}}\n")
    out = tmp_path / "out"
    done = subprocess.run([sys.executable, str(ROOT / "scripts" / "compare_models.py"), "--corpus", str(corpus),
                           "--dev-real", str(dev_real), "--out", str(out), "--grid", str(grid)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    cell = json.loads((out / "gmm-lfcc" / "cell.json").read_text())
    assert cell["model"] == "gmm" and cell["frontend"] == "lfcc"
    assert cell["eval_eer"] < 0.2 and cell["test_eer"] < 0.2  # tones vs voices: separable
    assert set(cell["eval_families"]) == {"formant"} and set(cell["test_families"]) == {"fam"}
    table = (out / "comparison.md").read_text()
    mel_gap = json.loads((out / "gmm-mel" / "cell.json").read_text())["eval_eer"] - cell["eval_eer"]
    assert "| gmm-lfcc |" in table and "speechresearch_msra EER % (95 % CI)" in table
    low, high = cell["test_eer_ci"]  # each held-out EER with its bootstrap interval, in the table too
    assert low <= cell["test_eer"] <= high and f"({100 * low:.1f}–{100 * high:.1f})" in table
    rows = list(csv.DictReader(open(out / "comparison.csv")))
    assert [r["cell"] for r in rows] == ["gmm-lfcc", "gmm-mel"]
    assert rows[0]["eval_diff_vs_gmm-lfcc"] == "" and float(rows[1]["eval_diff_vs_gmm-lfcc"]) == approx(mel_gap)
    fusion = table.split("Score-level fusion")[1]
    assert "| gmm-lfcc + gmm-mel |" in fusion  # the only pair, ranked with the two single cells
    # The other cell against the reference, paired on the same trials: its EER gap with an interval around it.
    paired = table.split("Each cell against gmm-lfcc")[1].split("Score-level fusion")[0]
    mel = json.loads((out / "gmm-mel" / "cell.json").read_text())
    row = next(line for line in paired.splitlines() if line.startswith("| gmm-mel |")).split(" | ")
    assert float(row[1]) == round(100 * (mel["eval_eer"] - cell["eval_eer"]), 1)
    assert " to " in row[2] and row[3].endswith("%") and "| gmm-lfcc |" not in paired
    # A cell finished before the intervals existed gets them from its stored scores when it is read back.
    stale = {k: v for k, v in mel.items() if not k.endswith("_eer_ci")}
    (out / "gmm-mel" / "cell.json").write_text(json.dumps(stale))
    # A second run resumes: the finished cell is read back, not trained again; its speed can be taken again.
    again = subprocess.run([sys.executable, str(ROOT / "scripts" / "compare_models.py"), "--corpus", str(corpus),
                            "--dev-real", str(dev_real), "--out", str(out), "--grid", str(grid), "--remeasure-speed"],
                           capture_output=True, text=True, timeout=300)
    assert again.returncode == 0 and "gmm fitted" not in again.stdout
    retimed = json.loads((out / "gmm-lfcc" / "cell.json").read_text())
    assert retimed["x_realtime_1core"] > 0 and retimed["dev_eer"] == cell["dev_eer"]
    restored = json.loads((out / "gmm-mel" / "cell.json").read_text())
    assert restored["eval_eer_ci"] == mel["eval_eer_ci"] and restored["test_eer_ci"] == mel["test_eer_ci"]
    # Running one cell keeps the whole grid's report: the other finished cell stays in the tables and fusions.
    one = subprocess.run([sys.executable, str(ROOT / "scripts" / "compare_models.py"), "--corpus", str(corpus),
                          "--dev-real", str(dev_real), "--out", str(out), "--grid", str(grid), "--cells", "gmm-mel"],
                         capture_output=True, text=True, timeout=300)
    assert one.returncode == 0, one.stderr[-2000:]
    assert [r["cell"] for r in csv.DictReader(open(out / "comparison.csv"))] == ["gmm-lfcc", "gmm-mel"]
    assert "| gmm-lfcc + gmm-mel |" in (out / "comparison.md").read_text()
    typo = subprocess.run([sys.executable, str(ROOT / "scripts" / "compare_models.py"), "--corpus", str(corpus),
                           "--dev-real", str(dev_real), "--out", str(out), "--grid", str(grid), "--cells", "gmm-mfcc"],
                          capture_output=True, text=True, timeout=300)
    assert typo.returncode != 0 and "no cell(s) gmm-mfcc" in typo.stderr
    wrong = tmp_path / "wrong.yaml"
    wrong.write_text(grid.read_text().replace("reference: gmm-lfcc", "reference: gmm-lcc"))
    bad = subprocess.run([sys.executable, str(ROOT / "scripts" / "compare_models.py"), "--corpus", str(corpus),
                          "--dev-real", str(dev_real), "--out", str(out), "--grid", str(wrong)],
                         capture_output=True, text=True, timeout=300)
    assert bad.returncode != 0 and "the reference 'gmm-lcc' is not one of its cells" in bad.stderr
