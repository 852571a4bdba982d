"""The HTTP service: POST /v1/scan, GET /v1/health, GET /v1/model, OpenAPI docs, and the web page at /.

Every analysis goes through the same Detector as the CLI. Uploads stay in memory (never on disk), the
client's file name is only a display name and a format hint, and a Gate bounds concurrent analyses.
"""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from fastapi import FastAPI, Query, Request
from fastapi.responses import FileResponse, JSONResponse

from .. import __version__
from ..audio import Limits
from ..errors import AudioError
from .gate import AnalysisTimeout, Busy, Gate
from .uploads import UploadError, parse_upload, read_body

STATIC = Path(__file__).resolve().parent / "static"


@dataclass(frozen=True)
class ServiceLimits:
    """max_upload_bytes: largest accepted request body; max_duration_s: longest accepted audio;
    timeout_s: per-request analysis time; max_concurrent / max_queue: analyses running / waiting."""

    max_upload_bytes: int = 25 << 20
    max_duration_s: float = 600.0
    timeout_s: float = 120.0
    max_concurrent: int = 2
    max_queue: int = 16


def create_app(detector_factory: Callable[[], Any], limits: ServiceLimits = ServiceLimits()) -> FastAPI:
    """Build the app around a Detector made once by `detector_factory` (the model loads at start-up)."""
    import os

    import torch

    # Each analysis gets its share of the cores: more intra-op threads than cores makes every request slower.
    torch.set_num_threads(max(1, (os.cpu_count() or 1) // limits.max_concurrent))
    detector = detector_factory()
    detector.limits = Limits(max_duration_s=limits.max_duration_s, max_input_bytes=limits.max_upload_bytes,
                             max_decoded_bytes=int(limits.max_duration_s * 48000 * 2 * 4))
    gate = Gate(max_concurrent=limits.max_concurrent, max_queue=limits.max_queue, timeout_s=limits.timeout_s)
    app = FastAPI(title="fakescope", version=__version__,
                  description="Tell real speech from synthetic speech. p_fake is the calibrated probability of spoof.")
    app.state.gate = gate

    @app.get("/v1/health")
    def health() -> dict[str, Any]:
        return {"status": "ok", "version": __version__, "waiting": gate.waiting}

    @app.get("/v1/model")
    def model() -> dict[str, Any]:
        config = detector.config or {}
        return {"name": detector.model_name, "frontend": config.get("frontend"), "model": config.get("model"),
                "calibration": detector.calibration.to_dict(), "sample_rate": detector.sample_rate,
                "window_s": detector.plan.window_s, "hop_s": detector.plan.hop_s,
                "thresholds": {"real_below": detector.thresholds.real_below, "fake_above": detector.thresholds.fake_above},
                "limits": limits.__dict__}

    @app.post("/v1/scan", responses={413: {"description": "upload too large"}, 422: {"description": "not usable audio"},
                                     503: {"description": "busy: retry later"}, 504: {"description": "analysis timed out"}})
    async def scan(request: Request, explain: bool = Query(False, description="Include an explanation PNG (base64)."),
                   filename: str | None = Query(None, description="Display name for a raw-body upload.")) -> JSONResponse:
        """Scan one audio file sent as multipart field `file` or as the raw request body."""
        try:
            body = await read_body(request, limits.max_upload_bytes)
            upload = parse_upload(request.headers.get("content-type", ""), body, filename)
        except UploadError as exc:
            return JSONResponse({"error": exc.message}, status_code=exc.status)
        try:
            payload = await gate.run(lambda: _analyse(detector, upload.data, upload.filename, explain))
        except Busy:
            return JSONResponse({"error": "busy: too many analyses in progress, retry shortly"}, status_code=503,
                                headers={"Retry-After": "2"})
        except AnalysisTimeout:
            return JSONResponse({"error": f"analysis took longer than {limits.timeout_s:g} s"}, status_code=504)
        except AudioError as exc:
            return JSONResponse({"error": f"{upload.filename}: {exc.reason}"}, status_code=422)
        return JSONResponse(payload)

    @app.get("/", include_in_schema=False)
    def page() -> FileResponse:
        return FileResponse(STATIC / "index.html", media_type="text/html")

    @app.get("/static/{name}", include_in_schema=False)
    def static(name: str) -> Any:
        allowed = {"app.js": "text/javascript", "style.css": "text/css"}
        if name not in allowed:  # a fixed allow-list: no client path ever reaches the file system
            return JSONResponse({"error": "not found"}, status_code=404)
        return FileResponse(STATIC / name, media_type=allowed[name])

    return app


def _analyse(detector: Any, data: bytes, name: str, explain: bool) -> dict[str, Any]:
    from ..audio import load_audio

    native = load_audio(data, sample_rate=None, mono=False, limits=detector.limits, name=name)
    verdict = detector.scan_audio(native, name=name)
    payload = verdict.to_dict()
    if explain and detector.pipeline is not None:
        from ..detection.explain import explanation_figure

        buffer = io.BytesIO()  # in memory: nothing from a request is written to disk
        explanation_figure(detector, detector.prepare(native), verdict, buffer)
        payload["explanation_png"] = base64.b64encode(buffer.getvalue()).decode()
    return payload
