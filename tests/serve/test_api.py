"""The HTTP API with good and hostile inputs: sizes, types, truncation, bombs, bursts, and no files on disk."""

from __future__ import annotations

import base64
import io
import threading

import numpy as np
import pytest
import soundfile as sf
from fastapi.testclient import TestClient

from fakescope.audio.synthetic import voice_like
from fakescope.detection import Detector
from fakescope.serve import ServiceLimits, create_app


def flac_bytes(seconds: float = 2.0, seed: int = 0) -> bytes:
    buffer = io.BytesIO()
    sf.write(buffer, voice_like(seconds=seconds, rng=np.random.default_rng(seed)).samples[0], 16000, format="FLAC")
    return buffer.getvalue()


@pytest.fixture(scope="module")
def client(checkpoint):
    limits = ServiceLimits(max_upload_bytes=2 << 20, max_duration_s=30.0, timeout_s=60.0, max_concurrent=1, max_queue=2)
    with TestClient(create_app(lambda: Detector.from_checkpoint(checkpoint), limits)) as test_client:
        yield test_client


def test_health_model_and_docs(client):
    assert client.get("/v1/health").json()["status"] == "ok"
    model = client.get("/v1/model").json()
    assert model["frontend"]["name"] == "lfcc" and model["thresholds"] == {"real_below": 0.3, "fake_above": 0.7}
    assert "/v1/scan" in client.get("/openapi.json").json()["paths"]
    page = client.get("/")
    assert page.status_code == 200 and "Drag and drop" in page.text
    assert "http" not in page.text.split("<main>")[0].replace("http-equiv", "")  # no external CDN in the head
    assert client.get("/static/app.js").status_code == 200
    assert client.get("/static/../app.py").status_code == 404


def test_multipart_and_raw_uploads_agree(client):
    data = flac_bytes()
    multipart = client.post("/v1/scan", files={"file": ("../../etc/passwd.flac", data, "audio/flac")})
    raw = client.post("/v1/scan?filename=clip.flac", content=data, headers={"content-type": "audio/flac"})
    assert multipart.status_code == raw.status_code == 200
    first, second = multipart.json(), raw.json()
    assert first["p_fake"] == pytest.approx(second["p_fake"])
    assert first["source"] == "passwd.flac"  # a display name only: directories are stripped
    assert first["verdict"] in ("real", "fake", "uncertain") and len(first["windows"]) == 1


def test_explanation_is_a_png(client):
    response = client.post("/v1/scan?explain=true", files={"file": ("a.flac", flac_bytes(4.0), "audio/flac")})
    assert response.status_code == 200
    assert base64.b64decode(response.json()["explanation_png"])[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("body,status,message", [
    (b"", 400, "empty request"),
    (b"this is plain text, not audio" * 10, 422, "not a readable audio file"),
    (b"\x00" * (3 << 20), 413, "exceeds the limit"),
])
def test_hostile_bodies(client, body, status, message):
    response = client.post("/v1/scan", content=body, headers={"content-type": "application/octet-stream"})
    assert response.status_code == status and message in response.json()["error"]


def test_truncated_wrong_type_and_bomb(client):
    truncated = flac_bytes()[:200]
    response = client.post("/v1/scan", files={"file": ("cut.flac", truncated, "audio/flac")})
    assert response.status_code in (200, 422)
    wrong = client.post("/v1/scan", files={"file": ("photo.jpg", b"\xff\xd8\xff\xe0" + b"\x00" * 500, "image/jpeg")})
    assert wrong.status_code == 422 and "photo.jpg" in wrong.json()["error"]
    buffer = io.BytesIO()  # 10 minutes of near-silence compresses to a few kB: a decompression bomb
    quiet = np.zeros(16000 * 600, dtype=np.float32)
    quiet[::997] = 1e-3
    sf.write(buffer, quiet, 16000, format="FLAC")
    assert len(buffer.getvalue()) < 2 << 20
    bomb = client.post("/v1/scan", files={"file": ("bomb.flac", buffer.getvalue(), "audio/flac")})
    assert bomb.status_code == 422 and "longer than the limit" in bomb.json()["error"]
    missing = client.post("/v1/scan", files={"other": ("a.flac", b"x", "audio/flac")})
    assert missing.status_code == 400 and "no field named 'file'" in missing.json()["error"]


def test_concurrent_burst_gets_503_not_500(client):
    data = flac_bytes(8.0, seed=3)
    statuses: list[int] = []

    def post() -> None:
        statuses.append(client.post("/v1/scan", files={"file": ("b.flac", data, "audio/flac")}).status_code)

    threads = [threading.Thread(target=post) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert len(statuses) == 12
    assert set(statuses) <= {200, 503} and 200 in statuses and 503 in statuses
    assert client.get("/v1/health").json()["waiting"] == 0


def test_no_upload_touches_the_disk(client, tmp_path, monkeypatch):
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    response = client.post("/v1/scan", files={"file": ("a.flac", flac_bytes(), "audio/flac")})
    assert response.status_code == 200
    assert list(tmp_path.iterdir()) == []
