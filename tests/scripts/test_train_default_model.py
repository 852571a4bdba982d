"""scripts/train_default_model.py: the laundered training copies (what the GMM trains on besides the clean files)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile as sf

from fakescope.audio.synthetic import voice_like
from fakescope.datasets.manifest import ManifestRow
from fakescope.launder.runner import ResourceConfig

from .helpers import load_script

ROOT = Path(__file__).resolve().parents[2]


def _script():
    return load_script("train_default_model")


def test_laundered_copies_are_new_files_with_unique_ids_keyed_by_their_original(tmp_path):
    script = _script()
    rows = []
    for i in range(3):
        path = tmp_path / "audio" / f"{i}.flac"
        path.parent.mkdir(exist_ok=True)
        sf.write(path, voice_like(seconds=0.5, rng=np.random.default_rng(i)).samples[0], 16000)
        rows.append(ManifestRow(utt_id=f"u{i}", path=str(path), label="bonafide" if i else "spoof", speaker="s",
                                attack="-" if i else "S01", source="src", split="train", duration_s=0.5))
    out = tmp_path / "laundered"
    copies = script.laundered_copies(rows, out, attack="noise:white:snr=10", copies=2, seed=1,
                                     resources=ResourceConfig(), workers=1)
    assert sorted(copies) == ["u0", "u1", "u2"]
    made = [row for group in copies.values() for row in group]
    assert sorted(row.utt_id for row in made) == sorted(f"u{i}__launder-{k}" for i in range(3) for k in (1, 2))
    for original, group in copies.items():
        source = next(r for r in rows if r.utt_id == original)
        for row in group:
            assert row.label == source.label and row.split == "train" and row.extra["original_utt_id"] == original
            laundered, rate = sf.read(row.path)
            clean, _ = sf.read(source.path)
            assert Path(row.path).is_absolute() and rate == 16000 and laundered.shape == clean.shape
            assert not np.allclose(laundered, clean, atol=1e-3)  # white noise at 10 dB SNR was added
    first, second = (sf.read(row.path)[0] for row in copies["u1"])
    assert not np.allclose(first, second)  # each copy draws its own noise
    again = script.laundered_copies(rows, out, attack="noise:white:snr=10", copies=2, seed=1,
                                    resources=ResourceConfig(), workers=1)  # resumes: nothing is redone
    assert [r.utt_id for g in again.values() for r in g] == [r.utt_id for r in made]


def test_heldout_families_pools_the_held_out_runs_by_family_and_attack_type(tmp_path):
    script = _script()
    real = []
    for i in range(40):
        spoof = i % 2 == 1
        family = ("A" if i % 4 == 1 else "B") if spoof else ""
        real.append(ManifestRow(utt_id=f"dr{i:05d}", path=f"{i}.flac", label="spoof" if spoof else "bonafide",
                                speaker="s", attack="gen" if spoof else "-", source="one" if i < 20 else "two",
                                split="-", duration_s=1.0, family=family,
                                extra={"attack_type": "tts" if family == "A" else ("vocoder" if spoof else "none")}))
    for run_name, part in (("loso-one", real[:20]), ("final", real[20:])):
        folder = tmp_path / run_name / "test"
        folder.mkdir(parents=True)
        with open(folder / "scores.csv", "w") as handle:
            handle.write("utt_id,score,label,attack,source\n")
            for row in part:  # family A spoofs score like bona fide (EER 50 %), family B far below (EER 0 %)
                score = 1.0 if row.label == "bonafide" or row.family == "A" else -1.0
                handle.write(f"{row.utt_id},{score},{row.label},{row.attack},{row.source}\n")
            handle.write("FS_E_1,0.5,bonafide,-,corpus\n")  # corpus rows of the final model's test set are left out
    text = script.heldout_families(tmp_path, real, ["loso-one", "final"])
    assert "40 files" in text
    assert "| B | 10 | 0.0 | 0.0–0.0 |" in text and "| A | 10 | 50.0 |" in text
    assert "| vocoder | 10 | 0.0 | 0.0–0.0 |" in text and "| tts | 10 | 50.0 |" in text
    assert "| generator family (≥ 10 spoofs) | spoofs | EER % | 95 % CI |" in text


def test_summaries_of_separate_invocations_are_merged(tmp_path):
    """`--what final` then `--what loso` into one OUT: the second must not drop the first's runs."""
    import json

    script = _script()
    path = tmp_path / "summary.json"
    path.write_text(json.dumps([{"run": "final", "test_eer": 0.2}, {"run": "loso-a", "test_eer": 0.5}]))
    merged = script.merged_summaries(path, [{"run": "loso-b", "test_eer": 0.3}, {"run": "loso-a", "test_eer": 0.4}])
    assert [(e["run"], e["test_eer"]) for e in merged] == [("final", 0.2), ("loso-a", 0.4), ("loso-b", 0.3)]
    assert script.merged_summaries(tmp_path / "none.json", [{"run": "final"}]) == [{"run": "final"}]


def test_a_finished_run_is_reused_and_a_changed_one_is_trained_again(tmp_path, monkeypatch):
    """A restarted recipe must not refit runs that finished on the same rows and config (closed-form fits restart)."""
    import json

    from fakescope.training.config import save_config
    from fakescope.training.loop import TrainResult

    script = _script()
    calls = {"train": 0, "evaluate": 0}

    def fake_train(config, *, out_dir, **_):
        calls["train"] += 1
        out = Path(out_dir)
        config.resolve_frontend_rate()  # as the training loop does before saving
        save_config(config, out / "config.yaml")
        (out / "model.safetensors").write_bytes(b"weights")
        result = TrainResult(out_dir=str(out), checkpoint=str(out / "model.safetensors"), best_epoch=1,
                             best_dev_eer=0.25, epochs_run=1, stopped_early=False, seconds=3.0)
        (out / "summary.json").write_text(json.dumps(result.__dict__))
        return result

    def fake_evaluate(checkpoint, *, out_dir, **_):
        calls["evaluate"] += 1
        Path(out_dir).mkdir(parents=True, exist_ok=True)
        (Path(out_dir) / "metrics.json").write_text(json.dumps({"eer": 0.125}))
        return {"eer": 0.125}, None

    monkeypatch.setattr(script, "train", fake_train)
    monkeypatch.setattr(script, "evaluate_checkpoint", fake_evaluate)
    rows = [ManifestRow(utt_id=f"u{i}", path=f"/data/{i}.flac", label="bonafide" if i % 2 else "spoof", speaker="s",
                        attack="-" if i % 2 else "S01", source="src", split="train", duration_s=1.0) for i in range(6)]
    config = ROOT / "configs" / "default_model.yaml"

    def go(train_rows, overrides=None):
        return script.run("final", tmp_path, config, train_rows, rows[4:], rows[2:4], overrides or {})

    first = go(rows[:2])
    assert calls == {"train": 1, "evaluate": 1} and first["test_eer"] == 0.125 and first["best_dev_eer"] == 0.25
    again = go(rows[:2])
    assert calls == {"train": 1, "evaluate": 1} and again == first
    assert not any(p.name.startswith(".manifest") for p in (tmp_path / "final").iterdir())
    go(rows[:3])  # other training rows: trained again
    assert calls == {"train": 2, "evaluate": 2}
    go(rows[:3], {"model.C": 2.0})  # another config: trained again
    assert calls == {"train": 3, "evaluate": 3}
    (tmp_path / "final" / "test" / "metrics.json").unlink()  # the fit finished, its evaluation did not
    go(rows[:3], {"model.C": 2.0})
    assert calls == {"train": 3, "evaluate": 4}


def test_a_left_out_system_leaves_training_only():
    script = _script()
    rows = [ManifestRow(utt_id=f"u{i}", path=f"{i}.flac", label=label, speaker="s", attack=attack, source="corpus:x",
                        split="train")
            for i, (label, attack) in enumerate([("bonafide", "-"), ("spoof", "S12"), ("spoof", "S01"), ("spoof", "S12")])]
    kept = script.without_systems(rows, ["S12"])
    assert [r.utt_id for r in kept] == ["u0", "u2"]
    assert script.without_systems(rows, []) == rows


def test_an_extra_corpus_build_joins_training_under_its_own_ids(tmp_path):
    script = _script()
    build = tmp_path / "corpus-7600"
    build.mkdir()
    (build / "manifest.csv").write_text(
        "utt_id,path,label,speaker,attack,source,split,duration_s\n"
        "FS_T_1,flac/train/1.flac,bonafide,a,-,pkg,train,1.0\n"
        "FS_D_1,flac/dev/1.flac,spoof,b,S01,pkg,dev,1.0\n")
    rows = script.extra_corpus_rows(build)
    assert [r.utt_id for r in rows] == ["corpus-7600:FS_T_1"]  # train only; ids apart from the main build's
    assert rows[0].source == "corpus:pkg" and rows[0].path == str((build / "flac/train/1.flac").resolve())
    assert [r.utt_id for r in script.extra_corpus_rows(build, "dev")] == ["corpus-7600:FS_D_1"]


def test_an_extra_builds_dev_split_joins_dev_only_when_asked(tmp_path, monkeypatch):
    """--extra-corpus-dev: threshold and calibration on every band the model trains on; eval stays the main build's."""
    script = _script()
    header = "utt_id,path,label,speaker,attack,source,split,duration_s\n"
    for name in ("corpus", "corpus-7600"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "manifest.csv").write_text(header + "".join(
            f"FS_{s[0].upper()}_{k},flac/{s}/{k}.flac,{label},a,{attack},pkg,{s},1.0\n"
            for s in ("train", "dev", "eval") for k, (label, attack) in enumerate([("bonafide", "-"), ("spoof", "S01")])))
    (tmp_path / "real").mkdir()
    (tmp_path / "real" / "labels.csv").write_text(
        "path,label,source,family,generator,attack_type,duration_s\n"
        "v0.flac,bonafide,vits_demo,-,-,none,1.0\nv1.flac,spoof,vits_demo,vits,vits,tts,1.0\n")
    seen = {}

    def fake_run(name, out, config_path, train_rows, dev_rows, test_rows, overrides):
        seen[name] = ([r.utt_id for r in train_rows], [r.utt_id for r in dev_rows], [r.utt_id for r in test_rows])
        return {"run": name, "checkpoint": "-", "best_dev_eer": 0.0, "epochs_run": 1, "seconds": 0.0,
                "test_eer": None, "test_n": len(test_rows)}

    monkeypatch.setattr(script, "run", fake_run)
    args = ["x", "--corpus", str(tmp_path / "corpus"), "--extra-corpus", str(tmp_path / "corpus-7600"),
            "--dev-real", str(tmp_path / "real"), "--out", str(tmp_path / "out"), "--what", "final"]
    for flag, extra_dev in (([], []), (["--extra-corpus-dev"], ["corpus-7600:FS_D_0", "corpus-7600:FS_D_1"])):
        monkeypatch.setattr("sys.argv", args + flag)
        assert script.main() == 0
        train, dev, test = seen["final"]
        assert train == ["FS_T_0", "FS_T_1", "corpus-7600:FS_T_0", "corpus-7600:FS_T_1"]
        assert dev == ["FS_D_0", "FS_D_1", *extra_dev, "dr00000", "dr00001"]
        assert test == ["FS_E_0", "FS_E_1", "dr00000", "dr00001"]


def test_an_extra_build_can_train_without_laundered_copies():
    script = _script()
    main = [ManifestRow(utt_id="FS_T_1", path="1.flac", label="bonafide", speaker="s", attack="-", source="corpus:x",
                        split="train")]
    extra = [ManifestRow(utt_id="c7600:FS_T_1", path="w1.flac", label="bonafide", speaker="s", attack="-",
                         source="corpus:x", split="train")]
    real = [ManifestRow(utt_id="dr0", path="r.flac", label="spoof", speaker="s", attack="a", source="y", split="-")]
    rows = main + extra + real
    assert script.rows_to_launder(rows, extra, extra_copies=True) == rows
    assert [r.utt_id for r in script.rows_to_launder(rows, extra, extra_copies=False)] == ["FS_T_1", "dr0"]


def test_repeated_rows_keep_their_content_under_new_ids():
    script = _script()
    rows = [ManifestRow(utt_id=f"dr{i}", path=f"{i}.flac", label="bonafide", speaker="s", attack="-", source="x",
                        split="-", extra={"attack_type": "none"}) for i in range(2)]
    assert script.repeated(rows, 1) == rows
    out = script.repeated(rows, 3)
    assert [r.utt_id for r in out] == ["dr0", "dr1", "dr0~r2", "dr1~r2", "dr0~r3", "dr1~r3"]
    assert [r.path for r in out] == ["0.flac", "1.flac"] * 3 and out[2].extra == rows[0].extra
    assert out[2].extra is not rows[0].extra  # a copy, not a shared dict


def _corpus_and_three_sources(tmp_path):
    """A corpus of two train and two dev rows, and a dev-real tree of 10 bona fide and 10 spoof files for each of
    a_demo, b_demo and the validation source."""
    (tmp_path / "corpus").mkdir()
    (tmp_path / "corpus" / "manifest.csv").write_text(
        "utt_id,path,label,speaker,attack,source,split,duration_s\n"
        "FS_T_0,flac/t0.flac,bonafide,a,-,pkg,train,1.0\nFS_T_1,flac/t1.flac,spoof,a,S01,pkg,train,1.0\n"
        "FS_D_0,flac/d0.flac,bonafide,a,-,pkg,dev,1.0\nFS_D_1,flac/d1.flac,spoof,a,S01,pkg,dev,1.0\n")
    (tmp_path / "real").mkdir()
    lines = ["path,label,source,family,generator,attack_type,duration_s"]
    for source in ("a_demo", "b_demo", "vits_demo"):
        lines += [f"{source}/b{k}.flac,bonafide,{source},-,-,none,1.0" for k in range(10)]
        lines += [f"{source}/s{k}.flac,spoof,{source},x,x,tts,1.0" for k in range(10)]
    (tmp_path / "real" / "labels.csv").write_text("\n".join(lines) + "\n")


def test_loso_source_runs_only_the_named_folds(tmp_path, monkeypatch):
    import pytest

    script = _script()
    _corpus_and_three_sources(tmp_path)
    seen = []

    def fake_run(name, out, config_path, train_rows, dev_rows, test_rows, overrides):
        seen.append((name, {r.source for r in train_rows}, {r.source for r in test_rows}))
        return {"run": name, "checkpoint": "-", "best_dev_eer": 0.0, "epochs_run": 1, "seconds": 0.0,
                "test_eer": None, "test_n": len(test_rows)}

    monkeypatch.setattr(script, "run", fake_run)
    args = ["x", "--corpus", str(tmp_path / "corpus"), "--dev-real", str(tmp_path / "real"),
            "--out", str(tmp_path / "out"), "--what", "loso"]
    monkeypatch.setattr("sys.argv", args + ["--loso-source", "b_demo"])
    assert script.main() == 0
    assert seen == [("loso-b_demo", {"corpus:pkg", "a_demo"}, {"b_demo"})]
    seen.clear()
    monkeypatch.setattr("sys.argv", args)
    assert script.main() == 0
    assert [name for name, _, _ in seen] == ["loso-a_demo", "loso-b_demo"]
    monkeypatch.setattr("sys.argv", args + ["--loso-source", "c_demo"])
    with pytest.raises(SystemExit, match="no fold for c_demo"):
        script.main()


def test_vocoded_copies_train_beside_their_originals_and_never_for_a_held_out_source(tmp_path, monkeypatch):
    script = _script()
    _corpus_and_three_sources(tmp_path)
    asked = []

    def fake_copies(rows, folder):
        asked.append(({r.source for r in rows}, folder))
        return {r.utt_id: script.copied(r, utt_id=f"{r.utt_id}~hifigan", label="spoof", attack="copy")
                for r in rows if r.is_bonafide}

    seen = {}

    def fake_run(name, out, config_path, train_rows, dev_rows, test_rows, overrides):
        seen[name] = (train_rows, test_rows)
        return {"run": name, "checkpoint": "-", "best_dev_eer": 0.0, "epochs_run": 1, "seconds": 0.0,
                "test_eer": None, "test_n": len(test_rows)}

    monkeypatch.setattr(script, "vocoded_copies", fake_copies)
    monkeypatch.setattr(script, "run", fake_run)
    args = ["x", "--corpus", str(tmp_path / "corpus"), "--dev-real", str(tmp_path / "real"),
            "--vocoded-copies", str(tmp_path / "copies"), "--dev-real-repeats", "2", "--vocoded-repeats", "3"]
    for what in ("final", "loso"):  # into separate folders: no held-out family report, which reads real scores
        monkeypatch.setattr("sys.argv", args + ["--what", what, "--out", str(tmp_path / what)])
        assert script.main() == 0
    assert asked == [({"a_demo", "b_demo"}, tmp_path / "copies")] * 2  # the validation source never trains
    for name, trained in (("final", {"a_demo", "b_demo"}), ("loso-a_demo", {"b_demo"}), ("loso-b_demo", {"a_demo"})):
        train_rows, test_rows = seen[name]
        copies = [r for r in train_rows if r.attack == "copy"]
        originals = [r for r in train_rows if r.source in trained]
        assert {r.source for r in copies} == trained and len(copies) == 3 * 10 * len(trained)  # their own weight
        assert len(originals) == len(copies) + 2 * 20 * len(trained)
        assert not any(r.attack == "copy" for r in test_rows)
