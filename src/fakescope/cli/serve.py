"""`fakescope serve`: the HTTP API and the web page."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from .app import app


@app.command("serve")
def serve(
    host: str = typer.Option("127.0.0.1", help="Address to listen on (0.0.0.0 exposes it to the network)."),
    port: int = typer.Option(8000, help="TCP port."),
    checkpoint: Optional[Path] = typer.Option(None, help="Checkpoint or .onnx export (default: the shipped model)."),
    max_upload_mb: float = typer.Option(25.0, help="Largest accepted upload in MiB."),
    max_duration: float = typer.Option(600.0, help="Longest accepted audio in seconds."),
    timeout: float = typer.Option(120.0, help="Per-request analysis time limit in seconds."),
    max_concurrent: int = typer.Option(2, help="Analyses running at once."),
    max_queue: int = typer.Option(16, help="Requests allowed to wait; beyond that the service answers 503."),
) -> None:
    """Run the HTTP service: POST /v1/scan, GET /v1/health, GET /v1/model, /docs, and the web page at /."""
    import uvicorn

    from ..detection import Detector
    from ..serve import ServiceLimits, create_app

    limits = ServiceLimits(max_upload_bytes=int(max_upload_mb * 2**20), max_duration_s=max_duration, timeout_s=timeout,
                           max_concurrent=max_concurrent, max_queue=max_queue)
    application = create_app(lambda: Detector.from_checkpoint(checkpoint), limits)
    typer.echo(f"fakescope serving on http://{host}:{port}/ (API docs at /docs)", err=True)
    uvicorn.run(application, host=host, port=port, log_level="warning")
