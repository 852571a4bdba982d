"""`fakescope scan`: formats, folders, stdin, bad files listed with exit 1, figure folders."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys

import pytest

from fakescope.audio import save_audio
from fakescope.audio.synthetic import voice_like


def run_scan(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    code = "import sys; from fakescope.cli import main; main(sys.argv[1:])"
    return subprocess.run([sys.executable, "-c", code, "scan", *args], input=stdin, capture_output=True, timeout=300)


@pytest.fixture
def folder(tmp_path, rng):
    for i, seconds in enumerate((1.5, 5.0)):
        save_audio(tmp_path / "in" / f"clip{i}.wav", voice_like(seconds=seconds, rng=rng))
    (tmp_path / "in" / "broken.flac").write_bytes(b"fLaC" + b"\x00" * 30)
    return tmp_path / "in"


def test_json_output_and_failures(checkpoint, folder):
    result = run_scan(str(folder), "--checkpoint", str(checkpoint), "--format", "json")
    assert result.returncode == 1  # one bad file
    payload = json.loads(result.stdout)
    assert payload["schema"] == "fakescope.scan/1"
    assert sorted(r["source"].rsplit("/", 1)[-1] for r in payload["results"]) == ["clip0.wav", "clip1.wav"]
    assert [f["source"].rsplit("/", 1)[-1] for f in payload["failures"]] == ["broken.flac"]
    assert b"1 input(s) failed" in result.stderr and b"Traceback" not in result.stderr
    long = next(r for r in payload["results"] if r["source"].endswith("clip1.wav"))
    assert len(long["windows"]) == 2 and long["verdict"] in ("real", "fake", "uncertain")


def test_csv_to_file_and_table(checkpoint, folder, tmp_path):
    out = tmp_path / "res.csv"
    good = folder / "clip0.wav"
    result = run_scan(str(good), "--checkpoint", str(checkpoint), "--format", "csv", "--out", str(out))
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(open(out)))
    assert len(rows) == 1 and rows[0]["source"].endswith("clip0.wav") and 0 <= float(rows[0]["p_fake"]) <= 1
    table = run_scan(str(good), "--checkpoint", str(checkpoint))
    assert table.returncode == 0 and b"clip0.wav" in table.stdout


def test_the_table_names_the_most_suspect_window_of_a_longer_file(checkpoint, folder):
    """The verdict averages the windows; the table also shows the window most likely fake, where there are several."""
    from fakescope.cli.scan import _peak
    from fakescope.detection.verdict import Verdict, WindowScore

    long = folder / "clip1.wav"  # 5 s: two 4-s windows with the test checkpoint
    payload = json.loads(run_scan(str(long), "--checkpoint", str(checkpoint), "--format", "json").stdout)
    windows = payload["results"][0]["windows"]
    peak = max(windows, key=lambda w: w["p_fake"])
    table = run_scan(str(long), "--checkpoint", str(checkpoint)).stdout.decode()
    assert f"0:{round(peak['start_s']):02d}-0:{round(peak['end_s']):02d}" in table and "most suspect" in table
    windows = [WindowScore(0.0, 8.0, 1.0, 0.2), WindowScore(64.0, 72.0, -2.0, 0.91), WindowScore(68.0, 75.5, 0.5, 0.4)]
    verdict = Verdict("a.wav", "real", 0.25, 0.5, 75.5, 16000, windows=windows)
    assert _peak(verdict) == "0.91 at 1:04-1:12"
    assert _peak(Verdict("b.wav", "real", 0.25, 0.5, 3.0, 16000, windows=windows[:1])) == ""  # one window: the verdict


def test_stdin(checkpoint, rng):
    buffer = io.BytesIO()
    import soundfile as sf

    sf.write(buffer, voice_like(seconds=2.0, rng=rng).samples[0], 16000, format="FLAC")
    result = run_scan("-", "--checkpoint", str(checkpoint), "--format", "json", stdin=buffer.getvalue())
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["results"][0]["source"] == "<stdin>"


def test_bad_checkpoint_is_one_line(tmp_path, folder):
    result = run_scan(str(folder), "--checkpoint", str(tmp_path / "nope.safetensors"))
    assert result.returncode == 2
    assert result.stderr.decode().strip().splitlines() == [f"fakescope: error: {tmp_path / 'nope.safetensors'}: checkpoint not found"]


@pytest.mark.slow
def test_timeline_and_explain_folders(checkpoint, folder, tmp_path):
    result = run_scan(str(folder / "clip1.wav"), "--checkpoint", str(checkpoint), "--timeline-png", str(tmp_path / "t"),
                      "--explain", str(tmp_path / "e"), "--format", "json")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "t" / "clip1.png").is_file() and (tmp_path / "e" / "clip1.png").is_file()


@pytest.mark.slow
def test_export_command_then_scan_with_onnx(checkpoint, folder, tmp_path):
    code = "import sys; from fakescope.cli import main; main(sys.argv[1:])"
    onnx_path = tmp_path / "m.onnx"
    exported = subprocess.run([sys.executable, "-c", code, "export", "--checkpoint", str(checkpoint), "--out", str(onnx_path)],
                              capture_output=True, timeout=300)
    assert exported.returncode == 0, exported.stderr
    torch_result = json.loads(run_scan(str(folder / "clip1.wav"), "--checkpoint", str(checkpoint), "--format", "json").stdout)
    onnx_result = json.loads(run_scan(str(folder / "clip1.wav"), "--checkpoint", str(onnx_path), "--format", "json").stdout)
    assert abs(torch_result["results"][0]["p_fake"] - onnx_result["results"][0]["p_fake"]) < 1e-4


def test_scan_keeps_the_models_own_windows_unless_told(tmp_path, rng):
    """The shipped model was trained on 8-s inputs, short ones at their own length: scan uses that by default."""
    from fakescope.cli.scan import DetectorFactory
    from fakescope.detection import DEFAULT_CHECKPOINT

    plan = DetectorFactory(None)().plan
    assert (plan.window_s, plan.hop_s, plan.pad) == (8.0, 4.0, "none")
    plan = DetectorFactory(None, window_s=6.0)().plan
    assert (plan.window_s, plan.hop_s, plan.pad) == (6.0, 3.0, "none")
    assert DetectorFactory(None, hop_s=2.0)().plan.window_s == 8.0
    save_audio(tmp_path / "ten.wav", voice_like(seconds=10.0, rng=rng))
    result = run_scan(str(tmp_path / "ten.wav"), "--checkpoint", str(DEFAULT_CHECKPOINT), "--format", "json")
    assert result.returncode == 0, result.stderr
    windows = json.loads(result.stdout)["results"][0]["windows"]
    assert [(w["start_s"], w["end_s"]) for w in windows] == [(0.0, 8.0), (2.0, 10.0)]
    bad = run_scan(str(tmp_path / "ten.wav"), "--window", "2", "--hop", "3")
    assert bad.returncode == 2 and b"hop_s" in bad.stderr and b"Traceback" not in bad.stderr
