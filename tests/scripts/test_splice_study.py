"""scripts/splice_study.py: long recordings with one fake spliced in, scanned; runs on any dev-real-style folder."""

from __future__ import annotations

import numpy as np
import pytest

from fakescope.audio import save_audio
from fakescope.audio.synthetic import voice_like

from .helpers import load_script


def _script():
    return load_script("splice_study")


def test_the_study_splices_one_fake_and_reports_both_scores(tmp_path, checkpoint, capsys):
    script = _script()
    lines = ["path,label,source,family,generator,attack_type,duration_s"]
    for i in range(4):
        save_audio(tmp_path / f"g{i}.flac", voice_like(seconds=2.0, rng=np.random.default_rng(i)))
        lines.append(f"g{i}.flac,bonafide,demo,-,-,none,2.0")
    save_audio(tmp_path / "f0.flac", voice_like(seconds=2.5, rng=np.random.default_rng(9), f0_hz=220.0))
    lines.append("f0.flac,spoof,demo,x,x,tts,2.5")
    (tmp_path / "labels.csv").write_text("\n".join(lines) + "\n")
    genuine, fakes = script.read_source(tmp_path, "demo", 2.0)
    assert len(genuine) == 4 and len(fakes) == 1
    samples, spans = script.joined(genuine[:2], np.random.default_rng(0))
    assert spans[1][0] == pytest.approx(2.0 + script.GAP_S, abs=0.01) and len(samples) == int((4.0 + 2 * script.GAP_S) * 16000)
    script.main(["--dev-real", str(tmp_path), "--source", "demo", "--checkpoint", str(checkpoint),
                 "--trials", "2", "--files", "3"])
    out = capsys.readouterr().out
    assert "untouched n=2" in out and "spliced   n=2" in out and "on the fake in" in out
    assert out.count("EER of the") == 2
    with pytest.raises(SystemExit, match="needs 2\\+ genuine files"):
        script.read_source(tmp_path, "other", 2.0)
