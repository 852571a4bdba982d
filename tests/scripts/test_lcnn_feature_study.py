"""scripts/lcnn_feature_study.py: the folds, the packed LFCC frames, and a checkpoint trained on them."""

from __future__ import annotations

import csv
import json
import lzma
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from fakescope.audio import Audio, load_audio, save_audio
from fakescope.features import build_frontend
from fakescope.training.checkpoint import load_pipeline

from ..training.helpers import make_corpus
from .helpers import load_script

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "lcnn_feature_study.py"


def _script():
    return load_script("lcnn_feature_study")


def _meta(group: str, source: str, utt_id: str, original: str = "") -> dict:
    return {"utt_id": utt_id, "group": group, "label": 1, "source": source, "original": original}


def test_folds_follow_the_default_recipe_and_take_only_their_own_laundered_copies():
    script = _script()
    meta = [
        _meta("corpus-train", "corpus:a", "t1"), _meta("corpus-dev", "corpus:a", "d1"),
        _meta("real", "vits_demo", "v1"), _meta("real", "hifigan_demo", "h1"), _meta("real", "yourtts_demo", "y1"),
        _meta("laundered", "corpus:a", "t1__launder-1", "t1"), _meta("laundered", "hifigan_demo", "h1__launder-1", "h1"),
    ]
    ids = lambda indices: sorted(meta[i]["utt_id"] for i in indices)  # noqa: E731
    train, dev, test = script.fold_indices(meta, "final")
    assert ids(train) == ["h1", "h1__launder-1", "t1", "t1__launder-1", "y1"]
    assert ids(dev) == ["d1", "v1"] and ids(test) == ["v1"]  # the validation source never trains
    train, dev, test = script.fold_indices(meta, "final-clean")
    assert ids(train) == ["h1", "t1", "y1"]
    train, dev, test = script.fold_indices(meta, "loso-hifigan_demo")
    assert ids(train) == ["t1", "t1__launder-1", "y1"]  # the held-out source's laundered copy stays out too
    assert ids(dev) == ["d1", "v1"] and ids(test) == ["h1"]


@pytest.mark.slow
def test_packed_frames_match_the_front_end_and_train_a_checkpoint_that_scores_audio(tmp_path):
    manifest = make_corpus(tmp_path / "corpus", per_class={"train": 6, "dev": 4, "eval": 2}, seconds=1.5)
    real = tmp_path / "real"
    real.mkdir()
    rng = np.random.default_rng(0)
    with open(real / "labels.csv", "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["path", "label", "source", "family", "generator", "attack_type", "duration_s"])
        for source in ("vits_demo", "hifigan_demo"):
            for k in range(4):
                label = "bonafide" if k % 2 else "spoof"
                save_audio(real / f"{source}{k}.flac", Audio((rng.standard_normal((1, 8000 * (k + 2))) * 0.05).astype(np.float32), 16000))
                writer.writerow([f"{source}{k}.flac", label, source, "fam" if label == "spoof" else "", "g", "tts", (k + 2) / 2])
        (real / "broken.flac").write_bytes(b"not audio at all")
        writer.writerow(["broken.flac", "spoof", "yourtts_demo", "fam", "g", "tts", 1.0])
    packed = tmp_path / "frames.npz"
    command = [sys.executable, str(SCRIPT)]
    done = subprocess.run(command + ["pack", "--corpus", str(manifest.parent), "--dev-real", str(real), "--out", str(packed),
                                     "--dev-fraction", "1"], capture_output=True, text=True)
    # An unreadable file is named on one line and left out; the others are packed (exit 1: some inputs failed).
    assert done.returncode == 1 and "broken.flac" in done.stderr and "Traceback" not in done.stderr
    data = np.load(packed)
    meta = json.loads(data["meta"].tobytes().decode())
    assert len(meta) == 12 + 8 + 8 and sum(m["group"] == "real" for m in meta) == 8  # train, dev, readable dev-real
    assert sorted({m["group"] for m in meta}) == ["corpus-dev", "corpus-train", "real"]  # eval is scored from audio
    codes = np.frombuffer(lzma.decompress(data["frames_xz"].tobytes()), dtype=np.int8).reshape(tuple(data["shape"]))
    frames = codes * data["scale"][:, None] + data["mid"][:, None]
    statics = build_frontend("lfcc", with_deltas=False)
    first = next(m for m in meta if m["group"] == "real")
    with torch.no_grad():
        expected = statics(torch.from_numpy(load_audio(real / "vits_demo0.flac").samples))[0, 0].numpy()
    got = frames[:, first["offset"]:first["offset"] + first["length"]]
    assert got.shape == expected.shape
    # int8 codes with a step of 1/10 of each coefficient's spread: at most half a step off.
    assert np.all(np.abs(got - expected) <= data["scale"][:, None] / 2 + 1e-4)

    runs = tmp_path / "runs"
    subprocess.run(command + ["train-one", "--data", str(packed), "--out", str(runs), "--run", "loso-hifigan_demo",
                              "--device", "cpu", "--seconds", "1", "--batch-size", "4", "--eval-every", "1"],
                   check=True, capture_output=True)
    summary = json.loads((runs / "loso-hifigan_demo" / "summary.json").read_text())
    assert list(summary["by_source"]) == ["hifigan_demo"] and summary["steps_run"] >= 1
    loaded = load_pipeline(runs / "loso-hifigan_demo" / "model.safetensors")
    assert loaded.config["frontend"]["name"] == "lfcc" and loaded.pipeline.frontend.num_bins == 60
    assert loaded.config["input"] == {"kind": "audio", "sample_rate": 16000, "crop_seconds": 4.0, "pad": "repeat"}
    assert loaded.calibration is not None and loaded.threshold is not None
    with torch.no_grad():
        logits = loaded.pipeline(torch.from_numpy(load_audio(real / "hifigan_demo1.flac").samples))
    assert logits.shape == (1, 2) and torch.isfinite(logits).all()
