"""`fakescope launder`: files and manifest, resuming, workers, failures and settings checks."""

from __future__ import annotations

import csv
import json
import os
import shutil

import numpy as np
import pytest
import soundfile as sf

from fakescope.cli.app import main
from fakescope.datasets.manifest import read_manifest


def run(*args: str) -> int:
    """The console entry point in-process (a subprocess per call would cost seconds of imports)."""
    with pytest.raises(SystemExit) as exit_info:
        main(list(args))
    return int(exit_info.value.code or 0)


def audio_of(folder):
    return {p.relative_to(folder).as_posix(): sf.read(p, dtype="float32")[0]
            for p in sorted(folder.rglob("*.flac"))}


def test_launder_writes_flac_and_a_manifest_with_conditions(corpus, tmp_path, capsys):
    out = tmp_path / "out"
    code = run("launder", "--manifest", str(corpus), "--attack", "noise:white:snr=10", "--attack", "codec:gsm",
               "--out", str(out), "--seed", "3")
    assert code == 0, capsys.readouterr().err
    manifest = read_manifest(out / "manifest.csv")
    assert len(manifest) == 20
    assert {row.condition for row in manifest} == {"noise-white-snr10", "codec-gsm"}
    row = next(r for r in manifest if r.utt_id == "u0__codec-gsm")
    assert row.extra["original_utt_id"] == "u0" and row.extra["laundering"] == "codec:gsm"
    assert row.speaker == "spk0" and row.label == "bonafide" and row.duration_s == pytest.approx(0.4)
    data, rate = sf.read(manifest.resolve(row), dtype="float32")
    original, _ = sf.read(corpus.parent / "wav" / "u0.wav", dtype="float32")
    assert rate == 16000 and data.shape == original.shape
    assert sf.info(str(manifest.resolve(row))).format == "FLAC"
    settings = json.loads((out / "launder.json").read_text())
    assert settings["seed"] == 3 and set(settings["conditions"]) == {"noise-white-snr10", "codec-gsm"}
    assert "wrote 20 file(s)" in capsys.readouterr().out


def test_resume_skips_existing_outputs_and_remakes_missing_ones(corpus, tmp_path, capsys):
    out = tmp_path / "out"
    args = ("launder", "--manifest", str(corpus), "--attack", "random:telephone", "--out", str(out))
    assert run(*args) == 0
    first = audio_of(out)
    victim = out / "audio" / "random-telephone" / "u4.flac"
    kept = out / "audio" / "random-telephone" / "u5.flac"
    stamp = kept.stat().st_mtime_ns
    victim.unlink()
    capsys.readouterr()
    assert run(*args) == 0
    assert "wrote 1 file(s), kept 9 existing" in capsys.readouterr().out
    assert kept.stat().st_mtime_ns == stamp
    np.testing.assert_array_equal(audio_of(out)["audio/random-telephone/u4.flac"], first["audio/random-telephone/u4.flac"])
    # The manifest records the chain each file got, the same on both runs.
    chains = {r.utt_id: r.extra["laundering"] for r in read_manifest(out / "manifest.csv")}
    assert len(chains) == 10 and all("codec:" in chain for chain in chains.values())


def test_workers_do_not_change_the_result(corpus, tmp_path):
    spec = "noise:babble:snr=5 | reverb:0.3 | codec:mp3:bitrate=32"
    assert run("launder", "-m", str(corpus), "-a", spec, "-o", str(tmp_path / "one")) == 0
    assert run("launder", "-m", str(corpus), "-a", spec, "-o", str(tmp_path / "two"), "--workers", "2") == 0
    one, two = audio_of(tmp_path / "one"), audio_of(tmp_path / "two")
    assert one.keys() == two.keys() and len(one) == 10
    for key in one:
        np.testing.assert_array_equal(one[key], two[key])


def test_bad_files_are_listed_at_the_end(corpus, tmp_path, capsys):
    (tmp_path / "broken.wav").write_bytes(b"RIFF\x00\x00junk")
    rows = list(csv.DictReader(open(corpus, encoding="utf-8")))[:3]
    for row in rows:
        row["path"] = str(corpus.parent / row["path"])
    rows.append({**rows[0], "utt_id": "broken", "path": "broken.wav"})
    manifest = tmp_path / "manifest.csv"
    with open(manifest, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    code = run("launder", "-m", str(manifest), "-a", "gain:-3", "-o", str(tmp_path / "out"))
    err = capsys.readouterr().err
    assert code == 1
    assert "1 input(s) failed:" in err and "broken.wav [gain--3]" in err
    assert len(read_manifest(tmp_path / "out" / "manifest.csv")) == 3


def test_paper_grid_with_a_noise_folder(corpus, noise_dir, tmp_path):
    small = tmp_path / "small.csv"
    lines = open(corpus, encoding="utf-8").read().splitlines()[:3]
    small.write_text("\n".join(lines).replace("wav/", f"{corpus.parent}{os.sep}wav/") + "\n", encoding="utf-8")
    out = tmp_path / "paper"
    assert run("launder", "-m", str(small), "--grid", "paper", "--noise-dir", str(noise_dir), "-o", str(out),
               "--workers", "2") == 0
    manifest = read_manifest(out / "manifest.csv")
    assert len(manifest) == 60 and len({r.condition for r in manifest}) == 30
    assert len(list(out.rglob("*.flac"))) == 60


def test_missing_recordings_stop_the_run_unless_skipped(corpus, tmp_path, capsys):
    out = tmp_path / "out"
    assert run("launder", "-m", str(corpus), "-a", "noise:cafe:snr=5", "-a", "gain:-3", "-o", str(out)) == 2
    assert "--noise-dir" in capsys.readouterr().err
    assert run("launder", "-m", str(corpus), "-a", "noise:cafe:snr=5", "-a", "gain:-3", "-o", str(out),
               "--skip-unavailable") == 0
    assert "skipping condition noise-cafe-snr5" in capsys.readouterr().err
    assert {r.condition for r in read_manifest(out / "manifest.csv")} == {"gain--3"}


def test_usage_errors_are_one_line(corpus, tmp_path, capsys):
    assert run("launder", "-m", str(corpus), "-o", str(tmp_path / "x")) == 2
    assert capsys.readouterr().err.strip() == "fakescope: error: give --attack SPEC (repeatable) and/or --grid paper|full|FILE"
    assert run("launder", "-m", str(corpus), "-a", "echo:3", "-o", str(tmp_path / "x")) == 2
    assert "unknown attack 'echo'" in capsys.readouterr().err
    out = tmp_path / "seeded"
    assert run("launder", "-m", str(corpus), "-a", "gain:-3", "-o", str(out), "--seed", "1") == 0
    assert run("launder", "-m", str(corpus), "-a", "gain:-3", "-o", str(out), "--seed", "2") == 2
    assert "other settings (seed 1 vs 2)" in capsys.readouterr().err
    shutil.rmtree(out)


def test_list_shows_attacks_codecs_and_grids(capsys):
    assert run("list") == 0
    out = capsys.readouterr().out
    assert "attacks: bandpass, clean, clip, codec, eq, gain, highpass, lowpass, noise, packet_loss, random" in out
    assert "codecs: mp3, aac, opus, vorbis, gsm" in out and "grids: paper, full" in out
