"""The shortcut audit on generated audio: planted cues are found, absent ones are not, --strict exits 1."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf
from typer.testing import CliRunner

from fakescope.audio.synthetic import voice_like
from fakescope.datasets.audit import analyse, auc_eer, audit_manifest, format_table, signal_cues
from fakescope.datasets.manifest import ManifestRow, read_manifest, write_manifest
from fakescope.errors import DatasetError


def test_signal_cues_measure_what_they_say(rng):
    rate = 16000
    speech = voice_like(seconds=1.0, sample_rate=rate, rng=rng).samples[0]
    x = np.concatenate([np.zeros(rate // 2), speech, np.zeros(rate // 4)])
    cues = signal_cues(x, rate)
    assert cues["duration_s"] == pytest.approx(1.75)
    assert cues["leading_silence_s"] == pytest.approx(0.5, abs=0.05)
    assert 0.22 <= cues["trailing_silence_s"] <= 0.45  # voice_like ends on a short pause of its own
    assert cues["zero_share"] == pytest.approx(0.75 / 1.75, abs=0.01)
    assert cues["noise_floor_db"] < -150
    low = signal_cues(np.convolve(speech, np.ones(8) / 8, mode="same"), rate)
    assert low["rolloff_hz"] < cues["rolloff_hz"] and low["bandwidth_hz"] < cues["bandwidth_hz"]


def test_auc_eer_direction_free():
    labels = np.array([1, 1, 1, 0, 0, 0])
    assert auc_eer(labels, np.array([3, 4, 5, 0, 1, 2])) == (1.0, 0.0, True)
    auc, eer, higher = auc_eer(labels, np.array([0, 1, 2, 3, 4, 5]))
    assert auc == 1.0 and eer == 0.0 and not higher
    assert auc_eer(labels, np.ones(6))[0] == 0.5


def _corpus(tmp_path, rng, *, planted: bool, count: int = 24):
    """Generated bona fide and spoof files; with `planted`, spoofs start with digital silence."""
    rows = []
    for index in range(2 * count):
        bonafide = index % 2 == 0
        speech = voice_like(seconds=float(rng.uniform(0.8, 1.4)), rng=rng, f0_hz=float(rng.uniform(90, 220))).samples[0]
        lead = np.zeros(int(16000 * rng.uniform(0.4, 0.8))) if planted and not bonafide else np.zeros(0)
        x = np.concatenate([lead, speech]) + (1e-3 * rng.standard_normal(len(lead) + len(speech)) if not planted else 0)
        name = f"u{index:03d}.flac"
        sf.write(tmp_path / name, x.astype(np.float32), 16000, subtype="PCM_16")
        rows.append(ManifestRow(utt_id=f"u{index:03d}", path=name, label="bonafide" if bonafide else "spoof",
                                extra={"source_sample_rate": "16000" if bonafide else "22050", "source_format": "wav"}))
    return write_manifest(tmp_path / "manifest.csv", rows)


def test_audit_finds_planted_silence(tmp_path, rng):
    report = audit_manifest(read_manifest(_corpus(tmp_path, rng, planted=True)))
    by_name = {r.name: r for r in report.results}
    assert by_name["leading_silence_s"].auc > 0.95 and not by_name["leading_silence_s"].bonafide_higher
    assert by_name["source_sample_rate"].auc == 1.0 and by_name["source_sample_rate"].group == "provenance"
    assert by_name["file_sample_rate"].auc == 0.5 and by_name["source_format"].auc == 0.5
    assert "leading_silence_s" in [r.name for r in report.beyond(0.65)]
    assert "source_sample_rate" not in [r.name for r in report.beyond(0.65)]
    assert "source_sample_rate" in [r.name for r in report.beyond(0.65, provenance=True)]
    assert report.combined is not None and report.combined.auc > 0.9
    assert "<-- shortcut" in format_table(report, threshold=0.65)


def test_audit_clean_corpus_has_no_strong_cue(tmp_path, rng):
    report = audit_manifest(read_manifest(_corpus(tmp_path, rng, planted=False, count=30)), workers=2)
    worst = max((r for r in report.results if r.group != "provenance"), key=lambda r: r.auc)
    assert worst.auc < 0.8, worst  # the classes differ in nothing but chance


def test_analyse_needs_both_classes():
    with pytest.raises(DatasetError):
        analyse([{"duration_s": 1.0}, {"duration_s": 2.0}], np.array([1, 1]))


def test_cli_strict_exit_codes(tmp_path, rng):
    from fakescope.cli import commands  # noqa: F401  (registers the commands)
    from fakescope.cli.app import app

    manifest = _corpus(tmp_path, rng, planted=True, count=12)
    runner = CliRunner()
    shown = runner.invoke(app, ["datasets", "audit", str(manifest)])
    assert shown.exit_code == 0 and "leading_silence_s" in shown.output
    strict = runner.invoke(app, ["datasets", "audit", str(manifest), "--strict"])
    assert strict.exit_code == 1
    lenient = runner.invoke(app, ["datasets", "audit", str(manifest), "--strict", "--threshold", "1.0"])
    assert lenient.exit_code == 0
    as_json = runner.invoke(app, ["datasets", "audit", str(manifest), "--json"])
    assert as_json.exit_code == 0 and '"flagged"' in as_json.output
    bad = runner.invoke(app, ["datasets", "audit", str(manifest), "--threshold", "0.2"])
    assert bad.exit_code == 2
