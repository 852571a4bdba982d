"""The reader survives hostile input: >= 300 malformed files each give AudioError or valid audio.

Each file is loaded in a child process with a per-file timeout and an address-space limit, so a hang or a
memory blow-up fails the test instead of stalling or hurting the machine.
"""

from __future__ import annotations

import io
import json
import os
import select
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from .test_io import _encode_pyav

PER_FILE_TIMEOUT_S = 15.0
EXTENSIONS = [".wav", ".flac", ".ogg", ".opus", ".mp3", ".m4a", ".aac", ".webm", ".mp4", ".amr", ".wma", ".g722", ".gsm", ".aiff"]


def _valid_files(rng: np.random.Generator) -> dict[str, bytes]:
    """One small valid file per format family, encoded in memory."""
    t = np.arange(16000) / 16000
    tone = (0.3 * np.sin(2 * np.pi * 440 * t) + 0.01 * rng.standard_normal(t.size)).astype(np.float32)
    files: dict[str, bytes] = {}
    for name, fmt, subtype, rate in [("pcm16.wav", "WAV", "PCM_16", 16000), ("float.wav", "WAV", "FLOAT", 16000),
                                     ("a.flac", "FLAC", "PCM_16", 16000), ("a.ogg", "OGG", "VORBIS", 16000),
                                     ("a.opus", "OGG", "OPUS", 48000), ("a.mp3", "MP3", "MPEG_LAYER_III", 16000),
                                     ("gsm.wav", "WAV", "GSM610", 8000), ("a.aiff", "AIFF", "PCM_16", 16000)]:
        buffer = io.BytesIO()
        data = tone if rate == 16000 else np.interp(np.arange(rate) / rate, t, tone).astype(np.float32)
        sf.write(buffer, data, rate, format=fmt, subtype=subtype)
        files[name] = buffer.getvalue()
    import av

    for name, container, codec, rate, options in [("a.m4a", "ipod", "aac", 16000, {}), ("a.webm", "webm", "libopus", 48000, {}),
                                                  ("a.amr", "amr", "libopencore_amrnb", 8000, {"bit_rate": 12200}),
                                                  ("a.g722", "g722", "g722", 16000, {}), ("a.wma", "asf", "wmav2", 16000, {"bit_rate": 64000})]:
        if codec in av.codecs_available:
            data = np.interp(np.arange(rate) / rate, t, tone).astype(np.float32)
            files[name] = _encode_pyav(data, rate, container, codec, **options)
    return files


def _wav_header(*, channels: int, rate: int, bits: int, data_bytes: int, fmt_tag: int = 1) -> bytes:
    block = channels * bits // 8
    # Header fields wrap at their widths, as a hand-crafted hostile header would.
    fmt = struct.pack("<HHIIHH", fmt_tag, channels, rate, (rate * block) & 0xFFFFFFFF, block & 0xFFFF, bits)
    return b"RIFF" + struct.pack("<I", min(36 + data_bytes, 0xFFFFFFFF)) + b"WAVEfmt " + struct.pack("<I", 16) + fmt + b"data" + struct.pack("<I", data_bytes)


def _hostile_inputs(root: Path) -> list[Path]:
    rng = np.random.default_rng(2024)
    cases: dict[str, bytes] = {}
    for name, data in _valid_files(rng).items():
        stem, ext = name.rsplit(".", 1)
        for cut in (1, 4, 12, 44, 100, len(data) // 4, len(data) // 2, len(data) * 9 // 10, len(data) - 1):
            cases[f"trunc{cut}-{stem}.{ext}"] = data[:cut]
        for k in range(6):  # corrupted headers: random bytes overwritten in the first 64
            mutated = np.frombuffer(data, dtype=np.uint8).copy()
            mutated[rng.integers(0, min(64, len(data)), size=4)] = rng.integers(0, 256, size=4)
            cases[f"hdr{k}-{stem}.{ext}"] = mutated.tobytes()
        for k in range(2):  # corrupted bodies
            mutated = np.frombuffer(data, dtype=np.uint8).copy()
            mutated[rng.integers(len(data) // 4, len(data), size=32)] = rng.integers(0, 256, size=32)
            cases[f"body{k}-{stem}.{ext}"] = mutated.tobytes()
        cases[f"swapped-ext-{stem}.{'flac' if ext != 'flac' else 'mp3'}"] = data
    for ext in EXTENSIONS:
        cases[f"zero{ext}"] = b""
        for size in (7, 333, 4096, 65536):
            cases[f"random{size}{ext}"] = rng.integers(0, 256, size=size).astype(np.uint8).tobytes()
    magics = {"wav": b"RIFF\x24\x00\x00\x00WAVEfmt ", "flac": b"fLaC\x00\x00\x00\x22", "ogg": b"OggS\x00\x02",
              "mp3": b"ID3\x04\x00\x00\x00\x00\x00\x00", "amr": b"#!AMR\n", "m4a": b"\x00\x00\x00\x20ftypM4A ",
              "webm": b"\x1a\x45\xdf\xa3", "wma": bytes.fromhex("3026B2758E66CF11A6D900AA0062CE6C")}
    for ext, magic in magics.items():
        for k in range(4):
            cases[f"magic{k}.{ext}"] = magic + rng.integers(0, 256, size=int(rng.integers(1, 5000))).astype(np.uint8).tobytes()
    # Declared sizes that do not match the data: huge lengths, absurd rates and channel counts.
    pcm = (rng.standard_normal(1600) * 3000).astype("<i2").tobytes()
    cases["huge-length.wav"] = _wav_header(channels=1, rate=16000, bits=16, data_bytes=0xFFFFFFF0) + pcm
    cases["huge-length-8ch.wav"] = _wav_header(channels=8, rate=192000, bits=32, data_bytes=0xFFFFFFF0) + pcm
    cases["zero-rate.wav"] = _wav_header(channels=1, rate=0, bits=16, data_bytes=len(pcm)) + pcm
    cases["one-hz.wav"] = _wav_header(channels=1, rate=1, bits=16, data_bytes=len(pcm)) + pcm
    cases["zero-channels.wav"] = _wav_header(channels=0, rate=16000, bits=16, data_bytes=len(pcm)) + pcm
    cases["65535-channels.wav"] = _wav_header(channels=65535, rate=16000, bits=16, data_bytes=len(pcm)) + pcm
    cases["odd-bits.wav"] = _wav_header(channels=1, rate=16000, bits=13, data_bytes=len(pcm)) + pcm
    cases["unknown-tag.wav"] = _wav_header(channels=1, rate=16000, bits=16, data_bytes=len(pcm), fmt_tag=0x7777) + pcm
    flac = _valid_files(rng)["a.flac"]
    streaminfo = bytearray(flac)
    streaminfo[21:26] = b"\x0f\xff\xff\xff\xff"  # 36-bit total-samples field set to its maximum
    cases["huge-total.flac"] = bytes(streaminfo)
    # Degenerate but well-formed signals.
    for name, data, rate, subtype in [("nan.wav", np.full(100, np.nan, np.float32), 16000, "FLOAT"),
                                      ("inf.wav", np.array([0.1, np.inf, -np.inf], np.float32), 16000, "FLOAT"),
                                      ("one-sample.wav", np.array([0.5], np.float32), 16000, "FLOAT"),
                                      ("one-sample.flac", np.array([0.5], np.float32), 16000, "PCM_16"),
                                      ("eight-channel.wav", rng.standard_normal((8000, 8)).astype(np.float32) * 0.1, 16000, "PCM_16"),
                                      ("silent.flac", np.zeros(1600, np.float32), 16000, "PCM_16"),
                                      ("loud-float.wav", np.full(160, 1e30, np.float32), 16000, "FLOAT")]:
        buffer = io.BytesIO()
        sf.write(buffer, data, rate, format="WAV" if name.endswith("wav") else "FLAC", subtype=subtype)
        cases[name] = buffer.getvalue()
    root.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, data in sorted(cases.items()):
        path = root / name
        path.write_bytes(data)
        paths.append(path)
    return paths


@pytest.mark.slow
def test_reader_survives_hostile_input(tmp_path):
    paths = _hostile_inputs(tmp_path / "hostile")
    assert len(paths) >= 300
    worker = Path(__file__).with_name("hostile_worker.py")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    proc = subprocess.Popen([sys.executable, str(worker)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True, env=env)
    outcomes: dict[str, dict] = {}
    try:
        for path in paths:
            proc.stdin.write(f"{path}\n")
            proc.stdin.flush()
            ready, _, _ = select.select([proc.stdout], [], [], PER_FILE_TIMEOUT_S)
            if not ready:
                pytest.fail(f"{path.name}: no answer within {PER_FILE_TIMEOUT_S} s (hang)")
            line = proc.stdout.readline()
            if not line:
                pytest.fail(f"{path.name}: the reader process died (crash or memory limit), exit {proc.wait()}")
            outcomes[path.name] = json.loads(line)
    finally:
        proc.kill()
        proc.wait()
    others = {name: o["detail"] for name, o in outcomes.items() if o["status"] == "other"}
    assert not others, f"exceptions other than AudioError: {others}"
    errors = [o for o in outcomes.values() if o["status"] == "audio_error"]
    # Errors are one line that names the file.
    assert all("\n" not in o["detail"] and "/hostile/" in o["detail"] for o in errors)
    # Known-bad inputs must be refused, not decoded into garbage.
    for name in ("zero.wav", "nan.wav", "inf.wav", "silent.flac", "zero-rate.wav", "65535-channels.wav"):
        assert outcomes[name]["status"] == "audio_error", (name, outcomes[name])
    assert outcomes["eight-channel.wav"]["status"] == "ok"
