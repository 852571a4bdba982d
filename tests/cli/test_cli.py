"""The CLI edge: one-line errors with exit code 2, batch failures listed with exit code 1, figures written."""

from __future__ import annotations

import subprocess
import sys

import pytest
from PIL import Image


def run_cli(*args: str) -> subprocess.CompletedProcess:
    """Run the real console entry point in a subprocess, as a user would."""
    code = "import sys; from fakescope.cli import main; main(sys.argv[1:])"
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=300)


def test_list_shows_registries():
    result = run_cli("list")
    assert result.returncode == 0
    assert "front-ends: cqt, excitation, harmonic, lfcc, mel, phase, stack, stft" in result.stdout
    assert "erosion" in result.stdout


def test_bad_file_gives_one_line_and_exit_2(tmp_path):
    bad = tmp_path / "voice.m4a"
    bad.write_bytes(b"\x00" * 100)
    result = run_cli("analyze", str(bad), "--out", str(tmp_path / "x.png"))
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("fakescope: error: ") and "voice.m4a" in lines[0]
    assert "Traceback" not in result.stderr


def test_missing_file_gives_one_line_and_exit_2(tmp_path):
    result = run_cli("analyze", str(tmp_path / "nothing.wav"))
    assert result.returncode == 2
    assert result.stderr.strip() == f"fakescope: error: {tmp_path / 'nothing.wav'}: no such file"


@pytest.mark.slow
def test_analyze_writes_a_readable_figure(tmp_path, write_wav):
    clip, ref = write_wav("clip.wav", seconds=1.0), write_wav("ref.flac", seconds=1.2)
    out = tmp_path / "fig.png"
    result = run_cli("analyze", str(clip), "--reference", str(ref), "--out", str(out))
    assert result.returncode == 0, result.stderr
    width, height = Image.open(out).size
    assert width >= 1200 and height >= 1500  # five rows of panels at a legible size


def test_spectrogram_batch_lists_bad_files_and_exits_1(tmp_path, write_wav):
    write_wav("in/real/a.wav")
    write_wav("in/fake/b.wav")
    (tmp_path / "in" / "fake" / "c.wav").write_bytes(b"garbage" * 20)
    result = run_cli("spectrogram", str(tmp_path / "in"), "--out", str(tmp_path / "out"), "--workers", "1")
    assert result.returncode == 1
    assert "2 written" in result.stdout
    assert "1 input(s) failed" in result.stderr and "c.wav" in result.stderr
    assert sorted(p.name for p in (tmp_path / "out").rglob("*.png")) == ["a.png", "b.png"]


def test_spectrogram_bad_option_is_one_line(tmp_path, write_wav):
    write_wav("a.wav")
    result = run_cli("spectrogram", str(tmp_path / "a.wav"), "--out", str(tmp_path / "o"), "--size", "big")
    assert result.returncode == 2 and "--size must look like 128x128" in result.stderr
